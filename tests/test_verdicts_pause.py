"""VerdictManager.pause: the guardian stops verdict execution for at most maxPause, not again before
the cooldown has passed; approvals go on being recorded."""

import pytest
from helpers import emitted, reverts

from system_fixtures import SYSTEM_WINDOWS
from verdict_support import approved, deferred, digest_of, pause

pytestmark = pytest.mark.integration

MAX_PAUSE = SYSTEM_WINDOWS.max_pause
COOLDOWN = SYSTEM_WINDOWS.pause_cooldown


def test_pause_by_the_guardian(system):
    vm = system.VerdictManager
    assert vm.pausedUntil() == 0

    tx = vm.pause(sender=system.guardian)

    until = tx.timestamp + MAX_PAUSE
    assert emitted(tx, vm) == [("Paused", {"guardian": system.guardian.address, "pausedUntil": until})]
    assert vm.pausedUntil() == until


@pytest.mark.parametrize("who", ["outsider", "gov", "provider_a", "arbiter"])
def test_pause_reverts_for_a_non_guardian(system, who):
    vm = system.VerdictManager
    account = getattr(system, who)
    with reverts(vm.AccessControlUnauthorizedAccount, account=account, neededRole=vm.GUARDIAN_ROLE()):
        vm.pause(sender=account)
    assert vm.pausedUntil() == 0


def test_pause_reverts_for_a_committee_member(system):
    vm, member = system.VerdictManager, system.oracles[0]
    with reverts(vm.AccessControlUnauthorizedAccount, account=member, neededRole=vm.GUARDIAN_ROLE()):
        vm.pause(sender=member)


def test_pause_reverts_already_paused(system):
    until = pause(system)
    system.chain.pending_timestamp = until - 1
    with reverts(system.VerdictManager.AlreadyPaused):
        system.VerdictManager.pause(sender=system.guardian)


def test_pause_expires_by_itself_after_max_pause(system):
    """At pausedUntil - 1 a verdict with quorum is deferred; at pausedUntil it executes."""
    vm = system.VerdictManager
    until = pause(system)
    system.chain.pending_timestamp = until - 1
    v = system.verdict()
    system.chain.pending_timestamp = until - 1
    assert emitted(system.submit(v), vm)[-1] == deferred(system, v, "ExecutionPaused")
    system.chain.pending_timestamp = until
    w = system.verdict(provider=system.provider_b)
    system.chain.pending_timestamp = until

    tx = system.submit(w)

    assert tx.return_value is True
    assert vm.pausedUntil() == until


def test_pause_reverts_during_the_cooldown_after_expiry(system):
    until = pause(system)
    system.chain.pending_timestamp = until
    with reverts(system.VerdictManager.PauseCooldown, allowedFrom=until + COOLDOWN, nowTime=until):
        system.VerdictManager.pause(sender=system.guardian)


def test_pause_reverts_one_second_before_the_cooldown_ends(system):
    until = pause(system)
    system.chain.pending_timestamp = until + COOLDOWN - 1
    with reverts(system.VerdictManager.PauseCooldown, allowedFrom=until + COOLDOWN, nowTime=until + COOLDOWN - 1):
        system.VerdictManager.pause(sender=system.guardian)


def test_pause_allowed_again_once_the_cooldown_has_passed(system):
    vm = system.VerdictManager
    until = pause(system)
    system.chain.pending_timestamp = until + COOLDOWN

    tx = vm.pause(sender=system.guardian)

    assert tx.timestamp == until + COOLDOWN
    assert vm.pausedUntil() == until + COOLDOWN + MAX_PAUSE


def test_pause_cooldown_counts_from_an_early_unpause(system):
    vm = system.VerdictManager
    started = vm.pause(sender=system.guardian).timestamp
    system.chain.pending_timestamp = started + 100
    ended = vm.unpause(sender=system.guardian).timestamp
    system.chain.pending_timestamp = ended + 1
    with reverts(vm.PauseCooldown, allowedFrom=ended + COOLDOWN, nowTime=ended + 1):
        vm.pause(sender=system.guardian)


def test_pause_does_not_stop_approvals(system):
    vm, o = system.VerdictManager, system.oracles
    pause(system)
    v = system.verdict()

    tx = system.submit(v, o[:2])
    own = vm.approve(v.as_tuple(), sender=o[3])

    assert emitted(tx, vm) == [approved(system, v, o[0], 1), approved(system, v, o[1], 2)]
    assert emitted(own, vm)[0] == approved(system, v, o[3], 3)
    assert vm.approvalsOf(digest_of(system, v)) == 0b1011


def test_paused_total_counts_every_pause_to_the_second(system, chain):
    """pausedTotal: the running pause counts up to now; an early unpause counts what elapsed; pauses add up."""
    vm = system.VerdictManager
    assert vm.pausedTotal() == 0
    first = vm.pause(sender=system.guardian).timestamp
    chain.mine(timestamp=first + 100)
    assert vm.pausedTotal() == 100
    chain.pending_timestamp = first + 250
    vm.unpause(sender=system.guardian)  # 250 s of pause
    chain.mine(timestamp=first + 250 + COOLDOWN)
    assert vm.pausedTotal() == 250
    second = vm.pause(sender=system.guardian).timestamp
    chain.mine(timestamp=second + MAX_PAUSE + 500)  # expired by itself after MAX_PAUSE
    assert vm.pausedTotal() == 250 + MAX_PAUSE
