"""StakeManager.requestUnstake: moving bonded shares to unbonding, the self-stake floor, refusals."""

import pytest
from conftest import MIN_SELF_STAKE, TOKEN, UNBONDING, ProviderStatus
from helpers import CAPS, build_pool, emitted, penalize, pool, position, reverts, slash_and_settle, to_assets, transfers, standing

pytestmark = pytest.mark.integration


def test_request_unstake_moves_shares_to_unbonding(stake_manager, token, registered, delegators):
    model = build_pool(stake_manager, registered, delegators)
    delegator = delegators[0]
    bonded = model.bonded[delegator.address]
    part = bonded // 3
    balance = token.balanceOf(stake_manager)

    tx = stake_manager.requestUnstake(registered, part, sender=delegator)

    end = tx.timestamp + UNBONDING
    assert emitted(tx, stake_manager) == [
        (
            "UnstakeRequested",
            {
                "provider": registered.address,
                "staker": delegator.address,
                "shares": part,
                "totalUnbondingShares": part,
                "unbondingEnd": end,
            },
        )
    ]
    assert transfers(tx, token) == []
    assert position(stake_manager, registered, delegator) == (bonded - part, part, end)
    # Unbonding shares stay in the pool: nothing leaves it yet.
    assert pool(stake_manager, registered) == (model.assets, model.shares)
    assert token.balanceOf(stake_manager) == balance
    assert stake_manager.totalStake() == model.assets


def test_request_unstake_adding_restarts_the_clock_for_the_whole_balance(stake_manager, registered, delegators, chain):
    build_pool(stake_manager, registered, delegators)
    delegator = delegators[1]
    bonded = stake_manager.getPosition(registered, delegator).shares
    first = stake_manager.requestUnstake(registered, 1_000, sender=delegator)
    chain.pending_timestamp = first.timestamp + UNBONDING // 2

    second = stake_manager.requestUnstake(registered, 2_345, sender=delegator)

    assert second.timestamp == first.timestamp + UNBONDING // 2
    assert emitted(second, stake_manager) == [
        (
            "UnstakeRequested",
            {
                "provider": registered.address,
                "staker": delegator.address,
                "shares": 2_345,
                "totalUnbondingShares": 3_345,
                "unbondingEnd": second.timestamp + UNBONDING,
            },
        )
    ]
    assert position(stake_manager, registered, delegator) == (bonded - 3_345, 3_345, second.timestamp + UNBONDING)


def test_request_unstake_uses_the_unbonding_period_in_force(stake_manager, registered, delegators, admin):
    build_pool(stake_manager, registered, delegators)
    stake_manager.setUnbondingPeriod(60, sender=admin)

    tx = stake_manager.requestUnstake(registered, 10, sender=delegators[0])

    assert emitted(tx, stake_manager)[0][1]["unbondingEnd"] == tx.timestamp + 60
    assert stake_manager.getPosition(registered, delegators[0]).unbondingEnd == tx.timestamp + 60


def test_request_unstake_whole_delegation(stake_manager, registered, delegators):
    model = build_pool(stake_manager, registered, delegators)
    bonded = model.bonded[delegators[2].address]

    tx = stake_manager.requestUnstake(registered, bonded, sender=delegators[2])

    assert position(stake_manager, registered, delegators[2]) == (0, bonded, tx.timestamp + UNBONDING)


def test_request_unstake_works_while_pool_frozen(stake_manager, registered, delegators, slasher, escrow):
    build_pool(stake_manager, registered, delegators)
    penalize(stake_manager, registered, 0, escrow, slasher)

    tx = stake_manager.requestUnstake(registered, 500, sender=delegators[0])

    assert emitted(tx, stake_manager)[0][0] == "UnstakeRequested"
    assert stake_manager.getPosition(registered, delegators[0]).unbondingShares == 500


@pytest.mark.parametrize("state", ["jailed", "tombstoned", "below_minimum"])
def test_request_unstake_delegator_may_leave_an_inactive_provider(
    stake_manager, registered, delegators, slasher, appeals, escrow, chain, state, restorer
):
    build_pool(stake_manager, registered, delegators)
    if state == "jailed":
        stake_manager.penalize(registered, 0, escrow, standing(chain.pending_timestamp + 3_600), CAPS, sender=slasher)
    elif state == "tombstoned":
        stake_manager.tombstone(registered, sender=appeals)
    else:
        slash_and_settle(stake_manager, registered, 8_000 * TOKEN, escrow, slasher, restorer)
        assert stake_manager.statusOf(registered) == ProviderStatus.BELOW_MINIMUM
    bonded = stake_manager.getPosition(registered, delegators[0]).shares

    stake_manager.requestUnstake(registered, bonded, sender=delegators[0])

    assert position(stake_manager, registered, delegators[0])[:2] == (0, bonded)


def test_request_unstake_provider_may_keep_exactly_the_minimum(stake_manager, registered, delegators):
    model = build_pool(stake_manager, registered, delegators)
    bonded = model.bonded[registered.address]
    # The fewest shares still worth the minimum, found from the formula, then one fewer fails below.
    keep = -(-MIN_SELF_STAKE * (model.shares + 1_000) // (model.assets + 1))
    assert to_assets(keep, model.assets, model.shares) >= MIN_SELF_STAKE
    assert to_assets(keep - 1, model.assets, model.shares) < MIN_SELF_STAKE

    stake_manager.requestUnstake(registered, bonded - keep, sender=registered)

    assert stake_manager.selfStakeOf(registered) == to_assets(keep, model.assets, model.shares)
    assert stake_manager.statusOf(registered) == ProviderStatus.ACTIVE


def test_request_unstake_reverts_self_stake_below_minimum(stake_manager, registered, delegators):
    model = build_pool(stake_manager, registered, delegators)
    bonded = model.bonded[registered.address]
    keep = -(-MIN_SELF_STAKE * (model.shares + 1_000) // (model.assets + 1)) - 1
    left = to_assets(keep, model.assets, model.shares)
    assert 0 < left < MIN_SELF_STAKE

    with reverts(stake_manager.SelfStakeBelowMinimum, selfStake=left, minimum=MIN_SELF_STAKE):
        stake_manager.requestUnstake(registered, bonded - keep, sender=registered)
    assert position(stake_manager, registered, registered) == (bonded, 0, 0)


def test_request_unstake_reverts_self_stake_below_minimum_for_one_share_kept(stake_manager, registered):
    bonded = stake_manager.getPosition(registered, registered).shares

    with reverts(stake_manager.SelfStakeBelowMinimum, selfStake=0, minimum=MIN_SELF_STAKE):
        stake_manager.requestUnstake(registered, bonded - 1, sender=registered)


def test_request_unstake_provider_may_leave_entirely(stake_manager, registered, delegators):
    model = build_pool(stake_manager, registered, delegators)
    bonded = model.bonded[registered.address]

    tx = stake_manager.requestUnstake(registered, bonded, sender=registered)

    assert position(stake_manager, registered, registered) == (0, bonded, tx.timestamp + UNBONDING)
    assert stake_manager.selfStakeOf(registered) == 0
    assert stake_manager.statusOf(registered) == ProviderStatus.BELOW_MINIMUM


def test_request_unstake_provider_below_minimum_after_slash_may_only_leave_entirely(
    stake_manager, registered, slasher, escrow, restorer
):
    slash_and_settle(stake_manager, registered, 100 * TOKEN, escrow, slasher, restorer)
    bonded = stake_manager.getPosition(registered, registered).shares
    left = to_assets(bonded // 2, MIN_SELF_STAKE - 100 * TOKEN, bonded)

    with reverts(stake_manager.SelfStakeBelowMinimum, selfStake=left, minimum=MIN_SELF_STAKE):
        stake_manager.requestUnstake(registered, bonded - bonded // 2, sender=registered)
    stake_manager.requestUnstake(registered, bonded, sender=registered)
    assert position(stake_manager, registered, registered)[:2] == (0, bonded)


def test_request_unstake_reverts_insufficient_shares(stake_manager, registered, delegators):
    model = build_pool(stake_manager, registered, delegators)
    bonded = model.bonded[delegators[0].address]

    with reverts(stake_manager.InsufficientShares, requested=bonded + 1, available=bonded):
        stake_manager.requestUnstake(registered, bonded + 1, sender=delegators[0])


def test_request_unstake_reverts_insufficient_shares_already_unbonding(stake_manager, registered, delegators):
    model = build_pool(stake_manager, registered, delegators)
    bonded = model.bonded[delegators[0].address]
    stake_manager.requestUnstake(registered, bonded - 10, sender=delegators[0])

    with reverts(stake_manager.InsufficientShares, requested=11, available=10):
        stake_manager.requestUnstake(registered, 11, sender=delegators[0])


def test_request_unstake_reverts_insufficient_shares_without_position(stake_manager, registered, stranger):
    with reverts(stake_manager.InsufficientShares, requested=1, available=0):
        stake_manager.requestUnstake(registered, 1, sender=stranger)


def test_request_unstake_reverts_zero_amount(stake_manager, registered):
    with reverts(stake_manager.ZeroAmount):
        stake_manager.requestUnstake(registered, 0, sender=registered)


def test_request_unstake_reverts_provider_not_registered(stake_manager, stranger):
    with reverts(stake_manager.ProviderNotRegistered, provider=stranger):
        stake_manager.requestUnstake(stranger, 1, sender=stranger)
