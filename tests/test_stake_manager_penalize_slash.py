"""StakeManager.penalize, its slash: moving part of a pool to an escrow, pro rata for every staker (the
StakeManager has no slash apart from the response to a verdict)."""

from fractions import Fraction

import pytest
from conftest import MIN_SELF_STAKE, TOKEN, ProviderStatus
from helpers import CAPS, build_pool, emitted, penalize, pool, reverts, to_assets, transfers, standing

pytestmark = pytest.mark.integration


def test_slash_moves_tokens_to_escrow(stake_manager, token, registered, delegators, slasher, escrow):
    model = build_pool(stake_manager, registered, delegators)
    amount = 1_234 * TOKEN + 5
    escrow_balance = token.balanceOf(escrow)
    held = token.balanceOf(stake_manager)

    tx = penalize(stake_manager, registered, amount, escrow, slasher)

    assert [e for e in emitted(tx, stake_manager) if e[0] == "Slashed"] == [
        (
            "Slashed",
            {
                "provider": registered.address,
                "escrow": escrow.address,
                "amount": amount,
                "poolAssets": model.assets - amount,
            },
        )
    ]
    assert transfers(tx, token) == [(stake_manager.address, escrow.address, amount)]
    assert token.balanceOf(escrow) == escrow_balance + amount
    assert token.balanceOf(stake_manager) == held - amount == stake_manager.totalStake()
    # Shares are untouched: only the assets behind them fall.
    assert pool(stake_manager, registered) == (model.assets - amount, model.shares)


def test_slash_reduces_every_position_by_the_same_fraction(stake_manager, registered, delegators, slasher, escrow):
    """Three delegators and the provider, one of them (and part of the provider) unbonding."""
    model = build_pool(stake_manager, registered, delegators)
    unbonding = model.bonded[delegators[1].address]
    stake_manager.requestUnstake(registered, unbonding, sender=delegators[1])
    model.request_unstake(delegators[1], unbonding)
    provider_part = model.bonded[registered.address] // 4
    stake_manager.requestUnstake(registered, provider_part, sender=registered)
    model.request_unstake(registered, provider_part)
    stakers = [registered, *delegators]
    before = {s.address: model.value(s) for s in stakers}
    total_before = model.assets
    amount = total_before * 3 // 10  # 30%

    penalize(stake_manager, registered, amount, escrow, slasher)

    model.slash(amount)
    model.check(stake_manager, registered)
    for staker in stakers:
        p = stake_manager.getPosition(registered, staker)
        held = p.shares + p.unbondingShares
        value = stake_manager.convertToAssets(registered, held)
        # The contract agrees with the model, and both with exact pro-rata arithmetic to rounding.
        assert value == model.value(staker)
        exact = Fraction(before[staker.address] * (total_before - amount), total_before)
        assert abs(value - exact) <= 2
    assert stake_manager.convertToAssets(registered, unbonding) == to_assets(unbonding, model.assets, model.shares)
    assert stake_manager.selfStakeOf(registered) == to_assets(
        model.bonded[registered.address], model.assets, model.shares
    )


def test_slash_twice_compounds(stake_manager, registered, delegators, slasher, escrow):
    model = build_pool(stake_manager, registered, delegators)
    for amount in (1_000 * TOKEN, 2_000 * TOKEN + 1):
        tx = penalize(stake_manager, registered, amount, escrow, slasher)
        model.slash(amount)
        assert slashed(tx, stake_manager)["poolAssets"] == model.assets
    model.check(stake_manager, registered)


def test_slash_the_whole_pool_leaves_shares_without_assets(
    stake_manager, token, registered, delegators, slasher, escrow
):
    model = build_pool(stake_manager, registered, delegators)

    penalize(stake_manager, registered, model.assets, escrow, slasher)

    assert pool(stake_manager, registered) == (0, model.shares)
    for staker in [registered, *delegators]:
        assert stake_manager.convertToAssets(registered, model.bonded[staker.address]) == 0
    assert stake_manager.selfStakeOf(registered) == 0
    assert token.balanceOf(stake_manager) == stake_manager.totalStake() == 0


def test_slash_below_minimum_then_top_up_restores_active(stake_manager, registered, slasher, restorer, escrow, chain):
    penalize(stake_manager, registered, 1, escrow, slasher, jail_for=60)
    stake_manager.unfreeze(registered, sender=restorer)  # the incident ended
    chain.mine(timestamp=stake_manager.getProvider(registered).jailedUntil)  # and so did the jail
    assert stake_manager.statusOf(registered) == ProviderStatus.BELOW_MINIMUM
    assert stake_manager.selfStakeOf(registered) == MIN_SELF_STAKE - 1

    stake_manager.stake(registered, 1, sender=registered)

    assert stake_manager.selfStakeOf(registered) == MIN_SELF_STAKE
    assert stake_manager.statusOf(registered) == ProviderStatus.ACTIVE


def test_slash_works_while_frozen_jailed_and_tombstoned(stake_manager, registered, slasher, appeals, escrow, chain):
    penalize(stake_manager, registered, 0, escrow, slasher)
    stake_manager.penalize(registered, 0, escrow, standing(chain.pending_timestamp + 100), CAPS, sender=slasher)
    stake_manager.tombstone(registered, sender=appeals)

    tx = penalize(stake_manager, registered, 10 * TOKEN, escrow, slasher)

    assert slashed(tx, stake_manager)["poolAssets"] == MIN_SELF_STAKE - 10 * TOKEN


def test_slash_only_touches_the_named_pool(stake_manager, registered, operator, stranger, slasher, escrow):
    stake_manager.registerProvider(operator, 3_000 * TOKEN, "http://other/health", sender=stranger)

    penalize(stake_manager, stranger, 3_000 * TOKEN, escrow, slasher)

    assert pool(stake_manager, registered) == (MIN_SELF_STAKE, MIN_SELF_STAKE * 1_000)
    assert stake_manager.selfStakeOf(registered) == MIN_SELF_STAKE
    assert stake_manager.totalStake() == MIN_SELF_STAKE


def test_slash_reverts_slash_exceeds_stake(stake_manager, registered, slasher, escrow):
    with reverts(stake_manager.SlashExceedsStake, amount=MIN_SELF_STAKE + 1, poolAssets=MIN_SELF_STAKE):
        penalize(stake_manager, registered, MIN_SELF_STAKE + 1, escrow, slasher)


def slashed(tx, stake_manager) -> dict:
    (args,) = [args for name, args in emitted(tx, stake_manager) if name == "Slashed"]
    return args
