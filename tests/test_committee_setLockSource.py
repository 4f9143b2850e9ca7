"""OracleCommittee.setLockSource: the contract whose bondLockPeriod() locks bond withdrawals."""

import pytest
from helpers import DEFAULT_ADMIN_ROLE, ZERO_ADDRESS, emitted, reverts
from system_checks import BOND_LOCK, governed_revert
from system_fixtures import SYSTEM_WINDOWS, TOKEN
from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

pytestmark = pytest.mark.integration


def test_the_deployment_locks_bonds_for_the_verdict_managers_period(system):
    assert system.OracleCommittee.bondLockPeriod() == system.VerdictManager.bondLockPeriod() == BOND_LOCK


def test_the_timelock_sets_the_lock_source(system):
    committee = system.OracleCommittee

    tx = system.govern(committee, "setLockSource", system.VerdictManager.address)

    assert emitted(tx, committee) == [("LockSourceSet", {"source": system.VerdictManager.address})]


def test_the_lock_follows_the_sources_windows(system, chain):
    windows = SYSTEM_WINDOWS.model_copy(update={"appeal_resolution": 5 * 86400})
    system.govern(system.VerdictManager, "setWindows", windows.as_tuple())
    longer = BOND_LOCK + 3 * 86400
    assert system.OracleCommittee.bondLockPeriod() == system.VerdictManager.bondLockPeriod() == longer

    system.OracleCommittee.postBond(10 * TOKEN, sender=system.outsider)
    now = chain.pending_timestamp
    chain.pending_timestamp = now  # pin the next block to this second
    system.OracleCommittee.requestBondWithdrawal(10 * TOKEN, sender=system.outsider)

    assert system.OracleCommittee.bondOf(system.outsider).withdrawableAt == now + longer


def test_the_lock_source_cannot_be_zero(system):
    governed_revert(system, system.OracleCommittee, "setLockSource", (ZERO_ADDRESS,), "ZeroAddress")


def test_without_a_lock_source_bonds_are_not_locked(system, project, chain):
    # A committee deployed on its own, before the plan's setLockSource step.
    holder = system.outsider
    committee = project.OracleCommittee.deploy(system.SwarmToken, system.StakeManager, holder, TOKEN, sender=holder)
    system.SwarmToken.approve(committee, 10 * TOKEN, sender=holder)
    committee.postBond(10 * TOKEN, sender=holder)
    now = chain.pending_timestamp
    chain.pending_timestamp = now  # pin the next block to this second

    committee.requestBondWithdrawal(10 * TOKEN, sender=holder)

    assert committee.bondLockPeriod() == 0
    assert committee.bondOf(holder).withdrawableAt == now
    committee.withdrawBond(sender=holder)


def test_only_the_admin_sets_the_lock_source(system):
    committee = system.OracleCommittee
    for caller in (system.gov, system.outsider):
        with reverts(committee.AccessControlUnauthorizedAccount, account=caller, neededRole=DEFAULT_ADMIN_ROLE):
            committee.setLockSource(caller, sender=caller)
