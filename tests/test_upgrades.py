"""Upgrades (DESIGN, "No severity lock-in: upgrades"): a later verdict for an executed incident with a higher
signed severity and its own quorum upgrades the incident. The AppealCourt applies it (VerdictUpgraded) and
judges it as a step of its own: overturning it restores the incident as it was before, overturning the
incident's verdict voids it, and tombstones, releases and default closes wait for its appeal."""

import pytest
from ape.exceptions import ContractLogicError
from eth_utils import keccak
from helpers import emitted, reverts

from recovery_support import file_claim
from swarm_stake.models import Level, ProviderStatus, ViolationClass
from system_checks import appeal, impersonate, resolve
from system_fixtures import DAY, SYSTEM_LIMITS, SYSTEM_RECOVERY, SYSTEM_WINDOWS
from verdict_support import BPS, assert_conserved, b32, digest_of, incident, set_limits

pytestmark = pytest.mark.integration

PP, SB, PV = ViolationClass.POOR_PERFORMANCE, ViolationClass.SECURITY_BREACH, ViolationClass.PROTOCOL_VIOLATION
W, P, S = Level.WARNING, Level.PENALTY, Level.SEVERE
FLAG_TOMBSTONE, FLAG_UPGRADED = 8, 16


def pair(system, violation_class=PV, low=P, high=S, provider=None):
    """Two verdicts of one failure (same incident id), at `low` and at `high` severity."""
    provider = provider or system.provider_b
    observed_at = system.chain.pending_timestamp - 60
    first = system.verdict(provider=provider, violation_class=violation_class, severity=low, observed_at=observed_at)
    second = system.verdict(provider=provider, violation_class=violation_class, severity=high, observed_at=observed_at)
    assert first.incident_id == second.incident_id
    return first, second


def rate(system, violation_class, level) -> int:
    return system.VerdictManager.penaltyRow(int(violation_class), int(level)).slashBps


def extra_slash(system, violation_class, low, high, assessed) -> int:
    """What an upgrade from `low` to `high` adds to an incident that assessed `assessed` at `low`."""
    base = assessed * BPS // rate(system, violation_class, low)
    return base * rate(system, violation_class, high) // BPS - assessed


def upgrade_of(system, incident_id):
    return system.AppealCourt.upgradeOf(incident_id)


def test_an_upgrade_takes_the_higher_rows_extra_slash_jail_and_terms(system):
    """A protocol violation executed at the penalty row (3%, 3 days, 75% recoverable) is upgraded by a
    severe verdict (15%, 30 days, 25%): the extra slash is 15% of the pool recorded at first execution less
    the 3% taken, the jail runs 30 days from the upgrade, the escrow takes the severe row's terms, and the
    pool stays frozen once."""
    vm, sm, escrow, court, b = system.VerdictManager, system.StakeManager, system.RecoveryEscrow, system.AppealCourt, system.provider_b
    low, high = pair(system)
    system.submit(low)
    taken = escrow.escrowOf(low.incident_id).amount
    extra = extra_slash(system, PV, P, S, taken)
    pool = sm.getPool(b).assets

    tx = system.submit(high, signers=system.oracles[2:5])

    severe = vm.penaltyRow(PV, S)
    ((name, args),) = emitted(tx, court)
    assert args.pop("verdict")[3] == S  # the upgrading verdict, carried whole (its digest follows)
    assert (name, args) == ("VerdictUpgraded", {
        "incidentId": b32(high.incident_id), "provider": b.address, "digest": digest_of(system, high),
        "level": S, "amount": extra, "jailedUntil": tx.timestamp + severe.jailDuration,
    })  # fmt: skip
    assert emitted(tx, escrow) == [("EscrowUpgraded", {
        "incidentId": b32(high.incident_id), "provider": b.address, "amount": extra, "total": taken + extra,
        "recoverableBps": severe.recoverableBps, "recoveryPath": severe.recoveryPath,
    })]  # fmt: skip
    stored = incident(system, high.incident_id)
    assert (stored["level"], stored["severity"], stored["slashBps"]) == (S, S, severe.slashBps)
    assert stored["flags"] & FLAG_UPGRADED and not stored["flags"] & FLAG_TOMBSTONE
    assert sm.getPool(b).assets == pool - extra
    assert sm.getProvider(b).jailedUntil == tx.timestamp + severe.jailDuration
    assert sm.getProvider(b).openIncidents == 1
    step = upgrade_of(system, high.incident_id)
    assert (step.prevLevel, step.prevSeverity, step.prevSlashBps, step.taken, step.owed, step.at) == (
        P, P, rate(system, PV, P), extra, 0, tx.timestamp)
    assert assert_conserved(system) is None


def test_an_equal_or_lower_severity_or_an_executed_verdict_is_refused(system):
    """One failure is one incident: the executed verdict again, another verdict at its severity, and the
    upgrade once applied are refused; a batch would skip them."""
    vm = system.VerdictManager
    low, high = pair(system)
    system.submit(low)
    same = system.verdict(provider=system.provider_b, violation_class=PV, severity=P, observed_at=low.observed_at)

    with reverts(vm.IncidentAlreadyExecuted, incidentId=b32(low.incident_id)):
        system.submit(low)
    with reverts(vm.SeverityNotAbove, incidentId=b32(low.incident_id), severity=P, current=P):
        system.submit(same)
    system.submit(high)
    with reverts(vm.SeverityNotAbove, incidentId=b32(low.incident_id), severity=S, current=S):
        system.submit(high)


def test_a_warning_upgraded_to_a_penalty_freezes_jails_and_slashes_now(system):
    """A poor-performance warning froze and took nothing; its upgrade to the penalty row slashes 1% of the
    pool as it is now, jails for a day, freezes the pool and opens the escrow."""
    sm, escrow, b = system.StakeManager, system.RecoveryEscrow, system.provider_b
    low, high = pair(system, PP, W, P)
    system.submit(low)
    assert sm.getProvider(b).openIncidents == 0
    pool = sm.getPool(b).assets

    tx = system.submit(high)

    amount = pool * rate(system, PP, P) // BPS
    assert escrow.escrowOf(high.incident_id).amount == amount
    assert sm.getPool(b).assets == pool - amount
    assert sm.getProvider(b).openIncidents == 1
    assert sm.getProvider(b).jailedUntil == tx.timestamp + DAY
    assert [name for name, _ in emitted(tx, sm)] == ["PoolFreezeChanged", "Jailed", "Slashed"]
    assert_conserved(system)


def test_overturning_an_upgrade_restores_the_incident_and_penalizes_only_its_signers(system):
    """The upgrade's own appeal: overturned, the incident is back at the penalty row (level, severity,
    rate, jail, escrow terms), the extra slash is back in the pool and off the caps, and only the upgrade's
    signers pay; the verdict beneath stands (the pool stays frozen by it)."""
    vm, sm, escrow, court, committee, b = (system.VerdictManager, system.StakeManager, system.RecoveryEscrow,
                                           system.AppealCourt, system.OracleCommittee, system.provider_b)  # fmt: skip
    low, high = pair(system)
    first = system.submit(low)
    jail = sm.getProvider(b).jailedUntil
    pool, cap = sm.getPool(b).assets, sm.capAvailable(vm.capParams())
    taken = escrow.escrowOf(low.incident_id)
    system.submit(high, signers=system.oracles[2:5])
    bonds = [committee.bondOf(o).amount for o in system.oracles]

    appeal(system, high)
    tx = resolve(system, high, True)

    extra = extra_slash(system, PV, P, S, taken.amount)
    assert emitted(tx, court)[0] == ("UpgradeOverturned", {
        "incidentId": b32(high.incident_id), "digest": digest_of(system, high), "level": P, "returned": extra,
        "cancelled": 0,
    })  # fmt: skip
    stored = incident(system, low.incident_id)
    assert (stored["level"], stored["severity"], stored["slashBps"]) == (P, P, rate(system, PV, P))
    restored = escrow.escrowOf(low.incident_id)
    assert (restored.amount, restored.recoverableBps, restored.recoveryPath) == (
        taken.amount, taken.recoverableBps, taken.recoveryPath)
    assert sm.getPool(b).assets == pool + SYSTEM_LIMITS.oracle_penalty * 3
    assert sm.getProvider(b).jailedUntil == jail == first.timestamp + vm.penaltyRow(PV, P).jailDuration
    assert sm.getProvider(b).openIncidents == 1
    assert sm.capAvailable(vm.capParams()) == cap + SYSTEM_LIMITS.oracle_penalty * 3 * 1_000 // BPS
    penalized = [before - committee.bondOf(o).amount for before, o in zip(bonds, system.oracles, strict=True)]
    assert penalized == [0, 0] + [SYSTEM_LIMITS.oracle_penalty] * 3
    assert upgrade_of(system, low.incident_id).overturned
    assert_conserved(system)


def test_an_overturned_upgrade_is_never_applied_again(system):
    """The arbiter's decision stands: the overturned upgrade, submitted again, is refused."""
    low, high = pair(system)
    system.submit(low)
    system.submit(high)
    appeal(system, high)
    resolve(system, high, True)

    with reverts(system.AppealCourt.UpgradeRefused, incidentId=b32(high.incident_id)):
        system.submit(high)


def test_a_tombstone_brought_by_an_upgrade_waits_for_the_upgrades_appeal_window(system):
    """A security breach at the penalty row upgraded to the tombstone row ten minutes later: once the
    verdict's appeal window has passed the upgrade's is still open, and the tombstone waits for it."""
    sm, escrow, court, b = system.StakeManager, system.RecoveryEscrow, system.AppealCourt, system.provider_b
    low, high = pair(system, SB, P, S)
    first = system.submit(low)
    system.chain.pending_timestamp = first.timestamp + 600
    upgraded = system.submit(high)
    assert incident(system, low.incident_id)["flags"] & FLAG_TOMBSTONE

    system.chain.pending_timestamp = first.timestamp + SYSTEM_WINDOWS.appeal_window + 1
    # The VerdictManager's NotFinalizable, raised after its call into the court (so decoded here).
    with pytest.raises(ContractLogicError) as refused:
        court.finalizeTombstone(low.as_tuple(), sender=system.outsider)
    selector = keccak(text="NotFinalizable(bytes32)")[:4]
    assert str(refused.value) == "0x" + (selector + b32(low.incident_id)).hex()

    system.chain.pending_timestamp = upgraded.timestamp + SYSTEM_WINDOWS.appeal_window + 1
    court.finalizeTombstone(low.as_tuple(), sender=system.outsider)
    assert sm.statusOf(b) == ProviderStatus.TOMBSTONED
    assert escrow.escrowOf(low.incident_id).status == 5  # EscrowStatus.Forfeited
    assert_conserved(system)


def test_overturning_the_verdict_voids_its_upgrade(system):
    """The verdict beneath an upgrade is overturned: everything both took goes back to the pool, off the
    caps, and the pool is free again."""
    vm, sm, escrow, b = system.VerdictManager, system.StakeManager, system.RecoveryEscrow, system.provider_b
    pool, cap = sm.getPool(b).assets, sm.capAvailable(vm.capParams())
    low, high = pair(system)
    system.submit(low)
    system.submit(high)
    assert sm.getPool(b).assets < pool

    appeal(system, low)
    tx = resolve(system, low, True)

    penalties = SYSTEM_LIMITS.oracle_penalty * 3
    assert sm.getPool(b).assets == pool + penalties
    assert sm.capAvailable(vm.capParams()) == cap + penalties * 1_000 // BPS
    assert sm.getProvider(b).openIncidents == 0 and sm.getProvider(b).jailedUntil <= tx.timestamp
    assert system.AppealCourt.upgradeOver(low.incident_id) and upgrade_of(system, low.incident_id).overturned
    assert escrow.escrowOf(low.incident_id).status == 6  # EscrowStatus.Refunded
    assert_conserved(system)


def test_a_default_close_waits_for_a_pending_appeal_of_the_upgrade(system):
    """The escrow of an upgraded incident ends only once the upgrade's appeal is over: its claim window
    (restarted by the upgrade) passing is not enough while the appeal is pending."""
    escrow, court = system.RecoveryEscrow, system.AppealCourt
    low, high = pair(system)
    system.submit(low)
    upgraded = system.submit(high)
    appeal(system, high)
    system.chain.pending_timestamp = upgraded.timestamp + SYSTEM_RECOVERY.claim_window + 1

    with reverts(escrow.AppealPending, incidentId=b32(low.incident_id)):
        escrow.close(low.as_tuple(), sender=system.outsider)

    court.finalizeAppeal(high.as_tuple(), sender=system.outsider)
    escrow.close(low.as_tuple(), sender=system.outsider)
    assert escrow.escrowOf(low.incident_id).status == 5  # EscrowStatus.Forfeited


def test_a_capped_upgrade_owes_the_rest_and_its_overturn_cancels_what_it_left_owed(system):
    """The provider's cap (5% of its pool per day here) cuts the security penalty short and leaves nothing
    for the upgrade: its extra slash is owed. A collect the next day pays the upgrade's debt first; the
    upgrade's overturn returns what that collect took and cancels the rest, leaving the verdict's own
    remainder owed."""
    vm, sm, escrow, court, b = system.VerdictManager, system.StakeManager, system.RecoveryEscrow, system.AppealCourt, system.provider_b
    set_limits(system, provider_cap_bps=500)
    low, high = pair(system, SB, P, S)
    system.submit(low)
    taken, owed = escrow.escrowOf(low.incident_id).amount, vm.remainderOf(low.incident_id)
    assert owed > 0
    upgraded = system.submit(high)
    extra = extra_slash(system, SB, P, S, taken + owed)
    assert vm.remainderOf(low.incident_id) == owed + extra
    assert escrow.escrowOf(low.incident_id).amount == taken
    appeal(system, high)
    system.chain.pending_timestamp = upgraded.timestamp + DAY + 60
    collected = vm.collect(low.as_tuple(), sender=system.outsider).return_value
    assert 0 < collected < extra
    pool = sm.getPool(b).assets

    tx = resolve(system, high, True)

    assert emitted(tx, court)[0][1]["returned"] == collected
    assert emitted(tx, court)[0][1]["cancelled"] == extra - collected
    assert vm.remainderOf(low.incident_id) == owed
    assert escrow.escrowOf(low.incident_id).amount == taken
    assert sm.getPool(b).assets == pool + collected + SYSTEM_LIMITS.oracle_penalty * 3
    assert_conserved(system)


def test_an_upgrade_restarts_a_recovery_claim_in_progress(system):
    """A claim filed under the penalty row starts over under the severe row: nothing was paid yet, the
    claim is cleared and the escrow is open for a new one."""
    escrow = system.RecoveryEscrow
    low, high = pair(system)
    system.submit(low)
    file_claim(system, low)
    assert escrow.claimOf(low.incident_id).filedAt != 0

    system.submit(high)

    assert escrow.claimOf(low.incident_id).filedAt == 0
    assert escrow.escrowOf(low.incident_id).status == 1  # EscrowStatus.Escrowed
    file_claim(system, low)
    assert escrow.claimOf(low.incident_id).filedAt != 0


def test_only_the_verdict_manager_applies_upgrades(system):
    low, high = pair(system)
    system.submit(low)
    with reverts(system.AppealCourt.NotVerdictManager, caller=system.outsider.address):
        system.AppealCourt.upgrade(high.as_tuple(), b"\x00" * 32, 7, 10**21, 10**21, sender=system.outsider)


def test_the_upgrade_hooks_answer_only_their_callers(system):
    """restate (VerdictManager) answers the appeal court, restand the slashers, the escrow's upgrade and
    downgrade the appeal court."""
    vm, sm, escrow = system.VerdictManager, system.StakeManager, system.RecoveryEscrow
    outsider, zero = system.outsider, b"\x00" * 32
    with reverts(vm.AccessControlUnauthorizedAccount, account=outsider.address, neededRole=vm.APPEALS_ROLE()):
        vm.restate(zero, 1, 1, 100, False, 0, 0, sender=outsider)
    with reverts(sm.AccessControlUnauthorizedAccount, account=outsider.address, neededRole=sm.SLASHER_ROLE()):
        sm.restand(system.provider_b, (zero[:20], 0, 0, 1, 0), True, True, sender=outsider)
    with reverts(escrow.AccessControlUnauthorizedAccount, account=outsider.address, neededRole=escrow.APPEALS_ROLE()):
        escrow.upgrade(zero, system.provider_b, 0, 0, 0, sender=outsider)
    with reverts(escrow.AccessControlUnauthorizedAccount, account=outsider.address, neededRole=escrow.APPEALS_ROLE()):
        escrow.downgrade(zero, system.provider_b, 0, 0, 0, False, sender=outsider)
    with reverts(vm.AlreadyConnected):
        vm.setAppealCourt(system.outsider, sender=impersonate(system, system.SwarmTimelock))


def test_the_jail_its_own_verdict_imposed_never_blocks_an_upgrade(system):
    """DESIGN "No shield": poor performance observed inside a running jail is refused, but never an upgrade
    of the incident that imposed the jail. The verdict executes in the second it observed; its jail has
    started by the observation time of the upgrade (the same failure), which still upgrades."""
    sm, b = system.StakeManager, system.provider_b
    now = system.chain.pending_timestamp
    low = system.verdict(provider=b, violation_class=PP, severity=P, observed_at=now)
    high = system.verdict(provider=b, violation_class=PP, severity=S, observed_at=now)
    first = system.submit(low)
    assert first.timestamp == now and sm.getProvider(b).jailedUntil > now  # jailed from the observed second on

    tx = system.submit(high)

    assert [name for name, _ in emitted(tx, system.AppealCourt)] == ["VerdictUpgraded"]
    assert sm.getProvider(b).jailedUntil == tx.timestamp + system.VerdictManager.penaltyRow(PP, S).jailDuration
