"""StakeManager.jail: a time-limited exclusion set by the slasher; a later jail wins."""

import pytest
from conftest import TOKEN, ProviderStatus
from helpers import addr, emitted, reverts

pytestmark = pytest.mark.integration


def test_jail_sets_jailed_until_and_status(stake_manager, registered, slasher, chain):
    until = chain.pending_timestamp + 3_600

    tx = stake_manager.jail(registered, until, sender=slasher)

    assert emitted(tx, stake_manager) == [("Jailed", {"provider": registered.address, "until": until})]
    assert stake_manager.getProvider(registered).jailedUntil == until
    assert stake_manager.statusOf(registered) == ProviderStatus.JAILED


def test_jail_ends_by_time(stake_manager, registered, delegators, slasher, chain):
    until = chain.pending_timestamp + 3_600
    stake_manager.jail(registered, until, sender=slasher)

    chain.mine(timestamp=until - 1)
    assert stake_manager.statusOf(registered) == ProviderStatus.JAILED
    chain.mine(timestamp=until)
    assert stake_manager.statusOf(registered) == ProviderStatus.ACTIVE
    # The record stays; only the time has passed.
    assert stake_manager.getProvider(registered).jailedUntil == until
    stake_manager.stake(registered, TOKEN, sender=delegators[0])


def test_jail_later_jail_extends(stake_manager, registered, slasher, chain):
    first = chain.pending_timestamp + 3_600
    stake_manager.jail(registered, first, sender=slasher)

    tx = stake_manager.jail(registered, first + 1, sender=slasher)

    assert emitted(tx, stake_manager) == [("Jailed", {"provider": registered.address, "until": first + 1})]
    assert stake_manager.getProvider(registered).jailedUntil == first + 1


def test_jail_earlier_jail_does_not_shorten(stake_manager, registered, slasher, chain):
    first = chain.pending_timestamp + 3_600
    stake_manager.jail(registered, first, sender=slasher)

    tx = stake_manager.jail(registered, first - 1_000, sender=slasher)

    # The event reports the jail in force, which is the later one.
    assert emitted(tx, stake_manager) == [("Jailed", {"provider": registered.address, "until": first})]
    assert stake_manager.getProvider(registered).jailedUntil == first


def test_jail_reverts_jail_not_in_future_now(stake_manager, registered, slasher, chain):
    now = chain.pending_timestamp + 10
    chain.pending_timestamp = now

    with reverts(stake_manager.JailNotInFuture, until=now):
        stake_manager.jail(registered, now, sender=slasher)
    assert stake_manager.getProvider(registered).jailedUntil == 0


def test_jail_reverts_jail_not_in_future_past(stake_manager, registered, slasher, chain):
    past = chain.blocks.head.timestamp - 1

    with reverts(stake_manager.JailNotInFuture, until=past):
        stake_manager.jail(registered, past, sender=slasher)


def test_jail_reverts_provider_not_registered(stake_manager, stranger, slasher, chain):
    with reverts(stake_manager.ProviderNotRegistered, provider=stranger):
        stake_manager.jail(stranger, chain.pending_timestamp + 100, sender=slasher)


@pytest.mark.parametrize("caller", ["admin", "restorer", "operator", "stranger"])
def test_jail_reverts_access_control_unauthorized_account(stake_manager, registered, chain, caller, request):
    account = request.getfixturevalue(caller)

    with reverts(
        stake_manager.AccessControlUnauthorizedAccount, account=addr(account), neededRole=stake_manager.SLASHER_ROLE()
    ):
        stake_manager.jail(registered, chain.pending_timestamp + 100, sender=account)
