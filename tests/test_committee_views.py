"""OracleCommittee views on the deployed system."""

import pytest
from eth_utils import keccak
from helpers import ZERO_ADDRESS
from system_checks import BOND_LOCK
from system_fixtures import SYSTEM_MIN_BOND, SYSTEM_WINDOWS
from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

pytestmark = pytest.mark.integration


def test_config_of_the_seated_committee(system):
    committee = system.OracleCommittee
    assert tuple(committee.config()) == (1, 5, 3)
    assert (committee.epoch(), committee.size(), committee.threshold()) == (1, 5, 3)
    assert committee.MAX_MEMBERS() == 256
    assert committee.PENALIZER_ROLE() == keccak(text="PENALIZER_ROLE")


def test_seats_and_members(system):
    committee, o = system.OracleCommittee, system.oracles
    assert [committee.seatOf(1, m) for m in o] == [1, 2, 3, 4, 5]
    assert [committee.memberAt(1, i) for i in range(5)] == [m.address for m in o]
    assert committee.memberAt(1, 5) == ZERO_ADDRESS
    assert committee.seatOf(1, system.outsider) == 0
    assert committee.seatOf(0, o[0]) == 0  # before the first committee
    assert committee.seatOf(2, o[0]) == 0  # an epoch that has not started


def test_bonds_and_minimum(system):
    committee = system.OracleCommittee
    assert [tuple(committee.bondOf(m)) for m in system.oracles] == [(SYSTEM_MIN_BOND, 0, 0)] * 5
    assert tuple(committee.bondOf(system.outsider)) == (0, 0, 0)
    assert committee.minBond() == SYSTEM_MIN_BOND


def test_bond_lock_period_covers_every_window_of_an_overturn(system):
    w = SYSTEM_WINDOWS
    expected = w.max_verdict_age + w.execution_grace + w.max_pause + w.appeal_window + w.appeal_resolution
    assert expected == BOND_LOCK
    assert system.OracleCommittee.bondLockPeriod() == system.VerdictManager.bondLockPeriod() == expected
    assert system.VerdictManager.slashableWindow() == expected - w.appeal_resolution
