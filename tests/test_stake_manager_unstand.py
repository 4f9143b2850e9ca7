"""StakeManager's standing set: penalize adds an incident (offense and jail), unstand takes it out (an overturn,
a close). The provider's jail ends at the latest end among the jails that stand and each class's escalation
record is its latest offense that stands, whatever the order (DESIGN, "Overturns restore exactly")."""

import pytest
from conftest import TOKEN, ProviderStatus
from helpers import CAPS, addr, emitted, reverts, standing

pytestmark = pytest.mark.integration

DAY = 86_400
PP, SB = 0, 1


def standing_of(stake_manager, provider):
    """StakeManager.standingOf as (record: dict by field, entries: tuples by slot)."""
    record, entries = stake_manager.standingOf(provider)
    return dict(zip(("jailFloor", "jailFloorFrom", "slots", "offenses"), record)), [tuple(e) for e in entries]


def stand(stake_manager, provider, escrow, slasher, chain, jail_for, *, level=1, violation_class=PP):
    """Penalizes `provider` for an incident executed now with a jail of `jail_for` seconds (0: a warning);
    returns its entry (tag, at, jailEnd, level, class)."""
    at = chain.pending_timestamp
    entry = standing(at + jail_for if jail_for else 0, at=at, level=level, violation_class=violation_class)
    chain.pending_timestamp = at
    stake_manager.penalize(provider, 0, escrow, entry, CAPS, sender=slasher)
    return entry


def test_overturning_the_longer_jail_leaves_the_jail_that_stands(stake_manager, registered, slasher, escrow, chain):
    short = stand(stake_manager, registered, escrow, slasher, chain, DAY)
    chain.pending_timestamp += 60
    long = stand(stake_manager, registered, escrow, slasher, chain, 30 * DAY, violation_class=SB)
    assert stake_manager.getProvider(registered).jailedUntil == long[2]

    tx = stake_manager.unstand(registered, long[0] + bytes(12), True, False, sender=slasher)

    assert emitted(tx, stake_manager) == [("Jailed", {"provider": registered.address, "until": short[2]})]
    assert stake_manager.getProvider(registered).jailedUntil == short[2]
    assert tuple(stake_manager.lastOffense(registered, SB)) == (0, 0)
    assert tuple(stake_manager.lastOffense(registered, PP)) == (short[1], 1)


def test_overturning_the_only_jail_lifts_it(stake_manager, registered, delegators, slasher, restorer, escrow, chain):
    entry = stand(stake_manager, registered, escrow, slasher, chain, DAY)
    stake_manager.unfreeze(registered, sender=restorer)  # the overturn's refund ends the freeze

    tx = stake_manager.unstand(registered, entry[0] + bytes(12), True, False, sender=slasher)

    assert emitted(tx, stake_manager) == [("Unjailed", {"provider": registered.address})]
    assert stake_manager.getProvider(registered).jailedUntil == 0
    assert stake_manager.statusOf(registered) == ProviderStatus.ACTIVE
    stake_manager.stake(registered, TOKEN, sender=delegators[0])


def test_overturning_a_shorter_jail_changes_no_jail(stake_manager, registered, slasher, escrow, chain):
    long = stand(stake_manager, registered, escrow, slasher, chain, 30 * DAY)
    short = stand(stake_manager, registered, escrow, slasher, chain, DAY, violation_class=SB)

    tx = stake_manager.unstand(registered, short[0] + bytes(12), True, False, sender=slasher)

    assert emitted(tx, stake_manager) == []
    assert stake_manager.getProvider(registered).jailedUntil == long[2]


def test_overturns_of_one_class_in_any_order_leave_no_offense(stake_manager, registered, slasher, escrow, chain):
    first = stand(stake_manager, registered, escrow, slasher, chain, DAY)
    chain.pending_timestamp += 3_600
    second = stand(stake_manager, registered, escrow, slasher, chain, DAY, level=2)

    stake_manager.unstand(registered, first[0] + bytes(12), True, False, sender=slasher)
    assert tuple(stake_manager.lastOffense(registered, PP)) == (second[1], 2)
    stake_manager.unstand(registered, second[0] + bytes(12), True, False, sender=slasher)

    assert tuple(stake_manager.lastOffense(registered, PP)) == (0, 0)
    record, _ = standing_of(stake_manager, registered)
    assert record["slots"] == 0 and record["jailFloor"] == 0


def test_a_completed_recovery_ends_its_jail_and_keeps_its_offense(stake_manager, registered, slasher, escrow, chain):
    entry = stand(stake_manager, registered, escrow, slasher, chain, 14 * DAY, violation_class=SB)

    tx = stake_manager.unstand(registered, entry[0] + bytes(12), False, False, sender=slasher)

    assert emitted(tx, stake_manager) == [("Unjailed", {"provider": registered.address})]
    assert tuple(stake_manager.lastOffense(registered, SB)) == (entry[1], 1)
    # The closed entry keeps its slot (no new slot written), its jail gone, its class marked CLOSED.
    record, entries = standing_of(stake_manager, registered)
    assert (record["slots"], record["jailFloor"]) == (1, 0)
    assert entries[0] == (entry[0], entry[1], 0, 1, SB | stake_manager.CLOSED())


def test_a_close_without_recovery_keeps_the_jail_for_good(stake_manager, registered, slasher, escrow, chain):
    closed = stand(stake_manager, registered, escrow, slasher, chain, 14 * DAY, violation_class=SB)
    other = stand(stake_manager, registered, escrow, slasher, chain, DAY)

    tx = stake_manager.unstand(registered, closed[0] + bytes(12), False, True, sender=slasher)
    assert emitted(tx, stake_manager) == []
    stake_manager.unstand(registered, other[0] + bytes(12), True, False, sender=slasher)

    assert stake_manager.getProvider(registered).jailedUntil == closed[2]
    record, entries = standing_of(stake_manager, registered)
    assert (record["jailFloor"], record["jailFloorFrom"], record["slots"]) == (closed[2], closed[1], 1)
    assert entries[0] == (closed[0], closed[1], 0, 1, SB | stake_manager.CLOSED())
    assert tuple(stake_manager.lastOffense(registered, SB)) == (closed[1], 1)


def test_an_unknown_incident_changes_nothing(stake_manager, registered, slasher, escrow, chain):
    entry = stand(stake_manager, registered, escrow, slasher, chain, DAY)

    tx = stake_manager.unstand(registered, bytes(32), True, False, sender=slasher)

    assert emitted(tx, stake_manager) == []
    record, entries = standing_of(stake_manager, registered)
    assert record["slots"] == 1 and entries[0] == (entry[0], entry[1], entry[2], 1, PP)


def test_a_warning_records_an_offense_and_no_jail_or_freeze(stake_manager, registered, slasher, escrow, chain):
    at = chain.pending_timestamp

    tx = stake_manager.penalize(registered, 0, escrow, standing(0, at=at, level=0, violation_class=SB), CAPS, sender=slasher)

    assert emitted(tx, stake_manager) == []
    assert tuple(stake_manager.lastOffense(registered, SB)) == (at, 0)
    registration = stake_manager.getProvider(registered)
    assert (registration.openIncidents, registration.jailedUntil) == (0, 0)


def test_a_full_standing_set_settles_the_jail_that_ends_first(stake_manager, registered, slasher, escrow, chain):
    """Twelve incidents stand; a thirteenth settles early the one whose jail ends first (its jail then
    stands for good, so overturning it later changes nothing), and takes its slot."""
    slots = stake_manager.STANDING_SLOTS()
    entries = [stand(stake_manager, registered, escrow, slasher, chain, DAY + 60 * (i % 5) + i) for i in range(slots)]
    first_end = min(entries, key=lambda e: e[2])

    newest = stand(stake_manager, registered, escrow, slasher, chain, 2 * DAY)

    record, stored = standing_of(stake_manager, registered)
    assert record["slots"] == 2**slots - 1
    assert (record["jailFloor"], record["jailFloorFrom"]) == (first_end[2], first_end[1])
    assert stored[entries.index(first_end)][:3] == newest[:3]
    tx = stake_manager.unstand(registered, first_end[0] + bytes(12), True, False, sender=slasher)
    assert emitted(tx, stake_manager) == []
    assert standing_of(stake_manager, registered)[0]["slots"] == 2**slots - 1


def test_verdict_context_says_whether_a_standing_jail_ran_at_an_observation(stake_manager, registered, slasher, escrow,
                                                                           chain):  # fmt: skip
    before = chain.pending_timestamp
    entry = stand(stake_manager, registered, escrow, slasher, chain, DAY)

    def jailed(observed_at):
        return stake_manager.verdictContext(registered, PP, observed_at, CAPS)[4]

    assert not jailed(before - 1)  # observed before the jail began
    assert jailed(entry[1]) and jailed(entry[2] - 1)
    assert not jailed(entry[2])
    context = stake_manager.verdictContext(registered, PP, entry[1], CAPS)
    assert tuple(context[3]) == (entry[1], 1) and context[1] == stake_manager.getPool(registered).assets


def test_unstand_does_not_lift_a_tombstone(stake_manager, registered, slasher, appeals, escrow, chain):
    entry = stand(stake_manager, registered, escrow, slasher, chain, DAY)
    stake_manager.tombstone(registered, sender=appeals)

    stake_manager.unstand(registered, entry[0] + bytes(12), True, False, sender=slasher)

    assert stake_manager.statusOf(registered) == ProviderStatus.TOMBSTONED


def test_unstand_reverts_provider_not_registered(stake_manager, stranger, slasher):
    with reverts(stake_manager.ProviderNotRegistered, provider=stranger):
        stake_manager.unstand(stranger, bytes(32), True, False, sender=slasher)


# The appeal court and the escrow reach the standing set only through the verdict contract.
@pytest.mark.parametrize("caller", ["admin", "appeals", "restorer", "provider", "stranger"])
def test_unstand_reverts_access_control_unauthorized_account(
    stake_manager, registered, slasher, chain, caller, request, escrow
):
    entry = stand(stake_manager, registered, escrow, slasher, chain, DAY)
    account = request.getfixturevalue(caller)

    with reverts(
        stake_manager.AccessControlUnauthorizedAccount, account=addr(account), neededRole=stake_manager.SLASHER_ROLE()
    ):
        stake_manager.unstand(registered, entry[0] + bytes(12), True, False, sender=account)
    assert stake_manager.statusOf(registered) == ProviderStatus.JAILED


def test_a_lower_level_in_the_same_second_keeps_the_higher_offense(stake_manager, registered, slasher, escrow, chain):
    """A repeat whose escalated row is switched off falls back below the offense it repeats, in the same
    second: the escalation record keeps the later offense, which at equal times is the higher level."""
    at = chain.pending_timestamp
    stake_manager.penalize(registered, 0, escrow, standing(at + DAY, at=at, level=2), CAPS, sender=slasher)
    stake_manager.penalize(registered, 0, escrow, standing(at + DAY, at=at, level=1), CAPS, sender=slasher)

    assert tuple(stake_manager.lastOffense(registered, PP)) == (at, 2)


def test_a_closed_offense_still_counts_when_a_later_one_of_its_class_is_overturned(stake_manager, registered, slasher,
                                                                                   escrow, chain):  # fmt: skip
    closed = stand(stake_manager, registered, escrow, slasher, chain, DAY, violation_class=SB)
    stake_manager.unstand(registered, closed[0] + bytes(12), False, False, sender=slasher)
    chain.pending_timestamp += 60
    later = stand(stake_manager, registered, escrow, slasher, chain, DAY, level=2, violation_class=SB)

    stake_manager.unstand(registered, later[0] + bytes(12), True, False, sender=slasher)

    assert tuple(stake_manager.lastOffense(registered, SB)) == (closed[1], 1)
    # A closed incident is not found again: a second close changes nothing.
    tx = stake_manager.unstand(registered, closed[0] + bytes(12), False, True, sender=slasher)
    assert emitted(tx, stake_manager) == [] and standing_of(stake_manager, registered)[0]["jailFloor"] == 0


def test_a_full_standing_set_makes_room_with_a_closed_entry_first(stake_manager, registered, slasher, escrow, chain):
    """A closed entry's offense moves to the settled record when its slot is needed; no jail changes."""
    slots = stake_manager.STANDING_SLOTS()
    entries = [stand(stake_manager, registered, escrow, slasher, chain, 2 * DAY + i) for i in range(slots)]
    closed = entries[5]
    stake_manager.unstand(registered, closed[0] + bytes(12), False, False, sender=slasher)
    jailed_until = stake_manager.getProvider(registered).jailedUntil

    newest = stand(stake_manager, registered, escrow, slasher, chain, DAY, violation_class=SB)

    record, stored = standing_of(stake_manager, registered)
    assert stored[5][:3] == newest[:3] and record["jailFloor"] == 0
    assert stake_manager.getProvider(registered).jailedUntil == jailed_until
    # Every other entry of the class overturned: the closed offense still stands, from the settled record.
    for entry in entries:
        if entry is not closed:
            stake_manager.unstand(registered, entry[0] + bytes(12), True, False, sender=slasher)
    assert tuple(stake_manager.lastOffense(registered, PP)) == (closed[1], 1)
