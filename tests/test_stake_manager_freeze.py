"""StakeManager.freeze: one more open incident; a frozen pool takes no new shares and pays no exits."""

import pytest
from conftest import TOKEN, ProviderStatus
from helpers import addr, emitted, reverts

pytestmark = pytest.mark.integration


def test_freeze_counts_open_incidents(stake_manager, registered, slasher):
    first = stake_manager.freeze(registered, sender=slasher)
    second = stake_manager.freeze(registered, sender=slasher)

    assert emitted(first, stake_manager) == [
        ("PoolFreezeChanged", {"provider": registered.address, "openIncidents": 1})
    ]
    assert emitted(second, stake_manager) == [
        ("PoolFreezeChanged", {"provider": registered.address, "openIncidents": 2})
    ]
    assert stake_manager.getProvider(registered).openIncidents == 2


def test_freeze_blocks_stake_and_withdraw_not_unstake_requests(stake_manager, registered, delegators, slasher, chain):
    stake_manager.stake(registered, 10 * TOKEN, sender=delegators[0])
    request = stake_manager.requestUnstake(registered, 1_000, sender=delegators[0])
    end = request.timestamp + stake_manager.unbondingPeriod()

    stake_manager.freeze(registered, sender=slasher)

    chain.pending_timestamp = end
    with reverts(stake_manager.PoolFrozen, provider=registered, openIncidents=1):
        stake_manager.withdraw(registered, sender=delegators[0])
    with reverts(stake_manager.PoolFrozen, provider=registered, openIncidents=1):
        stake_manager.stake(registered, TOKEN, sender=delegators[1])
    stake_manager.requestUnstake(registered, 1_000, sender=delegators[0])
    assert stake_manager.getPosition(registered, delegators[0]).unbondingShares == 2_000


def test_freeze_does_not_change_status(stake_manager, registered, slasher):
    stake_manager.freeze(registered, sender=slasher)

    assert stake_manager.statusOf(registered) == ProviderStatus.ACTIVE


def test_freeze_reverts_provider_not_registered(stake_manager, stranger, slasher):
    with reverts(stake_manager.ProviderNotRegistered, provider=stranger):
        stake_manager.freeze(stranger, sender=slasher)


@pytest.mark.parametrize("caller", ["admin", "restorer", "provider", "stranger"])
def test_freeze_reverts_access_control_unauthorized_account(stake_manager, registered, caller, request):
    account = request.getfixturevalue(caller)

    with reverts(
        stake_manager.AccessControlUnauthorizedAccount, account=addr(account), neededRole=stake_manager.SLASHER_ROLE()
    ):
        stake_manager.freeze(registered, sender=account)
    assert stake_manager.getProvider(registered).openIncidents == 0
