"""StakeManager.setMinSelfStake: governance sets the self-stake an active provider must keep."""

import pytest
from conftest import MIN_SELF_STAKE, TOKEN, ProviderStatus
from helpers import DEFAULT_ADMIN_ROLE, addr, emitted, reverts

pytestmark = pytest.mark.integration


def test_set_min_self_stake_sets_the_minimum(stake_manager, admin):
    tx = stake_manager.setMinSelfStake(2_500 * TOKEN, sender=admin)

    assert emitted(tx, stake_manager) == [("MinSelfStakeSet", {"amount": 2_500 * TOKEN})]
    assert stake_manager.minSelfStake() == 2_500 * TOKEN


def test_set_min_self_stake_raised_makes_a_provider_below_minimum(stake_manager, registered, delegators, admin):
    stake_manager.setMinSelfStake(MIN_SELF_STAKE + 1, sender=admin)

    assert stake_manager.statusOf(registered) == ProviderStatus.BELOW_MINIMUM
    with reverts(stake_manager.ProviderNotActive, provider=registered):
        stake_manager.stake(registered, TOKEN, sender=delegators[0])
    stake_manager.stake(registered, 1, sender=registered)
    assert stake_manager.statusOf(registered) == ProviderStatus.ACTIVE


def test_set_min_self_stake_applies_to_new_registrations(stake_manager, admin, operator, stranger):
    stake_manager.setMinSelfStake(5_000 * TOKEN, sender=admin)

    with reverts(stake_manager.SelfStakeBelowMinimum, selfStake=MIN_SELF_STAKE, minimum=5_000 * TOKEN):
        stake_manager.registerProvider(operator, MIN_SELF_STAKE, "http://n/health", sender=stranger)
    stake_manager.registerProvider(operator, 5_000 * TOKEN, "http://n/health", sender=stranger)


def test_set_min_self_stake_applies_to_self_unstake(stake_manager, registered, admin):
    stake_manager.stake(registered, 1_000 * TOKEN, sender=registered)
    stake_manager.setMinSelfStake(1_500 * TOKEN, sender=admin)

    with reverts(stake_manager.SelfStakeBelowMinimum, selfStake=1_500 * TOKEN - 1, minimum=1_500 * TOKEN):
        stake_manager.requestUnstake(registered, 500 * TOKEN * 1_000 + 1_000, sender=registered)
    stake_manager.requestUnstake(registered, 500 * TOKEN * 1_000, sender=registered)
    assert stake_manager.selfStakeOf(registered) == 1_500 * TOKEN


@pytest.mark.parametrize("caller", ["slasher", "restorer", "provider", "stranger"])
def test_set_min_self_stake_reverts_access_control_unauthorized_account(stake_manager, caller, request):
    account = request.getfixturevalue(caller)

    with reverts(stake_manager.AccessControlUnauthorizedAccount, account=addr(account), neededRole=DEFAULT_ADMIN_ROLE):
        stake_manager.setMinSelfStake(0, sender=account)
    assert stake_manager.minSelfStake() == MIN_SELF_STAKE
