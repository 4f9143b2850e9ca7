"""AppealCourt.resolveAppeal: the arbiter upholds (bond to insurance) or overturns (everything restored,
the signers penalized into the wronged pool) before the resolution deadline."""

import pytest
from helpers import emitted, reverts, transfers
from system_checks import (
    APPEAL_BOND,
    BPS,
    ESCROW_ESCROWED,
    ESCROW_REFUNDED,
    ORACLE_PENALTY,
    appeal,
    assert_conserved,
    execute_verdict,
    iid,
    resolve,
)
from system_fixtures import SYSTEM_LIMITS, SYSTEM_MIN_BOND, SYSTEM_UNBONDING, TOKEN

from swarm_stake.models import Level, Phase, ProviderStatus, ViolationClass
from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

pytestmark = pytest.mark.integration

ESCROWED, REFUNDED = ESCROW_ESCROWED, ESCROW_REFUNDED


PP = ViolationClass.POOR_PERFORMANCE
HOUR = 3600


def offense(system, provider, violation_class=PP) -> tuple[int, int]:
    """(at, level) of the escalation record of `provider` in `violation_class` (escalation is per class)."""
    record = system.StakeManager.lastOffense(provider, violation_class)
    return (record.at, record.level)


@pytest.fixture
def prior_warning(system, chain):
    """A poor-performance warning against provider A: its poor-performance escalation record is (that
    time, Warning). The next failure is in a later incident-id bucket: another incident of the class."""
    _, tx = execute_verdict(system, severity=Level.WARNING)
    assert offense(system, system.provider_a) == (tx.timestamp, Level.WARNING)
    assert system.StakeManager.getProvider(system.provider_a).openIncidents == 0  # a warning freezes nothing
    chain.pending_timestamp += HOUR
    return tx.timestamp


@pytest.fixture
def appealed(system, prior_warning):
    """A poor-performance penalty against provider A (1% of its 16,000-token pool), appealed."""
    manager = system.StakeManager
    before = {
        "pool": manager.getPool(system.provider_a).assets,
        "total": manager.totalStake(),
        "operator": system.SwarmToken.balanceOf(system.operator_a),
        "bonds": [system.OracleCommittee.bondOf(o).amount for o in system.oracles],
        "prior": prior_warning,
    }
    verdict, _ = execute_verdict(system)
    before["slashed"] = before["pool"] - manager.getPool(system.provider_a).assets
    assert before["slashed"] == before["pool"] * 100 // BPS == 160 * TOKEN
    appeal(system, verdict)
    return verdict, before


def test_overturn_events(system, appealed):
    verdict, before = appealed
    a, o, slashed = system.provider_a.address, system.oracles, before["slashed"]
    penalties = 3 * ORACLE_PENALTY

    tx = resolve(system, verdict, True)

    assert emitted(tx, system.AppealCourt) == [
        ("AppealOverturned", {"incidentId": iid(verdict), "bondReturned": APPEAL_BOND, "returned": slashed,
                              "penalties": penalties})
    ]
    assert emitted(tx, system.VerdictManager) == [("VerdictOverturned", {"incidentId": iid(verdict), "provider": a})]
    assert emitted(tx, system.RecoveryEscrow) == [
        ("EscrowRefunded", {"incidentId": iid(verdict), "provider": a, "amount": slashed})
    ]
    assert emitted(tx, system.OracleCommittee) == [
        ("BondPenalized", {"member": o[i].address, "provider": a, "amount": ORACLE_PENALTY, "toPool": True}) for i in range(3)
    ]
    pool = before["pool"]
    # The verdict manager takes the verdict out of the standing set (no other jail stands: the jail is
    # lifted); the court applies the rest: the escrow refunded, the signers penalized into the pool (still
    # frozen by this incident), then the pool unfrozen.
    assert emitted(tx, system.StakeManager) == [
        ("Unjailed", {"provider": a}),
        ("StakeReturned", {"provider": a, "from": system.RecoveryEscrow.address, "amount": slashed, "poolAssets": pool}),
    ] + [
        ("StakeReturned", {"provider": a, "from": system.OracleCommittee.address, "amount": ORACLE_PENALTY,
                           "poolAssets": pool + (i + 1) * ORACLE_PENALTY})
        for i in range(3)
    ] + [
        ("PoolFreezeChanged", {"provider": a, "openIncidents": 0}),
    ]
    manager, committee = system.StakeManager.address, system.OracleCommittee.address
    assert transfers(tx, system.SwarmToken) == [
        (system.RecoveryEscrow.address, manager, slashed),
        (committee, manager, ORACLE_PENALTY),
        (committee, manager, ORACLE_PENALTY),
        (committee, manager, ORACLE_PENALTY),
        (system.AppealCourt.address, system.operator_a.address, APPEAL_BOND),
    ]
    assert_conserved(system)


def test_overturn_returns_the_escrow_in_full_plus_the_oracle_penalties(system, appealed):
    verdict, before = appealed

    resolve(system, verdict, True)

    escrow = system.RecoveryEscrow
    assert system.StakeManager.getPool(system.provider_a).assets == before["pool"] + 3 * ORACLE_PENALTY
    assert system.StakeManager.totalStake() == before["total"] + 3 * ORACLE_PENALTY
    assert escrow.escrowOf(verdict.incident_id).status == REFUNDED
    assert escrow.escrowOf(verdict.incident_id).amount == before["slashed"]  # the record keeps the amount
    assert escrow.totalEscrowed() == 0
    assert escrow.insuranceBalance() == 0
    assert system.SwarmToken.balanceOf(escrow) == 0
    assert_conserved(system)


def test_overturn_returns_the_appeal_bond(system, appealed):
    verdict, before = appealed

    resolve(system, verdict, True)

    assert system.SwarmToken.balanceOf(system.operator_a) == before["operator"]
    assert system.SwarmToken.balanceOf(system.AppealCourt) == 0


def test_overturn_lifts_the_jail(system, appealed):
    verdict, _ = appealed
    assert system.StakeManager.statusOf(system.provider_a) == ProviderStatus.JAILED

    resolve(system, verdict, True)

    assert system.StakeManager.statusOf(system.provider_a) == ProviderStatus.ACTIVE
    assert system.StakeManager.getProvider(system.provider_a).jailedUntil == 0


def test_overturn_unfreezes_the_pool(system, appealed):
    verdict, _ = appealed
    with reverts(system.StakeManager.PoolFrozen, provider=system.provider_a, openIncidents=1):
        system.StakeManager.stake(system.provider_a, TOKEN, sender=system.delegators[0])

    resolve(system, verdict, True)

    assert system.StakeManager.getProvider(system.provider_a).openIncidents == 0
    system.StakeManager.stake(system.provider_a, TOKEN, sender=system.delegators[0])


def test_overturn_lets_a_waiting_delegator_withdraw_again(system, chain):
    manager, delegator = system.StakeManager, system.delegators[0]
    shares = manager.getPosition(system.provider_a, delegator).shares
    manager.requestUnstake(system.provider_a, shares, sender=delegator)
    chain.pending_timestamp += SYSTEM_UNBONDING
    verdict, _ = execute_verdict(system)
    with reverts(manager.PoolFrozen, provider=system.provider_a, openIncidents=1):
        manager.withdraw(system.provider_a, sender=delegator)
    appeal(system, verdict)
    resolve(system, verdict, True)
    pool = manager.getPool(system.provider_a)
    expected = shares * (pool.assets + 1) // (pool.shares + 1_000)
    balance = system.SwarmToken.balanceOf(delegator)

    manager.withdraw(system.provider_a, sender=delegator)

    # 3,000 staked, nothing lost, plus its share of the oracle penalties.
    assert expected > 3_000 * TOKEN
    assert system.SwarmToken.balanceOf(delegator) == balance + expected
    assert_conserved(system)


def test_overturn_refunds_the_rate_cap_use(system, appealed):
    verdict, _ = appealed
    vm, sm = system.VerdictManager, system.StakeManager
    assert system.StakeManager.capAvailable(vm.capParams()) < system.StakeManager.totalStake() * SYSTEM_LIMITS.rate_cap_bps // BPS

    resolve(system, verdict, True)

    assert system.StakeManager.capAvailable(vm.capParams()) == system.StakeManager.totalStake() * SYSTEM_LIMITS.rate_cap_bps // BPS
    record = sm.capUseOf(system.provider_a)
    assert (record.current, record.previous) == (0, 0)


def test_overturn_restores_the_escalation_record(system, appealed):
    verdict, before = appealed
    executed_at = system.VerdictManager.getIncident(verdict.incident_id)[0][1]
    assert offense(system, system.provider_a) == (executed_at, Level.PENALTY)
    assert system.StakeManager.getProvider(system.provider_a).openIncidents == 1

    resolve(system, verdict, True)

    assert offense(system, system.provider_a) == (before["prior"], Level.WARNING)
    assert system.StakeManager.getProvider(system.provider_a).openIncidents == 0


def test_overturn_penalizes_each_signer_from_its_bond(system, appealed):
    verdict, before = appealed

    resolve(system, verdict, True)

    bonds = [system.OracleCommittee.bondOf(o).amount for o in system.oracles]
    assert before["bonds"] == [SYSTEM_MIN_BOND] * 5
    assert bonds == [SYSTEM_MIN_BOND - ORACLE_PENALTY] * 3 + [SYSTEM_MIN_BOND] * 2
    assert system.SwarmToken.balanceOf(system.OracleCommittee) == sum(bonds)


def test_overturn_penalizes_every_approval_beyond_the_threshold(system):
    verdict = system.verdict()
    system.submit(verdict, system.oracles[1:5])  # four approvals for a threshold of three
    appeal(system, verdict)

    tx = resolve(system, verdict, True)

    assert [args["member"] for name, args in emitted(tx, system.OracleCommittee)] == [
        o.address for o in system.oracles[1:5]
    ]
    assert emitted(tx, system.AppealCourt)[0][1]["penalties"] == 4 * ORACLE_PENALTY
    assert system.OracleCommittee.bondOf(system.oracles[0]).amount == SYSTEM_MIN_BOND


def test_overturn_state(system, appealed):
    verdict, _ = appealed

    resolve(system, verdict, True)

    vm = system.VerdictManager
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.OVERTURNED
    assert not system.SwarmLens.appealPending(verdict.incident_id)
    assert vm.getIncident(verdict.incident_id)[0][5] & 3 == 3  # FLAG_APPEAL_RESOLVED | FLAG_OVERTURNED


def test_overturned_warning_returns_nothing_but_still_penalizes_the_signers(system):
    """Attack (hole: warning-overturn penalties captured just in time): a warning freezes nothing, so its
    signers' penalties went into a pool anyone could join; a staker who staked just before the arbiter's
    decision took most of them. Now they go to the provider's owner key, and the late staker's position
    is worth what it paid in."""
    verdict, _ = execute_verdict(system, severity=Level.WARNING)
    manager, token, owner = system.StakeManager, system.SwarmToken, system.provider_a
    appeal(system, verdict)
    late = system.delegators[0]
    manager.stake(owner, 50_000 * TOKEN, sender=late)  # just before the decision: the pool is not frozen
    pool, owner_balance = manager.getPool(owner).assets, token.balanceOf(owner)
    late_value = manager.convertToAssets(owner, manager.getPosition(owner, late).shares)

    tx = resolve(system, verdict, True)

    assert emitted(tx, system.AppealCourt) == [
        ("AppealOverturned", {"incidentId": iid(verdict), "bondReturned": 0, "returned": 0,
                              "penalties": 3 * ORACLE_PENALTY})
    ]
    assert emitted(tx, system.RecoveryEscrow) == []
    assert [args["toPool"] for name, args in emitted(tx, system.OracleCommittee) if name == "BondPenalized"] == [
        False, False, False]
    assert manager.getPool(owner).assets == pool
    assert token.balanceOf(owner) == owner_balance + 3 * ORACLE_PENALTY
    assert manager.convertToAssets(owner, manager.getPosition(owner, late).shares) == late_value
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.OVERTURNED
    assert offense(system, system.provider_a) == (0, 0)
    assert_conserved(system)


def test_uphold_sends_the_bond_to_the_insurance_pool(system, appealed):
    verdict, before = appealed
    escrow, court = system.RecoveryEscrow, system.AppealCourt

    tx = resolve(system, verdict, False)

    assert emitted(tx, court) == [("AppealUpheld", {"incidentId": iid(verdict), "bondForfeited": APPEAL_BOND})]
    assert emitted(tx, system.VerdictManager) == [
        ("VerdictUpheld", {"incidentId": iid(verdict), "provider": system.provider_a.address})
    ]
    assert emitted(tx, escrow) == [
        ("InsuranceDeposited", {"from": court.address, "amount": APPEAL_BOND, "balance": APPEAL_BOND})
    ]
    assert transfers(tx, system.SwarmToken) == [(court.address, escrow.address, APPEAL_BOND)]
    assert emitted(tx, system.StakeManager) == [] and emitted(tx, system.OracleCommittee) == []
    assert escrow.insuranceBalance() == APPEAL_BOND
    assert system.SwarmToken.balanceOf(court) == 0
    assert system.SwarmToken.balanceOf(system.operator_a) == before["operator"] - APPEAL_BOND
    assert_conserved(system)


def test_uphold_leaves_the_response_in_place(system, appealed):
    verdict, before = appealed

    resolve(system, verdict, False)

    vm, manager = system.VerdictManager, system.StakeManager
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.RESPONDED
    assert not system.SwarmLens.appealPending(verdict.incident_id)
    assert system.RecoveryEscrow.escrowOf(verdict.incident_id).status == ESCROWED
    assert system.RecoveryEscrow.totalEscrowed() == before["slashed"]
    assert manager.statusOf(system.provider_a) == ProviderStatus.JAILED
    assert manager.getProvider(system.provider_a).openIncidents == 1
    assert manager.getPool(system.provider_a).assets == before["pool"] - before["slashed"]
    assert [system.OracleCommittee.bondOf(o).amount for o in system.oracles] == before["bonds"]
    assert offense(system, system.provider_a)[1] == Level.PENALTY


def test_only_the_arbiter_resolves(system, appealed):
    verdict, _ = appealed
    court = system.AppealCourt
    for caller in (system.gov, system.outsider, system.operator_a, system.oracles[0]):
        with reverts(court.AccessControlUnauthorizedAccount, account=caller, neededRole=court.ARBITER_ROLE()):
            resolve(system, verdict, True, sender=caller)
    assert system.SwarmLens.appealPending(verdict.incident_id)


def test_resolve_exactly_at_the_deadline(system, chain, appealed):
    verdict, _ = appealed
    chain.pending_timestamp = system.AppealCourt.deadlineOf(verdict.incident_id)

    resolve(system, verdict, True)

    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.OVERTURNED


def test_resolve_after_the_deadline(system, chain, appealed):
    verdict, _ = appealed
    deadline = system.AppealCourt.deadlineOf(verdict.incident_id)
    chain.pending_timestamp = deadline + 1
    with reverts(system.AppealCourt.ResolutionDeadlinePassed, deadline=deadline, nowTime=deadline + 1):
        resolve(system, verdict, True)


def test_resolve_an_incident_never_appealed(system):
    verdict, _ = execute_verdict(system)
    with reverts(system.AppealCourt.NoPendingAppeal, incidentId=iid(verdict)):
        resolve(system, verdict, False)


def test_resolve_twice(system, appealed):
    verdict, _ = appealed
    resolve(system, verdict, False)
    with reverts(system.AppealCourt.NoPendingAppeal, incidentId=iid(verdict)):
        resolve(system, verdict, True)


def test_resolve_with_an_altered_verdict(system, appealed):
    verdict, _ = appealed
    altered = verdict.model_copy(update={"severity": Level.SEVERE})
    with reverts(system.VerdictManager.VerdictMismatch, incidentId=iid(verdict)):
        resolve(system, altered, True)


# Overturns restore exactly (DESIGN): two former findings of tests/test_invariants.py, fixed by the
# provider's standing set (StakeManager.standingOf).


def test_overturn_leaves_only_the_jail_of_the_verdict_that_stands(system):
    """B: a poor-performance penalty (jail 1 day) stands; a security breach escalated to severe (jail 30 days)
    is overturned. The jail left is the standing verdict's."""
    standing, tx = execute_verdict(system, system.provider_b)
    system.chain.pending_timestamp += 600
    wrong, _ = execute_verdict(system, system.provider_b, ViolationClass.SECURITY_BREACH, Level.PENALTY)
    appeal(system, wrong)
    resolve(system, wrong, True)
    jail_end = tx.timestamp + system.VerdictManager.penaltyRow(ViolationClass.POOR_PERFORMANCE, Level.PENALTY).jailDuration
    assert system.StakeManager.getProvider(system.provider_b).jailedUntil == jail_end


def test_overturns_of_two_classes_in_any_order_leave_no_offense_on_record(system):
    """B: two incidents of different classes, both overturned, the earlier first: nothing may escalate later
    (escalation records are per class, so neither overturn can restore the other's offense)."""
    first, _ = execute_verdict(system, system.provider_b)
    system.chain.pending_timestamp += 600
    second, _ = execute_verdict(system, system.provider_b, ViolationClass.PROTOCOL_VIOLATION, Level.PENALTY)
    for verdict in (first, second):
        appeal(system, verdict)
    for verdict in (first, second):
        resolve(system, verdict, True)
    for violation_class in (PP, ViolationClass.PROTOCOL_VIOLATION):
        assert offense(system, system.provider_b, violation_class) == (0, 0)


def test_overturns_of_one_class_in_any_order_leave_no_offense_on_record(system):
    """B: two protocol violations an hour apart, both overturned, the earlier first: the class's record is empty
    (the second's overturn once restored the record it replaced: the first, already overturned)."""
    pv = ViolationClass.PROTOCOL_VIOLATION
    first, _ = execute_verdict(system, system.provider_b, pv, Level.PENALTY)
    system.chain.pending_timestamp += 3_600
    second, _ = execute_verdict(system, system.provider_b, pv, Level.PENALTY)
    for verdict in (first, second):
        appeal(system, verdict)
    for verdict in (first, second):
        resolve(system, verdict, True)
    assert offense(system, system.provider_b, pv) == (0, 0)


def test_upheld_warning_forfeits_no_bond(system):
    verdict, _ = execute_verdict(system, severity=Level.WARNING)
    escrow, court, token = system.RecoveryEscrow, system.AppealCourt, system.SwarmToken
    operator_balance = token.balanceOf(system.operator_a)
    appeal(system, verdict)

    tx = resolve(system, verdict, False)

    assert emitted(tx, court) == [("AppealUpheld", {"incidentId": iid(verdict), "bondForfeited": 0})]
    assert emitted(tx, system.VerdictManager) == [
        ("VerdictUpheld", {"incidentId": iid(verdict), "provider": system.provider_a.address})
    ]
    assert emitted(tx, escrow) == [] and transfers(tx, token) == []
    assert escrow.insuranceBalance() == 0
    assert token.balanceOf(system.operator_a) == operator_balance
    assert not system.SwarmLens.appealPending(verdict.incident_id)
    assert_conserved(system)
