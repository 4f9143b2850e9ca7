"""StakeManager.slash: moving part of a pool to an escrow, pro rata for every staker."""

from fractions import Fraction

import pytest
from conftest import MIN_SELF_STAKE, TOKEN, ProviderStatus
from helpers import ZERO_ADDRESS, addr, build_pool, emitted, pool, reverts, to_assets, transfers

pytestmark = pytest.mark.integration


def test_slash_moves_tokens_to_escrow(stake_manager, token, registered, delegators, slasher, escrow):
    model = build_pool(stake_manager, registered, delegators)
    amount = 1_234 * TOKEN + 5
    escrow_balance = token.balanceOf(escrow)
    held = token.balanceOf(stake_manager)

    tx = stake_manager.slash(registered, amount, escrow, sender=slasher)

    assert emitted(tx, stake_manager) == [
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

    stake_manager.slash(registered, amount, escrow, sender=slasher)

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
        tx = stake_manager.slash(registered, amount, escrow, sender=slasher)
        model.slash(amount)
        assert emitted(tx, stake_manager)[0][1]["poolAssets"] == model.assets
    model.check(stake_manager, registered)


def test_slash_the_whole_pool_leaves_shares_without_assets(
    stake_manager, token, registered, delegators, slasher, escrow
):
    model = build_pool(stake_manager, registered, delegators)

    stake_manager.slash(registered, model.assets, escrow, sender=slasher)

    assert pool(stake_manager, registered) == (0, model.shares)
    for staker in [registered, *delegators]:
        assert stake_manager.convertToAssets(registered, model.bonded[staker.address]) == 0
    assert stake_manager.statusOf(registered) == ProviderStatus.BELOW_MINIMUM
    assert token.balanceOf(stake_manager) == stake_manager.totalStake() == 0


def test_slash_below_minimum_then_top_up_restores_active(stake_manager, registered, slasher, escrow):
    stake_manager.slash(registered, 1, escrow, sender=slasher)
    assert stake_manager.statusOf(registered) == ProviderStatus.BELOW_MINIMUM
    assert stake_manager.selfStakeOf(registered) == MIN_SELF_STAKE - 1

    stake_manager.stake(registered, 1, sender=registered)

    assert stake_manager.selfStakeOf(registered) == MIN_SELF_STAKE
    assert stake_manager.statusOf(registered) == ProviderStatus.ACTIVE


def test_slash_works_while_frozen_jailed_and_tombstoned(stake_manager, registered, slasher, escrow, chain):
    stake_manager.freeze(registered, sender=slasher)
    stake_manager.jail(registered, chain.pending_timestamp + 100, sender=slasher)
    stake_manager.tombstone(registered, sender=slasher)

    tx = stake_manager.slash(registered, 10 * TOKEN, escrow, sender=slasher)

    assert emitted(tx, stake_manager)[0][1]["poolAssets"] == MIN_SELF_STAKE - 10 * TOKEN


def test_slash_only_touches_the_named_pool(stake_manager, registered, operator, stranger, slasher, escrow):
    stake_manager.registerProvider(operator, 3_000 * TOKEN, "http://other/health", sender=stranger)

    stake_manager.slash(stranger, 3_000 * TOKEN, escrow, sender=slasher)

    assert pool(stake_manager, registered) == (MIN_SELF_STAKE, MIN_SELF_STAKE * 1_000)
    assert stake_manager.selfStakeOf(registered) == MIN_SELF_STAKE
    assert stake_manager.totalStake() == MIN_SELF_STAKE


def test_slash_reverts_slash_exceeds_stake(stake_manager, registered, slasher, escrow):
    with reverts(stake_manager.SlashExceedsStake, amount=MIN_SELF_STAKE + 1, poolAssets=MIN_SELF_STAKE):
        stake_manager.slash(registered, MIN_SELF_STAKE + 1, escrow, sender=slasher)


def test_slash_reverts_slash_exceeds_stake_for_a_provider_without_pool(stake_manager, stranger, slasher, escrow):
    with reverts(stake_manager.SlashExceedsStake, amount=1, poolAssets=0):
        stake_manager.slash(stranger, 1, escrow, sender=slasher)


def test_slash_reverts_zero_amount(stake_manager, registered, slasher, escrow):
    with reverts(stake_manager.ZeroAmount):
        stake_manager.slash(registered, 0, escrow, sender=slasher)


def test_slash_reverts_zero_address_escrow(stake_manager, registered, slasher):
    with reverts(stake_manager.ZeroAddress):
        stake_manager.slash(registered, 1, ZERO_ADDRESS, sender=slasher)


@pytest.mark.parametrize("caller", ["admin", "restorer", "provider", "stranger"])
def test_slash_reverts_access_control_unauthorized_account(stake_manager, registered, escrow, caller, request):
    account = request.getfixturevalue(caller)

    with reverts(
        stake_manager.AccessControlUnauthorizedAccount, account=addr(account), neededRole=stake_manager.SLASHER_ROLE()
    ):
        stake_manager.slash(registered, 1, escrow, sender=account)
    assert pool(stake_manager, registered)[0] == MIN_SELF_STAKE
