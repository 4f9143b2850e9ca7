"""StakeManager.withdraw: paying unbonded shares at the current price, time boundaries, freezes,
rounding, reentrancy."""

import pytest
from conftest import MIN_SELF_STAKE, TOKEN, UNBONDING
from helpers import (
    build_pool,
    deploy_manager,
    emitted,
    fund,
    penalize,
    pool,
    position,
    reverts,
    slash_and_settle,
    to_assets,
    transfers,
)

pytestmark = pytest.mark.integration


def _request(manager, provider, staker, shares):
    """Requests to unstake `shares` and returns the unbonding end."""
    tx = manager.requestUnstake(provider, shares, sender=staker)
    return tx.timestamp + manager.unbondingPeriod()


def test_withdraw_pays_the_unbonded_shares_and_burns_them(stake_manager, token, registered, delegators, chain):
    model = build_pool(stake_manager, registered, delegators)
    delegator = delegators[1]
    shares = model.bonded[delegator.address] // 2
    end = _request(stake_manager, registered, delegator, shares)
    model.request_unstake(delegator, shares)
    balance = token.balanceOf(delegator)
    chain.pending_timestamp = end

    tx = stake_manager.withdraw(registered, sender=delegator)

    _, paid = model.withdraw(delegator)
    assert emitted(tx, stake_manager) == [
        ("Withdrawn", {"provider": registered.address, "staker": delegator.address, "shares": shares, "assets": paid})
    ]
    assert transfers(tx, token) == [(stake_manager.address, delegator.address, paid)]
    assert token.balanceOf(delegator) == balance + paid
    assert token.balanceOf(stake_manager) == stake_manager.totalStake() == model.assets
    assert position(stake_manager, registered, delegator) == (model.bonded[delegator.address], 0, 0)
    model.check(stake_manager, registered)


def test_withdraw_succeeds_exactly_at_unbonding_end(stake_manager, registered, delegators, chain):
    build_pool(stake_manager, registered, delegators)
    end = _request(stake_manager, registered, delegators[0], 10**6)
    chain.pending_timestamp = end

    tx = stake_manager.withdraw(registered, sender=delegators[0])

    assert tx.timestamp == end
    assert emitted(tx, stake_manager)[0][1]["shares"] == 10**6


def test_withdraw_reverts_unbonding_not_finished(stake_manager, registered, delegators, chain):
    build_pool(stake_manager, registered, delegators)
    end = _request(stake_manager, registered, delegators[0], 10**6)
    chain.pending_timestamp = end - 1

    with reverts(stake_manager.UnbondingNotFinished, unbondingEnd=end, nowTime=end - 1):
        stake_manager.withdraw(registered, sender=delegators[0])
    assert position(stake_manager, registered, delegators[0])[1:] == (10**6, end)


def test_withdraw_reverts_unbonding_not_finished_right_after_request(stake_manager, registered, delegators, chain):
    build_pool(stake_manager, registered, delegators)
    tx = stake_manager.requestUnstake(registered, 10**6, sender=delegators[0])
    chain.pending_timestamp = tx.timestamp + 1

    with reverts(stake_manager.UnbondingNotFinished, unbondingEnd=tx.timestamp + UNBONDING, nowTime=tx.timestamp + 1):
        stake_manager.withdraw(registered, sender=delegators[0])


def test_withdraw_adding_to_a_request_restarts_the_clock(stake_manager, registered, delegators, chain):
    model = build_pool(stake_manager, registered, delegators)
    delegator = delegators[2]
    first_end = _request(stake_manager, registered, delegator, 7_000)
    model.request_unstake(delegator, 7_000)
    chain.pending_timestamp = first_end - 100
    second_end = _request(stake_manager, registered, delegator, 3_000)
    model.request_unstake(delegator, 3_000)
    assert second_end == first_end - 100 + UNBONDING

    chain.pending_timestamp = first_end
    with reverts(stake_manager.UnbondingNotFinished, unbondingEnd=second_end, nowTime=first_end):
        stake_manager.withdraw(registered, sender=delegator)

    chain.pending_timestamp = second_end
    tx = stake_manager.withdraw(registered, sender=delegator)
    shares, paid = model.withdraw(delegator)
    assert shares == 10_000
    assert emitted(tx, stake_manager)[0][1] == {
        "provider": registered.address,
        "staker": delegator.address,
        "shares": 10_000,
        "assets": paid,
    }


def test_withdraw_pays_less_after_a_slash_during_unbonding(
    stake_manager, token, registered, delegators, slasher, escrow, chain, restorer
):
    model = build_pool(stake_manager, registered, delegators)
    delegator = delegators[0]
    shares = model.bonded[delegator.address]
    end = _request(stake_manager, registered, delegator, shares)
    model.request_unstake(delegator, shares)
    value_before = stake_manager.convertToAssets(registered, shares)
    cut = model.assets // 4 + 12_345

    slash_and_settle(stake_manager, registered, cut, escrow, slasher, restorer)
    model.slash(cut)
    chain.pending_timestamp = end
    balance = token.balanceOf(delegator)
    tx = stake_manager.withdraw(registered, sender=delegator)

    _, paid = model.withdraw(delegator)
    assert paid == to_assets(shares, model.assets + paid, model.shares + shares)
    assert paid < value_before
    # About three quarters of the value before the slash (the exact figure is the model's).
    assert abs(paid * 4 - value_before * 3) < value_before // 1_000
    assert emitted(tx, stake_manager)[0][1]["assets"] == paid
    assert token.balanceOf(delegator) == balance + paid
    model.check(stake_manager, registered)


def test_withdraw_pays_more_after_a_return_during_unbonding(stake_manager, registered, delegators, restorer, chain):
    model = build_pool(stake_manager, registered, delegators)
    delegator = delegators[1]
    shares = model.bonded[delegator.address]
    end = _request(stake_manager, registered, delegator, shares)
    model.request_unstake(delegator, shares)
    value_before = stake_manager.convertToAssets(registered, shares)

    stake_manager.returnStake(registered, 3_000 * TOKEN, sender=restorer)
    model.return_stake(3_000 * TOKEN)
    chain.pending_timestamp = end
    tx = stake_manager.withdraw(registered, sender=delegator)

    _, paid = model.withdraw(delegator)
    assert paid > value_before
    assert emitted(tx, stake_manager)[0][1]["assets"] == paid
    model.check(stake_manager, registered)


@pytest.mark.parametrize("amount", [1, 999, 10**18 + 1, 4_321 * TOKEN + 987_654_321])
@pytest.mark.parametrize("price", ["fresh", "slashed", "recovered"])
def test_withdraw_deposit_then_full_exit_never_returns_more(
    stake_manager, token, registered, delegators, slasher, restorer, escrow, stranger, chain, amount, price
):
    model = build_pool(stake_manager, registered, delegators)
    if price != "fresh":
        slash_and_settle(stake_manager, registered, 3_333 * TOKEN + 1, escrow, slasher, restorer)
        model.slash(3_333 * TOKEN + 1)
    if price == "recovered":
        stake_manager.returnStake(registered, 9_999 * TOKEN + 7, sender=restorer)
        model.return_stake(9_999 * TOKEN + 7)
    balance = token.balanceOf(stranger)
    stake_manager.stake(registered, amount, sender=stranger)
    shares = model.stake(stranger, amount)

    end = _request(stake_manager, registered, stranger, shares)
    chain.pending_timestamp = end
    stake_manager.withdraw(registered, sender=stranger)

    model.request_unstake(stranger, shares)
    _, paid = model.withdraw(stranger)
    assert token.balanceOf(stranger) == balance - amount + paid
    assert paid <= amount
    assert token.balanceOf(stake_manager) == stake_manager.totalStake() == model.assets
    model.check(stake_manager, registered)


def test_withdraw_everyone_leaves_pool_holds_only_rounding_dust(
    stake_manager, token, registered, delegators, slasher, escrow, chain, restorer
):
    model = build_pool(stake_manager, registered, delegators)
    slash_and_settle(stake_manager, registered, 777 * TOKEN + 3, escrow, slasher, restorer)
    model.slash(777 * TOKEN + 3)
    stakers = [registered, *delegators]
    for staker in stakers:
        shares = model.bonded[staker.address]
        stake_manager.requestUnstake(registered, shares, sender=staker)
        model.request_unstake(staker, shares)
    chain.pending_timestamp = chain.pending_timestamp + UNBONDING
    paid = 0
    for staker in stakers:
        stake_manager.withdraw(registered, sender=staker)
        paid += model.withdraw(staker)[1]

    assert pool(stake_manager, registered) == (model.assets, 0)
    # Rounding down leaves at most a few wei per exit in the pool, never a deficit.
    assert 0 <= model.assets <= len(stakers)
    assert token.balanceOf(stake_manager) == stake_manager.totalStake() == model.assets


def test_withdraw_reverts_pool_frozen_until_unfrozen(
    stake_manager, registered, delegators, slasher, restorer, chain, escrow
):
    model = build_pool(stake_manager, registered, delegators)
    end = _request(stake_manager, registered, delegators[0], 10**9)
    model.request_unstake(delegators[0], 10**9)
    penalize(stake_manager, registered, 0, escrow, slasher)
    chain.pending_timestamp = end

    with reverts(stake_manager.PoolFrozen, provider=registered, openIncidents=1):
        stake_manager.withdraw(registered, sender=delegators[0])

    stake_manager.unfreeze(registered, sender=restorer)
    tx = stake_manager.withdraw(registered, sender=delegators[0])
    assert emitted(tx, stake_manager)[0][1]["assets"] == model.withdraw(delegators[0])[1]


def test_withdraw_request_made_while_frozen_completes_after_unfreeze(
    stake_manager, registered, delegators, slasher, restorer, chain, escrow
):
    build_pool(stake_manager, registered, delegators)
    penalize(stake_manager, registered, 0, escrow, slasher)
    end = _request(stake_manager, registered, delegators[1], 10**9)
    chain.pending_timestamp = end
    with reverts(stake_manager.PoolFrozen, provider=registered, openIncidents=1):
        stake_manager.withdraw(registered, sender=delegators[1])

    stake_manager.unfreeze(registered, sender=restorer)

    tx = stake_manager.withdraw(registered, sender=delegators[1])
    assert emitted(tx, stake_manager)[0][1]["shares"] == 10**9


def test_withdraw_from_a_tombstoned_provider(stake_manager, registered, delegators, appeals, chain):
    model = build_pool(stake_manager, registered, delegators)
    stake_manager.tombstone(registered, sender=appeals)
    shares = model.bonded[delegators[0].address]
    end = _request(stake_manager, registered, delegators[0], shares)
    model.request_unstake(delegators[0], shares)
    chain.pending_timestamp = end

    tx = stake_manager.withdraw(registered, sender=delegators[0])

    assert emitted(tx, stake_manager)[0][1]["assets"] == model.withdraw(delegators[0])[1] > 0


def test_withdraw_from_a_depleted_pool_burns_shares_and_pays_nothing(
    stake_manager, token, registered, delegators, slasher, escrow, chain, restorer
):
    model = build_pool(stake_manager, registered, delegators)
    shares = model.bonded[delegators[0].address]
    end = _request(stake_manager, registered, delegators[0], shares)
    slash_and_settle(stake_manager, registered, model.assets, escrow, slasher, restorer)
    chain.pending_timestamp = end

    tx = stake_manager.withdraw(registered, sender=delegators[0])

    assert emitted(tx, stake_manager) == [
        ("Withdrawn", {"provider": registered.address, "staker": delegators[0].address, "shares": shares, "assets": 0})
    ]
    assert transfers(tx, token) == []
    assert pool(stake_manager, registered) == (0, model.shares - shares)


def test_withdraw_reverts_nothing_to_withdraw(stake_manager, registered, delegators):
    build_pool(stake_manager, registered, delegators)

    with reverts(stake_manager.NothingToWithdraw):
        stake_manager.withdraw(registered, sender=delegators[0])


def test_withdraw_reverts_nothing_to_withdraw_twice(stake_manager, registered, delegators, chain):
    build_pool(stake_manager, registered, delegators)
    chain.pending_timestamp = _request(stake_manager, registered, delegators[0], 10**6)
    stake_manager.withdraw(registered, sender=delegators[0])

    with reverts(stake_manager.NothingToWithdraw):
        stake_manager.withdraw(registered, sender=delegators[0])


def test_withdraw_reverts_provider_not_registered(stake_manager, stranger, chain):
    with reverts(stake_manager.ProviderNotRegistered, provider=stranger):
        stake_manager.withdraw(stranger, sender=stranger)


@pytest.fixture
def reentrant(project, admin, provider, operator, delegators, chain):
    """A StakeManager on ReentrantToken; delegators[0] has an unbonded request ready to withdraw."""
    token = project.ReentrantToken.deploy(admin, 10**6 * TOKEN, sender=admin)
    manager = deploy_manager(project, token, admin)
    fund(token, admin, manager, [provider, delegators[0]], 10_000 * TOKEN)
    manager.registerProvider(operator, MIN_SELF_STAKE, "http://reentrant/health", sender=provider)
    manager.stake(provider, 100 * TOKEN, sender=delegators[0])
    chain.pending_timestamp = _request(manager, provider, delegators[0], 50 * TOKEN * 1_000)
    return token, manager


def test_withdraw_reentrant_token_callback_runs_when_harmless(reentrant, provider, delegators):
    token, manager = reentrant
    token.arm(manager, manager.totalStake.encode_input(), sender=delegators[0])

    tx = manager.withdraw(provider, sender=delegators[0])

    assert token.callbacks() == 1
    assert emitted(tx, manager)[0][1]["assets"] == 50 * TOKEN


@pytest.mark.parametrize("reenter", ["withdraw", "stake", "registerProvider"])
def test_withdraw_reverts_reentrancy_guard_reentrant_call(reentrant, provider, delegators, reenter):
    token, manager = reentrant
    calls = {
        "withdraw": manager.withdraw.encode_input(provider),
        "stake": manager.stake.encode_input(provider, TOKEN),
        "registerProvider": manager.registerProvider.encode_input(provider, MIN_SELF_STAKE, "http://re/health"),
    }
    token.arm(manager, calls[reenter], sender=delegators[0])

    with reverts(manager.ReentrancyGuardReentrantCall):
        manager.withdraw(provider, sender=delegators[0])
    assert token.callbacks() == 0
    assert manager.getPosition(provider, delegators[0]).unbondingShares == 50 * TOKEN * 1_000
    assert manager.totalStake() == token.balanceOf(manager) == MIN_SELF_STAKE + 100 * TOKEN
