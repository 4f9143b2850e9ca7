"""The incident phases across the verdict, appeal and recovery contracts, and the hand-over between them."""

import pytest
from helpers import emitted, reverts
from recovery_support import (
    EPOCHS,
    evaluate,
    file_claim,
    pass_epochs,
    payable_from,
    release,
    slash,
    wait_until,
)
from swarm_stake.models import Level, Phase, ViolationClass
from system_checks import appeal, assert_conserved, resolve
from system_fixtures import SYSTEM_WINDOWS

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


def test_deferred_second_incident_executes_once_the_open_one_is_overturned(system):
    """A second failure of the same class waits for the first incident to end, then executes."""
    vm = system.VerdictManager
    first = slash(system)
    system.chain.pending_timestamp += SYSTEM_WINDOWS.bucket_length
    second = system.verdict()
    tx = system.submit(second)
    assert emitted(tx, vm)[-1][0] == "VerdictDeferred"

    appeal(system, first)
    resolve(system, first, overturn=True)
    tx = vm.execute(second.as_tuple(), sender=system.outsider)

    assert [name for name, _ in emitted(tx, vm)] == ["VerdictExecuted"]
    assert system.SwarmLens.stateOf(second.incident_id) == Phase.RESPONDED
    assert system.StakeManager.getProvider(system.provider_a).openIncidents == 1
    assert_conserved(system)



def test_overturn_reports_what_the_escrow_still_held(system):
    """Tranches already paid are in the pool; the overturn event names only what the escrow refunds."""
    vm, escrow = system.VerdictManager, system.RecoveryEscrow
    verdict = slash(system)
    appeal(system, verdict)
    held = escrow.escrowOf(verdict.incident_id).amount
    tx = resolve(system, verdict, overturn=True)
    (overturned,) = [args for name, args in emitted(tx, vm) if name == "VerdictOverturned"]
    (refunded,) = [args for name, args in emitted(tx, escrow) if name == "EscrowRefunded"]
    assert overturned["amountReturned"] == refunded["amount"] == held


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

