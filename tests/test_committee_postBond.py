"""OracleCommittee.postBond: operator bonds are real tokens held by the committee."""

import pytest
from helpers import emitted, reverts, transfers
from system_checks import assert_conserved
from system_fixtures import SYSTEM_MIN_BOND, TOKEN
from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

pytestmark = pytest.mark.integration


def test_post_bond_pulls_the_tokens_and_adds_to_the_bond(system):
    committee, token, outsider = system.OracleCommittee, system.SwarmToken, system.outsider
    balance = token.balanceOf(outsider)
    held = token.balanceOf(committee)

    tx = committee.postBond(300 * TOKEN + 7, sender=outsider)

    assert emitted(tx, committee) == [
        ("BondPosted", {"member": outsider.address, "amount": 300 * TOKEN + 7, "total": 300 * TOKEN + 7})
    ]
    assert transfers(tx, token) == [(outsider.address, committee.address, 300 * TOKEN + 7)]
    assert token.balanceOf(outsider) == balance - 300 * TOKEN - 7
    assert token.balanceOf(committee) == held + 300 * TOKEN + 7
    assert tuple(committee.bondOf(outsider)) == (300 * TOKEN + 7, 0, 0)
    assert_conserved(system)


def test_a_member_tops_up_its_bond(system):
    committee, oracle = system.OracleCommittee, system.oracles[2]

    tx = committee.postBond(5 * TOKEN, sender=oracle)

    assert emitted(tx, committee) == [
        ("BondPosted", {"member": oracle.address, "amount": 5 * TOKEN, "total": SYSTEM_MIN_BOND + 5 * TOKEN})
    ]
    assert committee.bondOf(oracle).amount == SYSTEM_MIN_BOND + 5 * TOKEN
    assert_conserved(system)


def test_post_zero_bond(system):
    with reverts(system.OracleCommittee.ZeroAmount):
        system.OracleCommittee.postBond(0, sender=system.outsider)


def test_post_bond_without_allowance(system):
    system.SwarmToken.approve(system.OracleCommittee, TOKEN - 1, sender=system.outsider)
    with reverts(system.SwarmToken.ERC20InsufficientAllowance, spender=system.OracleCommittee, allowance=TOKEN - 1,
                 needed=TOKEN):
        system.OracleCommittee.postBond(TOKEN, sender=system.outsider)
    assert system.OracleCommittee.bondOf(system.outsider).amount == 0


def test_post_bond_of_a_fee_on_transfer_token(system, project):
    holder = system.outsider
    fee_token = project.FeeOnTransferToken.deploy(holder, 1_000 * TOKEN, sender=holder)
    committee = project.OracleCommittee.deploy(fee_token, system.StakeManager, holder, TOKEN, sender=holder)
    fee_token.approve(committee, 2**256 - 1, sender=holder)

    with reverts(committee.TransferAmountMismatch, expected=100 * TOKEN, received=99 * TOKEN):
        committee.postBond(100 * TOKEN, sender=holder)
