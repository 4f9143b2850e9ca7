"""OracleCommittee.requestBondWithdrawal: locked for the bond lock period; members keep the minimum."""

import pytest
from helpers import emitted, reverts
from system_checks import (
    BOND_LOCK,
    appeal,
    appeal_window_end,
    assert_conserved,
    execute_verdict,
    incident,
    resolve,
)
from system_fixtures import HOUR, SYSTEM_LIMITS, SYSTEM_MIN_BOND, SYSTEM_WINDOWS, TOKEN
from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

pytestmark = pytest.mark.integration


def test_request_locks_the_amount_for_the_bond_lock_period(system, chain):
    committee, outsider = system.OracleCommittee, system.outsider
    committee.postBond(500 * TOKEN, sender=outsider)
    now = chain.pending_timestamp
    chain.pending_timestamp = now  # pin the next block to this second

    tx = committee.requestBondWithdrawal(200 * TOKEN, sender=outsider)

    assert committee.bondLockPeriod() == system.VerdictManager.bondLockPeriod() == BOND_LOCK
    assert emitted(tx, committee) == [
        ("BondWithdrawalRequested", {"member": outsider.address, "pending": 200 * TOKEN, "withdrawableAt": now + BOND_LOCK})
    ]
    assert tuple(committee.bondOf(outsider)) == (500 * TOKEN, 200 * TOKEN, now + BOND_LOCK)
    assert_conserved(system)


def test_a_new_request_restarts_the_lock_for_the_whole_pending_amount(system, chain):
    committee, outsider = system.OracleCommittee, system.outsider
    committee.postBond(500 * TOKEN, sender=outsider)
    committee.requestBondWithdrawal(100 * TOKEN, sender=outsider)
    chain.pending_timestamp += BOND_LOCK - 10
    now = chain.pending_timestamp
    chain.pending_timestamp = now  # pin the next block to this second

    tx = committee.requestBondWithdrawal(50 * TOKEN, sender=outsider)

    assert emitted(tx, committee) == [
        ("BondWithdrawalRequested", {"member": outsider.address, "pending": 150 * TOKEN, "withdrawableAt": now + BOND_LOCK})
    ]
    assert tuple(committee.bondOf(outsider)) == (500 * TOKEN, 150 * TOKEN, now + BOND_LOCK)


def test_a_member_may_request_its_bond_above_the_minimum(system):
    committee, oracle = system.OracleCommittee, system.oracles[0]
    committee.postBond(40 * TOKEN, sender=oracle)

    committee.requestBondWithdrawal(40 * TOKEN, sender=oracle)

    assert committee.bondOf(oracle).pending == 40 * TOKEN


def test_a_member_cannot_drop_below_the_minimum_bond(system):
    committee, oracle = system.OracleCommittee, system.oracles[0]
    with reverts(committee.BondBelowMinimum, member=oracle, bond=SYSTEM_MIN_BOND - 1, minimum=SYSTEM_MIN_BOND):
        committee.requestBondWithdrawal(1, sender=oracle)


def test_a_member_cannot_drop_below_the_minimum_in_two_requests(system):
    committee, oracle = system.OracleCommittee, system.oracles[1]
    committee.postBond(40 * TOKEN, sender=oracle)
    committee.requestBondWithdrawal(30 * TOKEN, sender=oracle)
    with reverts(committee.BondBelowMinimum, member=oracle, bond=SYSTEM_MIN_BOND - 5 * TOKEN, minimum=SYSTEM_MIN_BOND):
        committee.requestBondWithdrawal(15 * TOKEN, sender=oracle)


def test_a_former_member_may_request_its_whole_bond(system, chain):
    committee, leaving = system.OracleCommittee, system.oracles[4]
    system.govern(committee, "setCommittee", [o.address for o in system.oracles[:4]], 3)
    now = chain.pending_timestamp
    chain.pending_timestamp = now  # pin the next block to this second

    tx = committee.requestBondWithdrawal(SYSTEM_MIN_BOND, sender=leaving)

    assert emitted(tx, committee) == [
        ("BondWithdrawalRequested",
         {"member": leaving.address, "pending": SYSTEM_MIN_BOND, "withdrawableAt": now + BOND_LOCK})
    ]


def test_request_more_than_the_bond(system):
    committee, outsider = system.OracleCommittee, system.outsider
    committee.postBond(500 * TOKEN, sender=outsider)
    with reverts(committee.InsufficientBond, requested=500 * TOKEN + 1, available=500 * TOKEN):
        committee.requestBondWithdrawal(500 * TOKEN + 1, sender=outsider)


def test_request_more_than_the_bond_not_yet_pending(system):
    committee, outsider = system.OracleCommittee, system.outsider
    committee.postBond(500 * TOKEN, sender=outsider)
    committee.requestBondWithdrawal(200 * TOKEN, sender=outsider)
    with reverts(committee.InsufficientBond, requested=301 * TOKEN, available=300 * TOKEN):
        committee.requestBondWithdrawal(301 * TOKEN, sender=outsider)


def test_request_without_any_bond(system):
    with reverts(system.OracleCommittee.InsufficientBond, requested=1, available=0):
        system.OracleCommittee.requestBondWithdrawal(1, sender=system.outsider)


def test_request_zero(system):
    with reverts(system.OracleCommittee.ZeroAmount):
        system.OracleCommittee.requestBondWithdrawal(0, sender=system.oracles[0])


def test_shorter_windows_do_not_shorten_a_lock_already_owed(system, chain):
    """Attack (hole: the bond lock shrank): the lock was computed from the windows in force at the request,
    so after governance shortened them a member withdrew before an older incident (which keeps the
    windows it copied) could be overturned, and escaped its penalty. Now a change of windows keeps the
    lock the replaced windows owed."""
    committee, vm, member = system.OracleCommittee, system.VerdictManager, system.oracles[0]
    committee.postBond(500 * TOKEN, sender=member)
    verdict, _ = execute_verdict(system)  # signed by the first three oracles, member included
    copied = incident(system, verdict)
    change = system.govern(vm, "setWindows", SYSTEM_WINDOWS.model_copy(update={"appeal_window": HOUR}).as_tuple())
    owed = change.timestamp + BOND_LOCK  # what the replaced windows owed a verdict signed before the change
    assert owed >= copied.executedAt + copied.appealWindow + copied.appealResolution

    chain.pending_timestamp += 2 * HOUR  # past the new, shorter window; the incident keeps its own
    tx = committee.requestBondWithdrawal(500 * TOKEN, sender=member)
    assert committee.bondOf(member).withdrawableAt == owed
    assert committee.bondLockPeriod() == owed - tx.timestamp > BOND_LOCK - 3 * HOUR

    appeal(system, verdict)
    chain.pending_timestamp = appeal_window_end(system, verdict) + HOUR
    with reverts(committee.BondLocked, withdrawableAt=owed, nowTime=chain.pending_timestamp):
        committee.withdrawBond(sender=member)
    resolve(system, verdict, True)  # overturned: the member pays its penalty from the bond it tried to take
    assert committee.bondOf(member).amount == SYSTEM_MIN_BOND + 500 * TOKEN - SYSTEM_LIMITS.oracle_penalty
