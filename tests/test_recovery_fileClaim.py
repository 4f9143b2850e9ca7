"""RecoveryEscrow.fileClaim: only the provider's operator key, once at a time, before the claim
deadline, on a recoverable escrow, with an audit proof signed by a registered auditor that is not a
provider key, names this incident and provider, is valid now and was not used before."""

import pytest
from helpers import reverts
from recovery_support import (
    CLAIM_WINDOW,
    EPOCHS,
    NO_PROOF,
    Status,
    assert_conserved,
    audit_proof,
    b32,
    conserved,  # noqa: F401 (autouse: the conservation check after each test)
    file_claim,
    iid,
    pass_epochs,
    proof_digest,
    recover,
    reject,
    slash,
)
from system_fixtures import DAY, SYSTEM_WINDOWS
from verdict_support import high_s

from swarm_stake.models import EscrowState, Level, RecoveryPath, ViolationClass
from swarm_stake.signing import recover as recover_signer

pytestmark = pytest.mark.integration

SECURITY = ViolationClass.SECURITY_BREACH


def test_a_claim_starts_the_observation_epochs(system, chain):
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    chain.pending_timestamp += 600
    tx = file_claim(system, verdict)
    claim = escrow.claimOf(verdict.incident_id)
    assert (claim.filedAt, claim.lastVestedAt, claim.nextEpoch, claim.vestedEpochs, claim.released) == (
        tx.timestamp, 0, 0, 0, 0)
    assert escrow.escrowOf(verdict.incident_id).status == Status.CLAIMED
    assert escrow.stateOf(verdict.incident_id) == EscrowState.OBSERVING
    assert escrow.vestedOf(verdict.incident_id) == 0
    # The service-improvement path takes no audit proof: no logs root.
    assert escrow.logsRootOf(verdict.incident_id) == b"\x00" * 32
    assert_conserved(system)


def test_a_claim_on_a_tampered_verdict(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    for tampered in (
        verdict.model_copy(update={"evidence_hash": "0x" + "cd" * 32}),
        verdict.model_copy(update={"deadline": verdict.deadline - 1}),
        verdict.model_copy(update={"provider": system.provider_b.address}),
    ):
        with reverts(escrow.VerdictMismatch, incidentId=iid(verdict)):
            file_claim(system, tampered, audit_proof(system, verdict), sender=system.operator_a)
    never_executed = system.verdict()
    with reverts(escrow.VerdictMismatch, incidentId=iid(never_executed)):
        escrow.fileClaim(never_executed.as_tuple(), NO_PROOF, b"", sender=system.operator_a)
    assert escrow.escrowOf(verdict.incident_id).status == Status.ESCROWED


def test_a_claim_by_anyone_but_the_operator_key(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    for caller in (system.provider_a, system.outsider, system.operator_b, system.auditor, system.oracles[0]):
        with reverts(escrow.NotProviderOperator, caller=caller):
            file_claim(system, verdict, sender=caller)
    assert escrow.escrowOf(verdict.incident_id).status == Status.ESCROWED


def test_a_new_operator_key_files_the_claim(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    system.StakeManager.setOperator(system.outsider, sender=system.provider_a)
    with reverts(escrow.NotProviderOperator, caller=system.operator_a):
        file_claim(system, verdict, sender=system.operator_a)
    file_claim(system, verdict, sender=system.outsider)
    assert escrow.escrowOf(verdict.incident_id).status == Status.CLAIMED


def test_a_second_claim_while_one_is_running(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    file_claim(system, verdict)
    with reverts(escrow.ClaimNotAllowed, incidentId=iid(verdict), status=Status.CLAIMED):
        file_claim(system, verdict)
    pass_epochs(system, verdict, range(EPOCHS))  # attested, in its challenge window
    with reverts(escrow.ClaimNotAllowed, incidentId=iid(verdict), status=Status.CLAIMED):
        file_claim(system, verdict)


def test_a_claim_after_the_recovery_completed(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    recover(system, verdict)
    with reverts(escrow.ClaimNotAllowed, incidentId=iid(verdict), status=Status.RELEASED):
        file_claim(system, verdict)


def test_a_claim_at_the_claim_deadline(system, chain):
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    deadline = escrow.escrowOf(verdict.incident_id).openedAt + CLAIM_WINDOW
    proof = audit_proof(system, verdict, expiry=deadline)
    chain.pending_timestamp = deadline
    tx = file_claim(system, verdict, proof)
    assert tx.timestamp == deadline
    assert escrow.stateOf(verdict.incident_id) == EscrowState.OBSERVING


def test_a_claim_after_the_claim_deadline(system, chain):
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    deadline = escrow.escrowOf(verdict.incident_id).openedAt + CLAIM_WINDOW
    proof = audit_proof(system, verdict, expiry=deadline + DAY)
    chain.pending_timestamp = deadline + 1
    with reverts(escrow.ClaimDeadlinePassed, deadline=deadline, nowTime=deadline + 1):
        file_claim(system, verdict, proof)
    assert escrow.escrowOf(verdict.incident_id).status == Status.ESCROWED


def _paused_in_the_claim_window(system, chain):
    """A security verdict and a 300 s pause inside its claim window: (verdict, proof, extended deadline)."""
    escrow, vm = system.RecoveryEscrow, system.VerdictManager
    verdict = slash(system, SECURITY)
    deadline = escrow.escrowOf(verdict.incident_id).openedAt + CLAIM_WINDOW
    started = vm.pause(sender=system.guardian).timestamp
    chain.pending_timestamp = started + 300
    vm.unpause(sender=system.guardian)
    return verdict, audit_proof(system, verdict, expiry=deadline + DAY), deadline + 300


def test_a_pause_extends_the_claim_window(system, chain):
    """A guardian pause inside the claim window moves the deadline by its length (the window counts
    unpaused time only): a claim in the last second of the extended window is filed."""
    verdict, proof, extended = _paused_in_the_claim_window(system, chain)
    chain.pending_timestamp = extended
    assert file_claim(system, verdict, proof).timestamp == extended


def test_a_pause_extends_the_claim_window_by_its_length_only(system, chain):
    """One second after the extended deadline the claim is refused; a pause that starts after the
    deadline gives nothing back (the pause-free clock stops, it does not run back)."""
    escrow, vm = system.RecoveryEscrow, system.VerdictManager
    verdict, proof, extended = _paused_in_the_claim_window(system, chain)
    chain.pending_timestamp = extended + 1
    with reverts(escrow.ClaimDeadlinePassed, deadline=extended, nowTime=extended + 1):
        file_claim(system, verdict, proof)
    chain.pending_timestamp = extended + 1 + SYSTEM_WINDOWS.pause_cooldown
    vm.pause(sender=system.guardian)
    with reverts(escrow.ClaimDeadlinePassed):
        file_claim(system, verdict, proof)


def test_the_tombstone_row_is_not_recoverable(system, chain):
    """A severe security breach escrows 30% with nothing recoverable (no recovery path): a claim is
    refused with NotRecoverable; once the tombstone is final the escrow is forfeited."""
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY, Level.SEVERE, system.provider_b)
    e = escrow.escrowOf(verdict.incident_id)
    assert (e.recoverableBps, e.recoveryPath, e.status) == (0, 0, Status.ESCROWED) and e.amount > 0
    proof = audit_proof(system, verdict)
    with reverts(escrow.NotRecoverable, incidentId=iid(verdict)):
        file_claim(system, verdict, proof, system.sign_proof(proof))
    with reverts(escrow.NotRecoverable, incidentId=iid(verdict)):
        file_claim(system, verdict, signature=b"")

    (incident, _) = system.VerdictManager.getIncident(verdict.incident_id)
    chain.pending_timestamp = incident[1] + SYSTEM_WINDOWS.appeal_window + 1  # executedAt + appeal window
    system.AppealCourt.finalizeTombstone(verdict.as_tuple(), sender=system.outsider)
    with reverts(escrow.ClaimNotAllowed, incidentId=iid(verdict), status=Status.FORFEITED):
        file_claim(system, verdict, signature=b"")
    assert_conserved(system)


def test_a_warning_has_no_escrow_to_claim(system):
    """A warning slashes nothing and opens no escrow: there is nothing to recover."""
    escrow = system.RecoveryEscrow
    verdict = slash(system, severity=Level.WARNING)
    assert escrow.escrowOf(verdict.incident_id).status == Status.NONE
    with reverts(escrow.NotRecoverable, incidentId=iid(verdict)):
        file_claim(system, verdict)


@pytest.mark.parametrize("violation_class", [ViolationClass.SECURITY_BREACH, ViolationClass.PROTOCOL_VIOLATION])
def test_an_audited_path_requires_an_audit_proof(system, violation_class):
    escrow = system.RecoveryEscrow
    verdict = slash(system, violation_class)
    with reverts(escrow.AuditProofRequired):
        file_claim(system, verdict, audit_proof(system, verdict), signature=b"")
    with reverts(escrow.AuditProofRequired):
        escrow.fileClaim(verdict.as_tuple(), NO_PROOF, b"", sender=system.operator_a)
    assert escrow.escrowOf(verdict.incident_id).status == Status.ESCROWED


def test_a_proof_signed_by_a_non_auditor(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    proof = audit_proof(system, verdict)
    for signer in (system.outsider, system.oracles[0], system.gov):
        with reverts(escrow.NotAuditor, signer=signer):
            file_claim(system, verdict, proof, system.sign_proof(proof, signer))


def test_a_proof_changed_after_signing(system):
    # The auditor's signature over another proof recovers to some other address: not an auditor.
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    signed = audit_proof(system, verdict)
    changed = signed.model_copy(update={"logs_root": "0x" + "ee" * 32})
    signature = system.sign_proof(signed)
    stranger = recover_signer(changed, system.chain.chain_id, escrow.address, signature)
    assert stranger != system.auditor.address
    with reverts(escrow.NotAuditor, signer=stranger):
        file_claim(system, verdict, changed, signature)


def test_a_proof_by_an_auditor_removed_through_governance(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    proof = audit_proof(system, verdict)
    signature = system.sign_proof(proof)
    system.govern(escrow, "setAuditor", system.auditor, False)
    assert not escrow.isAuditor(system.auditor)
    with reverts(escrow.NotAuditor, signer=system.auditor):
        file_claim(system, verdict, proof, signature)
    # Registered again, the same signed proof is accepted (it was never used).
    system.govern(escrow, "setAuditor", system.auditor, True)
    file_claim(system, verdict, proof, signature)
    assert escrow.escrowOf(verdict.incident_id).status == Status.CLAIMED


@pytest.mark.parametrize("key", ["operator_a", "provider_a"])
def test_an_auditor_that_is_a_provider_key(system, key):
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    provider_key = getattr(system, key)
    system.govern(escrow, "setAuditor", provider_key, True)
    assert escrow.isAuditor(provider_key)
    proof = audit_proof(system, verdict)
    with reverts(escrow.AuditorIsProviderKey, auditor=provider_key):
        file_claim(system, verdict, proof, system.sign_proof(proof, provider_key))
    assert escrow.escrowOf(verdict.incident_id).status == Status.ESCROWED


def test_a_proof_for_another_incident_or_provider(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    other = system.verdict(system.provider_b)
    for proof in (
        audit_proof(system, verdict, incident=other.incident_id),
        audit_proof(system, verdict, provider=system.provider_b.address),
    ):
        with reverts(escrow.AuditProofMismatch):
            file_claim(system, verdict, proof)
    assert escrow.escrowOf(verdict.incident_id).status == Status.ESCROWED


def test_an_expired_proof(system, chain):
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    proof = audit_proof(system, verdict, expiry=chain.pending_timestamp + DAY)
    chain.pending_timestamp = proof.expiry + 1
    with reverts(escrow.AuditProofNotValid, issuedAt=proof.issued_at, expiry=proof.expiry, nowTime=proof.expiry + 1):
        file_claim(system, verdict, proof)


def test_a_proof_issued_in_the_future(system, chain):
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    now = chain.pending_timestamp + 10
    proof = audit_proof(system, verdict, issued_at=now + 1, expiry=now + DAY)
    chain.pending_timestamp = now
    with reverts(escrow.AuditProofNotValid, issuedAt=now + 1, expiry=now + DAY, nowTime=now):
        file_claim(system, verdict, proof)


def test_a_proof_issued_before_the_escrow_opened(system, chain):
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    opened_at = escrow.escrowOf(verdict.incident_id).openedAt
    now = chain.pending_timestamp + 10
    proof = audit_proof(system, verdict, issued_at=opened_at - 1, expiry=now + DAY)
    chain.pending_timestamp = now
    with reverts(escrow.AuditProofNotValid, issuedAt=opened_at - 1, expiry=now + DAY, nowTime=now):
        file_claim(system, verdict, proof)


def test_a_proof_at_the_edges_of_its_validity(system, chain):
    # Issued the second the escrow opened, used the second it expires.
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    opened_at = escrow.escrowOf(verdict.incident_id).openedAt
    proof = audit_proof(system, verdict, issued_at=opened_at, expiry=opened_at + DAY)
    chain.pending_timestamp = opened_at + DAY
    tx = file_claim(system, verdict, proof)
    assert tx.timestamp == proof.expiry
    assert escrow.logsRootOf(verdict.incident_id) == b32(proof.logs_root)


def test_a_proof_used_again_after_a_rejection(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    proof = audit_proof(system, verdict)
    file_claim(system, verdict, proof)
    reject(system, verdict)
    assert escrow.escrowOf(verdict.incident_id).status == Status.REJECTED
    digest = proof_digest(system, proof)
    assert escrow.hashAuditProof(proof.as_tuple()) == digest
    with reverts(escrow.AuditProofUsed, digest=digest):
        file_claim(system, verdict, proof)
    assert escrow.escrowOf(verdict.incident_id).status == Status.REJECTED


def test_a_malformed_audit_signature(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system, SECURITY)
    proof = audit_proof(system, verdict)
    good = system.sign_proof(proof)
    for signature in (
        b"\x01" * 10,  # wrong length
        good[:64],  # 64 bytes: compact signatures are not accepted
        high_s(good),  # the malleable twin
        good[:64] + bytes([30]),  # v neither 27 nor 28
    ):
        with reverts(escrow.InvalidSignature, index=0):
            file_claim(system, verdict, proof, signature)
    file_claim(system, verdict, proof, good)
    assert escrow.escrowOf(verdict.incident_id).status == Status.CLAIMED


@pytest.mark.parametrize(("recoverable_bps", "path"), [(0, RecoveryPath.SERVICE_IMPROVEMENT), (5_000, RecoveryPath.NONE)])
def test_a_path_without_a_recoverable_share_or_a_share_without_a_path_is_not_recoverable(
    system, recoverable_bps, path
):
    """The matrix does not tie the two together: governance may set a recovery path with nothing
    recoverable, or a recoverable share without a path. Either way there is nothing to claim."""
    escrow, vm = system.RecoveryEscrow, system.VerdictManager
    row = tuple(vm.penaltyRow(ViolationClass.POOR_PERFORMANCE, Level.PENALTY))
    system.govern(vm, "setPenaltyRow", ViolationClass.POOR_PERFORMANCE, Level.PENALTY,
                  (row[0], recoverable_bps, row[2], int(path), row[4], row[5]))
    verdict = slash(system)
    e = escrow.escrowOf(verdict.incident_id)
    assert (e.recoverableBps, e.recoveryPath, e.status) == (recoverable_bps, path, Status.ESCROWED) and e.amount > 0

    with reverts(escrow.NotRecoverable, incidentId=iid(verdict)):
        file_claim(system, verdict)
    assert escrow.stateOf(verdict.incident_id) == EscrowState.ESCROWED
    assert_conserved(system)
