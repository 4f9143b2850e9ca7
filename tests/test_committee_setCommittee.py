"""OracleCommittee.setCommittee: a new epoch for every change, through the timelock only."""

import pytest
from eth_utils import to_checksum_address
from helpers import DEFAULT_ADMIN_ROLE, ZERO_ADDRESS, emitted, reverts
from system_checks import assert_conserved, governed_revert
from system_fixtures import SYSTEM_MIN_BOND, TOKEN
from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

pytestmark = pytest.mark.integration


def members(accounts) -> list[str]:
    return [a.address for a in accounts]


def fake_members(count: int) -> list[str]:
    return [to_checksum_address(f"0x{index + 1:040x}") for index in range(count)]


def test_set_committee_starts_the_next_epoch_with_its_seats(system):
    committee = system.OracleCommittee
    new = members(system.oracles[1:5])

    tx = system.govern(committee, "setCommittee", new, 2)

    assert emitted(tx, committee) == [("CommitteeChanged", {"epoch": 2, "members": new, "threshold": 2})]
    assert tuple(committee.config()) == (2, 4, 2)
    assert (committee.epoch(), committee.size(), committee.threshold()) == (2, 4, 2)
    assert [committee.seatOf(2, m) for m in new] == [1, 2, 3, 4]
    assert [committee.memberAt(2, i) for i in range(4)] == new
    assert committee.seatOf(2, system.oracles[0]) == 0
    # The seats of the old epoch stay readable (overturns penalize the signers of their epoch).
    assert committee.seatOf(1, system.oracles[0]) == 1
    assert committee.memberAt(1, 4) == system.oracles[4].address
    assert_conserved(system)


def test_every_change_increments_the_epoch_even_an_unchanged_committee(system):
    committee = system.OracleCommittee
    same = members(system.oracles)

    system.govern(committee, "setCommittee", same, 4)  # threshold only
    assert tuple(committee.config()) == (2, 5, 4)
    tx = system.govern(committee, "setCommittee", same, 4)  # nothing changed at all
    assert emitted(tx, committee) == [("CommitteeChanged", {"epoch": 3, "members": same, "threshold": 4})]
    assert tuple(committee.config()) == (3, 5, 4)
    system.govern(committee, "setCommittee", same[:1], 1)
    assert tuple(committee.config()) == (4, 1, 1)


def test_a_verdict_of_the_old_epoch_is_stale_after_a_change(system):
    verdict = system.verdict()
    system.govern(system.OracleCommittee, "setCommittee", members(system.oracles), 3)

    with reverts(system.VerdictManager.StaleCommitteeEpoch, verdictEpoch=1, currentEpoch=2):
        system.submit(verdict)


def test_empty_committee_is_out_of_range(system):
    governed_revert(system, system.OracleCommittee, "setCommittee", ([], 1), "CommitteeSizeOutOfRange", size=0)


def test_257_members_are_out_of_range(system):
    governed_revert(
        system, system.OracleCommittee, "setCommittee", (fake_members(257), 1), "CommitteeSizeOutOfRange", size=257,
    )


def test_256_members_pass_the_size_check(system):
    # The size check passes at the bound; the first (unbonded) member then fails the bond check.
    candidates = fake_members(256)
    governed_revert(
        system, system.OracleCommittee, "setCommittee", (candidates, 1), "BondBelowMinimum",
        member=candidates[0], bond=0, minimum=SYSTEM_MIN_BOND,
    )


def test_zero_threshold_is_out_of_range(system):
    governed_revert(
        system, system.OracleCommittee, "setCommittee", (members(system.oracles), 0), "ThresholdOutOfRange",
        threshold=0, size=5,
    )


def test_threshold_above_size_is_out_of_range(system):
    governed_revert(
        system, system.OracleCommittee, "setCommittee", (members(system.oracles), 6), "ThresholdOutOfRange",
        threshold=6, size=5,
    )


def test_duplicate_member(system):
    o = system.oracles
    governed_revert(
        system, system.OracleCommittee, "setCommittee", (members([o[0], o[1], o[2], o[1]]), 2), "DuplicateMember",
        member=o[1],
    )


def test_zero_address_member(system):
    governed_revert(
        system, system.OracleCommittee, "setCommittee", (members(system.oracles[:2]) + [ZERO_ADDRESS], 2), "ZeroAddress",
    )


def test_member_without_bond(system):
    candidates = members(system.oracles[:3]) + [system.outsider.address]
    governed_revert(
        system, system.OracleCommittee, "setCommittee", (candidates, 2), "BondBelowMinimum",
        member=system.outsider, bond=0, minimum=SYSTEM_MIN_BOND,
    )


def test_member_one_token_unit_short_of_the_minimum_bond(system):
    system.OracleCommittee.postBond(SYSTEM_MIN_BOND - 1, sender=system.outsider)
    candidates = members(system.oracles[:3]) + [system.outsider.address]
    governed_revert(
        system, system.OracleCommittee, "setCommittee", (candidates, 2), "BondBelowMinimum",
        member=system.outsider, bond=SYSTEM_MIN_BOND - 1, minimum=SYSTEM_MIN_BOND,
    )

    system.OracleCommittee.postBond(1, sender=system.outsider)
    system.govern(system.OracleCommittee, "setCommittee", candidates, 2)
    assert system.OracleCommittee.seatOf(2, system.outsider) == 4


def test_bond_on_its_way_out_does_not_count_for_a_seat(system):
    # A candidate whose whole bond is pending withdrawal would be seated and then withdraw it while
    # a member, leaving a zero bond behind its signatures.
    committee, outsider = system.OracleCommittee, system.outsider
    committee.postBond(SYSTEM_MIN_BOND + 10 * TOKEN, sender=outsider)
    committee.requestBondWithdrawal(20 * TOKEN, sender=outsider)
    candidates = members(system.oracles[:3]) + [outsider.address]

    governed_revert(
        system, committee, "setCommittee", (candidates, 2), "BondBelowMinimum",
        member=outsider, bond=SYSTEM_MIN_BOND - 10 * TOKEN, minimum=SYSTEM_MIN_BOND,
    )


def test_only_the_admin_sets_the_committee(system):
    for caller in (system.gov, system.oracles[0], system.arbiter):
        with reverts(system.OracleCommittee.AccessControlUnauthorizedAccount, account=caller,
                     neededRole=DEFAULT_ADMIN_ROLE):
            system.OracleCommittee.setCommittee(members(system.oracles), 3, sender=caller)
