"""OracleCommittee.setMinBond: through the timelock; binds new seats and members' withdrawals."""

import pytest
from helpers import DEFAULT_ADMIN_ROLE, emitted, reverts
from system_checks import governed_revert
from system_fixtures import SYSTEM_MIN_BOND, TOKEN
from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

pytestmark = pytest.mark.integration


def test_the_timelock_sets_the_minimum_bond(system):
    committee = system.OracleCommittee

    tx = system.govern(committee, "setMinBond", 1_200 * TOKEN)

    assert emitted(tx, committee) == [("MinBondSet", {"amount": 1_200 * TOKEN})]
    assert committee.minBond() == 1_200 * TOKEN


def test_a_raised_minimum_keeps_seated_members_but_refuses_them_a_new_seat(system):
    committee, o = system.OracleCommittee, system.oracles
    system.govern(committee, "setMinBond", 1_200 * TOKEN)

    assert tuple(committee.config()) == (1, 5, 3)
    assert committee.seatOf(1, o[0]) == 1
    governed_revert(
        system, committee, "setCommittee", ([m.address for m in o], 3), "BondBelowMinimum",
        member=o[0], bond=SYSTEM_MIN_BOND, minimum=1_200 * TOKEN,
    )


def test_a_member_below_a_raised_minimum_cannot_withdraw_anything(system):
    committee, member = system.OracleCommittee, system.oracles[0]
    system.govern(committee, "setMinBond", 1_200 * TOKEN)
    with reverts(committee.BondBelowMinimum, member=member, bond=SYSTEM_MIN_BOND - 1, minimum=1_200 * TOKEN):
        committee.requestBondWithdrawal(1, sender=member)


def test_a_lowered_minimum_frees_the_rest_of_a_members_bond(system):
    committee, member = system.OracleCommittee, system.oracles[0]
    system.govern(committee, "setMinBond", 400 * TOKEN)

    committee.requestBondWithdrawal(600 * TOKEN, sender=member)

    assert committee.bondOf(member).pending == 600 * TOKEN
    with reverts(committee.BondBelowMinimum, member=member, bond=400 * TOKEN - 1, minimum=400 * TOKEN):
        committee.requestBondWithdrawal(1, sender=member)


def test_only_the_admin_sets_the_minimum_bond(system):
    committee = system.OracleCommittee
    for caller in (system.gov, system.oracles[0]):
        with reverts(committee.AccessControlUnauthorizedAccount, account=caller, neededRole=DEFAULT_ADMIN_ROLE):
            committee.setMinBond(0, sender=caller)
    assert committee.minBond() == SYSTEM_MIN_BOND
