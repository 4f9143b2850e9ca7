"""StakeManager views: statusOf transitions, pools, positions, conversions, totals."""

import pytest
from conftest import MIN_SELF_STAKE, TOKEN, UNBONDING, ProviderStatus
from helpers import CAPS, build_pool, penalize, pool, position, slash_and_settle, to_assets, to_shares, standing

pytestmark = pytest.mark.integration


def test_views_status_of_unregistered_is_none(stake_manager, stranger):
    assert stake_manager.statusOf(stranger) == ProviderStatus.NONE
    registration = stake_manager.getProvider(stranger)
    assert (registration.registered, registration.operator, registration.jailedUntil) == (False, "0x" + "00" * 20, 0)


def test_views_status_of_through_its_transitions(
    stake_manager, registered, slasher, appeals, restorer, escrow, admin, chain
):
    def status():
        return stake_manager.statusOf(registered)

    assert status() == ProviderStatus.ACTIVE

    slash_and_settle(stake_manager, registered, TOKEN, escrow, slasher, restorer)
    assert status() == ProviderStatus.BELOW_MINIMUM
    stake_manager.stake(registered, TOKEN, sender=registered)
    assert status() == ProviderStatus.ACTIVE

    until = chain.pending_timestamp + 600
    stake_manager.penalize(registered, TOKEN, escrow, standing(until), CAPS, sender=slasher)
    stake_manager.unfreeze(registered, sender=restorer)
    assert status() == ProviderStatus.JAILED  # a jail outranks a shortfall
    chain.mine(timestamp=until)
    assert status() == ProviderStatus.BELOW_MINIMUM
    stake_manager.returnStake(registered, TOKEN, sender=restorer)
    assert status() == ProviderStatus.ACTIVE

    overturned = standing(chain.pending_timestamp + 600)
    stake_manager.penalize(registered, 0, escrow, overturned, CAPS, sender=slasher)
    stake_manager.unstand(registered, overturned[0] + bytes(12), True, False, sender=slasher)
    assert status() == ProviderStatus.ACTIVE
    stake_manager.setMinSelfStake(MIN_SELF_STAKE + 1, sender=admin)
    assert status() == ProviderStatus.BELOW_MINIMUM
    stake_manager.setMinSelfStake(MIN_SELF_STAKE, sender=admin)
    assert status() == ProviderStatus.ACTIVE

    stake_manager.tombstone(registered, sender=appeals)
    assert status() == ProviderStatus.TOMBSTONED


def test_views_self_stake_of_counts_bonded_shares_only(stake_manager, registered, delegators):
    model = build_pool(stake_manager, registered, delegators)
    bonded = model.bonded[registered.address]
    assert stake_manager.selfStakeOf(registered) == to_assets(bonded, model.assets, model.shares)

    stake_manager.requestUnstake(registered, bonded // 10, sender=registered)

    assert stake_manager.selfStakeOf(registered) == to_assets(bonded - bonded // 10, model.assets, model.shares)
    # Delegations never count as self-stake.
    assert stake_manager.selfStakeOf(registered) < MIN_SELF_STAKE + 500 * TOKEN


def test_views_conversions_follow_shares_math(stake_manager, registered, delegators, slasher, escrow, restorer):
    model = build_pool(stake_manager, registered, delegators)
    slash_and_settle(stake_manager, registered, 3 * TOKEN + 7, escrow, slasher, restorer)
    model.slash(3 * TOKEN + 7)

    for amount in (0, 1, 999, 10**18, 123_456 * TOKEN + 1):
        assert stake_manager.previewStake(registered, amount) == to_shares(amount, model.assets, model.shares)
        assert stake_manager.convertToAssets(registered, amount) == to_assets(amount, model.assets, model.shares)


def test_views_conversions_of_an_empty_pool(stake_manager, stranger):
    assert stake_manager.getPool(stranger).assets == stake_manager.getPool(stranger).shares == 0
    assert stake_manager.previewStake(stranger, 7) == 7_000
    assert stake_manager.convertToAssets(stranger, 7_999) == 7
    assert stake_manager.selfStakeOf(stranger) == 0


def test_views_positions_and_pools(stake_manager, registered, delegators, stranger):
    model = build_pool(stake_manager, registered, delegators)
    tx = stake_manager.requestUnstake(registered, 5, sender=delegators[2])

    assert position(stake_manager, registered, delegators[2]) == (
        model.bonded[delegators[2].address] - 5,
        5,
        tx.timestamp + UNBONDING,
    )
    assert position(stake_manager, registered, stranger) == (0, 0, 0)
    assert pool(stake_manager, registered) == (model.assets, model.shares)
    assert model.shares == sum(model.bonded.values())


def test_views_total_stake_sums_every_pool(
    stake_manager, token, registered, operator, stranger, delegators, slasher, escrow, restorer
):
    stake_manager.registerProvider(operator, 2_000 * TOKEN, "http://two/health", sender=stranger)
    stake_manager.stake(stranger, 300 * TOKEN, sender=delegators[0])
    stake_manager.stake(registered, 400 * TOKEN, sender=delegators[1])
    slash_and_settle(stake_manager, stranger, 50 * TOKEN, escrow, slasher, restorer)

    total = stake_manager.getPool(registered).assets + stake_manager.getPool(stranger).assets
    assert total == MIN_SELF_STAKE + 400 * TOKEN + 2_250 * TOKEN
    assert stake_manager.totalStake() == total == token.balanceOf(stake_manager)


def test_views_parameters(stake_manager, token):
    assert stake_manager.token() == token.address
    assert stake_manager.unbondingPeriod() == UNBONDING
    assert stake_manager.minSelfStake() == MIN_SELF_STAKE
