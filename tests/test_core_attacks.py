"""The attacks on the slashing core, each written as the attacker would run it (holes 1, 2, 4, 5 and 10 of
the core review). Each test failed on the core that had "one open incident per class, a second waits", "a
capped verdict waits" and one jail and one escalation record per provider; DESIGN's "Slashing cannot be
dodged" and "Overturns restore exactly" close them (the standing set: StakeManager.standingOf).
Hole 3 (severity lock-in) is closed by upgrades (its rules in test_upgrades.py).
"""

import pytest
from helpers import emitted, reverts

from recovery_support import evaluate, file_claim, pass_epochs, payable_from, recover, release, wait_until, EPOCHS
from swarm_stake.models import Level, Phase, ProviderStatus, ViolationClass
from system_fixtures import DAY, SYSTEM_LIMITS, SYSTEM_RECOVERY, SYSTEM_WINDOWS, TOKEN
from verdict_support import BPS, assert_conserved, b32, incident, set_limits, slash_amount

pytestmark = pytest.mark.integration

PP, SB, PV = ViolationClass.POOR_PERFORMANCE, ViolationClass.SECURITY_BREACH, ViolationClass.PROTOCOL_VIOLATION
W, P, S = Level.WARNING, Level.PENALTY, Level.SEVERE
BUCKET = SYSTEM_WINDOWS.bucket_length


def later_failure(system, seconds: int = BUCKET) -> None:
    """Move to a later incident-id bucket: the next failure is another incident."""
    system.chain.pending_timestamp = system.chain.pending_timestamp + seconds


def test_hole1_an_open_incident_is_no_shield_against_a_tombstone_breach(system):
    """Attack: provider B takes a cheap, recoverable security penalty and keeps that incident open (it
    files a claim and lets it run); then it commits a tombstone-level breach of the same class, betting
    that the second verdict is deferred behind the open one until it expires.
    Defence: the second verdict executes at quorum as its own incident: jailed for the severe row's
    30 days, the pool frozen by both incidents, the tombstone path started; the first stays as it was."""
    vm, sm, b = system.VerdictManager, system.StakeManager, system.provider_b
    cheap = system.verdict(provider=b, violation_class=SB, severity=P)
    system.submit(cheap)
    file_claim(system, cheap)
    first_escrow = system.RecoveryEscrow.escrowOf(cheap.incident_id).amount
    later_failure(system)
    breach = system.verdict(provider=b, violation_class=SB, severity=S)
    amount = slash_amount(system, b, SB, S)

    tx = system.submit(breach)

    executed = emitted(tx, vm)[-1]
    assert executed[0] == "VerdictExecuted"
    assert (executed[1]["level"], executed[1]["amount"], executed[1]["jailedUntil"]) == (S, amount, tx.timestamp + 30 * DAY)
    assert sm.getProvider(b).openIncidents == 2 and sm.getProvider(b).jailedUntil == tx.timestamp + 30 * DAY
    assert incident(system, breach.incident_id)["flags"] & 8  # FLAG_TOMBSTONE: tombstoned once its appeal window passes
    assert system.RecoveryEscrow.escrowOf(cheap.incident_id).amount == first_escrow
    system.chain.pending_timestamp = tx.timestamp + SYSTEM_WINDOWS.appeal_window + 1
    system.AppealCourt.finalizeTombstone(breach.as_tuple(), sender=system.outsider)
    assert sm.statusOf(b) == ProviderStatus.TOMBSTONED
    assert_conserved(system)


def test_hole2_a_top_up_between_approvals_and_quorum_does_not_dodge_the_verdict(system):
    """Attack: approvals are public before quorum. Provider A sees two of three, tops up its own pool until
    the slash exceeds what the rolling cap has left, hoping the verdict is deferred (no jail, no freeze),
    expires, and the top-up is withdrawn afterwards.
    Defence: quorum isolates whatever the cap says. The verdict executes with what the cap allows, the
    pool is frozen (the top-up cannot leave) and the rest is owed; collected later, it adds up to the
    slash sized on the pool at execution."""
    vm, sm, a, o = system.VerdictManager, system.StakeManager, system.provider_a, system.oracles
    set_limits(system, rate_cap_bps=200)  # 2% of total stake per window
    v = system.verdict(violation_class=PV, severity=S)  # 15% of the pool
    system.submit(v, o[:2])
    sm.stake(a, 20_000 * TOKEN, sender=a)  # the top-up
    amount = slash_amount(system, a, PV, S)
    cap = sm.totalStake() * 200 // BPS
    assert amount > cap

    tx = system.submit(v, [o[2]])

    assert tx.return_value is True
    taken = [args for name, args in emitted(tx, vm) if name == "VerdictExecuted"][0]["amount"]
    assert taken == cap and vm.remainderOf(v.incident_id) == amount - cap
    assert sm.statusOf(a) == ProviderStatus.JAILED and sm.getProvider(a).openIncidents == 1
    sm.requestUnstake(a, 20_000 * TOKEN * 1_000 // 2, sender=a)  # unbonding shares stay slashable in the pool
    system.chain.pending_timestamp = tx.timestamp + sm.unbondingPeriod() + 1
    with reverts(sm.PoolFrozen, provider=a, openIncidents=1):
        sm.withdraw(a, sender=a)
    set_limits(system, rate_cap_bps=BPS)
    vm.collect(v.as_tuple(), sender=system.outsider)
    assert system.RecoveryEscrow.escrowOf(v.incident_id).amount == amount
    assert vm.remainderOf(v.incident_id) == 0
    assert_conserved(system)


def test_hole2_a_remainder_keeps_the_pool_frozen_until_collected(system):
    """A provider recovers fully before anyone collects its remainder: the final release refuses to end
    the incident (RemainderOwed), since that would unfreeze the pool and write the remainder off; once
    collected, the release completes with the whole slash accounted for."""
    vm, escrow, a = system.VerdictManager, system.RecoveryEscrow, system.provider_a
    set_limits(system, rate_cap_bps=50)
    v = system.verdict()
    system.submit(v)
    owed = vm.remainderOf(v.incident_id)
    assert owed > 0
    file_claim(system, v)
    pass_epochs(system, v, range(EPOCHS))
    evaluate(system, v)
    wait_until(system, payable_from(system, v))

    with reverts(escrow.RemainderOwed, incidentId=b32(v.incident_id), remainder=owed):
        release(system, v)
    set_limits(system, rate_cap_bps=BPS)
    vm.collect(v.as_tuple(), sender=system.outsider)
    tx = release(system, v)

    assert [name for name, _ in emitted(tx, escrow)] == ["TrancheReleased", "RecoveryCompleted"]
    assert system.StakeManager.getProvider(a).openIncidents == 0
    assert system.SwarmLens.stateOf(v.incident_id) == Phase.CLOSED
    assert_conserved(system)


def test_hole2_an_overturn_refunds_what_was_collected_and_cancels_the_rest(system):
    vm, sm, a = system.VerdictManager, system.StakeManager, system.provider_a
    set_limits(system, rate_cap_bps=50)
    pool = sm.getPool(a).assets
    v = system.verdict()
    system.submit(v)
    owed = vm.remainderOf(v.incident_id)
    system.AppealCourt.appeal(v.as_tuple(), sender=system.operator_a)

    tx = system.AppealCourt.resolveAppeal(v.as_tuple(), True, sender=system.arbiter)

    assert ("RemainderCleared", {"incidentId": b32(v.incident_id), "provider": a, "remainder": owed}) in emitted(tx, vm)
    assert vm.remainderOf(v.incident_id) == 0
    assert sm.getPool(a).assets >= pool  # the escrow came back (and the signers' penalties on top)
    assert sm.getProvider(a).openIncidents == 0
    with reverts(vm.NotFinalizable, incidentId=b32(v.incident_id)):
        vm.collect(v.as_tuple(), sender=system.outsider)
    assert_conserved(system)


def test_hole2_a_standing_tombstone_keeps_the_pool_frozen_while_its_remainder_is_owed(system):
    """A tombstone breach over the cap: after the appeal window the provider is tombstoned and the escrow
    forfeited, but the pool stays frozen until the remainder is collected (into the insurance pool)."""
    vm, sm, escrow, b = system.VerdictManager, system.StakeManager, system.RecoveryEscrow, system.provider_b
    set_limits(system, rate_cap_bps=200)
    v = system.verdict(provider=b, violation_class=SB, severity=S)
    tx = system.submit(v)
    owed = vm.remainderOf(v.incident_id)
    assert owed > 0
    system.chain.pending_timestamp = tx.timestamp + SYSTEM_WINDOWS.appeal_window + 1
    system.AppealCourt.finalizeTombstone(v.as_tuple(), sender=system.outsider)
    assert sm.statusOf(b) == ProviderStatus.TOMBSTONED
    assert sm.getProvider(b).openIncidents == 1  # still frozen: the remainder is owed
    insurance = escrow.insuranceBalance()
    set_limits(system, rate_cap_bps=BPS)

    tx = vm.collect(v.as_tuple(), sender=system.outsider)

    assert tx.return_value == owed
    assert escrow.insuranceBalance() == insurance + owed
    assert sm.getProvider(b).openIncidents == 0
    assert_conserved(system)


def test_hole5_escalation_is_per_violation_class(system):
    """Attack surface: a 1% poor-performance penalty used to escalate any later security penalty to the
    tombstone row. Escalation counts only offenses of the same class."""
    vm, b = system.VerdictManager, system.provider_b
    system.submit(system.verdict(provider=b, violation_class=PP, severity=P))
    later_failure(system)

    tx = system.submit(system.verdict(provider=b, violation_class=SB, severity=P))

    executed = emitted(tx, vm)[-1][1]
    assert executed["level"] == P and executed["jailedUntil"] == tx.timestamp + 14 * DAY
    assert not incident(system, executed["incidentId"].hex())["flags"] & 8  # no tombstone


def test_hole5_an_escalated_level_whose_row_is_disabled_falls_back(system):
    """An escalated level whose matrix row is disabled falls back to the nearest enabled row below it,
    never reverting the verdict: with protocol violation's severe row disabled, a repeat penalty stays
    a penalty and executes."""
    vm, b = system.VerdictManager, system.provider_b
    system.govern(vm, "setPenaltyRow", PV, S, (0, 0, 0, 0, False, False))
    system.submit(system.verdict(provider=b, violation_class=PV, severity=P))
    later_failure(system)
    v = system.verdict(provider=b, violation_class=PV, severity=P)
    amount = slash_amount(system, b, PV, P)

    tx = system.submit(v)

    executed = emitted(tx, vm)[-1]
    assert executed[0] == "VerdictExecuted"
    assert (executed[1]["level"], executed[1]["amount"]) == (P, amount)


def appeal_and_overturn(system, verdict):
    system.AppealCourt.appeal(verdict.as_tuple(), sender=system.operator_b)
    return system.AppealCourt.resolveAppeal(verdict.as_tuple(), True, sender=system.arbiter)


def test_hole4_an_overturned_jail_does_not_outlive_its_verdict(system):
    """Wrong: B's one-day poor-performance jail stands; a 14-day security-breach verdict on B is overturned,
    but with the first incident still open the provider stayed jailed for 14 days.
    Defence: the overturn takes the breach's jail out of the standing set: the jail ends with the one that
    stands."""
    sm, b = system.StakeManager, system.provider_b
    standing_tx = system.submit(system.verdict(provider=b))
    later_failure(system)
    breach = system.verdict(provider=b, violation_class=SB, severity=P)
    system.submit(breach)
    assert sm.getProvider(b).jailedUntil > standing_tx.timestamp + 13 * DAY

    tx = appeal_and_overturn(system, breach)

    assert ("Jailed", {"provider": b.address, "until": standing_tx.timestamp + DAY}) in emitted(tx, sm)
    assert sm.getProvider(b).jailedUntil == standing_tx.timestamp + DAY
    assert sm.getProvider(b).openIncidents == 1
    assert_conserved(system)


def test_hole4_an_overturn_does_not_lift_the_running_jail_of_a_closed_incident(system):
    """Attack: B's severe protocol violation (30-day jail) is past its claim window; B lets its escrow be
    forfeited (the incident closes, the pool unfreezes), then wins the appeal of an unrelated later verdict.
    The overturn used to lift every jail once no incident kept the pool frozen: 20 days of jail escaped.
    Defence: a jail whose incident closed without a completed recovery stands for good (the jail floor);
    the overturn ends only its own verdict's jail."""
    sm, escrow, b = system.StakeManager, system.RecoveryEscrow, system.provider_b
    severe = system.verdict(provider=b, violation_class=PV, severity=S)
    severe_tx = system.submit(severe)
    system.chain.pending_timestamp = severe_tx.timestamp + SYSTEM_RECOVERY.claim_window + 60
    breach = system.verdict(provider=b, violation_class=SB, severity=P)
    system.submit(breach)
    system.AppealCourt.appeal(breach.as_tuple(), sender=system.operator_b)
    escrow.close(severe.as_tuple(), sender=system.outsider)  # forfeited: the incident closes unrecovered

    tx = system.AppealCourt.resolveAppeal(breach.as_tuple(), True, sender=system.arbiter)

    assert [name for name, _ in emitted(tx, sm) if name in ("Jailed", "Unjailed")] == []  # the jail stands
    assert sm.getProvider(b).jailedUntil == severe_tx.timestamp + 30 * DAY
    assert sm.statusOf(b) == ProviderStatus.JAILED and sm.getProvider(b).openIncidents == 0
    assert_conserved(system)


def test_hole10_a_completed_recovery_ends_its_jail(system):
    """Wrong: a security-breach penalty jails for 14 days; the provider carries its recovery to the final
    release in about two days (claim, audit, three healthy epochs, evaluation, challenge window) and stayed
    jailed for twelve more.
    Defence: DESIGN's restoration ends with the provider back in service: the completed recovery takes the
    incident's jail out of the standing set (its offense still counts for escalation)."""
    sm, b = system.StakeManager, system.provider_b
    breach = system.verdict(provider=b, violation_class=SB, severity=P)
    executed_tx = system.submit(breach)

    tx = recover(system, breach)

    assert tx.timestamp < executed_tx.timestamp + 14 * DAY
    assert ("Unjailed", {"provider": b.address}) in emitted(tx, sm)
    assert sm.getProvider(b).jailedUntil == 0 and sm.statusOf(b) != ProviderStatus.JAILED
    assert tuple(sm.lastOffense(b, SB)) == (executed_tx.timestamp, P)
    assert_conserved(system)


def test_a_jail_that_ran_at_the_observation_refuses_poor_performance_whatever_came_later(system):
    """Poor performance observed while B served a 14-day security jail is no offense, even when another
    jail was imposed after the observation (the refusal once knew only the last jail imposed)."""
    vm, sm, b = system.VerdictManager, system.StakeManager, system.provider_b
    system.submit(system.verdict(provider=b, violation_class=SB, severity=P))
    later_failure(system)
    observed_at = system.chain.pending_timestamp
    system.chain.pending_timestamp = observed_at + 60
    system.submit(system.verdict(provider=b, violation_class=PV, severity=P))  # a later jail
    system.chain.pending_timestamp = observed_at + 120
    slow = system.verdict(provider=b, observed_at=observed_at)

    with reverts(vm.PoorPerformanceWhileJailed, provider=b, jailedUntil=sm.getProvider(b).jailedUntil):
        system.submit(slow)


def test_hole2_an_unclaimed_close_does_not_write_off_a_remainder_before_the_maximum_lifetime(system):
    """Attack: B's verdict is over the cap and owes a remainder; B files no claim, and once the claim window
    has passed it closes its own escrow before anyone collected: the close used to write the remainder off
    (DESIGN writes it off only at the incident's maximum lifetime).
    Defence: while a remainder is owed the escrow closes only after its maximum lifetime; until then the
    remainder stays collectable, and the pool frozen."""
    vm, sm, escrow, b = system.VerdictManager, system.StakeManager, system.RecoveryEscrow, system.provider_b
    set_limits(system, rate_cap_bps=50)
    v = system.verdict(provider=b, violation_class=PV, severity=P)
    system.submit(v)
    owed = vm.remainderOf(v.incident_id)
    assert owed > 0
    opened = escrow.escrowOf(v.incident_id).openedClock
    now = opened + SYSTEM_RECOVERY.claim_window + 60
    system.chain.pending_timestamp = now

    with reverts(escrow.NotClosable, closableAt=opened + SYSTEM_RECOVERY.max_lifetime, nowTime=now):
        escrow.close(v.as_tuple(), sender=b)

    assert vm.remainderOf(v.incident_id) == owed and sm.getProvider(b).openIncidents == 1
    set_limits(system, rate_cap_bps=BPS)
    assert vm.collect(v.as_tuple(), sender=system.outsider).return_value == owed
    whole = escrow.escrowOf(v.incident_id).amount
    system.chain.pending_timestamp = opened + SYSTEM_RECOVERY.max_lifetime + 1
    tx = escrow.close(v.as_tuple(), sender=b)
    assert ("EscrowForfeited", {"incidentId": b32(v.incident_id), "provider": b.address, "amount": whole}) in emitted(tx, escrow)
    assert sm.getProvider(b).openIncidents == 0
    assert_conserved(system)


def test_hole2_a_remainder_past_the_maximum_lifetime_is_written_off_not_collected(system):
    """An escrow still open past its maximum lifetime (nobody closed it yet) no longer takes a remainder:
    DESIGN writes what is still owed off at the maximum lifetime, so a late collect clears it and moves no
    tokens."""
    vm, sm, escrow, b = system.VerdictManager, system.StakeManager, system.RecoveryEscrow, system.provider_b
    set_limits(system, rate_cap_bps=50)
    v = system.verdict(provider=b, violation_class=PV, severity=P)
    system.submit(v)
    owed = vm.remainderOf(v.incident_id)
    escrowed = escrow.escrowOf(v.incident_id).amount
    pool = sm.getPool(b).assets
    system.chain.pending_timestamp = escrow.escrowOf(v.incident_id).openedClock + SYSTEM_RECOVERY.max_lifetime + 1
    set_limits(system, rate_cap_bps=BPS)

    tx = vm.collect(v.as_tuple(), sender=system.outsider)

    assert tx.return_value == 0
    assert emitted(tx, vm) == [("RemainderCleared", {"incidentId": b32(v.incident_id), "provider": b.address, "remainder": owed})]
    assert vm.remainderOf(v.incident_id) == 0
    assert escrow.escrowOf(v.incident_id).amount == escrowed and sm.getPool(b).assets == pool
    assert_conserved(system)


def _executed_amount(system, tx) -> int:
    return [args for name, args in emitted(tx, system.VerdictManager) if name == "VerdictExecuted"][0]["amount"]


def _start_of_next_cap_bucket(system) -> int:
    """Moves to 100 s into the next bucket of the cap window (one day) and returns that time."""
    start = (system.chain.pending_timestamp // DAY + 1) * DAY + 100
    system.chain.pending_timestamp = start
    return start


def test_hole8_an_overturn_refunds_only_what_its_slash_still_counts_on_the_caps(system):
    """Wrong: A's slash x counted on the rolling caps, then half decayed; B's slash y came after. The
    overturn of A's verdict subtracted the whole x from the decayed sum, so it also freed capacity that
    B's slash used: the caps allowed more than the rate they state.
    Defence: cap use is kept in fixed buckets (this window and the last), so the part of x still counted
    is known exactly, and exactly that is refunded: afterwards the caps count y, as if A's verdict never
    was."""
    vm, sm = system.VerdictManager, system.StakeManager
    t0 = _start_of_next_cap_bucket(system)
    wrong = system.verdict(violation_class=SB, severity=P)  # 10% of A's pool
    system.submit(wrong)
    system.AppealCourt.appeal(wrong.as_tuple(), sender=system.operator_a)
    system.chain.pending_timestamp = t0 + DAY + DAY // 2  # the next bucket: x counts half
    y = _executed_amount(system, system.submit(system.verdict(provider=system.provider_b, violation_class=SB, severity=P)))
    assert y > 0

    system.AppealCourt.resolveAppeal(wrong.as_tuple(), True, sender=system.arbiter)

    system.chain.mine(timestamp=t0 + DAY + DAY // 2 + 60)
    assert system.StakeManager.capAvailable(vm.capParams()) == sm.totalStake() * SYSTEM_LIMITS.rate_cap_bps // BPS - y
    assert sm.capUseOf(system.provider_a).current == sm.capUseOf(system.provider_a).previous == 0
    assert_conserved(system)


def test_hole8_an_overturn_refunds_exactly_what_its_collects_still_count(system):
    """The same for a remainder collected in a later bucket: A's verdict over a 5% cap takes what the
    cap allows and owes the rest; in the next bucket B's slash and then a collect of A's remainder fill
    the cap. The overturn of A's verdict takes off the caps exactly the parts of its execution and of its
    collect that still count: B's slash stays counted, and only it."""
    vm, sm = system.VerdictManager, system.StakeManager
    set_limits(system, rate_cap_bps=500)
    t0 = _start_of_next_cap_bucket(system)
    wrong = system.verdict(violation_class=SB, severity=P)  # 10% of A's pool
    system.submit(wrong)
    assert vm.remainderOf(wrong.incident_id) > 0
    system.AppealCourt.appeal(wrong.as_tuple(), sender=system.operator_a)
    system.chain.pending_timestamp = t0 + DAY + DAY // 2
    y = _executed_amount(system, system.submit(system.verdict(provider=system.provider_b)))
    collected = vm.collect(wrong.as_tuple(), sender=system.outsider).return_value
    assert y > 0 and collected > 0

    system.AppealCourt.resolveAppeal(wrong.as_tuple(), True, sender=system.arbiter)

    system.chain.mine(timestamp=t0 + DAY + DAY // 2 + 60)
    assert system.StakeManager.capAvailable(vm.capParams()) == sm.totalStake() * 500 // BPS - y
    assert_conserved(system)


def test_hole3_a_low_severity_proposed_first_does_not_lock_the_incident_in(system):
    """Attack: a colluding member proposes a security breach at the penalty row first; honest members, whose
    measurement is at or above it, co-sign, and the verdict executes. The honest members then sign the
    measured severity (a tombstone-level breach) for the same incident id, betting nothing else can happen.
    Defence (DESIGN, "No severity lock-in: upgrades"): the higher signed severity with its own quorum
    upgrades the incident: the severe row's level, the extra slash up to the severe rate of the pool
    recorded at first execution, the severe jail, the tombstone path."""
    vm, sm, b = system.VerdictManager, system.StakeManager, system.provider_b
    observed_at = system.chain.pending_timestamp - 60
    assets = sm.getPool(b).assets
    low = system.verdict(provider=b, violation_class=SB, severity=P, observed_at=observed_at)
    system.submit(low)
    high = system.verdict(provider=b, violation_class=SB, severity=S, observed_at=observed_at)
    assert high.incident_id == low.incident_id

    tx = system.submit(high)

    assert [e[0] for e in emitted(tx, system.AppealCourt)] == ["VerdictUpgraded"]
    assert incident(system, high.incident_id)["level"] == S
    assert incident(system, high.incident_id)["flags"] & 8  # FLAG_TOMBSTONE
    severe = vm.penaltyRow(SB, S)
    taken = system.RecoveryEscrow.escrowOf(high.incident_id).amount + vm.remainderOf(high.incident_id)
    assert taken == assets * severe.slashBps // BPS
    assert sm.getProvider(b).jailedUntil >= tx.timestamp + severe.jailDuration - 1
