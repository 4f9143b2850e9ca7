"""A severe security-breach verdict (the tombstone row): jailed at once, tombstoned and forfeited only
once the appeal window has passed (AppealCourt.finalizeTombstone, open to anyone; the VerdictManager
closes the incident and its refusals bubble up unchanged) or the appeal is upheld; an overturn restores
everything."""

import pytest
from helpers import emitted, reverts, transfers
from system_checks import (
    APPEAL_BOND,
    FLAG_TOMBSTONE,
    ORACLE_PENALTY,
    appeal,
    appeal_window_end,
    assert_conserved,
    execute_verdict,
    iid,
    incident,
    resolve,
    set_limits,
    severe_breach,
)
from system_fixtures import PROVIDER_B_STAKE, SYSTEM_UNBONDING, TOKEN

from swarm_stake.models import Level, Phase, ProviderStatus, ViolationClass
from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

pytestmark = pytest.mark.integration

SLASHED = PROVIDER_B_STAKE * 3_000 // 10_000  # 30% of provider B's pool
DAY = 86400
FLAG_CLOSED = 4  # VerdictManager.FLAG_CLOSED


def finalize(system, verdict):
    return system.AppealCourt.finalizeTombstone(verdict.as_tuple(), sender=system.outsider)


def test_a_severe_verdict_jails_at_once_but_does_not_tombstone(system, chain):
    b = system.provider_b.address

    verdict, tx = severe_breach(system)
    now = chain.blocks[tx.block_number].timestamp

    vm = system.VerdictManager
    executed = [args for name, args in emitted(tx, vm) if name == "VerdictExecuted"]
    assert executed == [{
        "incidentId": iid(verdict), "provider": b, "digest": bytes(vm.hashVerdict(verdict.as_tuple())),
        "verdict": [iid(verdict), b, ViolationClass.SECURITY_BREACH, verdict.severity,
                    bytes.fromhex(verdict.evidence_hash[2:]), verdict.observed_at, verdict.deadline, 1],
        "level": Level.SEVERE, "amount": SLASHED, "jailedUntil": now + 30 * DAY,
    }]
    assert [name for name, _ in emitted(tx, system.StakeManager)] == ["PoolFreezeChanged", "Jailed", "Slashed"]
    assert system.StakeManager.statusOf(b) == ProviderStatus.JAILED
    assert not system.StakeManager.getProvider(b).tombstoned
    assert incident(system, verdict).flags == FLAG_TOMBSTONE
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.RESPONDED
    assert system.RecoveryEscrow.totalEscrowed() == SLASHED
    assert system.RecoveryEscrow.insuranceBalance() == 0
    assert_conserved(system)


def test_finalize_tombstone_inside_the_appeal_window(system, chain):
    verdict, _ = severe_breach(system)
    end = appeal_window_end(system, verdict)
    chain.pending_timestamp = end - 3_600
    with reverts(system.VerdictManager.AppealWindowOpen, windowEnd=end, nowTime=end - 3_600):
        finalize(system, verdict)


def test_finalize_tombstone_in_the_last_second_of_the_window(system, chain):
    verdict, _ = severe_breach(system)
    end = appeal_window_end(system, verdict)
    chain.pending_timestamp = end
    with reverts(system.VerdictManager.AppealWindowOpen, windowEnd=end, nowTime=end):
        finalize(system, verdict)


def test_finalize_tombstone_of_a_penalty_row(system, chain):
    verdict, _ = execute_verdict(system, system.provider_b, ViolationClass.SECURITY_BREACH, Level.PENALTY)
    chain.pending_timestamp = appeal_window_end(system, verdict) + 1
    with reverts(system.VerdictManager.NotFinalizable, incidentId=iid(verdict)):
        finalize(system, verdict)


def test_finalize_tombstone_of_a_poor_performance_verdict(system, chain):
    verdict, _ = execute_verdict(system)
    chain.pending_timestamp = appeal_window_end(system, verdict) + 1
    with reverts(system.VerdictManager.NotFinalizable, incidentId=iid(verdict)):
        finalize(system, verdict)


def test_finalize_tombstone_of_an_unknown_incident(system):
    verdict = system.verdict(system.provider_b, ViolationClass.SECURITY_BREACH, Level.SEVERE)
    with reverts(system.VerdictManager.UnknownIncident, incidentId=iid(verdict)):
        finalize(system, verdict)


def test_after_the_window_the_provider_is_tombstoned_and_the_escrow_forfeited(system, chain):
    verdict, _ = severe_breach(system)
    b = system.provider_b.address
    chain.pending_timestamp = appeal_window_end(system, verdict) + 1

    tx = finalize(system, verdict)

    assert emitted(tx, system.AppealCourt) == []
    assert emitted(tx, system.VerdictManager) == [
        ("IncidentTombstoned", {"incidentId": iid(verdict), "provider": b}),
        ("IncidentClosed", {"incidentId": iid(verdict), "provider": b}),
    ]
    assert emitted(tx, system.StakeManager) == [
        ("Tombstoned", {"provider": b}),
        ("PoolFreezeChanged", {"provider": b, "openIncidents": 0}),
    ]
    assert emitted(tx, system.RecoveryEscrow) == [
        ("EscrowForfeited", {"incidentId": iid(verdict), "provider": b, "amount": SLASHED})
    ]
    assert transfers(tx, system.SwarmToken) == []  # the escrow already holds the tokens
    escrow = system.RecoveryEscrow
    assert (escrow.totalEscrowed(), escrow.insuranceBalance()) == (0, SLASHED)
    assert system.StakeManager.statusOf(b) == ProviderStatus.TOMBSTONED
    assert system.StakeManager.getProvider(b).openIncidents == 0
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.CLOSED
    assert incident(system, verdict).flags == FLAG_TOMBSTONE | FLAG_CLOSED
    assert_conserved(system)


def test_after_the_tombstone_the_pool_pays_its_stakers_out(system, chain):
    manager, b = system.StakeManager, system.provider_b
    shares = manager.getPosition(b, b).shares
    manager.requestUnstake(b, shares, sender=b)
    chain.pending_timestamp += SYSTEM_UNBONDING
    verdict, _ = severe_breach(system)
    with reverts(manager.PoolFrozen, provider=b, openIncidents=1):
        manager.withdraw(b, sender=b)
    chain.pending_timestamp = appeal_window_end(system, verdict) + 1
    finalize(system, verdict)
    pool = manager.getPool(b)
    assert pool.assets == PROVIDER_B_STAKE - SLASHED
    balance = system.SwarmToken.balanceOf(b)

    manager.withdraw(b, sender=b)

    paid = shares * (pool.assets + 1) // (pool.shares + 1_000)
    assert PROVIDER_B_STAKE - SLASHED - TOKEN < paid <= PROVIDER_B_STAKE - SLASHED
    assert system.SwarmToken.balanceOf(b) == balance + paid
    assert_conserved(system)


def test_finalize_tombstone_twice(system, chain):
    verdict, _ = severe_breach(system)
    chain.pending_timestamp = appeal_window_end(system, verdict) + 1
    finalize(system, verdict)
    with reverts(system.VerdictManager.NotFinalizable, incidentId=iid(verdict)):
        finalize(system, verdict)


def test_finalize_tombstone_while_the_appeal_is_pending(system, chain):
    verdict, _ = severe_breach(system)
    appeal(system, verdict)
    chain.pending_timestamp = appeal_window_end(system, verdict) + 1
    with reverts(system.VerdictManager.NotFinalizable, incidentId=iid(verdict)):
        finalize(system, verdict)
    assert not system.StakeManager.getProvider(system.provider_b).tombstoned


def test_an_overturned_severe_verdict_restores_everything(system, chain):
    manager, b = system.StakeManager, system.provider_b
    verdict, _ = severe_breach(system)
    appeal(system, verdict)

    tx = resolve(system, verdict, True)

    assert emitted(tx, system.RecoveryEscrow) == [
        ("EscrowRefunded", {"incidentId": iid(verdict), "provider": b.address, "amount": SLASHED})
    ]
    assert manager.getPool(b).assets == PROVIDER_B_STAKE + 3 * ORACLE_PENALTY
    assert manager.statusOf(b) == ProviderStatus.ACTIVE
    assert manager.getProvider(b).openIncidents == 0
    escrow = system.RecoveryEscrow
    assert (escrow.totalEscrowed(), escrow.insuranceBalance()) == (0, 0)
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.OVERTURNED
    # No tombstone ever: not after the window either.
    chain.pending_timestamp = appeal_window_end(system, verdict) + 1
    with reverts(system.VerdictManager.NotFinalizable, incidentId=iid(verdict)):
        finalize(system, verdict)
    assert not manager.getProvider(b).tombstoned
    manager.stake(b, TOKEN, sender=system.delegators[0])
    assert_conserved(system)


def test_an_upheld_appeal_of_a_severe_verdict_tombstones_at_once(system):
    b = system.provider_b.address
    verdict, _ = severe_breach(system)
    appeal(system, verdict)

    tx = resolve(system, verdict, False)

    assert emitted(tx, system.VerdictManager) == [
        ("VerdictUpheld", {"incidentId": iid(verdict), "provider": b}),
        ("IncidentTombstoned", {"incidentId": iid(verdict), "provider": b}),
        ("IncidentClosed", {"incidentId": iid(verdict), "provider": b}),
    ]
    assert emitted(tx, system.RecoveryEscrow) == [
        ("EscrowForfeited", {"incidentId": iid(verdict), "provider": b, "amount": SLASHED}),
        ("InsuranceDeposited", {"from": system.AppealCourt.address, "amount": APPEAL_BOND,
                                "balance": SLASHED + APPEAL_BOND}),
    ]
    assert emitted(tx, system.StakeManager) == [
        ("Tombstoned", {"provider": b}),
        ("PoolFreezeChanged", {"provider": b, "openIncidents": 0}),
    ]
    assert system.RecoveryEscrow.insuranceBalance() == SLASHED + APPEAL_BOND
    assert system.StakeManager.statusOf(b) == ProviderStatus.TOMBSTONED
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.CLOSED
    assert_conserved(system)


def test_an_expired_appeal_of_a_severe_verdict_tombstones_and_returns_the_bond(system, chain):
    b = system.provider_b.address
    verdict, _ = severe_breach(system)
    appeal(system, verdict)
    balance = system.SwarmToken.balanceOf(system.operator_b)
    chain.pending_timestamp = system.AppealCourt.deadlineOf(verdict.incident_id) + 1

    system.AppealCourt.finalizeAppeal(verdict.as_tuple(), sender=system.outsider)

    assert system.SwarmToken.balanceOf(system.operator_b) == balance + APPEAL_BOND
    assert system.RecoveryEscrow.insuranceBalance() == SLASHED
    assert system.StakeManager.statusOf(b) == ProviderStatus.TOMBSTONED
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.CLOSED
    assert_conserved(system)


def test_a_second_tombstoning_incident_still_ends(system, chain):
    # Governance may make more than one row tombstone; the provider is tombstoned by the first, and the
    # second must still forfeit its escrow and end its freeze instead of reverting forever.
    set_limits(system, rate_cap_bps=10_000, provider_cap_bps=10_000)
    severe_row = system.VerdictManager.penaltyRow(ViolationClass.PROTOCOL_VIOLATION, Level.SEVERE)
    system.govern(system.VerdictManager, "setPenaltyRow", ViolationClass.PROTOCOL_VIOLATION, Level.SEVERE,
                  tuple(severe_row)[:4] + (True, True))
    b = system.provider_b.address
    first, _ = severe_breach(system)
    second, _ = execute_verdict(system, system.provider_b, ViolationClass.PROTOCOL_VIOLATION, Level.SEVERE)
    assert system.StakeManager.getProvider(b).openIncidents == 2
    chain.pending_timestamp = appeal_window_end(system, second) + 1
    finalize(system, first)
    escrowed = system.RecoveryEscrow.totalEscrowed()

    tx = finalize(system, second)

    assert emitted(tx, system.StakeManager) == [("PoolFreezeChanged", {"provider": b, "openIncidents": 0})]
    assert emitted(tx, system.RecoveryEscrow) == [
        ("EscrowForfeited", {"incidentId": iid(second), "provider": b, "amount": escrowed})
    ]
    assert system.RecoveryEscrow.totalEscrowed() == 0
    assert system.SwarmLens.stateOf(second.incident_id) == Phase.CLOSED
    assert system.StakeManager.statusOf(b) == ProviderStatus.TOMBSTONED
    assert_conserved(system)
