"""RecoveryEscrow.release: each recovery path end to end, pro-rata recovery of several delegators,
graduated vesting, and every reason a release pays nothing (window, double release, evaluation,
appeal, guardian pause, ended escrow, tampered verdict). An overturn during a claim refunds the rest."""

from fractions import Fraction

import pytest
from helpers import ZERO_ADDRESS, VIRTUAL_SHARES, emitted, reverts, to_assets
from recovery_support import (
    CHALLENGE,
    EPOCHS,
    HOUR_PARAMS_CHALLENGE,
    Status,
    assert_conserved,
    appeal_window_end,
    attest,
    attest_next,
    audit_proof,
    b32,
    conserved,  # noqa: F401 (autouse: the conservation check after each test)
    evaluate,
    expected_slash,
    file_claim,
    iid,
    pass_epochs,
    payable_from,
    upcoming_epoch,
    recover,
    release,
    slash,
    wait_until,
)
from system_fixtures import SYSTEM_WINDOWS

from swarm_stake.models import EscrowState, Level, Phase, ProviderStatus, RecoveryPath, ViolationClass

pytestmark = pytest.mark.integration


def assert_recovered(system, verdict, pool_assets: int, insurance: int) -> None:
    """The recovery of `verdict` is complete: the pool holds `pool_assets`, the insurance pool
    `insurance`, nothing is escrowed, the pool is unfrozen and the incident closed."""
    escrow, manager = system.RecoveryEscrow, system.StakeManager
    provider = verdict.provider
    assert manager.getPool(provider).assets == pool_assets
    assert escrow.insuranceBalance() == insurance
    assert escrow.totalEscrowed() == 0
    assert escrow.stateOf(verdict.incident_id) == EscrowState.RELEASED
    assert escrow.escrowOf(verdict.incident_id).status == Status.RELEASED
    assert manager.getProvider(provider).openIncidents == 0
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.CLOSED
    assert_conserved(system)


def completion_events(verdict, amount: int, paid: int, released: int) -> list:
    provider = verdict.provider
    return [
        ("TrancheReleased", {"incidentId": iid(verdict), "provider": provider, "amount": paid, "released": released}),
        (
            "RecoveryCompleted",
            {"incidentId": iid(verdict), "provider": provider, "released": released, "forfeited": amount - released},
        ),
    ]


def recover_until_payable(system, verdict) -> None:
    file_claim(system, verdict)
    pass_epochs(system, verdict, range(EPOCHS))
    evaluate(system, verdict)
    wait_until(system, payable_from(system, verdict))


def test_service_improvement_path_end_to_end(system):
    escrow, manager, a = system.RecoveryEscrow, system.StakeManager, system.provider_a
    amount, recoverable = expected_slash(manager.getPool(a).assets, ViolationClass.POOR_PERFORMANCE)
    verdict = slash(system)
    e = escrow.escrowOf(verdict.incident_id)
    assert (e.amount, e.recoverableBps, e.recoveryPath) == (amount, 10_000, RecoveryPath.SERVICE_IMPROVEMENT)
    assert recoverable == amount  # 100% recoverable

    tx = file_claim(system, verdict)
    assert emitted(tx, escrow) == [
        ("ClaimFiled", {"incidentId": iid(verdict), "provider": a.address, "auditor": ZERO_ADDRESS,
                        "auditReportHash": b"\x00" * 32, "remediationHash": b"\x00" * 32, "logsRoot": b"\x00" * 32})
    ]
    assert escrow.stateOf(verdict.incident_id) == EscrowState.OBSERVING
    txs = pass_epochs(system, verdict, range(EPOCHS))
    assert [emitted(t, escrow) for t in txs] == [
        [("EpochAttested", {"incidentId": iid(verdict), "epoch": i, "passed": True, "vestedEpochs": i + 1})]
        for i in range(EPOCHS)
    ]
    assert escrow.stateOf(verdict.incident_id) == EscrowState.ATTESTED
    assert escrow.vestedOf(verdict.incident_id) == recoverable
    evaluate(system, verdict)
    wait_until(system, payable_from(system, verdict))
    pool_before, insurance_before = manager.getPool(a).assets, escrow.insuranceBalance()

    tx = release(system, verdict)

    assert emitted(tx, escrow) == completion_events(verdict, amount, recoverable, recoverable)
    assert emitted(tx, manager) == [
        ("StakeReturned", {"provider": a.address, "from": escrow.address, "amount": recoverable,
                           "poolAssets": pool_before + recoverable}),
        ("PoolFreezeChanged", {"provider": a.address, "openIncidents": 0}),
    ]
    assert emitted(tx, system.VerdictManager) == [
        ("IncidentClosed", {"incidentId": iid(verdict), "provider": a.address})
    ]
    assert_recovered(system, verdict, pool_before + recoverable, insurance_before + amount - recoverable)
    # The one-day jail ended during the observation epochs and the challenge window: active again.
    assert manager.getProvider(a).jailedUntil <= tx.timestamp
    assert manager.statusOf(a) == ProviderStatus.ACTIVE


def test_security_review_path_end_to_end(system):
    escrow, manager, a = system.RecoveryEscrow, system.StakeManager, system.provider_a
    amount, recoverable = expected_slash(manager.getPool(a).assets, ViolationClass.SECURITY_BREACH)
    verdict = slash(system, ViolationClass.SECURITY_BREACH)
    e = escrow.escrowOf(verdict.incident_id)
    assert (e.amount, e.recoverableBps, e.recoveryPath) == (amount, 5_000, RecoveryPath.SECURITY_REVIEW)

    proof = audit_proof(system, verdict)
    tx = file_claim(system, verdict, proof)
    assert emitted(tx, escrow) == [
        ("ClaimFiled", {"incidentId": iid(verdict), "provider": a.address, "auditor": system.auditor.address,
                        "auditReportHash": b32(proof.audit_report_hash), "remediationHash": b32(proof.remediation_hash),
                        "logsRoot": b32(proof.logs_root)})
    ]
    assert escrow.logsRootOf(verdict.incident_id) == b32(proof.logs_root)
    assert escrow.stateOf(verdict.incident_id) == EscrowState.OBSERVING
    pass_epochs(system, verdict, range(EPOCHS))
    evaluate(system, verdict)
    wait_until(system, payable_from(system, verdict))
    pool_before, insurance_before = manager.getPool(a).assets, escrow.insuranceBalance()

    tx = release(system, verdict)

    assert emitted(tx, escrow) == completion_events(verdict, amount, recoverable, recoverable)
    assert_recovered(system, verdict, pool_before + recoverable, insurance_before + amount - recoverable)
    # The completed recovery ends the 14-day jail days early (DESIGN: restoration ends back in service).
    assert emitted(tx, manager)[-1] == ("Unjailed", {"provider": a.address})
    assert manager.getProvider(a).jailedUntil == 0
    assert manager.statusOf(a) == ProviderStatus.ACTIVE


def test_compliance_verification_path_end_to_end(system, chain):
    escrow, manager, a = system.RecoveryEscrow, system.StakeManager, system.provider_a
    amount, recoverable = expected_slash(manager.getPool(a).assets, ViolationClass.PROTOCOL_VIOLATION)
    verdict = slash(system, ViolationClass.PROTOCOL_VIOLATION)
    e = escrow.escrowOf(verdict.incident_id)
    assert (e.amount, e.recoverableBps, e.recoveryPath) == (amount, 7_500, RecoveryPath.COMPLIANCE_VERIFICATION)

    chain.pending_timestamp += 3600  # the challenge window then ends after the appeal window
    tx = file_claim(system, verdict)
    # The audit proof is the whole evidence: everything recoverable vests at filing.
    claim = escrow.claimOf(verdict.incident_id)
    assert (claim.filedAt, claim.lastVestedAt, claim.nextEpoch, claim.vestedEpochs, claim.released) == (
        tx.timestamp, tx.timestamp, 0, EPOCHS, 0)
    assert escrow.stateOf(verdict.incident_id) == EscrowState.ATTESTED
    assert escrow.vestedOf(verdict.incident_id) == recoverable

    chain.pending_timestamp = tx.timestamp + CHALLENGE - 1
    with reverts(escrow.NothingToRelease, vested=recoverable, released=0, payableFrom=tx.timestamp + CHALLENGE):
        release(system, verdict)
    chain.pending_timestamp = tx.timestamp + CHALLENGE
    with reverts(escrow.EvaluationMissing, incidentId=iid(verdict)):
        release(system, verdict)
    evaluate(system, verdict)
    pool_before, insurance_before = manager.getPool(a).assets, escrow.insuranceBalance()

    tx = release(system, verdict)

    assert emitted(tx, escrow) == completion_events(verdict, amount, recoverable, recoverable)
    assert_recovered(system, verdict, pool_before + recoverable, insurance_before + amount - recoverable)
    # Released after one day: the completed recovery ends the three-day jail with it.
    assert manager.getProvider(a).jailedUntil == 0
    assert manager.statusOf(a) == ProviderStatus.ACTIVE


def test_pro_rata_recovery_with_several_delegators(system, chain):
    """Provider A and its three delegators share the non-recoverable half of a security-breach slash
    exactly by their shares; the delegator that was unbonding before the verdict shares too and
    withdraws its recovered value."""
    escrow, manager, a = system.RecoveryEscrow, system.StakeManager, system.provider_a
    unbonder = system.delegators[0]
    unbonding_shares = manager.getPosition(a, unbonder).shares
    manager.requestUnstake(a, unbonding_shares, sender=unbonder)
    stakers = [a, *system.delegators]
    held = {s.address: manager.getPosition(a, s).shares + manager.getPosition(a, s).unbondingShares for s in stakers}
    assert manager.getPosition(a, unbonder).unbondingShares == unbonding_shares > 0
    pool = manager.getPool(a)
    pre_assets, shares = pool.assets, pool.shares
    assert sum(held.values()) == shares
    before = {s: manager.convertToAssets(a, h) for s, h in held.items()}

    amount, recoverable = expected_slash(pre_assets, ViolationClass.SECURITY_BREACH)
    lost = amount - recoverable
    verdict = slash(system, ViolationClass.SECURITY_BREACH)
    recover(system, verdict)

    assert manager.getPool(a).assets == pre_assets - lost
    assert manager.getPool(a).shares == shares
    assert escrow.insuranceBalance() == lost
    losses = {}
    for staker, h in held.items():
        after = manager.convertToAssets(a, h)
        assert after == to_assets(h, pre_assets - lost, shares)
        losses[staker] = before[staker] - after
        # Its share of the non-recoverable part, to the wei (the rounding of two floors).
        assert abs(losses[staker] - Fraction(lost * h, shares + VIRTUAL_SHARES)) < 1
    assert lost - len(held) <= sum(losses.values()) <= lost
    assert_conserved(system)

    # The unbonding delegator's shares stayed in the pool: it withdraws its recovered value.
    wait_until(system, manager.getPosition(a, unbonder).unbondingEnd)
    tx = manager.withdraw(a, sender=unbonder)
    assert [args for name, args in emitted(tx, manager) if name == "Withdrawn"] == [
        {"provider": a.address, "staker": unbonder.address, "shares": held[unbonder.address],
         "assets": before[unbonder.address] - losses[unbonder.address]}
    ]
    assert_conserved(system)


def test_graduated_vesting_reset_and_final_tranche(system, chain):
    escrow, manager, a = system.RecoveryEscrow, system.StakeManager, system.provider_a
    pre_assets = manager.getPool(a).assets
    amount, recoverable = expected_slash(pre_assets, ViolationClass.POOR_PERFORMANCE)
    verdict = slash(system)
    file_claim(system, verdict)
    third = recoverable // EPOCHS

    # One passing epoch of three vests a third, payable after the challenge window.
    tx0 = attest(system, verdict, 0)
    assert escrow.vestedOf(verdict.incident_id) == third
    assert escrow.stateOf(verdict.incident_id) == EscrowState.OBSERVING
    chain.pending_timestamp = tx0.timestamp + CHALLENGE - 1
    with reverts(escrow.NothingToRelease, vested=third, released=0, payableFrom=tx0.timestamp + CHALLENGE):
        release(system, verdict)
    chain.pending_timestamp = tx0.timestamp + CHALLENGE
    tx = release(system, verdict)
    assert emitted(tx, escrow) == [
        ("TrancheReleased", {"incidentId": iid(verdict), "provider": a.address, "amount": third, "released": third})
    ]
    assert manager.getPool(a).assets == pre_assets - amount + third
    assert escrow.totalEscrowed() == amount - third
    assert manager.getProvider(a).openIncidents == 1  # still frozen until the recovery completes
    assert_conserved(system)

    # A failing epoch resets the vesting; the tranche already paid stays paid. The epochs that ended
    # during the challenge window, unattested, were missed.
    e1 = upcoming_epoch(system, verdict)
    tx1 = attest(system, verdict, e1, healthy=False)
    assert emitted(tx1, escrow) == [
        ("EpochsMissed", {"incidentId": iid(verdict), "firstMissed": 1, "count": e1 - 1}),
        ("EpochAttested", {"incidentId": iid(verdict), "epoch": e1, "passed": False, "vestedEpochs": 0}),
    ]
    assert escrow.claimOf(verdict.incident_id).vestedEpochs == 0
    assert escrow.vestedOf(verdict.incident_id) == 0
    assert escrow.claimOf(verdict.incident_id).released == third
    assert manager.getPool(a).assets == pre_assets - amount + third
    with reverts(escrow.NothingToRelease, vested=0, released=third, payableFrom=tx0.timestamp + CHALLENGE):
        release(system, verdict)

    # Passing again: one epoch vests what was already paid, nothing more.
    tx2 = attest(system, verdict, e1 + 1)
    with reverts(escrow.NothingToRelease, vested=third, released=third, payableFrom=tx2.timestamp + CHALLENGE):
        release(system, verdict)
    # A failed data-integrity challenge resets it again.
    tx3 = attest(system, verdict, e1 + 2, data_intact=False)
    assert emitted(tx3, escrow) == [
        ("EpochAttested", {"incidentId": iid(verdict), "epoch": e1 + 2, "passed": False, "vestedEpochs": 0})
    ]
    txs = pass_epochs(system, verdict, range(e1 + 3, e1 + 3 + EPOCHS))
    assert [emitted(t, escrow)[0][1]["vestedEpochs"] for t in txs] == [1, 2, 3]
    assert escrow.stateOf(verdict.incident_id) == EscrowState.ATTESTED
    assert escrow.vestedOf(verdict.incident_id) == recoverable

    # The final tranche needs the evaluation.
    wait_until(system, payable_from(system, verdict))
    with reverts(escrow.EvaluationMissing, incidentId=iid(verdict)):
        release(system, verdict)
    evaluate(system, verdict)
    tx = release(system, verdict)
    assert emitted(tx, escrow) == completion_events(verdict, amount, recoverable - third, recoverable)
    assert_recovered(system, verdict, pre_assets - amount + recoverable, amount - recoverable)
    assert manager.getPool(a).assets == pre_assets  # 100% recoverable


def test_a_second_tranche_pays_only_the_newly_vested_part(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    recoverable = escrow.escrowOf(verdict.incident_id).amount
    file_claim(system, verdict)
    attest(system, verdict, 0)
    wait_until(system, payable_from(system, verdict))
    release(system, verdict)
    attest_next(system, verdict)
    wait_until(system, payable_from(system, verdict))
    tx = release(system, verdict)
    two_thirds = recoverable * 2 // EPOCHS
    assert emitted(tx, escrow) == [
        ("TrancheReleased", {"incidentId": iid(verdict), "provider": verdict.provider,
                             "amount": two_thirds - recoverable // EPOCHS, "released": two_thirds})
    ]
    assert_conserved(system)


def test_release_before_the_challenge_window(system, chain):
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    recoverable = escrow.escrowOf(verdict.incident_id).amount
    file_claim(system, verdict)
    pass_epochs(system, verdict, range(EPOCHS))
    evaluate(system, verdict)
    window_end = payable_from(system, verdict)
    chain.pending_timestamp = window_end - 1
    with reverts(escrow.NothingToRelease, vested=recoverable, released=0, payableFrom=window_end):
        release(system, verdict)
    assert escrow.claimOf(verdict.incident_id).released == 0
    assert_conserved(system)


def test_a_double_release(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    third = escrow.escrowOf(verdict.incident_id).amount // EPOCHS
    file_claim(system, verdict)
    attest(system, verdict, 0)
    window_end = payable_from(system, verdict)
    wait_until(system, window_end)
    release(system, verdict)
    with reverts(escrow.NothingToRelease, vested=third, released=third, payableFrom=window_end):
        release(system, verdict)
    assert escrow.claimOf(verdict.incident_id).released == third
    assert_conserved(system)


def test_release_without_a_claim(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    wait_until(system, appeal_window_end(system, verdict) + 1)
    with reverts(escrow.NothingToRelease, vested=0, released=0, payableFrom=CHALLENGE):
        release(system, verdict)


def test_release_after_the_recovery_completed(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    recover(system, verdict)
    with reverts(escrow.EscrowNotOpen, incidentId=iid(verdict)):
        release(system, verdict)
    assert_conserved(system)


def test_release_of_a_warning_which_has_no_escrow(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system, severity=Level.WARNING)
    assert escrow.escrowOf(verdict.incident_id).status == Status.NONE
    with reverts(escrow.EscrowNotOpen, incidentId=iid(verdict)):
        release(system, verdict)


def test_release_of_a_tampered_verdict(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    recover_until_payable(system, verdict)
    for tampered in (
        verdict.model_copy(update={"evidence_hash": "0x" + "ab" * 32}),
        verdict.model_copy(update={"severity": Level.SEVERE}),
    ):
        with reverts(escrow.VerdictMismatch, incidentId=iid(verdict)):
            release(system, tampered)
    never_executed = system.verdict(system.provider_b)
    with reverts(escrow.VerdictMismatch, incidentId=iid(never_executed)):
        release(system, never_executed)


def test_release_waits_while_an_appeal_is_pending(system):
    escrow, a = system.RecoveryEscrow, system.provider_a
    verdict = slash(system)
    third = escrow.escrowOf(verdict.incident_id).amount // EPOCHS
    file_claim(system, verdict)
    attest(system, verdict, 0)
    # Appealed within the appeal window; the tranche's challenge window ends while it is pending.
    system.AppealCourt.appeal(verdict.as_tuple(), sender=system.operator_a)
    assert system.SwarmLens.appealPending(verdict.incident_id)
    wait_until(system, payable_from(system, verdict))
    with reverts(escrow.AppealPending, incidentId=iid(verdict)):
        release(system, verdict)

    system.AppealCourt.resolveAppeal(verdict.as_tuple(), False, sender=system.arbiter)
    tx = release(system, verdict)
    assert emitted(tx, escrow) == [
        ("TrancheReleased", {"incidentId": iid(verdict), "provider": a.address, "amount": third, "released": third})
    ]
    assert escrow.insuranceBalance() == system.AppealCourt.appealOf(verdict.incident_id).bond > 0  # forfeited bond
    assert_conserved(system)


def test_release_waits_for_the_guardian_pause(system, chain):
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    recover_until_payable(system, verdict)
    tx = system.VerdictManager.pause(sender=system.guardian)
    until = tx.timestamp + SYSTEM_WINDOWS.max_pause
    assert system.VerdictManager.pausedUntil() == until
    with reverts(escrow.ReleasesPaused, pausedUntil=until):
        release(system, verdict)
    chain.pending_timestamp = until - 1
    with reverts(escrow.ReleasesPaused, pausedUntil=until):
        release(system, verdict)
    chain.pending_timestamp = until
    tx = release(system, verdict)
    assert [name for name, _ in emitted(tx, escrow)] == ["TrancheReleased", "RecoveryCompleted"]
    assert_conserved(system)


def test_release_resumes_when_the_guardian_unpauses(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    recover_until_payable(system, verdict)
    system.VerdictManager.pause(sender=system.guardian)
    with reverts(escrow.ReleasesPaused):
        release(system, verdict)
    system.VerdictManager.unpause(sender=system.guardian)
    tx = release(system, verdict)
    assert [name for name, _ in emitted(tx, escrow)] == ["TrancheReleased", "RecoveryCompleted"]


def overturn(system, verdict):
    return system.AppealCourt.resolveAppeal(verdict.as_tuple(), True, sender=system.arbiter)


def test_an_overturn_during_a_claim_refunds_everything(system):
    escrow, manager, a = system.RecoveryEscrow, system.StakeManager, system.provider_a
    pre_assets = manager.getPool(a).assets
    verdict = slash(system)
    amount = escrow.escrowOf(verdict.incident_id).amount
    system.AppealCourt.appeal(verdict.as_tuple(), sender=system.operator_a)
    file_claim(system, verdict)
    attest(system, verdict, 0)

    tx = overturn(system, verdict)

    assert emitted(tx, escrow) == [("EscrowRefunded", {"incidentId": iid(verdict), "provider": a.address,
                                                      "amount": amount})]
    assert emitted(tx, system.VerdictManager) == [("VerdictOverturned", {"incidentId": iid(verdict),
                                                                        "provider": a.address})]
    ((_, overturned),) = emitted(tx, system.AppealCourt)
    assert overturned["returned"] == amount
    assert manager.getPool(a).assets == pre_assets + overturned["penalties"]
    assert escrow.stateOf(verdict.incident_id) == EscrowState.REFUNDED
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.OVERTURNED
    assert manager.getProvider(a).openIncidents == 0
    assert manager.statusOf(a) == ProviderStatus.ACTIVE
    assert (escrow.totalEscrowed(), escrow.insuranceBalance()) == (0, 0)
    with reverts(escrow.EscrowNotOpen, incidentId=iid(verdict)):
        release(system, verdict)
    with reverts(escrow.NotObserving, incidentId=iid(verdict)):
        attest(system, verdict, 1)
    with reverts(escrow.ClaimNotAllowed, incidentId=iid(verdict), status=Status.REFUNDED):
        file_claim(system, verdict)
    assert_conserved(system)


def test_no_tranche_is_paid_while_the_incident_can_be_appealed(system):
    """Attack (hole: windows uncoupled): with a challenge window shorter than the appeal window, anyone
    released a vested tranche while the provider could still appeal, so an overturn could no longer
    refund the whole slash. Now nothing is released before the incident's own copied appeal window
    ends, nor while an appeal is pending; the overturn refunds everything."""
    escrow, manager, a = system.RecoveryEscrow, system.StakeManager, system.provider_a
    system.govern(escrow, "setRecoveryParams", HOUR_PARAMS_CHALLENGE.as_tuple())
    pre_assets = manager.getPool(a).assets
    verdict = slash(system)
    amount = escrow.escrowOf(verdict.incident_id).amount
    window_end = appeal_window_end(system, verdict)
    file_claim(system, verdict)
    attest(system, verdict, 0)
    ready = payable_from(system, verdict, HOUR_PARAMS_CHALLENGE.challenge_window)
    assert ready < window_end
    wait_until(system, ready)
    with reverts(escrow.AppealWindowOpen, windowEnd=window_end, nowTime=ready):
        release(system, verdict)
    system.AppealCourt.appeal(verdict.as_tuple(), sender=system.operator_a)
    attest(system, verdict, 1)  # observation goes on while the appeal is pending
    wait_until(system, window_end + 1)
    with reverts(escrow.AppealPending, incidentId=iid(verdict)):
        release(system, verdict)

    tx = overturn(system, verdict)

    assert emitted(tx, escrow) == [("EscrowRefunded", {"incidentId": iid(verdict), "provider": a.address,
                                                      "amount": amount})]
    ((_, overturned),) = emitted(tx, system.AppealCourt)
    assert overturned["returned"] == amount
    assert manager.getPool(a).assets == pre_assets + overturned["penalties"]
    assert (escrow.totalEscrowed(), escrow.insuranceBalance()) == (0, 0)
    assert escrow.stateOf(verdict.incident_id) == EscrowState.REFUNDED
    assert manager.getProvider(a).openIncidents == 0
    assert_conserved(system)


def test_two_escrows_of_one_provider_unfreeze_one_at_a_time(system):
    escrow, manager, a = system.RecoveryEscrow, system.StakeManager, system.provider_a
    pre_assets = manager.getPool(a).assets
    first = slash(system, ViolationClass.PROTOCOL_VIOLATION)
    amount1, recoverable1 = expected_slash(pre_assets, ViolationClass.PROTOCOL_VIOLATION)
    # Escalation is per violation class: a poor-performance offense after a protocol violation is not
    # escalated, it takes the penalty row: 1%, 100% recoverable.
    second = slash(system)
    amount2, recoverable2 = expected_slash(pre_assets - amount1, ViolationClass.POOR_PERFORMANCE, Level.PENALTY)
    e = escrow.escrowOf(second.incident_id)
    assert (e.amount, e.recoverableBps) == (amount2, 10_000)
    assert manager.getProvider(a).openIncidents == 2

    recover(system, first)
    assert manager.getProvider(a).openIncidents == 1
    assert system.SwarmLens.stateOf(second.incident_id) == Phase.RESPONDED
    assert escrow.totalEscrowed() == amount2
    recover(system, second)

    assert manager.getProvider(a).openIncidents == 0
    assert escrow.totalEscrowed() == 0
    assert escrow.insuranceBalance() == amount1 - recoverable1 + amount2 - recoverable2
    assert manager.getPool(a).assets == pre_assets - amount1 - amount2 + recoverable1 + recoverable2
    assert_conserved(system)


def test_a_pause_extends_the_challenge_window(system, chain):
    """Releases stop during a pause, and the challenge window counts unpaused time only: the committee
    keeps the whole window to reject the claim."""
    escrow, vm = system.RecoveryEscrow, system.VerdictManager
    verdict = slash(system)
    amount = escrow.escrowOf(verdict.incident_id).amount
    file_claim(system, verdict)
    pass_epochs(system, verdict, range(EPOCHS))
    evaluate(system, verdict)
    started = vm.pause(sender=system.guardian).timestamp
    chain.pending_timestamp = started + 900
    vm.unpause(sender=system.guardian)
    ready = payable_from(system, verdict) + 900
    chain.pending_timestamp = ready - 1
    with reverts(escrow.NothingToRelease, vested=amount, released=0, payableFrom=ready):
        release(system, verdict)
    chain.pending_timestamp = ready
    assert release(system, verdict).timestamp == ready
    assert escrow.stateOf(verdict.incident_id) == EscrowState.RELEASED
