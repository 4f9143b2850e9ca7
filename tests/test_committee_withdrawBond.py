"""OracleCommittee.withdrawBond: pays the pending withdrawal once the lock has passed, not a second earlier."""

import pytest
from helpers import emitted, reverts, transfers
from system_checks import BOND_LOCK, assert_conserved
from system_fixtures import TOKEN
from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

pytestmark = pytest.mark.integration


@pytest.fixture
def requested(system, chain):
    """The outsider bonded 500 tokens and asked for 200 back; returns when they unlock."""
    committee = system.OracleCommittee
    committee.postBond(500 * TOKEN, sender=system.outsider)
    committee.requestBondWithdrawal(200 * TOKEN, sender=system.outsider)
    unlock = committee.bondOf(system.outsider).withdrawableAt
    assert unlock == chain.blocks.head.timestamp + BOND_LOCK
    return unlock


def test_withdraw_one_second_early_is_locked(system, chain, requested):
    chain.pending_timestamp = requested - 1
    with reverts(system.OracleCommittee.BondLocked, withdrawableAt=requested, nowTime=requested - 1):
        system.OracleCommittee.withdrawBond(sender=system.outsider)


def test_withdraw_exactly_at_unlock(system, chain, requested):
    committee, token, outsider = system.OracleCommittee, system.SwarmToken, system.outsider
    balance = token.balanceOf(outsider)
    chain.pending_timestamp = requested

    tx = committee.withdrawBond(sender=outsider)

    assert emitted(tx, committee) == [("BondWithdrawn", {"member": outsider.address, "amount": 200 * TOKEN})]
    assert transfers(tx, token) == [(committee.address, outsider.address, 200 * TOKEN)]
    assert token.balanceOf(outsider) == balance + 200 * TOKEN
    assert tuple(committee.bondOf(outsider)) == (300 * TOKEN, 0, 0)
    assert_conserved(system)


def test_withdraw_twice(system, chain, requested):
    chain.pending_timestamp = requested + 1000
    system.OracleCommittee.withdrawBond(sender=system.outsider)
    with reverts(system.OracleCommittee.NothingToWithdraw):
        system.OracleCommittee.withdrawBond(sender=system.outsider)


def test_withdraw_without_a_request(system):
    with reverts(system.OracleCommittee.NothingToWithdraw):
        system.OracleCommittee.withdrawBond(sender=system.oracles[0])


def test_a_former_member_withdraws_its_whole_bond(system, chain):
    committee, token, leaving = system.OracleCommittee, system.SwarmToken, system.oracles[4]
    bond = committee.bondOf(leaving).amount
    system.govern(committee, "setCommittee", [o.address for o in system.oracles[:4]], 3)
    committee.requestBondWithdrawal(bond, sender=leaving)
    chain.pending_timestamp = committee.bondOf(leaving).withdrawableAt
    balance = token.balanceOf(leaving)

    committee.withdrawBond(sender=leaving)

    assert tuple(committee.bondOf(leaving)) == (0, 0, 0)
    assert token.balanceOf(leaving) == balance + bond
    assert_conserved(system)
