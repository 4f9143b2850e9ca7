"""RecoveryEscrow.add and acceptsMore: a remainder collected after the verdict (what the rolling caps cut
short) is recorded by the verdict contract alone (VERDICT_ROLE): into the incident's escrow while it is
open, into the insurance pool once a tombstone forfeited it, never for an escrow that was refunded or
released, nor for an incident without one. acceptsMore says whether the incident can still take one:
while its escrow is open, and for a forfeited escrow until its maximum lifetime on the pause-free clock."""

import pytest
from helpers import CAPS, emitted, reverts
from recovery_support import MAX_LIFETIME, Status, file_claim, recover, reject
from system_checks import (
    appeal,
    appeal_window_end,
    assert_conserved,
    execute_verdict,
    iid,
    impersonate,
    resolve,
    set_limits,
    severe_breach,
)
from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)
from system_fixtures import SYSTEM_LIMITS, SYSTEM_WINDOWS, TOKEN

from swarm_stake.models import Level

pytestmark = pytest.mark.integration

UNKNOWN = bytes(31) + b"\x07"


def collect_by_hand(system, verdict, amount):
    """The VerdictManager's part of a collect, made by hand: RecoveryEscrow.add records `amount` and
    StakeManager.take moves that much of the (frozen) pool to the escrow. Returns the add transaction."""
    vm = impersonate(system, system.VerdictManager)
    tx = system.RecoveryEscrow.add(verdict.incident_id, verdict.provider, amount, sender=vm)
    system.StakeManager.take(verdict.provider, amount, system.RecoveryEscrow, verdict.incident_id, CAPS, sender=vm)
    return tx


def tombstone_owing(system, chain):
    """A severe security breach of provider B (30% of its 5,000-token pool) under a 10% provider cap:
    500 tokens are escrowed, 1,000 owed; the tombstone forfeits the escrow and keeps the pool frozen."""
    set_limits(system, provider_cap_bps=1_000)
    verdict, _ = severe_breach(system)
    assert system.VerdictManager.remainderOf(verdict.incident_id) == 1_000 * TOKEN
    chain.pending_timestamp = appeal_window_end(system, verdict) + 1
    system.AppealCourt.finalizeTombstone(verdict.as_tuple(), sender=system.outsider)
    escrow = system.RecoveryEscrow.escrowOf(verdict.incident_id)
    assert (escrow.status, escrow.amount) == (Status.FORFEITED, 500 * TOKEN)
    assert system.StakeManager.getProvider(system.provider_b).openIncidents == 1
    return verdict


# add: an open escrow grows


def test_add_grows_an_open_escrow(system):
    verdict, _ = execute_verdict(system)
    escrow = system.RecoveryEscrow
    opened = escrow.escrowOf(verdict.incident_id)
    assert opened.amount == 160 * TOKEN  # 1% of provider A's 16,000-token pool
    escrowed, insurance = escrow.totalEscrowed(), escrow.insuranceBalance()
    amount = 40 * TOKEN + 7

    tx = collect_by_hand(system, verdict, amount)

    assert emitted(tx, escrow) == [
        ("EscrowAdded", {"incidentId": iid(verdict), "provider": system.provider_a.address, "amount": amount,
                         "total": 160 * TOKEN + amount})
    ]  # fmt: skip
    record = escrow.escrowOf(verdict.incident_id)
    assert record.amount == 160 * TOKEN + amount
    # Only the amount changed: the escrow keeps its terms, its state and its clock.
    assert (record.recoverableBps, record.recoveryPath, record.status, record.openedAt, record.openedClock) == (
        opened.recoverableBps, opened.recoveryPath, Status.ESCROWED, opened.openedAt, opened.openedClock
    )  # fmt: skip
    assert (escrow.totalEscrowed(), escrow.insuranceBalance()) == (escrowed + amount, insurance)
    assert_conserved(system)


def test_add_twice_accumulates(system):
    verdict, _ = execute_verdict(system)
    escrow = system.RecoveryEscrow

    collect_by_hand(system, verdict, 30 * TOKEN)
    tx = collect_by_hand(system, verdict, 5 * TOKEN + 1)

    assert emitted(tx, escrow)[0][1]["total"] == 195 * TOKEN + 1
    assert escrow.escrowOf(verdict.incident_id).amount == escrow.totalEscrowed() == 195 * TOKEN + 1


@pytest.mark.parametrize("state", ["claimed", "rejected"])
def test_add_grows_an_escrow_under_a_claim(system, state):
    """A claim filed (observing) or rejected leaves the escrow open: a remainder still joins it."""
    verdict, _ = execute_verdict(system)
    escrow = system.RecoveryEscrow
    file_claim(system, verdict)
    if state == "rejected":
        reject(system, verdict)
    status = Status.CLAIMED if state == "claimed" else Status.REJECTED
    assert escrow.escrowOf(verdict.incident_id).status == status

    tx = collect_by_hand(system, verdict, 12 * TOKEN)

    assert emitted(tx, escrow) == [
        ("EscrowAdded", {"incidentId": iid(verdict), "provider": system.provider_a.address, "amount": 12 * TOKEN,
                         "total": 172 * TOKEN})
    ]  # fmt: skip
    assert escrow.escrowOf(verdict.incident_id).status == status
    assert escrow.totalEscrowed() == 172 * TOKEN


def test_a_collect_adds_the_remainder_to_the_open_escrow(system, chain):
    """Through its real caller: a penalty over a 0.5% provider cap escrows 80 tokens and owes 80; two cap
    windows later (the slash no longer counted) collect takes 0.5% of the 15,920 tokens left, and the
    escrow grows by it."""
    set_limits(system, provider_cap_bps=50)
    verdict, tx = execute_verdict(system)
    escrow = system.RecoveryEscrow
    assert escrow.escrowOf(verdict.incident_id).amount == 80 * TOKEN
    chain.pending_timestamp = chain.blocks[tx.block_number].timestamp + 2 * SYSTEM_LIMITS.cap_window
    collected = 15_920 * TOKEN * 50 // 10_000

    tx = system.VerdictManager.collect(verdict.as_tuple(), sender=system.outsider)

    assert emitted(tx, escrow) == [
        ("EscrowAdded", {"incidentId": iid(verdict), "provider": system.provider_a.address, "amount": collected,
                         "total": 80 * TOKEN + collected})
    ]  # fmt: skip
    assert escrow.escrowOf(verdict.incident_id).amount == escrow.totalEscrowed() == 80 * TOKEN + collected
    assert system.SwarmToken.balanceOf(escrow) == 80 * TOKEN + collected
    assert_conserved(system)


# add: a forfeited escrow sends it to insurance


def test_add_to_a_forfeited_escrow_goes_to_insurance(system, chain):
    verdict = tombstone_owing(system, chain)
    escrow = system.RecoveryEscrow
    assert (escrow.totalEscrowed(), escrow.insuranceBalance()) == (0, 500 * TOKEN)

    tx = collect_by_hand(system, verdict, 100 * TOKEN + 3)

    assert emitted(tx, escrow) == [
        ("EscrowForfeited", {"incidentId": iid(verdict), "provider": system.provider_b.address,
                             "amount": 100 * TOKEN + 3})
    ]  # fmt: skip
    assert (escrow.totalEscrowed(), escrow.insuranceBalance()) == (0, 600 * TOKEN + 3)
    # The forfeited escrow itself is closed: its record does not change.
    record = escrow.escrowOf(verdict.incident_id)
    assert (record.status, record.amount) == (Status.FORFEITED, 500 * TOKEN)
    assert_conserved(system)


def test_a_collect_after_the_tombstone_goes_to_insurance(system, chain):
    """Through its real caller: two cap windows after execution the slash no longer counts and collect
    takes 10% of the 4,500 tokens left in provider B's pool, which the forfeited escrow passes to the
    insurance pool."""
    verdict = tombstone_owing(system, chain)
    escrow = system.RecoveryEscrow
    executed_at = system.VerdictManager.getIncident(verdict.incident_id)[0][1]  # executedAt
    chain.pending_timestamp = executed_at + 2 * SYSTEM_LIMITS.cap_window
    collected = 450 * TOKEN

    tx = system.VerdictManager.collect(verdict.as_tuple(), sender=system.outsider)

    assert emitted(tx, escrow) == [
        ("EscrowForfeited", {"incidentId": iid(verdict), "provider": system.provider_b.address, "amount": collected})
    ]
    assert (escrow.totalEscrowed(), escrow.insuranceBalance()) == (0, 500 * TOKEN + collected)
    assert escrow.escrowOf(verdict.incident_id).amount == 500 * TOKEN
    assert system.VerdictManager.remainderOf(verdict.incident_id) == 1_000 * TOKEN - collected
    assert_conserved(system)


# add: refused


def test_add_to_a_refunded_escrow(system):
    verdict, _ = execute_verdict(system)
    appeal(system, verdict)
    resolve(system, verdict, True)
    escrow = system.RecoveryEscrow
    assert escrow.escrowOf(verdict.incident_id).status == Status.REFUNDED

    with reverts(escrow.EscrowNotOpen, incidentId=iid(verdict)):
        escrow.add(verdict.incident_id, system.provider_a, TOKEN, sender=impersonate(system, system.VerdictManager))
    assert escrow.escrowOf(verdict.incident_id).amount == 160 * TOKEN
    assert (escrow.totalEscrowed(), escrow.insuranceBalance()) == (0, 0)


def test_add_to_a_released_escrow(system):
    verdict, _ = execute_verdict(system)
    recover(system, verdict)
    escrow = system.RecoveryEscrow
    assert escrow.escrowOf(verdict.incident_id).status == Status.RELEASED
    escrowed, insurance = escrow.totalEscrowed(), escrow.insuranceBalance()

    with reverts(escrow.EscrowNotOpen, incidentId=iid(verdict)):
        escrow.add(verdict.incident_id, system.provider_a, TOKEN, sender=impersonate(system, system.VerdictManager))
    assert (escrow.totalEscrowed(), escrow.insuranceBalance()) == (escrowed, insurance)


def test_add_to_an_unknown_escrow(system):
    escrow = system.RecoveryEscrow
    with reverts(escrow.EscrowNotOpen, incidentId=UNKNOWN):
        escrow.add(UNKNOWN, system.provider_a, TOKEN, sender=impersonate(system, system.VerdictManager))
    assert escrow.escrowOf(UNKNOWN).status == Status.NONE


def test_add_to_an_incident_without_escrow(system):
    """A warning slashes nothing and opens no escrow: there is nothing to add to."""
    verdict, _ = execute_verdict(system, severity=Level.WARNING)
    escrow = system.RecoveryEscrow
    with reverts(escrow.EscrowNotOpen, incidentId=iid(verdict)):
        escrow.add(verdict.incident_id, system.provider_a, TOKEN, sender=impersonate(system, system.VerdictManager))
    assert escrow.escrowOf(verdict.incident_id).status == Status.NONE


def test_add_refuses_anyone_but_the_verdict_manager(system):
    verdict, _ = execute_verdict(system)
    escrow = system.RecoveryEscrow
    callers = [system.gov, system.outsider, system.operator_a, system.provider_a, system.arbiter]
    callers += [impersonate(system, c) for c in (system.SwarmTimelock, system.AppealCourt)]
    for caller in callers:
        with reverts(escrow.AccessControlUnauthorizedAccount, account=caller, neededRole=escrow.VERDICT_ROLE()):
            escrow.add(verdict.incident_id, system.provider_a, TOKEN, sender=caller)
    assert escrow.escrowOf(verdict.incident_id).amount == escrow.totalEscrowed() == 160 * TOKEN


# acceptsMore


def test_accepts_more_while_the_escrow_is_open(system):
    verdict, _ = execute_verdict(system)
    escrow = system.RecoveryEscrow
    assert escrow.acceptsMore(verdict.incident_id) is True
    file_claim(system, verdict)
    assert escrow.acceptsMore(verdict.incident_id) is True
    reject(system, verdict)
    assert escrow.escrowOf(verdict.incident_id).status == Status.REJECTED
    assert escrow.acceptsMore(verdict.incident_id) is True


def test_an_open_escrow_accepts_more_until_its_maximum_lifetime(system, chain):
    """An open escrow nobody closed yet: a remainder still owed at the maximum lifetime is written off."""
    verdict, _ = execute_verdict(system)
    escrow = system.RecoveryEscrow
    opened_at = escrow.escrowOf(verdict.incident_id).openedAt
    chain.mine(timestamp=opened_at + MAX_LIFETIME)
    assert escrow.acceptsMore(verdict.incident_id) is True
    chain.mine(timestamp=opened_at + MAX_LIFETIME + 1)
    assert escrow.acceptsMore(verdict.incident_id) is False
    assert escrow.escrowOf(verdict.incident_id).status == Status.ESCROWED


def test_accepts_no_more_once_refunded(system):
    verdict, _ = execute_verdict(system)
    appeal(system, verdict)
    resolve(system, verdict, True)
    assert system.RecoveryEscrow.acceptsMore(verdict.incident_id) is False


def test_accepts_no_more_once_released(system):
    verdict, _ = execute_verdict(system)
    recover(system, verdict)
    assert system.RecoveryEscrow.acceptsMore(verdict.incident_id) is False


def test_accepts_no_more_without_an_escrow(system):
    warning, _ = execute_verdict(system, severity=Level.WARNING)
    assert system.RecoveryEscrow.acceptsMore(warning.incident_id) is False
    assert system.RecoveryEscrow.acceptsMore(UNKNOWN) is False


def test_a_forfeited_escrow_accepts_more_until_its_maximum_lifetime(system, chain):
    verdict, _ = severe_breach(system)
    escrow = system.RecoveryEscrow
    opened_at = escrow.escrowOf(verdict.incident_id).openedAt
    chain.pending_timestamp = appeal_window_end(system, verdict) + 1
    system.AppealCourt.finalizeTombstone(verdict.as_tuple(), sender=system.outsider)
    assert escrow.escrowOf(verdict.incident_id).status == Status.FORFEITED
    assert escrow.acceptsMore(verdict.incident_id) is True

    chain.mine(timestamp=opened_at + MAX_LIFETIME)
    assert escrow.acceptsMore(verdict.incident_id) is True
    chain.mine(timestamp=opened_at + MAX_LIFETIME + 1)
    assert escrow.acceptsMore(verdict.incident_id) is False


def test_a_forfeited_escrow_lifetime_runs_on_the_pause_free_clock(system, chain):
    """A guardian pause after the escrow opened (one full hour) moves the end of its lifetime by an hour."""
    verdict, _ = severe_breach(system)
    escrow, vm = system.RecoveryEscrow, system.VerdictManager
    opened_at = escrow.escrowOf(verdict.incident_id).openedAt
    chain.pending_timestamp = appeal_window_end(system, verdict) + 1
    system.AppealCourt.finalizeTombstone(verdict.as_tuple(), sender=system.outsider)
    vm.pause(sender=system.guardian)
    paused = SYSTEM_WINDOWS.max_pause
    chain.mine(timestamp=vm.pausedUntil())
    assert vm.pausedTotal() == paused

    chain.mine(timestamp=opened_at + MAX_LIFETIME + 1)
    assert escrow.acceptsMore(verdict.incident_id) is True
    chain.mine(timestamp=opened_at + MAX_LIFETIME + paused)
    assert escrow.acceptsMore(verdict.incident_id) is True
    chain.mine(timestamp=opened_at + MAX_LIFETIME + paused + 1)
    assert escrow.acceptsMore(verdict.incident_id) is False
