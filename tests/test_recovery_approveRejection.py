"""RecoveryEscrow.approveRejection: the committee (quorum, each member once) rejects a running claim,
at the latest at the end of its challenge window; a rejected claim can be re-filed, with a new audit
proof, until the claim deadline, and its observation starts over."""

import pytest
from helpers import emitted, reverts
from recovery_support import (
    CHALLENGE,
    CLAIM_WINDOW,
    EPOCHS,
    EVIDENCE,
    Status,
    assert_conserved,
    attest,
    audit_proof,
    b32,
    conserved,  # noqa: F401 (autouse: the conservation check after each test)
    decision_events,
    evaluate,
    file_claim,
    iid,
    pass_epochs,
    payable_from,
    reject,
    release,
    slash,
    wait_until,
)
from system_fixtures import DAY

from swarm_stake.models import EscrowState, Phase, ViolationClass

pytestmark = pytest.mark.integration

SECURITY = ViolationClass.SECURITY_BREACH


def approve(system, verdict, member, evidence=EVIDENCE):
    return system.RecoveryEscrow.approveRejection(verdict.as_tuple(), evidence, sender=member)


def test_the_committee_rejects_a_claim_in_its_challenge_window(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    file_claim(system, verdict)
    pass_epochs(system, verdict, range(EPOCHS))
    assert escrow.stateOf(verdict.incident_id) == EscrowState.ATTESTED
    filed_at = escrow.claimOf(verdict.incident_id).filedAt
    window_end = payable_from(system, verdict)

    txs = reject(system, verdict)

    events = decision_events("reject", verdict, system.oracles[:3], filed_at, EVIDENCE)
    assert [emitted(tx, escrow) for tx in txs] == [
        [events[0]],
        [events[1]],
        [events[2], ("ClaimRejected", {"incidentId": iid(verdict), "evidenceHash": EVIDENCE})],
    ]
    assert escrow.approvalsOf(events[2][1]["decision"]) == 0b111
    assert escrow.escrowOf(verdict.incident_id).status == Status.REJECTED
    assert escrow.stateOf(verdict.incident_id) == EscrowState.REJECTED
    assert escrow.claimOf(verdict.incident_id).vestedEpochs == 0
    assert escrow.vestedOf(verdict.incident_id) == 0
    wait_until(system, window_end)
    with reverts(escrow.NothingToRelease, vested=0, released=0, payableFrom=window_end):
        release(system, verdict)
    # Still frozen and open: the claim may be re-filed.
    assert system.StakeManager.getProvider(verdict.provider).openIncidents == 1
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.RESPONDED
    assert_conserved(system)


def test_a_rejection_at_the_end_of_the_challenge_window(system, chain):
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    file_claim(system, verdict)
    pass_epochs(system, verdict, range(EPOCHS))
    window_end = payable_from(system, verdict)
    approve(system, verdict, system.oracles[0])
    approve(system, verdict, system.oracles[1])
    chain.pending_timestamp = window_end
    tx = approve(system, verdict, system.oracles[2])
    assert tx.timestamp == window_end
    assert [name for name, _ in emitted(tx, escrow)] == ["DecisionApproved", "ClaimRejected"]


def test_a_rejection_after_the_challenge_window(system, chain):
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    file_claim(system, verdict)
    pass_epochs(system, verdict, range(EPOCHS))
    window_end = payable_from(system, verdict)
    approve(system, verdict, system.oracles[0])
    chain.pending_timestamp = window_end + 1
    with reverts(escrow.ChallengeWindowClosed, windowEnd=window_end, nowTime=window_end + 1):
        approve(system, verdict, system.oracles[1])
    assert escrow.escrowOf(verdict.incident_id).status == Status.CLAIMED


def test_a_rejection_while_observing(system):
    # Before every epoch passed there is no window to wait for: the committee may reject any time.
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    file_claim(system, verdict)
    attest(system, verdict, 0)
    wait_until(system, payable_from(system, verdict) + DAY)
    txs = reject(system, verdict)
    assert emitted(txs[-1], escrow)[-1] == ("ClaimRejected", {"incidentId": iid(verdict), "evidenceHash": EVIDENCE})
    assert escrow.stateOf(verdict.incident_id) == EscrowState.REJECTED


def test_refiling_with_a_new_audit_proof_restarts_the_epochs(system, chain):
    escrow, a = system.RecoveryEscrow, system.provider_a
    verdict = slash(system, SECURITY)
    amount = escrow.escrowOf(verdict.incident_id).amount
    first = audit_proof(system, verdict)
    file_claim(system, verdict, first)
    pass_epochs(system, verdict, range(EPOCHS))
    reject(system, verdict)

    chain.pending_timestamp += 600
    second = audit_proof(system, verdict)
    tx = file_claim(system, verdict, second)

    assert emitted(tx, escrow) == [
        ("ClaimFiled", {"incidentId": iid(verdict), "provider": a.address, "auditor": system.auditor.address,
                        "auditReportHash": b32(second.audit_report_hash),
                        "remediationHash": b32(second.remediation_hash), "logsRoot": b32(second.logs_root)})
    ]
    claim = escrow.claimOf(verdict.incident_id)
    assert (claim.filedAt, claim.lastVestedAt, claim.nextEpoch, claim.vestedEpochs, claim.released) == (
        tx.timestamp, 0, 0, 0, 0)
    assert escrow.logsRootOf(verdict.incident_id) == b32(second.logs_root)
    assert escrow.stateOf(verdict.incident_id) == EscrowState.OBSERVING
    pass_epochs(system, verdict, range(EPOCHS))  # the new claim's grid starts at its own filing time
    evaluate(system, verdict)
    wait_until(system, payable_from(system, verdict))
    tx = release(system, verdict)
    recoverable = amount // 2
    assert [name for name, _ in emitted(tx, escrow)] == ["TrancheReleased", "RecoveryCompleted"]
    assert escrow.insuranceBalance() == amount - recoverable
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.CLOSED
    assert_conserved(system)


def test_refiling_after_the_claim_deadline(system, chain):
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    file_claim(system, verdict)
    reject(system, verdict)
    deadline = escrow.escrowOf(verdict.incident_id).openedAt + CLAIM_WINDOW
    proof = audit_proof(system, verdict, expiry=deadline + DAY)
    chain.pending_timestamp = deadline + 1
    with reverts(escrow.ClaimDeadlinePassed, deadline=deadline, nowTime=deadline + 1):
        file_claim(system, verdict, proof)


def test_a_paid_tranche_stays_paid_after_a_rejection(system):
    escrow, manager, a = system.RecoveryEscrow, system.StakeManager, system.provider_a
    pre_assets = manager.getPool(a).assets
    verdict = slash(system)
    amount = escrow.escrowOf(verdict.incident_id).amount
    third = amount // EPOCHS
    file_claim(system, verdict)
    attest(system, verdict, 0)
    wait_until(system, payable_from(system, verdict))
    release(system, verdict)
    reject(system, verdict)
    assert escrow.claimOf(verdict.incident_id).released == third
    assert escrow.vestedOf(verdict.incident_id) == third
    assert manager.getPool(a).assets == pre_assets - amount + third

    # The service-improvement path needs no audit proof to re-file; the final tranche pays the rest.
    file_claim(system, verdict)
    pass_epochs(system, verdict, range(EPOCHS))
    evaluate(system, verdict)
    wait_until(system, payable_from(system, verdict))
    tx = release(system, verdict)
    assert emitted(tx, escrow)[0] == (
        "TrancheReleased", {"incidentId": iid(verdict), "provider": a.address, "amount": amount - third,
                            "released": amount})
    assert manager.getPool(a).assets == pre_assets
    assert_conserved(system)


def test_a_member_approving_a_rejection_twice(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    file_claim(system, verdict)
    approve(system, verdict, system.oracles[0])
    with reverts(escrow.DuplicateSigner, signer=system.oracles[0]):
        approve(system, verdict, system.oracles[0])
    # Another evidence hash is another decision: the member may approve it.
    tx = approve(system, verdict, system.oracles[0], evidence=b"\x42" * 32)
    assert emitted(tx, escrow)[0][1]["approvals"] == 1


def test_a_rejection_by_a_non_member(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    file_claim(system, verdict)
    for stranger in (system.outsider, system.auditor, system.gov):
        with reverts(escrow.NotCommitteeMember, signer=stranger, epoch=1):
            approve(system, verdict, stranger)


def test_a_rejection_without_a_running_claim(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    with reverts(escrow.NotObserving, incidentId=iid(verdict)):
        approve(system, verdict, system.oracles[0])
    file_claim(system, verdict)
    reject(system, verdict)
    with reverts(escrow.NotObserving, incidentId=iid(verdict)):
        approve(system, verdict, system.oracles[3])


def test_a_rejection_of_a_tampered_verdict(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    file_claim(system, verdict)
    tampered = verdict.model_copy(update={"observed_at": verdict.observed_at + 1})
    with reverts(escrow.VerdictMismatch, incidentId=iid(verdict)):
        approve(system, tampered, system.oracles[0])


def test_the_challenge_window_of_a_compliance_claim(system, chain):
    # Vested at filing: the committee may reject until one challenge window after the filing.
    escrow = system.RecoveryEscrow
    verdict = slash(system, ViolationClass.PROTOCOL_VIOLATION)
    tx = file_claim(system, verdict)
    window_end = tx.timestamp + CHALLENGE
    chain.pending_timestamp = window_end + 1
    with reverts(escrow.ChallengeWindowClosed, windowEnd=window_end, nowTime=window_end + 1):
        approve(system, verdict, system.oracles[0])
