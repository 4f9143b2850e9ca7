"""VerdictManager.unpause: the guardian or governance ends a pause early."""

import pytest
from helpers import emitted, reverts

from verdict_support import pause

pytestmark = pytest.mark.integration


def test_unpause_by_the_guardian(system):
    vm = system.VerdictManager
    until = pause(system)
    system.chain.pending_timestamp = until - 600

    tx = vm.unpause(sender=system.guardian)

    assert emitted(tx, vm) == [("Unpaused", {"by": system.guardian.address})]
    assert vm.pausedUntil() == tx.timestamp == until - 600
    assert system.submit(system.verdict()).return_value is True  # execution resumed


def test_unpause_by_the_governance_timelock(system):
    vm = system.VerdictManager
    pause(system)

    tx = system.govern(vm, "unpause")

    assert emitted(tx, vm) == [("Unpaused", {"by": system.SwarmTimelock.address})]
    assert vm.pausedUntil() == tx.timestamp


@pytest.mark.parametrize("who", ["outsider", "gov", "operator_a"])
def test_unpause_reverts_for_a_non_guardian(system, who):
    vm = system.VerdictManager
    until = pause(system)
    account = getattr(system, who)
    with reverts(vm.AccessControlUnauthorizedAccount, account=account, neededRole=vm.GUARDIAN_ROLE()):
        vm.unpause(sender=account)
    assert vm.pausedUntil() == until


def test_unpause_reverts_not_paused_when_never_paused(system):
    with reverts(system.VerdictManager.NotPaused):
        system.VerdictManager.unpause(sender=system.guardian)


def test_unpause_reverts_not_paused_once_the_pause_expired(system):
    until = pause(system)
    system.chain.pending_timestamp = until
    with reverts(system.VerdictManager.NotPaused):
        system.VerdictManager.unpause(sender=system.guardian)


def test_unpause_reverts_not_paused_after_an_unpause(system):
    vm = system.VerdictManager
    pause(system)
    vm.unpause(sender=system.guardian)
    with reverts(vm.NotPaused):
        vm.unpause(sender=system.guardian)
