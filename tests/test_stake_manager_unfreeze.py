"""StakeManager.unfreeze: one open incident ended; the pool thaws when none is left."""

import pytest
from conftest import TOKEN
from helpers import addr, emitted, penalize, reverts

pytestmark = pytest.mark.integration


def test_unfreeze_restores_stake_and_withdraw(stake_manager, registered, delegators, slasher, restorer, chain, escrow):
    stake_manager.stake(registered, TOKEN, sender=delegators[0])
    request = stake_manager.requestUnstake(registered, 10**6, sender=delegators[0])
    end = request.timestamp + stake_manager.unbondingPeriod()
    penalize(stake_manager, registered, 0, escrow, slasher)

    tx = stake_manager.unfreeze(registered, sender=restorer)

    assert emitted(tx, stake_manager) == [
        ("PoolFreezeChanged", {"provider": registered.address, "openIncidents": 0})
    ]
    assert stake_manager.getProvider(registered).openIncidents == 0
    stake_manager.stake(registered, TOKEN, sender=registered)  # a jailed provider may top up, once unfrozen
    chain.pending_timestamp = end
    assert emitted(stake_manager.withdraw(registered, sender=delegators[0]), stake_manager)[0][0] == "Withdrawn"


def test_unfreeze_one_of_two_incidents_keeps_the_pool_frozen(
    stake_manager, registered, delegators, slasher, restorer, escrow
):
    penalize(stake_manager, registered, 0, escrow, slasher)
    penalize(stake_manager, registered, 0, escrow, slasher)

    tx = stake_manager.unfreeze(registered, sender=restorer)

    assert emitted(tx, stake_manager) == [
        ("PoolFreezeChanged", {"provider": registered.address, "openIncidents": 1})
    ]
    with reverts(stake_manager.PoolFrozen, provider=registered, openIncidents=1):
        stake_manager.stake(registered, TOKEN, sender=registered)
    stake_manager.unfreeze(registered, sender=restorer)
    stake_manager.stake(registered, TOKEN, sender=registered)


def test_unfreeze_reverts_pool_not_frozen(stake_manager, registered, restorer):
    with reverts(stake_manager.PoolNotFrozen, provider=registered):
        stake_manager.unfreeze(registered, sender=restorer)


def test_unfreeze_reverts_pool_not_frozen_once_thawed(stake_manager, registered, slasher, restorer, escrow):
    penalize(stake_manager, registered, 0, escrow, slasher)
    stake_manager.unfreeze(registered, sender=restorer)

    with reverts(stake_manager.PoolNotFrozen, provider=registered):
        stake_manager.unfreeze(registered, sender=restorer)


def test_unfreeze_reverts_provider_not_registered(stake_manager, stranger, restorer):
    with reverts(stake_manager.ProviderNotRegistered, provider=stranger):
        stake_manager.unfreeze(stranger, sender=restorer)


@pytest.mark.parametrize("caller", ["admin", "slasher", "provider", "stranger"])
def test_unfreeze_reverts_access_control_unauthorized_account(
    stake_manager, registered, slasher, caller, request, escrow
):
    penalize(stake_manager, registered, 0, escrow, slasher)
    account = request.getfixturevalue(caller)

    with reverts(
        stake_manager.AccessControlUnauthorizedAccount, account=addr(account), neededRole=stake_manager.UNFREEZER_ROLE()
    ):
        stake_manager.unfreeze(registered, sender=account)
    assert stake_manager.getProvider(registered).openIncidents == 1
