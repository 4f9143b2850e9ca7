"""StakeManager.tombstone: permanent exclusion by the appeal court (APPEALS_ROLE); stakers may still leave."""

import pytest
from conftest import MIN_SELF_STAKE, UNBONDING, ProviderStatus
from helpers import CAPS, addr, emitted, reverts, standing

pytestmark = pytest.mark.integration


def test_tombstone_excludes_the_provider(stake_manager, registered, appeals):
    tx = stake_manager.tombstone(registered, sender=appeals)

    assert emitted(tx, stake_manager) == [("Tombstoned", {"provider": registered.address})]
    assert stake_manager.getProvider(registered).tombstoned is True
    assert stake_manager.statusOf(registered) == ProviderStatus.TOMBSTONED
    # Stake is not touched by the tombstone itself.
    assert stake_manager.selfStakeOf(registered) == MIN_SELF_STAKE


def test_tombstone_outranks_jail_in_status(stake_manager, registered, slasher, appeals, chain, escrow):
    stake_manager.penalize(registered, 0, escrow, standing(chain.pending_timestamp + 86_400), CAPS, sender=slasher)

    stake_manager.tombstone(registered, sender=appeals)

    assert stake_manager.statusOf(registered) == ProviderStatus.TOMBSTONED


def test_tombstone_provider_may_still_leave(stake_manager, token, registered, appeals, chain):
    stake_manager.tombstone(registered, sender=appeals)
    shares = stake_manager.getPosition(registered, registered).shares
    stake_manager.requestUnstake(registered, shares, sender=registered)
    chain.pending_timestamp = chain.pending_timestamp + UNBONDING
    balance = token.balanceOf(registered)

    stake_manager.withdraw(registered, sender=registered)

    assert token.balanceOf(registered) == balance + MIN_SELF_STAKE


def test_tombstone_reverts_provider_tombstoned_twice(stake_manager, registered, appeals):
    stake_manager.tombstone(registered, sender=appeals)

    with reverts(stake_manager.ProviderTombstoned, provider=registered):
        stake_manager.tombstone(registered, sender=appeals)


def test_tombstone_reverts_provider_not_registered(stake_manager, stranger, appeals):
    with reverts(stake_manager.ProviderNotRegistered, provider=stranger):
        stake_manager.tombstone(stranger, sender=appeals)


# The slasher (the VerdictManager in a deployment) slashes and jails but no longer applies appeal outcomes.
@pytest.mark.parametrize("caller", ["admin", "slasher", "restorer", "provider", "stranger"])
def test_tombstone_reverts_access_control_unauthorized_account(stake_manager, registered, caller, request):
    account = request.getfixturevalue(caller)

    with reverts(
        stake_manager.AccessControlUnauthorizedAccount, account=addr(account), neededRole=stake_manager.APPEALS_ROLE()
    ):
        stake_manager.tombstone(registered, sender=account)
    assert stake_manager.statusOf(registered) == ProviderStatus.ACTIVE
