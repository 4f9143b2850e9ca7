"""The incident phases across the verdict, appeal and recovery contracts, and the hand-over between them."""

import pytest
from helpers import emitted, reverts
from recovery_support import (
    EPOCHS,
    Status,
    evaluate,
    expected_slash,
    file_claim,
    iid,
    pass_epochs,
    payable_from,
    release,
    slash,
    wait_until,
)
from swarm_stake.models import EscrowState, Level, Phase, ProviderStatus, ViolationClass
from system_checks import appeal, assert_conserved, resolve
from system_fixtures import SYSTEM_WINDOWS, TOKEN

pytestmark = pytest.mark.integration


def test_phases_follow_the_recovery_from_responded_to_closed(system):
    vm = system.VerdictManager
    verdict = slash(system)
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.RESPONDED
    file_claim(system, verdict)
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.RESTORING
    pass_epochs(system, verdict, range(EPOCHS))
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.RESTORING
    evaluate(system, verdict)
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.EVALUATED
    wait_until(system, payable_from(system, verdict))
    release(system, verdict)
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.CLOSED
    assert_conserved(system)


def test_a_second_verdict_of_the_same_class_executes_at_once_while_the_first_is_open(system):
    """An open incident is no shield: a second failure of the same class, in a later incident-id bucket,
    executes at quorum as its own incident (escalated, a repeat within the lookback) while the first is
    still open. Both escrows are open and the pool counts two open incidents. Overturning the first then
    refunds only the first: the second's jail, escrow and freeze stay in place.
    (Protocol violations: a poor-performance verdict observed inside the first's jail is refused by
    another rule, PoorPerformanceWhileJailed.)"""
    vm, escrow, manager = system.VerdictManager, system.RecoveryEscrow, system.StakeManager
    b, pv = system.provider_b, ViolationClass.PROTOCOL_VIOLATION
    pre_assets = manager.getPool(b).assets
    first = slash(system, pv, Level.PENALTY, b)
    amount1, _ = expected_slash(pre_assets, pv, Level.PENALTY)
    system.chain.pending_timestamp += SYSTEM_WINDOWS.bucket_length
    second = system.verdict(b, pv, Level.PENALTY)
    amount2, _ = expected_slash(pre_assets - amount1, pv, Level.SEVERE)

    tx = system.submit(second)

    assert tx.return_value is True
    names = [name for name, _ in emitted(tx, vm)]
    assert "VerdictDeferred" not in names and names[-1] == "VerdictExecuted"
    executed = emitted(tx, vm)[-1][1]
    jail = vm.penaltyRow(pv, Level.SEVERE).jailDuration
    assert (executed["incidentId"], executed["level"], executed["amount"], executed["jailedUntil"]) == (
        iid(second), Level.SEVERE, amount2, tx.timestamp + jail)
    assert vm.remainderOf(second.incident_id) == 0
    for verdict, amount in ((first, amount1), (second, amount2)):
        e = escrow.escrowOf(verdict.incident_id)
        assert (e.status, e.amount) == (Status.ESCROWED, amount)
        assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.RESPONDED
    assert escrow.totalEscrowed() == amount1 + amount2
    assert manager.getProvider(b).openIncidents == 2
    assert manager.getProvider(b).jailedUntil == tx.timestamp + jail

    appeal(system, first)
    tx = resolve(system, first, overturn=True)

    assert [name for name, _ in emitted(tx, escrow)] == ["EscrowRefunded"]
    assert escrow.escrowOf(first.incident_id).status == Status.REFUNDED
    assert system.SwarmLens.stateOf(first.incident_id) == Phase.OVERTURNED
    # The second incident stands: its escrow, its freeze and its jail.
    assert escrow.escrowOf(second.incident_id).status == Status.ESCROWED
    assert escrow.stateOf(second.incident_id) == EscrowState.ESCROWED
    assert escrow.totalEscrowed() == amount2
    assert system.SwarmLens.stateOf(second.incident_id) == Phase.RESPONDED
    assert "Unjailed" not in [name for name, _ in emitted(tx, manager)]
    assert manager.getProvider(b).openIncidents == 1
    assert manager.getProvider(b).jailedUntil == executed["jailedUntil"]
    assert manager.statusOf(b) == ProviderStatus.JAILED
    with reverts(manager.PoolFrozen, provider=b, openIncidents=1):
        manager.stake(b, TOKEN, sender=system.delegators[0])
    assert_conserved(system)



def test_overturn_reports_what_the_escrow_still_held(system):
    """Tranches already paid are in the pool; the overturn event (the appeal court's AppealOverturned)
    names only what the escrow refunds."""
    court, escrow = system.AppealCourt, system.RecoveryEscrow
    verdict = slash(system)
    appeal(system, verdict)
    held = escrow.escrowOf(verdict.incident_id).amount
    tx = resolve(system, verdict, overturn=True)
    (overturned,) = [args for name, args in emitted(tx, court) if name == "AppealOverturned"]
    (refunded,) = [args for name, args in emitted(tx, escrow) if name == "EscrowRefunded"]
    assert overturned["returned"] == refunded["amount"] == held


def test_close_waits_for_a_pending_appeal(system):
    """An escrow past its claim deadline is not forfeited while an appeal may still overturn it."""
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    appeal(system, verdict)
    claim_window = escrow.recoveryParams(1).claimWindow
    system.chain.pending_timestamp += claim_window + 1
    with reverts(escrow.AppealPending, incidentId=bytes.fromhex(verdict.incident_id[2:])):
        escrow.close(verdict.as_tuple(), sender=system.outsider)


def test_warning_phase_closes_after_its_appeal_window(system):
    vm = system.VerdictManager
    verdict = slash(system, ViolationClass.POOR_PERFORMANCE, Level.WARNING)
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.RESPONDED
    system.chain.mine(deltatime=SYSTEM_WINDOWS.appeal_window + 1)
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.CLOSED

