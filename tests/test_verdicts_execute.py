"""VerdictManager.execute: verdicts with quorum that a pause or a cap deferred, executed later by
anyone within the deadline plus the grace (extended by time paused)."""

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


def test_execute_reverts_incident_already_open(system):
    """Two deferred verdicts of two incidents of one class: the second cannot open while the first is."""
    vm, a = system.VerdictManager, system.provider_a
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

    with reverts(vm.IncidentAlreadyOpen, provider=a, violationClass=PP):
        _execute(system, second)
    assert system.StakeManager.getProvider(a).openIncidents == 1


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


def _cap_deferred(system):
    """A verdict deferred by the rate cap, then the cap restored (no pause involved)."""
    set_limits(system, rate_cap_bps=50)
    v = system.verdict()
    assert system.submit(v).return_value is False
    set_limits(system, rate_cap_bps=1_000)
    return v


def test_execution_window_passed_without_a_pause(system):
    v = _cap_deferred(system)
    limit = v.deadline + GRACE
    system.chain.pending_timestamp = limit + 1
    with reverts(system.VerdictManager.ExecutionWindowPassed, executableUntil=limit, nowTime=limit + 1):
        _execute(system, v)


def test_execution_window_without_a_pause_ends_at_deadline_plus_grace(system):
    vm = system.VerdictManager
    v = _cap_deferred(system)
    limit = v.deadline + GRACE
    system.chain.pending_timestamp = limit

    tx = _execute(system, v)

    assert tx.timestamp == limit
    assert emitted(tx, vm)[-1][0] == "VerdictExecuted"


# --- the caps --------------------------------------------------------------------------------


def test_rate_cap_hit_defers_the_verdict(system):
    vm, sm = system.VerdictManager, system.StakeManager
    set_limits(system, rate_cap_bps=50)
    cap = sm.totalStake() * 50 // BPS  # 105 tokens of 21,000
    v = system.verdict()
    amount = slash_amount(system, system.provider_a, PP, Level.PENALTY)
    assert cap < amount

    tx = system.submit(v)

    assert tx.return_value is False
    assert emitted(tx, vm)[3:] == [deferred(system, v, "SlashRateCapExceeded")]
    assert emitted(tx, sm) == []
    assert vm.capAvailable() == cap
    with reverts(vm.SlashRateCapExceeded, amount=amount, available=cap):
        _execute(system, v)


def test_rate_capped_verdict_executes_once_the_cap_is_raised(system):
    vm, sm = system.VerdictManager, system.StakeManager
    set_limits(system, rate_cap_bps=50)
    v = system.verdict()
    system.submit(v)
    set_limits(system, rate_cap_bps=1_000)
    amount = slash_amount(system, system.provider_a, PP, Level.PENALTY)

    tx = _execute(system, v)

    assert emitted(tx, vm) == [executed(system, v, Level.PENALTY, amount, tx.timestamp + DAY)]
    assert vm.capAvailable() == sm.totalStake() * 1_000 // BPS - amount
    assert_conserved(system)


def test_rate_capped_verdict_executes_once_the_window_has_decayed(system):
    """Provider B's slash uses the system cap; provider A's verdict waits until enough of it decayed."""
    vm, sm = system.VerdictManager, system.StakeManager
    window = 600
    set_limits(system, rate_cap_bps=90, cap_window=window)
    first = system.submit(system.verdict(provider=system.provider_b))
    used = 50 * TOKEN  # 1% of provider B's 5,000
    system.chain.pending_timestamp = first.timestamp + 10
    v = system.verdict()
    amount = slash_amount(system, system.provider_a, PP, Level.PENALTY)
    assert emitted(system.submit(v), vm)[-1] == deferred(system, v, "SlashRateCapExceeded")

    t = first.timestamp + 200
    available = sm.totalStake() * 90 // BPS - used * (window - 200) // window
    assert available < amount
    system.chain.pending_timestamp = t
    with reverts(vm.SlashRateCapExceeded, amount=amount, available=available):
        _execute(system, v)
    system.chain.pending_timestamp = first.timestamp + 300

    tx = _execute(system, v)

    assert emitted(tx, vm) == [executed(system, v, Level.PENALTY, amount, tx.timestamp + DAY)]
    assert_conserved(system)


def test_provider_cap_hit_defers_the_verdict(system):
    vm, sm = system.VerdictManager, system.StakeManager
    set_limits(system, provider_cap_bps=50)
    cap = sm.getPool(system.provider_a).assets * 50 // BPS  # 80 tokens of 16,000
    v = system.verdict()
    amount = slash_amount(system, system.provider_a, PP, Level.PENALTY)

    tx = system.submit(v)

    assert tx.return_value is False
    assert emitted(tx, vm)[3:] == [deferred(system, v, "ProviderSlashCapExceeded")]
    with reverts(vm.ProviderSlashCapExceeded, amount=amount, available=cap):
        _execute(system, v)
    set_limits(system, provider_cap_bps=5_000)
    assert emitted(_execute(system, v), vm)[-1][0] == "VerdictExecuted"


def test_provider_cap_is_per_provider(system):
    """Provider A's use of its sub-cap neither helps nor hurts provider B; A's next slash waits."""
    vm, sm, a, b = system.VerdictManager, system.StakeManager, system.provider_a, system.provider_b
    set_limits(system, rate_cap_bps=BPS, provider_cap_bps=150)  # A: 240 tokens, B: 75
    first = system.submit(system.verdict(provider=a))  # 160 of A's 240
    tx_b = system.submit(system.verdict(provider=b))  # 50 of B's 75
    assert emitted(tx_b, vm)[-1][0] == "VerdictExecuted"
    v = system.verdict(provider=a, violation_class=PV)  # escalates to severe: 15% of A's pool
    amount = slash_amount(system, a, PV, Level.SEVERE)
    assert emitted(system.submit(v), vm)[-1] == deferred(system, v, "ProviderSlashCapExceeded")

    t = first.timestamp + 100
    used = 160 * TOKEN * (DAY - 100) // DAY
    available = sm.getPool(a).assets * 150 // BPS - used
    system.chain.pending_timestamp = t
    with reverts(vm.ProviderSlashCapExceeded, amount=amount, available=available):
        _execute(system, v)



def test_a_rate_cap_lowered_below_its_use_leaves_nothing_available(system):
    """Governance lowers the rate cap under what this window already slashed: the cap left is zero,
    not an underflow, and the next verdict waits."""
    vm, sm = system.VerdictManager, system.StakeManager
    system.submit(system.verdict())
    set_limits(system, rate_cap_bps=1)
    assert sm.totalStake() * 1 // BPS < 100 * TOKEN  # far below the 1% of provider A's pool just slashed
    v = system.verdict(provider=system.provider_b)
    amount = slash_amount(system, system.provider_b, PP, Level.PENALTY)

    assert emitted(system.submit(v), vm)[-1] == deferred(system, v, "SlashRateCapExceeded")
    assert vm.capAvailable() == 0
    with reverts(vm.SlashRateCapExceeded, amount=amount, available=0):
        _execute(system, v)
