"""StakeManager.penalize: freeze, jail and slash in one call (an executed verdict)."""

import pytest
from conftest import MIN_SELF_STAKE, TOKEN, ProviderStatus
from helpers import CAPS, ZERO_ADDRESS, addr, build_pool, emitted, pool, reverts, transfers, standing

pytestmark = pytest.mark.integration


def test_penalize_freezes_jails_and_slashes(stake_manager, token, registered, delegators, slasher, escrow, chain):
    model = build_pool(stake_manager, registered, delegators)
    until = chain.pending_timestamp + 86_400
    amount = 2_000 * TOKEN + 1
    escrow_balance = token.balanceOf(escrow)

    tx = stake_manager.penalize(registered, amount, escrow, standing(until), CAPS, sender=slasher)

    model.slash(amount)
    assert emitted(tx, stake_manager) == [
        ("PoolFreezeChanged", {"provider": registered.address, "openIncidents": 1}),
        ("Jailed", {"provider": registered.address, "until": until}),
        (
            "Slashed",
            {"provider": registered.address, "escrow": escrow.address, "amount": amount, "poolAssets": model.assets},
        ),
    ]
    assert transfers(tx, token) == [(stake_manager.address, escrow.address, amount)]
    assert token.balanceOf(escrow) == escrow_balance + amount
    assert token.balanceOf(stake_manager) == stake_manager.totalStake() == model.assets
    registration = stake_manager.getProvider(registered)
    assert (registration.openIncidents, registration.jailedUntil) == (1, until)
    assert stake_manager.statusOf(registered) == ProviderStatus.JAILED
    model.check(stake_manager, registered)
    with reverts(stake_manager.PoolFrozen, provider=registered, openIncidents=1):
        stake_manager.stake(registered, TOKEN, sender=registered)


def test_penalize_with_zero_amount_slashes_nothing(stake_manager, token, registered, slasher, escrow, chain):
    until = chain.pending_timestamp + 600

    tx = stake_manager.penalize(registered, 0, escrow, standing(until), CAPS, sender=slasher)

    assert [name for name, _ in emitted(tx, stake_manager)] == ["PoolFreezeChanged", "Jailed"]
    assert transfers(tx, token) == []
    assert pool(stake_manager, registered) == (MIN_SELF_STAKE, MIN_SELF_STAKE * 1_000)


def test_penalize_counts_incidents_and_keeps_the_later_jail(stake_manager, registered, slasher, escrow, chain):
    later = chain.pending_timestamp + 86_400
    stake_manager.penalize(registered, 0, escrow, standing(later), CAPS, sender=slasher)

    tx = stake_manager.penalize(registered, TOKEN, escrow, standing(later - 3_600), CAPS, sender=slasher)

    assert emitted(tx, stake_manager)[:2] == [
        ("PoolFreezeChanged", {"provider": registered.address, "openIncidents": 2}),
        ("Jailed", {"provider": registered.address, "until": later}),
    ]
    assert stake_manager.getProvider(registered).jailedUntil == later


def test_penalize_reverts_slash_exceeds_stake_and_changes_nothing(stake_manager, registered, slasher, escrow, chain):
    with reverts(stake_manager.SlashExceedsStake, amount=MIN_SELF_STAKE + 1, poolAssets=MIN_SELF_STAKE):
        stake_manager.penalize(registered, MIN_SELF_STAKE + 1, escrow, standing(chain.pending_timestamp + 600), CAPS, sender=slasher)
    registration = stake_manager.getProvider(registered)
    assert (registration.openIncidents, registration.jailedUntil) == (0, 0)


def test_penalize_reverts_jail_not_in_future(stake_manager, registered, slasher, escrow, chain):
    now = chain.pending_timestamp + 10
    chain.pending_timestamp = now

    with reverts(stake_manager.JailNotInFuture, until=now):
        stake_manager.penalize(registered, TOKEN, escrow, standing(now), CAPS, sender=slasher)


def test_penalize_reverts_zero_address_escrow(stake_manager, registered, slasher, chain):
    with reverts(stake_manager.ZeroAddress):
        stake_manager.penalize(registered, TOKEN, ZERO_ADDRESS, standing(chain.pending_timestamp + 600), CAPS, sender=slasher)


def test_penalize_reverts_provider_not_registered(stake_manager, stranger, slasher, escrow, chain):
    with reverts(stake_manager.ProviderNotRegistered, provider=stranger):
        stake_manager.penalize(stranger, 0, escrow, standing(chain.pending_timestamp + 600), CAPS, sender=slasher)


@pytest.mark.parametrize("caller", ["admin", "restorer", "stranger"])
def test_penalize_reverts_access_control_unauthorized_account(
    stake_manager, registered, escrow, chain, caller, request
):
    account = request.getfixturevalue(caller)

    with reverts(
        stake_manager.AccessControlUnauthorizedAccount, account=addr(account), neededRole=stake_manager.SLASHER_ROLE()
    ):
        stake_manager.penalize(registered, TOKEN, escrow, standing(chain.pending_timestamp + 600), CAPS, sender=account)


def test_penalize_blocks_stake_and_withdraw_not_unstake_requests(stake_manager, registered, delegators, slasher, escrow,
                                                                chain):  # fmt: skip
    stake_manager.stake(registered, 10 * TOKEN, sender=delegators[0])
    request = stake_manager.requestUnstake(registered, 1_000, sender=delegators[0])
    end = request.timestamp + stake_manager.unbondingPeriod()

    stake_manager.penalize(registered, 0, escrow, standing(chain.pending_timestamp + 60), CAPS, sender=slasher)

    chain.pending_timestamp = end
    with reverts(stake_manager.PoolFrozen, provider=registered, openIncidents=1):
        stake_manager.withdraw(registered, sender=delegators[0])
    with reverts(stake_manager.PoolFrozen, provider=registered, openIncidents=1):
        stake_manager.stake(registered, TOKEN, sender=delegators[1])
    stake_manager.requestUnstake(registered, 1_000, sender=delegators[0])
    assert stake_manager.getPosition(registered, delegators[0]).unbondingShares == 2_000


def test_a_penalty_jail_ends_by_time(stake_manager, registered, slasher, escrow, chain):
    until = chain.pending_timestamp + 3_600
    stake_manager.penalize(registered, 0, escrow, standing(until), CAPS, sender=slasher)

    chain.mine(timestamp=until - 1)
    assert stake_manager.statusOf(registered) == ProviderStatus.JAILED
    chain.mine(timestamp=until)
    assert stake_manager.statusOf(registered) == ProviderStatus.ACTIVE
    # The record stays; only the time has passed.
    assert stake_manager.getProvider(registered).jailedUntil == until


def test_no_hook_bypasses_penalize(stake_manager):
    """The slasher has no slash, jail or freeze apart from penalize (a verdict's response is one call) and
    take, which moves more only out of a pool already frozen (a remainder owed to an open incident): no
    role holder can slash an unfrozen pool without freezing and jailing it, nor freeze a pool on its own."""
    names = {abi.name for abi in stake_manager.contract_type.abi if abi.type == "function"}
    assert {"penalize", "take", "unstand", "tombstone", "unfreeze", "returnStake"} <= names
    assert not names & {"slash", "jail", "freeze", "unjail", "setJail"}
