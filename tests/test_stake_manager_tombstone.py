"""StakeManager.tombstone: permanent exclusion; stakers may still leave."""

import pytest
from conftest import MIN_SELF_STAKE, UNBONDING, ProviderStatus
from helpers import addr, emitted, reverts

pytestmark = pytest.mark.integration


def test_tombstone_excludes_the_provider(stake_manager, registered, slasher):
    tx = stake_manager.tombstone(registered, sender=slasher)

    assert emitted(tx, stake_manager) == [("Tombstoned", {"provider": registered.address})]
    assert stake_manager.getProvider(registered).tombstoned is True
    assert stake_manager.statusOf(registered) == ProviderStatus.TOMBSTONED
    # Stake is not touched by the tombstone itself.
    assert stake_manager.selfStakeOf(registered) == MIN_SELF_STAKE


def test_tombstone_outranks_jail_in_status(stake_manager, registered, slasher, chain, escrow):
    stake_manager.penalize(registered, 0, escrow, chain.pending_timestamp + 86_400, sender=slasher)

    stake_manager.tombstone(registered, sender=slasher)

    assert stake_manager.statusOf(registered) == ProviderStatus.TOMBSTONED


def test_tombstone_provider_may_still_leave(stake_manager, token, registered, slasher, chain):
    stake_manager.tombstone(registered, sender=slasher)
    shares = stake_manager.getPosition(registered, registered).shares
    stake_manager.requestUnstake(registered, shares, sender=registered)
    chain.pending_timestamp = chain.pending_timestamp + UNBONDING
    balance = token.balanceOf(registered)

    stake_manager.withdraw(registered, sender=registered)

    assert token.balanceOf(registered) == balance + MIN_SELF_STAKE


def test_tombstone_reverts_provider_tombstoned_twice(stake_manager, registered, slasher):
    stake_manager.tombstone(registered, sender=slasher)

    with reverts(stake_manager.ProviderTombstoned, provider=registered):
        stake_manager.tombstone(registered, sender=slasher)


def test_tombstone_reverts_provider_not_registered(stake_manager, stranger, slasher):
    with reverts(stake_manager.ProviderNotRegistered, provider=stranger):
        stake_manager.tombstone(stranger, sender=slasher)


@pytest.mark.parametrize("caller", ["admin", "restorer", "provider", "stranger"])
def test_tombstone_reverts_access_control_unauthorized_account(stake_manager, registered, caller, request):
    account = request.getfixturevalue(caller)

    with reverts(
        stake_manager.AccessControlUnauthorizedAccount, account=addr(account), neededRole=stake_manager.SLASHER_ROLE()
    ):
        stake_manager.tombstone(registered, sender=account)
    assert stake_manager.statusOf(registered) == ProviderStatus.ACTIVE
