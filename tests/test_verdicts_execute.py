"""VerdictManager.execute: verdicts with quorum that a pause deferred, executed later by anyone
within the deadline plus the grace (extended by time paused); and the caps, which bound the tokens a
verdict takes (the rest is owed, collected later) but never defer it."""

import pytest
from helpers import emitted, reverts

from swarm_stake.models import Level, Phase, ViolationClass
from system_fixtures import DAY, SYSTEM_WINDOWS, TOKEN
from verdict_support import (
    BPS,
    align_to_bucket,
    approved,
    assert_conserved,
    b32,
    deferred,
    digest_of,
    executed,
    pause,
    set_limits,
    slash_amount,
)

pytestmark = pytest.mark.integration

PP, PV = ViolationClass.POOR_PERFORMANCE, ViolationClass.PROTOCOL_VIOLATION
GRACE = SYSTEM_WINDOWS.execution_grace
MAX_PAUSE = SYSTEM_WINDOWS.max_pause
BUCKET = SYSTEM_WINDOWS.bucket_length


def _execute(system, verdict):
    return system.VerdictManager.execute(verdict.as_tuple(), sender=system.outsider)


# --- what execute refuses --------------------------------------------------------------------


@pytest.mark.parametrize("approvals", [0, 2])
def test_execute_reverts_quorum_not_reached(system, approvals):
    v = system.verdict()
    if approvals:
        system.submit(v, system.oracles[:approvals])
    with reverts(system.VerdictManager.QuorumNotReached, approvals=approvals, threshold=3):
        _execute(system, v)


def test_execute_reverts_stale_committee_epoch(system):
    with reverts(system.VerdictManager.StaleCommitteeEpoch, verdictEpoch=2, currentEpoch=1):
        _execute(system, system.verdict(epoch=2))


def test_execute_reverts_incident_already_executed(system):
    v = system.verdict()
    system.submit(v)
    with reverts(system.VerdictManager.IncidentAlreadyExecuted, incidentId=b32(v.incident_id)):
        _execute(system, v)


def test_deferred_verdict_of_an_old_epoch_cannot_execute_after_a_committee_change(system):
    v = system.verdict()
    pause(system)
    system.submit(v)  # quorum, deferred
    system.govern(system.OracleCommittee, "setCommittee", [o.address for o in system.oracles[:4]], 3)
    system.VerdictManager.unpause(sender=system.guardian)
    with reverts(system.VerdictManager.StaleCommitteeEpoch, verdictEpoch=1, currentEpoch=2):
        _execute(system, v)


def test_a_deferred_verdict_executes_beside_an_open_incident_of_its_class(system):
    """No shield: two verdicts of one class deferred by a pause; after it, both execute, each its own
    incident (two escrows, two open incidents), whatever the order."""
    vm, sm, a = system.VerdictManager, system.StakeManager, system.provider_a
    t = align_to_bucket(system, BUCKET - 100)
    pause(system)
    first = system.verdict(observed_at=t - 60)
    system.submit(first)
    system.chain.pending_timestamp = t + 200
    second = system.verdict(observed_at=t + 150)  # the next bucket: another incident
    assert second.incident_id != first.incident_id
    system.submit(second)
    vm.unpause(sender=system.guardian)
    _execute(system, first)

    tx = _execute(system, second)

    assert [name for name, _ in emitted(tx, vm)] == ["VerdictExecuted"]
    assert sm.getProvider(a).openIncidents == 2
    assert system.RecoveryEscrow.escrowOf(second.incident_id).amount > 0
    assert_conserved(system)


# --- the pause -------------------------------------------------------------------------------


def test_quorum_reached_while_paused_is_deferred(system):
    vm, sm = system.VerdictManager, system.StakeManager
    until = pause(system)
    v = system.verdict()
    pool = sm.getPool(system.provider_a).assets

    tx = system.submit(v)

    o = system.oracles
    assert tx.return_value is False
    assert emitted(tx, vm) == [
        approved(system, v, o[0], 1),
        approved(system, v, o[1], 2),
        approved(system, v, o[2], 3),
        deferred(system, v, "ExecutionPaused"),
    ]
    assert emitted(tx, sm) == [] and emitted(tx, system.RecoveryEscrow) == []
    assert vm.approvalsOf(digest_of(system, v)) == 0b111  # the approvals are kept
    assert system.SwarmLens.stateOf(v.incident_id) == Phase.DETECTED
    assert sm.getPool(system.provider_a).assets == pool
    with reverts(vm.ExecutionPaused, pausedUntil=until):
        _execute(system, v)


def test_deferred_verdict_executes_after_unpause(system):
    vm, sm, a = system.VerdictManager, system.StakeManager, system.provider_a
    pause(system)
    v = system.verdict()
    system.submit(v)
    vm.unpause(sender=system.guardian)
    amount = slash_amount(system, a, PP, Level.PENALTY)

    tx = _execute(system, v)

    assert emitted(tx, vm) == [executed(system, v, Level.PENALTY, amount, tx.timestamp + DAY)]
    assert system.RecoveryEscrow.escrowOf(v.incident_id).amount == amount
    assert sm.getProvider(a).openIncidents == 1
    assert system.SwarmLens.stateOf(v.incident_id) == Phase.RESPONDED
    assert_conserved(system)


def test_deferred_verdict_executes_when_the_pause_expires(system):
    vm = system.VerdictManager
    until = pause(system)
    v = system.verdict()
    system.submit(v)
    system.chain.pending_timestamp = until - 1
    with reverts(vm.ExecutionPaused, pausedUntil=until):
        _execute(system, v)
    system.chain.pending_timestamp = until

    tx = _execute(system, v)

    assert tx.timestamp == until
    assert emitted(tx, vm)[-1][0] == "VerdictExecuted"


def test_grace_is_extended_by_the_time_paused(system):
    """The pause began after the observation and ran out: all of it extends the window."""
    vm = system.VerdictManager
    v = system.verdict()
    pause(system)
    system.submit(v)
    limit = v.deadline + GRACE + MAX_PAUSE
    system.chain.pending_timestamp = limit

    tx = _execute(system, v)

    assert tx.timestamp == limit > v.deadline + GRACE
    assert emitted(tx, vm)[-1][0] == "VerdictExecuted"
    assert_conserved(system)


def test_execution_window_passed_one_second_after_the_extended_grace(system):
    v = system.verdict()
    pause(system)
    system.submit(v)
    limit = v.deadline + GRACE + MAX_PAUSE
    system.chain.pending_timestamp = limit + 1
    with reverts(system.VerdictManager.ExecutionWindowPassed, executableUntil=limit, nowTime=limit + 1):
        _execute(system, v)


def test_grace_is_extended_only_by_the_time_actually_paused(system):
    vm = system.VerdictManager
    v = system.verdict()
    started = vm.pause(sender=system.guardian).timestamp
    system.submit(v)
    system.chain.pending_timestamp = started + 1_000
    vm.unpause(sender=system.guardian)
    limit = v.deadline + GRACE + 1_000
    system.chain.pending_timestamp = limit + 1
    with reverts(vm.ExecutionWindowPassed, executableUntil=limit, nowTime=limit + 1):
        _execute(system, v)


def test_pause_before_the_observation_extends_only_from_the_observation(system):
    vm = system.VerdictManager
    started = vm.pause(sender=system.guardian).timestamp
    until = started + MAX_PAUSE
    system.chain.pending_timestamp = started + 600
    v = system.verdict()  # observed 540 s into the pause
    system.chain.pending_timestamp = started + 600
    system.submit(v)
    limit = v.deadline + GRACE + (until - v.observed_at)
    system.chain.pending_timestamp = limit + 1
    with reverts(vm.ExecutionWindowPassed, executableUntil=limit, nowTime=limit + 1):
        _execute(system, v)


# --- the caps: they bound the tokens taken now, never the execution ----------------------------


def remainder_owed(system, verdict, remainder) -> tuple[str, dict]:
    return ("RemainderOwed", {"incidentId": b32(verdict.incident_id), "provider": verdict.provider,
                              "remainder": remainder})


def test_a_verdict_over_the_rate_cap_executes_with_what_the_cap_allows_and_owes_the_rest(system):
    """Cap dodge by top-up (hole 2): the rate cap no longer defers a verdict. It executes at quorum
    (jail, freeze, escrow) with the cap's worth and records the remainder."""
    vm, sm, a = system.VerdictManager, system.StakeManager, system.provider_a
    set_limits(system, rate_cap_bps=50)
    cap = sm.totalStake() * 50 // BPS  # 105 tokens of 21,000
    v = system.verdict()
    amount = slash_amount(system, a, PP, Level.PENALTY)
    assert cap < amount

    tx = system.submit(v)

    assert tx.return_value is True
    assert emitted(tx, vm)[3:] == [executed(system, v, Level.PENALTY, cap, tx.timestamp + DAY),
                                   remainder_owed(system, v, amount - cap)]
    assert vm.remainderOf(v.incident_id) == amount - cap
    assert system.RecoveryEscrow.escrowOf(v.incident_id).amount == cap
    assert sm.getProvider(a).openIncidents == 1 and sm.getProvider(a).jailedUntil == tx.timestamp + DAY
    assert system.StakeManager.capAvailable(vm.capParams()) == 0
    assert_conserved(system)


def test_a_verdict_over_the_provider_cap_executes_and_owes_the_rest(system):
    vm, sm, a = system.VerdictManager, system.StakeManager, system.provider_a
    set_limits(system, provider_cap_bps=50)
    cap = sm.getPool(a).assets * 50 // BPS  # 80 tokens of 16,000
    v = system.verdict()
    amount = slash_amount(system, a, PP, Level.PENALTY)

    tx = system.submit(v)

    assert emitted(tx, vm)[3:] == [executed(system, v, Level.PENALTY, cap, tx.timestamp + DAY),
                                   remainder_owed(system, v, amount - cap)]
    assert sm.capUseOf(a).current == cap


def test_a_spent_cap_still_isolates_the_provider(system):
    """With the cap spent by another provider's slash, the verdict takes nothing now but still jails,
    freezes and opens the escrow (of 0), owing the whole slash."""
    vm, sm, a = system.VerdictManager, system.StakeManager, system.provider_a
    system.submit(system.verdict(provider=system.provider_b))
    set_limits(system, rate_cap_bps=1)
    assert system.StakeManager.capAvailable(vm.capParams()) == 0
    v = system.verdict()
    amount = slash_amount(system, a, PP, Level.PENALTY)

    tx = system.submit(v)

    assert emitted(tx, vm)[3:] == [executed(system, v, Level.PENALTY, 0, tx.timestamp + DAY),
                                   remainder_owed(system, v, amount)]
    assert sm.getProvider(a).openIncidents == 1
    assert system.SwarmLens.stateOf(v.incident_id) == Phase.RESPONDED
    with reverts(sm.PoolFrozen, provider=a, openIncidents=1):
        sm.stake(a, TOKEN, sender=system.delegators[0])


def test_the_slash_is_sized_at_first_execution_so_a_later_top_up_changes_nothing(system):
    """The remainder is fixed when the verdict executes: stake added later (not possible while frozen)
    or a pool that grows by a refund of another incident leaves it as it was."""
    vm, a = system.VerdictManager, system.provider_a
    set_limits(system, rate_cap_bps=50)
    v = system.verdict()
    amount = slash_amount(system, a, PP, Level.PENALTY)
    cap = system.StakeManager.totalStake() * 50 // BPS
    system.submit(v)
    set_limits(system, rate_cap_bps=BPS)

    tx = vm.collect(v.as_tuple(), sender=system.outsider)

    assert tx.return_value == amount - cap
    assert system.RecoveryEscrow.escrowOf(v.incident_id).amount == amount
    assert vm.remainderOf(v.incident_id) == 0
    assert_conserved(system)


def test_collect_takes_what_the_rolling_cap_allows(system):
    """Anyone collects the remainder as the rolling window frees the cap, in as many calls as it takes: in
    the bucket after the slash, 300 s into it, the slash counts for (window - 300) / window of itself."""
    vm, sm, a = system.VerdictManager, system.StakeManager, system.provider_a
    window = 600
    set_limits(system, rate_cap_bps=50, cap_window=window)
    start = (system.chain.pending_timestamp // window + 1) * window + 100
    system.chain.pending_timestamp = start
    v = system.verdict()
    amount = slash_amount(system, a, PP, Level.PENALTY)
    first = system.submit(v)
    cap = sm.totalStake() * 50 // BPS  # the total after the first slash is what the cap counts now
    taken = first.events.filter(vm.VerdictExecuted)[0].amount
    owed = amount - taken
    system.chain.pending_timestamp = start + window + 200
    used = taken * (window - 300) // window
    available = sm.totalStake() * 50 // BPS - used

    tx = vm.collect(v.as_tuple(), sender=system.outsider)

    assert tx.return_value == available < owed
    assert emitted(tx, vm) == [("RemainderCollected", {"incidentId": b32(v.incident_id), "provider": a,
                                                        "amount": available, "remainder": owed - available})]
    assert emitted(tx, system.RecoveryEscrow) == [
        ("EscrowAdded", {"incidentId": b32(v.incident_id), "provider": a, "amount": available,
                         "total": taken + available})]
    assert vm.remainderOf(v.incident_id) == owed - available
    assert cap >= available
    assert_conserved(system)


def test_collect_with_the_cap_spent_reverts(system):
    vm = system.VerdictManager
    set_limits(system, rate_cap_bps=50)
    v = system.verdict()
    system.submit(v)
    owed = vm.remainderOf(v.incident_id)
    with reverts(vm.SlashRateCapExceeded, amount=owed, available=0):
        vm.collect(v.as_tuple(), sender=system.outsider)


def test_collect_of_a_verdict_taken_whole_reverts_nothing_owed(system):
    vm = system.VerdictManager
    v = system.verdict()
    system.submit(v)
    with reverts(vm.NothingOwed, incidentId=b32(v.incident_id)):
        vm.collect(v.as_tuple(), sender=system.outsider)


def test_collect_is_paused_with_verdict_execution(system):
    vm = system.VerdictManager
    set_limits(system, rate_cap_bps=50)
    v = system.verdict()
    system.submit(v)
    set_limits(system, rate_cap_bps=BPS)
    until = pause(system)
    with reverts(vm.ExecutionPaused, pausedUntil=until):
        vm.collect(v.as_tuple(), sender=system.outsider)


def test_collect_of_an_altered_verdict_reverts(system):
    vm = system.VerdictManager
    set_limits(system, rate_cap_bps=50)
    v = system.verdict()
    system.submit(v)
    altered = v.model_copy(update={"severity": Level.SEVERE})
    with reverts(vm.VerdictMismatch, incidentId=b32(v.incident_id)):
        vm.collect(altered.as_tuple(), sender=system.outsider)


def test_a_rate_cap_lowered_below_its_use_leaves_nothing_available(system):
    """Governance lowers the rate cap under what this window already slashed: the cap left is zero,
    not an underflow, and the next verdict executes taking nothing now, owing everything."""
    vm, sm = system.VerdictManager, system.StakeManager
    system.submit(system.verdict())
    set_limits(system, rate_cap_bps=1)
    assert sm.totalStake() * 1 // BPS < 100 * TOKEN  # far below the 1% of provider A's pool just slashed
    v = system.verdict(provider=system.provider_b)
    amount = slash_amount(system, system.provider_b, PP, Level.PENALTY)

    tx = system.submit(v)

    assert emitted(tx, vm)[-1] == remainder_owed(system, v, amount)
    assert system.StakeManager.capAvailable(vm.capParams()) == 0
