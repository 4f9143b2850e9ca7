"""VerdictManager's appeal hooks (markAppealed, uphold, overturn, closeTombstone) answer only the appeal
court, and closeIncident only the recovery escrow. The hooks record the outcome and tell the court what
to apply (their return values); the consequences themselves (tombstone, forfeit, refund, unfreeze,
oracle penalties) are the court's, so a hook alone moves no tokens. The one effect outside the
VerdictManager is the provider's standing set in the StakeManager: an overturn takes the verdict's offense
and jail out of it, a close its offense into the record for good (and its jail, unless recovered).

The hooks are called here from the court's own address (impersonated), the incident marked appealed by
the court's address directly: no appeal bond is involved, so the conservation law holds throughout."""

import pytest
from helpers import DEFAULT_ADMIN_ROLE, emitted, reverts
from system_checks import (
    FLAG_TOMBSTONE,
    appeal,
    appeal_window_end,
    assert_conserved,
    execute_verdict,
    iid,
    impersonate,
    incident,
    set_limits,
    severe_breach,
)

from swarm_stake.models import Level, Phase, ViolationClass
from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

pytestmark = pytest.mark.integration

FLAG_APPEAL_RESOLVED, FLAG_OVERTURNED, FLAG_CLOSED = 1, 2, 4  # VerdictManager flags
PP = ViolationClass.POOR_PERFORMANCE


def outsiders(system):
    """Everyone who might try: the deployer, the arbiter, the guardian, an oracle, the provider's keys,
    the timelock itself and the other contracts."""
    return [system.gov, system.arbiter, system.guardian, system.oracles[0], system.provider_a, system.operator_a,
            system.outsider]


def court(system):
    return impersonate(system, system.AppealCourt)


def mark_appealed(system, verdict):
    return system.VerdictManager.markAppealed(verdict.as_tuple(), sender=court(system))


def others(system, tx) -> dict:
    """What every contract but the VerdictManager emitted in `tx`."""
    contracts = (system.StakeManager, system.RecoveryEscrow, system.OracleCommittee, system.AppealCourt,
                 system.SwarmToken)
    return {c.contract_type.name: emitted(tx, c) for c in contracts if emitted(tx, c)}


def seats(*indices) -> int:
    """The approval bitmap of the given seats (seat i is system.oracles[i], as the committee was seated)."""
    return sum(1 << i for i in indices)


def owing_severe_breach(system):
    """A severe security breach against provider B over its provider cap (10% of the pool): 30% of its
    5,000-token pool is owed, 500 taken now, the rest a remainder."""
    set_limits(system, provider_cap_bps=1_000)
    verdict, _ = severe_breach(system)
    assert system.VerdictManager.remainderOf(verdict.incident_id) > 0
    return verdict


def ready(system, hook):
    """A verdict in the state in which `hook` succeeds when the court calls it."""
    verdict, _ = severe_breach(system) if hook == "closeTombstone" else execute_verdict(system)
    if hook in ("uphold", "overturn"):
        mark_appealed(system, verdict)
    if hook == "closeTombstone":
        system.chain.pending_timestamp = appeal_window_end(system, verdict) + 1
    return verdict


def test_only_the_appeal_court_holds_the_appeals_role(system):
    vm = system.VerdictManager
    role = vm.APPEALS_ROLE()
    assert vm.hasRole(role, system.AppealCourt)
    for other in outsiders(system) + [system.SwarmTimelock, system.RecoveryEscrow]:
        assert not vm.hasRole(role, other)


@pytest.mark.parametrize("hook", ["markAppealed", "uphold", "overturn", "closeTombstone"])
def test_appeal_hooks_refuse_anyone_but_the_court(system, hook):
    """Each hook, in a state in which the court's call succeeds, refuses everyone else (the escrow too),
    changing nothing; then the court's own call goes through."""
    vm = system.VerdictManager
    verdict = ready(system, hook)
    stored = incident(system, verdict)
    for caller in outsiders(system) + [impersonate(system, system.RecoveryEscrow)]:
        with reverts(vm.AccessControlUnauthorizedAccount, account=caller, neededRole=vm.APPEALS_ROLE()):
            getattr(vm, hook)(verdict.as_tuple(), sender=caller)
    assert incident(system, verdict) == stored

    getattr(vm, hook)(verdict.as_tuple(), sender=court(system))

    assert incident(system, verdict) != stored


def test_the_timelock_cannot_overturn_directly(system):
    # Governance could grant itself the role, but holding the admin role alone does not let it resolve.
    vm = system.VerdictManager
    verdict, _ = execute_verdict(system)
    appeal(system, verdict)
    with reverts(vm.AccessControlUnauthorizedAccount, account=system.SwarmTimelock, neededRole=vm.APPEALS_ROLE()):
        vm.overturn(verdict.as_tuple(), sender=impersonate(system, system.SwarmTimelock))
    assert vm.hasRole(DEFAULT_ADMIN_ROLE, system.SwarmTimelock)


def test_uphold_without_an_appeal(system):
    # Even the court's own address cannot uphold an incident nobody appealed.
    vm = system.VerdictManager
    verdict, _ = execute_verdict(system)
    with reverts(vm.NoPendingAppeal, incidentId=iid(verdict)):
        vm.uphold(verdict.as_tuple(), sender=court(system))


def test_overturn_without_an_appeal(system):
    vm = system.VerdictManager
    verdict, _ = execute_verdict(system)
    with reverts(vm.NoPendingAppeal, incidentId=iid(verdict)):
        vm.overturn(verdict.as_tuple(), sender=court(system))


def test_mark_appealed_returns_the_incident_as_stored_before(system):
    vm = system.VerdictManager
    verdict, _ = execute_verdict(system)
    before = incident(system, verdict)

    tx = mark_appealed(system, verdict)

    assert tuple(tx.return_value) == tuple(before)
    assert emitted(tx, vm) == [("IncidentAppealed", {"incidentId": iid(verdict), "provider": verdict.provider})]
    assert others(system, tx) == {}
    assert incident(system, verdict) == before._replace(appealedAt=tx.timestamp)
    assert system.SwarmLens.appealPending(verdict.incident_id)


def test_uphold_of_a_penalty_asks_for_nothing(system):
    vm = system.VerdictManager
    verdict, _ = execute_verdict(system)
    mark_appealed(system, verdict)
    before = incident(system, verdict)

    tx = vm.uphold(verdict.as_tuple(), sender=court(system))

    assert tuple(tx.return_value) == (False, False)
    assert emitted(tx, vm) == [("VerdictUpheld", {"incidentId": iid(verdict), "provider": verdict.provider})]
    assert others(system, tx) == {}
    assert incident(system, verdict) == before._replace(flags=FLAG_APPEAL_RESOLVED)
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.RESPONDED


def test_uphold_of_a_tombstoning_verdict_closes_it_and_leaves_the_tombstone_to_the_court(system):
    vm, b = system.VerdictManager, system.provider_b.address
    verdict, _ = severe_breach(system)
    mark_appealed(system, verdict)

    tx = vm.uphold(verdict.as_tuple(), sender=court(system))

    assert tuple(tx.return_value) == (True, False)
    assert emitted(tx, vm) == [
        ("VerdictUpheld", {"incidentId": iid(verdict), "provider": b}),
        ("IncidentTombstoned", {"incidentId": iid(verdict), "provider": b}),
        ("IncidentClosed", {"incidentId": iid(verdict), "provider": b}),
    ]
    assert others(system, tx) == {}
    assert incident(system, verdict).flags == FLAG_TOMBSTONE | FLAG_APPEAL_RESOLVED | FLAG_CLOSED
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.CLOSED
    # The tombstone, the forfeit and the unfreeze are the court's to apply: none happened here.
    assert not system.StakeManager.getProvider(b).tombstoned
    assert system.StakeManager.getProvider(b).openIncidents == 1
    assert system.RecoveryEscrow.escrowOf(verdict.incident_id).status == 1  # still escrowed


def test_uphold_of_a_tombstoning_verdict_reports_a_remainder_owed(system):
    vm = system.VerdictManager
    verdict = owing_severe_breach(system)
    owed = vm.remainderOf(verdict.incident_id)
    mark_appealed(system, verdict)

    tx = vm.uphold(verdict.as_tuple(), sender=court(system))

    assert tuple(tx.return_value) == (True, True)
    assert [name for name, _ in emitted(tx, vm)] == ["VerdictUpheld", "IncidentTombstoned", "IncidentClosed"]
    assert vm.remainderOf(verdict.incident_id) == owed  # still owed: collect() takes it later


def test_overturn_returns_that_it_slashed_and_every_approval(system):
    """Four signers for a threshold of three: the approval bitmap names all four seats (each is penalized
    by the court). The hook itself refunds the cap use and takes the verdict out of the standing set: the
    escalation record empty again, the jail (the only one) lifted."""
    vm, sm, a = system.VerdictManager, system.StakeManager, system.provider_a
    verdict = system.verdict()
    system.submit(verdict, system.oracles[1:5])
    mark_appealed(system, verdict)
    before = incident(system, verdict)
    assert sm.capUseOf(a).current > 0

    tx = vm.overturn(verdict.as_tuple(), sender=court(system))

    assert tuple(tx.return_value) == (True, seats(1, 2, 3, 4))
    assert before.approvals == seats(1, 2, 3, 4)  # kept in the incident: no approval slot was written
    assert vm.approvalsOf(vm.hashVerdict(verdict.as_tuple())) == 0
    assert emitted(tx, vm) == [("VerdictOverturned", {"incidentId": iid(verdict), "provider": a.address})]
    assert others(system, tx) == {"StakeManager": [("Unjailed", {"provider": a.address})]}
    assert incident(system, verdict) == before._replace(flags=FLAG_APPEAL_RESOLVED | FLAG_OVERTURNED)
    assert tuple(system.StakeManager.lastOffense(a, PP)) == (0, 0)
    assert (sm.capUseOf(a).current, sm.capUseOf(a).previous) == (0, 0)
    assert system.StakeManager.getProvider(a).jailedUntil == 0
    # Refund and unfreeze are the court's to apply: neither happened here.
    assert system.StakeManager.getProvider(a).openIncidents == 1
    assert system.RecoveryEscrow.escrowOf(verdict.incident_id).status == 1  # still escrowed


def test_overturn_returns_the_approvals_of_seats_beyond_24_kept_in_their_own_slot(system):
    """An incident keeps the approvals of its verdict only when they fit seats 1-24. Signers seated 26-28
    of a 28-seat committee: the incident keeps none, the approval slot keeps all three, and the overturn
    still names every signer (each is penalized by the court)."""
    vm = system.VerdictManager
    system.govern(system.OracleCommittee, "setMinBond", 0)
    fillers = [f"0x{i:040x}" for i in range(0x1000, 0x1000 + 25)]
    system.govern(system.OracleCommittee, "setCommittee", [*fillers, *(o.address for o in system.oracles[:3])], 3)
    verdict = system.verdict(epoch=system.OracleCommittee.epoch())
    system.submit(verdict, system.oracles[:3])
    bitmap = seats(25, 26, 27)
    assert incident(system, verdict).approvals == 0
    assert vm.approvalsOf(vm.hashVerdict(verdict.as_tuple())) == bitmap
    mark_appealed(system, verdict)

    tx = vm.overturn(verdict.as_tuple(), sender=court(system))

    assert tuple(tx.return_value) == (True, bitmap)


def test_overturn_of_a_warning_returns_that_it_did_not_slash(system):
    vm = system.VerdictManager
    verdict, _ = execute_verdict(system, severity=Level.WARNING)
    mark_appealed(system, verdict)

    tx = vm.overturn(verdict.as_tuple(), sender=court(system))

    assert tuple(tx.return_value) == (False, seats(0, 1, 2))
    assert emitted(tx, vm) == [("VerdictOverturned", {"incidentId": iid(verdict), "provider": verdict.provider})]
    assert others(system, tx) == {}
    assert tuple(system.StakeManager.lastOffense(system.provider_a, PP)) == (0, 0)


def test_overturn_cancels_a_remainder_owed(system):
    vm, b = system.VerdictManager, system.provider_b.address
    verdict = owing_severe_breach(system)
    owed = vm.remainderOf(verdict.incident_id)
    mark_appealed(system, verdict)

    tx = vm.overturn(verdict.as_tuple(), sender=court(system))

    assert tuple(tx.return_value) == (True, seats(0, 1, 2))
    assert emitted(tx, vm) == [
        ("RemainderCleared", {"incidentId": iid(verdict), "provider": b, "remainder": owed}),
        ("VerdictOverturned", {"incidentId": iid(verdict), "provider": b}),
    ]
    assert others(system, tx) == {"StakeManager": [("Unjailed", {"provider": b})]}
    assert vm.remainderOf(verdict.incident_id) == 0


def test_close_tombstone_closes_the_incident_and_leaves_the_tombstone_to_the_court(system):
    vm, b = system.VerdictManager, system.provider_b.address
    verdict = ready(system, "closeTombstone")

    tx = vm.closeTombstone(verdict.as_tuple(), sender=court(system))

    assert tx.return_value is False
    assert emitted(tx, vm) == [
        ("IncidentTombstoned", {"incidentId": iid(verdict), "provider": b}),
        ("IncidentClosed", {"incidentId": iid(verdict), "provider": b}),
    ]
    assert others(system, tx) == {}
    assert incident(system, verdict).flags == FLAG_TOMBSTONE | FLAG_CLOSED
    assert not system.StakeManager.getProvider(b).tombstoned
    with reverts(vm.NotFinalizable, incidentId=iid(verdict)):
        vm.closeTombstone(verdict.as_tuple(), sender=court(system))


def test_close_tombstone_reports_a_remainder_owed(system):
    vm = system.VerdictManager
    verdict = owing_severe_breach(system)
    owed = vm.remainderOf(verdict.incident_id)
    system.chain.pending_timestamp = appeal_window_end(system, verdict) + 1

    tx = vm.closeTombstone(verdict.as_tuple(), sender=court(system))

    assert tx.return_value is True
    assert [name for name, _ in emitted(tx, vm)] == ["IncidentTombstoned", "IncidentClosed"]
    assert vm.remainderOf(verdict.incident_id) == owed


def test_close_incident_refuses_anyone_but_the_escrow(system):
    vm = system.VerdictManager
    verdict, _ = execute_verdict(system)
    assert vm.hasRole(vm.ESCROW_ROLE(), system.RecoveryEscrow)
    for caller in outsiders(system):
        with reverts(vm.AccessControlUnauthorizedAccount, account=caller, neededRole=vm.ESCROW_ROLE()):
            vm.closeIncident(verdict.incident_id, system.provider_a, False, sender=caller)
    with reverts(vm.AccessControlUnauthorizedAccount, account=system.AppealCourt, neededRole=vm.ESCROW_ROLE()):
        vm.closeIncident(verdict.incident_id, system.provider_a, True, sender=court(system))
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.RESPONDED


@pytest.mark.parametrize("recovered", [False, True])
def test_the_escrow_closes_an_incident(system, recovered):
    """A close keeps the incident's offense for good; its jail ends with a completed recovery, else stands."""
    vm, sm, a = system.VerdictManager, system.StakeManager, system.provider_a
    verdict, executed_tx = execute_verdict(system)
    before = incident(system, verdict)
    jailed_until = sm.getProvider(a).jailedUntil

    tx = vm.closeIncident(verdict.incident_id, a, recovered, sender=impersonate(system, system.RecoveryEscrow))

    assert emitted(tx, vm) == [("IncidentClosed", {"incidentId": iid(verdict), "provider": a.address})]
    # The escrow unfreezes the pool itself; a completed recovery ends the jail the incident imposed.
    assert others(system, tx) == ({"StakeManager": [("Unjailed", {"provider": a.address})]} if recovered else {})
    assert sm.getProvider(a).jailedUntil == (0 if recovered else jailed_until)
    assert tuple(sm.lastOffense(a, PP)) == (executed_tx.timestamp, before.level)
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.CLOSED
    assert incident(system, verdict) == before._replace(flags=FLAG_CLOSED)
    assert_conserved(system)


def test_closing_an_incident_writes_off_its_remainder(system):
    """A penalty over the system cap (0.5% of total stake, less than its 1% slash): what is still owed
    when the escrow ends the incident is written off."""
    vm, a = system.VerdictManager, system.provider_a.address
    set_limits(system, rate_cap_bps=50)
    verdict, _ = execute_verdict(system)
    owed = vm.remainderOf(verdict.incident_id)
    assert owed > 0

    tx = vm.closeIncident(verdict.incident_id, a, False, sender=impersonate(system, system.RecoveryEscrow))

    assert emitted(tx, vm) == [
        ("IncidentClosed", {"incidentId": iid(verdict), "provider": a}),
        ("RemainderCleared", {"incidentId": iid(verdict), "provider": a, "remainder": owed}),
    ]
    assert others(system, tx) == {}
    assert vm.remainderOf(verdict.incident_id) == 0


def test_the_escrow_cannot_close_an_unknown_incident(system):
    vm = system.VerdictManager
    verdict = system.verdict()
    with reverts(vm.UnknownIncident, incidentId=iid(verdict)):
        vm.closeIncident(verdict.incident_id, system.provider_a, False, sender=impersonate(system, system.RecoveryEscrow))
