"""StakeManager.returnStake: a recovery pulled back into a pool, to every share holder pro rata."""

from fractions import Fraction

import pytest
from conftest import MIN_SELF_STAKE, TOKEN
from helpers import (
    addr,
    build_pool,
    deploy_manager,
    emitted,
    fund,
    penalize,
    pool,
    reverts,
    slash_and_settle,
    to_assets,
    to_shares,
    transfers,
)

pytestmark = pytest.mark.integration


def test_return_stake_pulls_tokens_into_the_pool(stake_manager, token, registered, delegators, restorer):
    model = build_pool(stake_manager, registered, delegators)
    amount = 321 * TOKEN + 9
    restorer_balance = token.balanceOf(restorer)

    tx = stake_manager.returnStake(registered, amount, sender=restorer)

    assert emitted(tx, stake_manager) == [
        (
            "StakeReturned",
            {
                "provider": registered.address,
                "from": restorer.address,
                "amount": amount,
                "poolAssets": model.assets + amount,
            },
        )
    ]
    assert transfers(tx, token) == [(restorer.address, stake_manager.address, amount)]
    assert token.balanceOf(restorer) == restorer_balance - amount
    assert token.balanceOf(stake_manager) == stake_manager.totalStake() == model.assets + amount
    assert pool(stake_manager, registered) == (model.assets + amount, model.shares)


def test_return_stake_raises_every_position_pro_rata(stake_manager, registered, delegators, slasher, restorer, escrow):
    """After a slash, a full return gives back each staker (unbonding ones included) its share."""
    model = build_pool(stake_manager, registered, delegators)
    unbonding = model.bonded[delegators[0].address] // 2
    stake_manager.requestUnstake(registered, unbonding, sender=delegators[0])
    model.request_unstake(delegators[0], unbonding)
    stakers = [registered, *delegators]
    original = {s.address: model.value(s) for s in stakers}
    slash_and_settle(stake_manager, registered, 4_000 * TOKEN, escrow, slasher, restorer)
    model.slash(4_000 * TOKEN)
    slashed = {s.address: model.value(s) for s in stakers}
    assets_slashed = model.assets

    stake_manager.returnStake(registered, 2_500 * TOKEN, sender=restorer)

    model.return_stake(2_500 * TOKEN)
    model.check(stake_manager, registered)
    for staker in stakers:
        p = stake_manager.getPosition(registered, staker)
        value = stake_manager.convertToAssets(registered, p.shares + p.unbondingShares)
        assert value == model.value(staker)
        exact = Fraction(slashed[staker.address] * model.assets, assets_slashed)
        assert abs(value - exact) <= 2
        assert slashed[staker.address] < value < original[staker.address]

    # Returning the rest restores every position to its value before the slash.
    stake_manager.returnStake(registered, 1_500 * TOKEN, sender=restorer)
    model.return_stake(1_500 * TOKEN)
    for staker in stakers:
        p = stake_manager.getPosition(registered, staker)
        assert stake_manager.convertToAssets(registered, p.shares + p.unbondingShares) == original[staker.address]


def test_return_stake_revives_a_depleted_pool(stake_manager, registered, delegators, slasher, restorer, escrow):
    model = build_pool(stake_manager, registered, delegators)
    original = {s.address: model.value(s) for s in [registered, *delegators]}
    slash_and_settle(stake_manager, registered, model.assets, escrow, slasher, restorer)
    with reverts(stake_manager.PoolDepleted, provider=registered):
        stake_manager.stake(registered, TOKEN, sender=registered)

    stake_manager.returnStake(registered, model.assets, sender=restorer)

    assert pool(stake_manager, registered) == (model.assets, model.shares)
    for staker in [registered, *delegators]:
        assert stake_manager.convertToAssets(registered, model.bonded[staker.address]) == original[staker.address]
    stake_manager.stake(registered, TOKEN, sender=delegators[0])
    model.stake(delegators[0], TOKEN)
    model.check(stake_manager, registered)


def test_return_stake_works_while_frozen_and_for_a_tombstoned_provider(
    stake_manager, registered, slasher, appeals, restorer, escrow
):
    penalize(stake_manager, registered, 0, escrow, slasher)
    stake_manager.tombstone(registered, sender=appeals)

    tx = stake_manager.returnStake(registered, TOKEN, sender=restorer)

    assert emitted(tx, stake_manager)[0][1]["poolAssets"] == MIN_SELF_STAKE + TOKEN


def test_return_stake_reverts_zero_amount(stake_manager, registered, restorer):
    with reverts(stake_manager.ZeroAmount):
        stake_manager.returnStake(registered, 0, sender=restorer)


def test_return_stake_reverts_provider_not_registered(stake_manager, stranger, restorer):
    with reverts(stake_manager.ProviderNotRegistered, provider=stranger):
        stake_manager.returnStake(stranger, TOKEN, sender=restorer)


@pytest.mark.parametrize("caller", ["admin", "slasher", "provider", "stranger"])
def test_return_stake_reverts_access_control_unauthorized_account(stake_manager, registered, caller, request):
    account = request.getfixturevalue(caller)

    with reverts(
        stake_manager.AccessControlUnauthorizedAccount,
        account=addr(account),
        neededRole=stake_manager.RETURNER_ROLE(),
    ):
        stake_manager.returnStake(registered, TOKEN, sender=account)


def test_return_stake_reverts_erc20_insufficient_allowance(stake_manager, token, registered, restorer):
    token.approve(stake_manager, 0, sender=restorer)

    with reverts(token.ERC20InsufficientAllowance, spender=stake_manager, allowance=0, needed=TOKEN):
        stake_manager.returnStake(registered, TOKEN, sender=restorer)


def test_return_stake_reverts_erc20_insufficient_balance(stake_manager, token, registered, restorer):
    balance = token.balanceOf(restorer)

    with reverts(token.ERC20InsufficientBalance, sender=restorer, balance=balance, needed=balance + 1):
        stake_manager.returnStake(registered, balance + 1, sender=restorer)


def test_return_stake_reverts_transfer_amount_mismatch_on_fee_token(project, admin, provider, operator, restorer):
    fee_token = project.FeeOnTransferToken.deploy(admin, 10**6 * TOKEN, sender=admin)
    manager = deploy_manager(project, fee_token, admin, min_self_stake=99)
    manager.grantRole(manager.RETURNER_ROLE(), restorer, sender=admin)
    fund(fee_token, admin, manager, [provider, restorer], 10_000 * TOKEN)
    manager.registerProvider(operator, 99, "http://fee/health", sender=provider)

    with reverts(manager.TransferAmountMismatch, expected=500 * TOKEN, received=495 * TOKEN):
        manager.returnStake(provider, 500 * TOKEN, sender=restorer)
    assert manager.getPool(provider).assets == 99


def test_return_stake_into_pool_without_shares_goes_to_the_provider(
    stake_manager, registered, restorer, slasher, escrow, chain
):
    """Everyone left the pool: a return must not wait for the next depositor to collect it."""
    shares = stake_manager.getPosition(registered, registered).shares
    stake_manager.requestUnstake(registered, shares, sender=registered)
    chain.pending_timestamp += stake_manager.unbondingPeriod()
    stake_manager.withdraw(registered, sender=registered)
    dust, no_shares = pool(stake_manager, registered)
    assert no_shares == 0

    stake_manager.returnStake(registered, TOKEN, sender=restorer)

    minted = to_shares(TOKEN, dust, 0)
    assert pool(stake_manager, registered) == (dust + TOKEN, minted)
    assert stake_manager.getPosition(registered, registered).shares == minted
    value = stake_manager.convertToAssets(registered, minted)
    assert value == to_assets(minted, dust + TOKEN, minted)
    assert TOKEN <= value <= dust + TOKEN
