"""StakeManager.take: the slasher takes more of a pool that an open incident keeps frozen (a remainder the
rolling caps cut short, collected later) into an escrow, pro rata for every staker; it neither freezes nor
jails, and it cannot touch a pool without an open incident."""

from fractions import Fraction

import pytest
from conftest import MIN_SELF_STAKE, TOKEN, UNBONDING, ProviderStatus
from helpers import CAPS, ZERO_ADDRESS, addr, build_pool, emitted, penalize, pool, reverts, transfers

#: The incident a take is booked for.
INCIDENT = b"\x11" * 32

pytestmark = pytest.mark.integration


def test_take_moves_exactly_the_amount_to_the_escrow(stake_manager, token, registered, delegators, slasher, escrow):
    """One Slashed event and one transfer of `amount`; pool assets and totalStake fall by `amount`, shares
    stay, and the incident count and jail are left as they were."""
    model = build_pool(stake_manager, registered, delegators)
    penalize(stake_manager, registered, 100 * TOKEN, escrow, slasher)
    model.slash(100 * TOKEN)
    before = stake_manager.getProvider(registered)
    escrow_balance, held, total = token.balanceOf(escrow), token.balanceOf(stake_manager), stake_manager.totalStake()
    amount = 1_234 * TOKEN + 5

    tx = stake_manager.take(registered, amount, escrow, INCIDENT, CAPS, sender=slasher)

    model.slash(amount)
    assert emitted(tx, stake_manager) == [
        (
            "Slashed",
            {"provider": registered.address, "escrow": escrow.address, "amount": amount, "poolAssets": model.assets},
        )
    ]
    assert transfers(tx, token) == [(stake_manager.address, escrow.address, amount)]
    assert token.balanceOf(escrow) == escrow_balance + amount
    assert token.balanceOf(stake_manager) == held - amount
    assert stake_manager.totalStake() == total - amount == token.balanceOf(stake_manager)
    assert pool(stake_manager, registered) == (model.assets, model.shares)
    model.check(stake_manager, registered)
    after = stake_manager.getProvider(registered)
    assert before.openIncidents == 1
    assert (after.openIncidents, after.jailedUntil) == (before.openIncidents, before.jailedUntil)


def test_take_reduces_every_position_by_the_same_fraction(stake_manager, registered, delegators, slasher, escrow):
    """Bonded and unbonding shares alike lose the same fraction of their value."""
    model = build_pool(stake_manager, registered, delegators)
    unbonding = model.bonded[delegators[2].address] // 3
    stake_manager.requestUnstake(registered, unbonding, sender=delegators[2])
    model.request_unstake(delegators[2], unbonding)
    penalize(stake_manager, registered, 0, escrow, slasher)
    stakers = [registered, *delegators]
    before = {s.address: model.value(s) for s in stakers}
    total_before = model.assets
    amount = total_before // 4 + 11  # a quarter, not round

    stake_manager.take(registered, amount, escrow, INCIDENT, CAPS, sender=slasher)

    model.slash(amount)
    model.check(stake_manager, registered)
    for staker in stakers:
        p = stake_manager.getPosition(registered, staker)
        value = stake_manager.convertToAssets(registered, p.shares + p.unbondingShares)
        assert value == model.value(staker)
        exact = Fraction(before[staker.address] * (total_before - amount), total_before)
        assert abs(value - exact) <= 2


def test_take_the_whole_pool(stake_manager, token, registered, delegators, slasher, escrow):
    """The pool's assets are the limit, inclusive: taking all of them leaves shares worth nothing."""
    model = build_pool(stake_manager, registered, delegators)
    penalize(stake_manager, registered, 0, escrow, slasher)

    stake_manager.take(registered, model.assets, escrow, INCIDENT, CAPS, sender=slasher)

    assert pool(stake_manager, registered) == (0, model.shares)
    assert stake_manager.selfStakeOf(registered) == 0
    assert token.balanceOf(stake_manager) == stake_manager.totalStake() == 0


def test_take_works_after_the_jail_and_for_a_tombstoned_provider(
    stake_manager, registered, slasher, appeals, escrow, chain
):
    """Only the open incident matters: a remainder is still collected once the jail is over, and from a
    tombstoned provider whose pool the incident keeps frozen."""
    penalize(stake_manager, registered, 0, escrow, slasher, jail_for=60)
    chain.mine(timestamp=stake_manager.getProvider(registered).jailedUntil)
    assert stake_manager.statusOf(registered) == ProviderStatus.ACTIVE
    stake_manager.take(registered, 10 * TOKEN, escrow, INCIDENT, CAPS, sender=slasher)
    stake_manager.tombstone(registered, sender=appeals)

    tx = stake_manager.take(registered, 20 * TOKEN, escrow, INCIDENT, CAPS, sender=slasher)

    assert [args["poolAssets"] for name, args in emitted(tx, stake_manager) if name == "Slashed"] == [
        MIN_SELF_STAKE - 30 * TOKEN
    ]
    assert stake_manager.totalStake() == MIN_SELF_STAKE - 30 * TOKEN


def test_take_reverts_pool_not_frozen(stake_manager, token, registered, slasher, escrow):
    held = token.balanceOf(stake_manager)

    with reverts(stake_manager.PoolNotFrozen, provider=registered):
        stake_manager.take(registered, TOKEN, escrow, INCIDENT, CAPS, sender=slasher)
    assert pool(stake_manager, registered) == (MIN_SELF_STAKE, MIN_SELF_STAKE * 1_000)
    assert token.balanceOf(stake_manager) == held


def test_take_reverts_pool_not_frozen_once_the_incident_ended(stake_manager, registered, slasher, restorer, escrow):
    penalize(stake_manager, registered, TOKEN, escrow, slasher)
    stake_manager.unfreeze(registered, sender=restorer)

    with reverts(stake_manager.PoolNotFrozen, provider=registered):
        stake_manager.take(registered, TOKEN, escrow, INCIDENT, CAPS, sender=slasher)
    assert stake_manager.getPool(registered).assets == MIN_SELF_STAKE - TOKEN


def test_take_reverts_pool_not_frozen_when_only_another_pool_is(
    stake_manager, registered, operator, stranger, slasher, escrow
):
    """The freeze must be the named pool's own: an open incident of another provider does not open this one."""
    stake_manager.registerProvider(operator, 3_000 * TOKEN, "http://other/health", sender=stranger)
    penalize(stake_manager, registered, 0, escrow, slasher)

    with reverts(stake_manager.PoolNotFrozen, provider=stranger):
        stake_manager.take(stranger, TOKEN, escrow, INCIDENT, CAPS, sender=slasher)
    assert stake_manager.getPool(stranger).assets == 3_000 * TOKEN


def test_take_reverts_slash_exceeds_stake(stake_manager, token, registered, slasher, escrow):
    penalize(stake_manager, registered, 100 * TOKEN, escrow, slasher)
    left = MIN_SELF_STAKE - 100 * TOKEN
    held = token.balanceOf(stake_manager)

    with reverts(stake_manager.SlashExceedsStake, amount=left + 1, poolAssets=left):
        stake_manager.take(registered, left + 1, escrow, INCIDENT, CAPS, sender=slasher)
    assert stake_manager.getPool(registered).assets == left
    assert token.balanceOf(stake_manager) == held == stake_manager.totalStake()


def test_take_reverts_slash_exceeds_stake_of_the_named_pool_only(
    stake_manager, registered, operator, stranger, slasher, escrow
):
    """Other pools' stake is out of reach: the bound is the named pool's assets, not the contract's balance."""
    stake_manager.registerProvider(operator, 3_000 * TOKEN, "http://other/health", sender=stranger)
    penalize(stake_manager, registered, 0, escrow, slasher)

    with reverts(stake_manager.SlashExceedsStake, amount=MIN_SELF_STAKE + 1, poolAssets=MIN_SELF_STAKE):
        stake_manager.take(registered, MIN_SELF_STAKE + 1, escrow, INCIDENT, CAPS, sender=slasher)
    assert stake_manager.totalStake() == MIN_SELF_STAKE + 3_000 * TOKEN


def test_take_reverts_zero_address_escrow(stake_manager, registered, slasher, escrow):
    penalize(stake_manager, registered, 0, escrow, slasher)

    with reverts(stake_manager.ZeroAddress):
        stake_manager.take(registered, TOKEN, ZERO_ADDRESS, INCIDENT, CAPS, sender=slasher)
    assert stake_manager.getPool(registered).assets == MIN_SELF_STAKE


def test_take_reverts_provider_not_registered(stake_manager, stranger, slasher, escrow):
    with reverts(stake_manager.ProviderNotRegistered, provider=stranger):
        stake_manager.take(stranger, TOKEN, escrow, INCIDENT, CAPS, sender=slasher)


# The appeal court (APPEALS_ROLE) tombstones and unjails but cannot move stake.
@pytest.mark.parametrize("caller", ["admin", "appeals", "restorer", "provider", "stranger"])
def test_take_reverts_access_control_unauthorized_account(
    stake_manager, token, registered, slasher, escrow, caller, request
):
    penalize(stake_manager, registered, 0, escrow, slasher)
    account = request.getfixturevalue(caller)
    held = token.balanceOf(stake_manager)

    with reverts(
        stake_manager.AccessControlUnauthorizedAccount, account=addr(account), neededRole=stake_manager.SLASHER_ROLE()
    ):
        stake_manager.take(registered, TOKEN, escrow, INCIDENT, CAPS, sender=account)
    assert stake_manager.getPool(registered).assets == MIN_SELF_STAKE
    assert token.balanceOf(stake_manager) == held


def test_take_leaves_a_pending_exit_slashable_until_withdrawn(
    stake_manager, token, registered, delegators, slasher, restorer, escrow, chain
):
    """Stake that is unbonding when the remainder is taken pays its share: the exit pays out the taken price."""
    model = build_pool(stake_manager, registered, delegators)
    shares = model.bonded[delegators[0].address]
    stake_manager.requestUnstake(registered, shares, sender=delegators[0])
    model.request_unstake(delegators[0], shares)
    penalize(stake_manager, registered, 0, escrow, slasher)
    amount = model.assets // 10
    stake_manager.take(registered, amount, escrow, INCIDENT, CAPS, sender=slasher)
    model.slash(amount)
    stake_manager.unfreeze(registered, sender=restorer)
    chain.pending_timestamp = chain.pending_timestamp + UNBONDING
    balance = token.balanceOf(delegators[0])

    stake_manager.withdraw(registered, sender=delegators[0])

    _, paid = model.withdraw(delegators[0])
    assert token.balanceOf(delegators[0]) == balance + paid
    model.check(stake_manager, registered)
