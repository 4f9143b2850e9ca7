"""StakeManager.unjail: the appeal court (APPEALS_ROLE) lifts a jail early (an overturned verdict)."""

import pytest
from conftest import TOKEN, ProviderStatus
from helpers import addr, emitted, reverts

pytestmark = pytest.mark.integration


def test_unjail_lifts_the_jail(stake_manager, registered, delegators, slasher, appeals, restorer, chain, escrow):
    stake_manager.penalize(registered, 0, escrow, chain.pending_timestamp + 86_400, sender=slasher)
    stake_manager.unfreeze(registered, sender=restorer)  # the overturn refunds and unfreezes too

    tx = stake_manager.unjail(registered, sender=appeals)

    assert emitted(tx, stake_manager) == [("Unjailed", {"provider": registered.address})]
    assert stake_manager.getProvider(registered).jailedUntil == 0
    assert stake_manager.statusOf(registered) == ProviderStatus.ACTIVE
    stake_manager.stake(registered, TOKEN, sender=delegators[0])


def test_unjail_does_not_lift_a_tombstone(stake_manager, registered, slasher, appeals, restorer, chain, escrow):
    stake_manager.penalize(registered, 0, escrow, chain.pending_timestamp + 86_400, sender=slasher)
    stake_manager.tombstone(registered, sender=appeals)

    stake_manager.unjail(registered, sender=appeals)

    assert stake_manager.statusOf(registered) == ProviderStatus.TOMBSTONED


def test_unjail_a_provider_that_is_not_jailed_changes_nothing(stake_manager, registered, restorer, appeals):
    tx = stake_manager.unjail(registered, sender=appeals)

    assert emitted(tx, stake_manager) == [("Unjailed", {"provider": registered.address})]
    assert stake_manager.statusOf(registered) == ProviderStatus.ACTIVE


def test_unjail_reverts_provider_not_registered(stake_manager, stranger, restorer, appeals):
    with reverts(stake_manager.ProviderNotRegistered, provider=stranger):
        stake_manager.unjail(stranger, sender=appeals)


# The slasher (the VerdictManager in a deployment) slashes and jails but no longer applies appeal outcomes.
@pytest.mark.parametrize("caller", ["admin", "slasher", "restorer", "provider", "stranger"])
def test_unjail_reverts_access_control_unauthorized_account(
    stake_manager, registered, slasher, chain, caller, request, escrow
):
    stake_manager.penalize(registered, 0, escrow, chain.pending_timestamp + 86_400, sender=slasher)
    account = request.getfixturevalue(caller)

    with reverts(
        stake_manager.AccessControlUnauthorizedAccount, account=addr(account), neededRole=stake_manager.APPEALS_ROLE()
    ):
        stake_manager.unjail(registered, sender=account)
    assert stake_manager.statusOf(registered) == ProviderStatus.JAILED
