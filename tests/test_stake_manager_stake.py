"""StakeManager.stake: self-stake top-ups and delegations, share pricing, refusals, reentrancy."""

import pytest
from conftest import MIN_SELF_STAKE, TOKEN, ProviderStatus
from helpers import (
    jail,
    DELEGATIONS,
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
    to_shares,
    transfers,
)

pytestmark = pytest.mark.integration


def test_stake_delegation_mints_shares_and_pulls_tokens(stake_manager, token, registered, delegators):
    delegator = delegators[0]
    amount = 2_500 * TOKEN + 1
    balance = token.balanceOf(delegator)
    expected = to_shares(amount, MIN_SELF_STAKE, MIN_SELF_STAKE * 1_000)

    tx = stake_manager.stake(registered, amount, sender=delegator)

    assert emitted(tx, stake_manager) == [
        ("Staked", {"provider": registered.address, "staker": delegator.address, "assets": amount, "shares": expected})
    ]
    assert transfers(tx, token) == [(delegator.address, stake_manager.address, amount)]
    assert token.balanceOf(delegator) == balance - amount
    assert token.balanceOf(stake_manager) == stake_manager.totalStake() == MIN_SELF_STAKE + amount
    assert pool(stake_manager, registered) == (MIN_SELF_STAKE + amount, MIN_SELF_STAKE * 1_000 + expected)
    assert position(stake_manager, registered, delegator) == (expected, 0, 0)
    # A delegation is not self-stake.
    assert stake_manager.selfStakeOf(registered) == MIN_SELF_STAKE


def test_stake_top_up_by_provider_raises_self_stake(stake_manager, token, registered):
    amount = 700 * TOKEN
    expected = to_shares(amount, MIN_SELF_STAKE, MIN_SELF_STAKE * 1_000)

    tx = stake_manager.stake(registered, amount, sender=registered)

    assert emitted(tx, stake_manager) == [
        ("Staked", {"provider": registered.address, "staker": registered.address, "assets": amount, "shares": expected})
    ]
    assert position(stake_manager, registered, registered) == (MIN_SELF_STAKE * 1_000 + expected, 0, 0)
    assert stake_manager.selfStakeOf(registered) == MIN_SELF_STAKE + amount
    assert token.balanceOf(stake_manager) == stake_manager.totalStake() == MIN_SELF_STAKE + amount


def test_stake_several_delegators_follow_the_shares_formula(stake_manager, token, registered, delegators):
    model = build_pool(stake_manager, registered, delegators)

    assert stake_manager.totalStake() == token.balanceOf(stake_manager) == model.assets
    for delegator, amount in zip(delegators, DELEGATIONS, strict=True):
        # Rounded down, never above what was paid in.
        assert amount - 1 <= stake_manager.convertToAssets(registered, model.bonded[delegator.address]) <= amount


def test_stake_at_a_price_changed_by_slash_and_return_uses_current_pool(
    stake_manager, registered, delegators, slasher, restorer, escrow
):
    model = build_pool(stake_manager, registered, delegators)
    slash_and_settle(stake_manager, registered, 1_234 * TOKEN + 17, escrow, slasher, restorer)
    model.slash(1_234 * TOKEN + 17)
    stake_manager.returnStake(registered, 200 * TOKEN + 5, sender=restorer)
    model.return_stake(200 * TOKEN + 5)
    amount = 999 * TOKEN + 123_456_789
    preview = stake_manager.previewStake(registered, amount)

    tx = stake_manager.stake(registered, amount, sender=delegators[1])

    minted = model.stake(delegators[1], amount)
    assert preview == minted
    assert emitted(tx, stake_manager)[0][1]["shares"] == minted
    model.check(stake_manager, registered)


@pytest.mark.parametrize("amount", [1, 3, 10**9 + 7, 333 * TOKEN + 1, 50_000 * TOKEN - 1])
def test_stake_rounds_in_the_pools_favour(stake_manager, registered, delegators, slasher, escrow, amount, restorer):
    """Minted shares are never worth more than the deposit, at an awkward (slashed) price."""
    model = build_pool(stake_manager, registered, delegators)
    slash_and_settle(stake_manager, registered, 1_000 * TOKEN + 1, escrow, slasher, restorer)
    model.slash(1_000 * TOKEN + 1)

    stake_manager.stake(registered, amount, sender=delegators[2])

    minted = model.stake(delegators[2], amount)
    model.check(stake_manager, registered)
    assert stake_manager.convertToAssets(registered, minted) <= amount
    assert to_assets(minted, model.assets, model.shares) <= amount


def test_stake_donation_does_not_change_share_price(stake_manager, token, registered, delegators, admin):
    """Pools are asset counters: a plain transfer to the contract moves no price and no totalStake."""
    model = build_pool(stake_manager, registered, delegators)
    preview = stake_manager.previewStake(registered, 1_000 * TOKEN)
    value = stake_manager.convertToAssets(registered, 10**24)

    token.transfer(stake_manager, 5_000 * TOKEN, sender=admin)

    assert stake_manager.previewStake(registered, 1_000 * TOKEN) == preview
    assert stake_manager.convertToAssets(registered, 10**24) == value
    assert stake_manager.totalStake() == model.assets
    assert token.balanceOf(stake_manager) == model.assets + 5_000 * TOKEN
    stake_manager.stake(registered, 1_000 * TOKEN, sender=delegators[0])
    model.stake(delegators[0], 1_000 * TOKEN)
    model.check(stake_manager, registered)


def test_stake_first_depositor_cannot_inflate_the_price_by_donation(
    stake_manager, token, admin, operator, stranger, delegators
):
    """Classic ERC-4626 attack: register with 1 wei, donate a fortune, hope the victim mints 0 shares."""
    attacker, victim = stranger, delegators[0]
    total = stake_manager.totalStake()  # other pools of the session, if any
    stake_manager.setMinSelfStake(1, sender=admin)
    stake_manager.registerProvider(operator, 1, "http://attacker/health", sender=stranger)
    assert pool(stake_manager, attacker) == (1, 1_000)
    token.transfer(stake_manager, 100_000 * TOKEN, sender=attacker)

    stake_manager.stake(attacker, 1_000 * TOKEN, sender=victim)

    victim_shares = stake_manager.getPosition(attacker, victim).shares
    # What it would be without the donation: the price of a 1-wei pool, 1 token unit for 1,000 shares.
    assert victim_shares == to_shares(1_000 * TOKEN, 1, 1_000) == 1_000 * TOKEN * 1_000
    # The victim keeps its deposit in full; the attacker's 1 wei stays 1 wei; the donation is stranded.
    assert stake_manager.convertToAssets(attacker, victim_shares) == 1_000 * TOKEN
    assert stake_manager.selfStakeOf(attacker) == 1
    assert stake_manager.totalStake() == total + 1_000 * TOKEN + 1


def test_stake_provider_may_top_up_while_jailed(stake_manager, registered, slasher, chain, escrow, restorer):
    jail(stake_manager, registered, chain.pending_timestamp + 3_600, escrow, slasher, restorer)

    tx = stake_manager.stake(registered, 10 * TOKEN, sender=registered)

    assert emitted(tx, stake_manager)[0][0] == "Staked"
    assert stake_manager.selfStakeOf(registered) == MIN_SELF_STAKE + 10 * TOKEN
    assert stake_manager.statusOf(registered) == ProviderStatus.JAILED


def test_stake_reverts_provider_not_active_when_jailed(stake_manager, registered, delegators, slasher, chain, escrow, restorer):
    jail(stake_manager, registered, chain.pending_timestamp + 3_600, escrow, slasher, restorer)

    with reverts(stake_manager.ProviderNotActive, provider=registered):
        stake_manager.stake(registered, 10 * TOKEN, sender=delegators[0])


def test_stake_delegation_accepted_once_jail_ends_by_time(
    stake_manager, registered, delegators, slasher, chain, escrow, restorer
):
    until = chain.pending_timestamp + 3_600
    jail(stake_manager, registered, until, escrow, slasher, restorer)
    chain.pending_timestamp = until - 1
    with reverts(stake_manager.ProviderNotActive, provider=registered):
        stake_manager.stake(registered, 10 * TOKEN, sender=delegators[0])

    chain.pending_timestamp = until
    tx = stake_manager.stake(registered, 10 * TOKEN, sender=delegators[0])

    assert tx.timestamp == until
    assert position(stake_manager, registered, delegators[0])[0] == emitted(tx, stake_manager)[0][1]["shares"] > 0


def test_stake_reverts_provider_not_active_below_minimum_until_top_up(
    stake_manager, registered, delegators, slasher, escrow, restorer
):
    slash_and_settle(stake_manager, registered, 1, escrow, slasher, restorer)
    assert stake_manager.statusOf(registered) == ProviderStatus.BELOW_MINIMUM

    with reverts(stake_manager.ProviderNotActive, provider=registered):
        stake_manager.stake(registered, 10 * TOKEN, sender=delegators[0])

    stake_manager.stake(registered, 1, sender=registered)  # the provider itself may top up
    assert stake_manager.statusOf(registered) == ProviderStatus.ACTIVE
    stake_manager.stake(registered, 10 * TOKEN, sender=delegators[0])
    assert stake_manager.getPosition(registered, delegators[0]).shares > 0


def test_stake_reverts_provider_not_active_after_provider_left(stake_manager, registered, delegators):
    stake_manager.stake(registered, 10 * TOKEN, sender=delegators[0])
    own = stake_manager.getPosition(registered, registered).shares
    stake_manager.requestUnstake(registered, own, sender=registered)

    with reverts(stake_manager.ProviderNotActive, provider=registered):
        stake_manager.stake(registered, 10 * TOKEN, sender=delegators[1])


@pytest.mark.parametrize("staker", ["provider", "delegator"])
def test_stake_reverts_provider_tombstoned(stake_manager, registered, delegators, appeals, staker):
    stake_manager.tombstone(registered, sender=appeals)
    sender = registered if staker == "provider" else delegators[0]

    with reverts(stake_manager.ProviderTombstoned, provider=registered):
        stake_manager.stake(registered, 10 * TOKEN, sender=sender)


@pytest.mark.parametrize("staker", ["provider", "delegator"])
def test_stake_reverts_pool_frozen(stake_manager, registered, delegators, slasher, staker, escrow):
    penalize(stake_manager, registered, 0, escrow, slasher)
    penalize(stake_manager, registered, 0, escrow, slasher)
    sender = registered if staker == "provider" else delegators[0]

    with reverts(stake_manager.PoolFrozen, provider=registered, openIncidents=2):
        stake_manager.stake(registered, 10 * TOKEN, sender=sender)


def test_stake_reverts_zero_amount(stake_manager, registered, delegators):
    with reverts(stake_manager.ZeroAmount):
        stake_manager.stake(registered, 0, sender=delegators[0])


def test_stake_reverts_provider_not_registered(stake_manager, stranger, delegators):
    with reverts(stake_manager.ProviderNotRegistered, provider=stranger):
        stake_manager.stake(stranger, 10 * TOKEN, sender=delegators[0])


def test_stake_reverts_zero_shares_when_a_share_costs_more_than_the_deposit(
    stake_manager, admin, operator, stranger, restorer
):
    """A slash only makes shares cheaper; a share outgrows a tiny deposit when a thin pool gains assets
    (here a 1-wei pool that a recovery tops up with one token)."""
    stake_manager.setMinSelfStake(1, sender=admin)
    stake_manager.registerProvider(operator, 1, "http://thin/health", sender=stranger)
    stake_manager.returnStake(stranger, TOKEN, sender=restorer)
    assets, shares = pool(stake_manager, stranger)
    assert (assets, shares) == (TOKEN + 1, 1_000)
    smallest = -(-(assets + 1) // (shares + 1_000))  # ceil: the least deposit that mints one share
    assert to_shares(smallest - 1, assets, shares) == 0 < to_shares(smallest, assets, shares) == 1

    with reverts(stake_manager.ZeroShares):
        stake_manager.stake(stranger, smallest - 1, sender=stranger)
    assert stake_manager.previewStake(stranger, smallest - 1) == 0

    stake_manager.stake(stranger, smallest, sender=stranger)
    assert pool(stake_manager, stranger) == (assets + smallest, shares + 1)


def test_stake_after_heavy_slash_mints_many_cheap_shares_never_zero(stake_manager, registered, slasher, escrow, restorer):
    """The other side of the rounding: after a slash the share price falls (10**12 shares per wei here,
    just above the depletion threshold) and 1 wei still buys shares, worth no more than the wei paid."""
    assets_left = MIN_SELF_STAKE * 1_000 // 10**9  # the threshold is 10**9 shares per wei
    slash_and_settle(stake_manager, registered, MIN_SELF_STAKE - assets_left, escrow, slasher, restorer)
    assert pool(stake_manager, registered) == (assets_left, MIN_SELF_STAKE * 1_000)

    stake_manager.stake(registered, 1, sender=registered)

    minted = to_shares(1, assets_left, MIN_SELF_STAKE * 1_000)
    assert minted > 0
    assert pool(stake_manager, registered) == (assets_left + 1, MIN_SELF_STAKE * 1_000 + minted)
    assert stake_manager.convertToAssets(registered, minted) <= 1


def test_stake_reverts_pool_depleted_when_slashed_to_dust(stake_manager, registered, slasher, escrow, restorer):
    """1 wei left behind 10**24 shares: a deposit would mint a share count that overflows; refused."""
    slash_and_settle(stake_manager, registered, MIN_SELF_STAKE - 1, escrow, slasher, restorer)
    assert pool(stake_manager, registered) == (1, MIN_SELF_STAKE * 1_000)
    with reverts(stake_manager.PoolDepleted, provider=registered):
        stake_manager.stake(registered, 1_000 * TOKEN, sender=registered)
    assert stake_manager.previewStake(registered, 1_000 * TOKEN) == 0


def test_stake_reverts_pool_depleted(stake_manager, registered, delegators, slasher, escrow, restorer):
    model = build_pool(stake_manager, registered, delegators)
    slash_and_settle(stake_manager, registered, model.assets, escrow, slasher, restorer)
    assert pool(stake_manager, registered) == (0, model.shares)

    with reverts(stake_manager.PoolDepleted, provider=registered):
        stake_manager.stake(registered, 1_000 * TOKEN, sender=registered)
    with reverts(stake_manager.PoolDepleted, provider=registered):
        stake_manager.stake(registered, 1, sender=registered)
    assert stake_manager.previewStake(registered, 1) == 0


def test_stake_reverts_erc20_insufficient_allowance(stake_manager, token, registered, delegators):
    token.approve(stake_manager, 5 * TOKEN, sender=delegators[0])

    with reverts(token.ERC20InsufficientAllowance, spender=stake_manager, allowance=5 * TOKEN, needed=5 * TOKEN + 1):
        stake_manager.stake(registered, 5 * TOKEN + 1, sender=delegators[0])


def test_stake_reverts_erc20_insufficient_balance(stake_manager, token, registered, delegators):
    balance = token.balanceOf(delegators[0])

    with reverts(token.ERC20InsufficientBalance, sender=delegators[0], balance=balance, needed=balance + 1):
        stake_manager.stake(registered, balance + 1, sender=delegators[0])


def test_stake_reverts_transfer_amount_mismatch_on_fee_token(project, admin, provider, operator, delegators):
    fee_token = project.FeeOnTransferToken.deploy(admin, 10**6 * TOKEN, sender=admin)
    # A minimum below 100 wei lets the provider in: the 1% fee on 99 wei rounds to zero.
    manager = deploy_manager(project, fee_token, admin, min_self_stake=99)
    fund(fee_token, admin, manager, [provider, delegators[0]], 10_000 * TOKEN)
    manager.registerProvider(operator, 99, "http://fee/health", sender=provider)
    assert manager.statusOf(provider) == ProviderStatus.ACTIVE

    with reverts(manager.TransferAmountMismatch, expected=1_000 * TOKEN, received=990 * TOKEN):
        manager.stake(provider, 1_000 * TOKEN, sender=delegators[0])
    with reverts(manager.TransferAmountMismatch, expected=100, received=99):
        manager.stake(provider, 100, sender=provider)
    assert manager.totalStake() == fee_token.balanceOf(manager) == 99


@pytest.fixture
def reentrant(project, admin, provider, operator, delegators):
    """A StakeManager on ReentrantToken with `provider` registered and delegators[0] delegating."""
    token = project.ReentrantToken.deploy(admin, 10**6 * TOKEN, sender=admin)
    manager = deploy_manager(project, token, admin)
    fund(token, admin, manager, [provider, delegators[0]], 10_000 * TOKEN)
    manager.registerProvider(operator, MIN_SELF_STAKE, "http://reentrant/health", sender=provider)
    manager.stake(provider, 100 * TOKEN, sender=delegators[0])
    return token, manager


def test_stake_reentrant_token_callback_runs_when_harmless(reentrant, provider, delegators):
    token, manager = reentrant
    token.arm(manager, manager.statusOf.encode_input(provider), sender=delegators[0])

    manager.stake(provider, 5 * TOKEN, sender=delegators[0])

    assert token.callbacks() == 1
    assert manager.totalStake() == token.balanceOf(manager) == MIN_SELF_STAKE + 105 * TOKEN


@pytest.mark.parametrize("reenter", ["stake", "withdraw"])
def test_stake_reverts_reentrancy_guard_reentrant_call(reentrant, provider, delegators, reenter):
    token, manager = reentrant
    call = manager.stake.encode_input(provider, 1) if reenter == "stake" else manager.withdraw.encode_input(provider)
    token.arm(manager, call, sender=delegators[0])

    with reverts(manager.ReentrancyGuardReentrantCall):
        manager.stake(provider, 5 * TOKEN, sender=delegators[0])
    assert token.callbacks() == 0
    assert manager.totalStake() == token.balanceOf(manager) == MIN_SELF_STAKE + 100 * TOKEN
