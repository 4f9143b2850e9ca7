"""VerdictManager's appeal hooks (markAppealed, uphold, overturn) answer only the appeal court, and
closeIncident only the recovery escrow."""

import pytest
from helpers import DEFAULT_ADMIN_ROLE, emitted, reverts
from system_checks import appeal, assert_conserved, execute_verdict, iid, impersonate

from swarm_stake.models import Phase, ViolationClass
from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

pytestmark = pytest.mark.integration


def outsiders(system):
    """Everyone who might try: the deployer, the arbiter, the guardian, an oracle, the provider's keys,
    the timelock itself and the other contracts."""
    return [system.gov, system.arbiter, system.guardian, system.oracles[0], system.provider_a, system.operator_a,
            system.outsider]


def test_only_the_appeal_court_holds_the_appeals_role(system):
    vm = system.VerdictManager
    role = vm.APPEALS_ROLE()
    assert vm.hasRole(role, system.AppealCourt)
    for other in outsiders(system) + [system.SwarmTimelock, system.RecoveryEscrow]:
        assert not vm.hasRole(role, other)


@pytest.mark.parametrize("hook", ["markAppealed", "uphold", "overturn"])
def test_appeal_hooks_refuse_anyone_but_the_court(system, hook):
    vm = system.VerdictManager
    verdict, _ = execute_verdict(system)
    if hook != "markAppealed":
        appeal(system, verdict)
    for caller in outsiders(system):
        with reverts(vm.AccessControlUnauthorizedAccount, account=caller, neededRole=vm.APPEALS_ROLE()):
            getattr(vm, hook)(verdict.as_tuple(), sender=caller)


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
        vm.uphold(verdict.as_tuple(), sender=impersonate(system, system.AppealCourt))


def test_overturn_without_an_appeal(system):
    vm = system.VerdictManager
    verdict, _ = execute_verdict(system)
    with reverts(vm.NoPendingAppeal, incidentId=iid(verdict)):
        vm.overturn(verdict.as_tuple(), sender=impersonate(system, system.AppealCourt))


def test_close_incident_refuses_anyone_but_the_escrow(system):
    vm = system.VerdictManager
    verdict, _ = execute_verdict(system)
    assert vm.hasRole(vm.ESCROW_ROLE(), system.RecoveryEscrow)
    for caller in outsiders(system):
        with reverts(vm.AccessControlUnauthorizedAccount, account=caller, neededRole=vm.ESCROW_ROLE()):
            vm.closeIncident(verdict.incident_id, system.provider_a, sender=caller)
    with reverts(vm.AccessControlUnauthorizedAccount, account=system.AppealCourt, neededRole=vm.ESCROW_ROLE()):
        vm.closeIncident(verdict.incident_id, system.provider_a, sender=impersonate(system, system.AppealCourt))
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.RESPONDED


def test_the_escrow_closes_an_incident(system):
    vm = system.VerdictManager
    verdict, _ = execute_verdict(system)

    tx = vm.closeIncident(verdict.incident_id, system.provider_a, sender=impersonate(system, system.RecoveryEscrow))

    assert emitted(tx, vm) == [("IncidentClosed", {"incidentId": iid(verdict), "provider": system.provider_a.address})]
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.CLOSED
    assert vm.providerRecord(system.provider_a).openClasses & (1 << ViolationClass.POOR_PERFORMANCE) == 0
    assert_conserved(system)


def test_the_escrow_cannot_close_an_unknown_incident(system):
    vm = system.VerdictManager
    verdict = system.verdict()
    with reverts(vm.UnknownIncident, incidentId=iid(verdict)):
        vm.closeIncident(verdict.incident_id, system.provider_a, sender=impersonate(system, system.RecoveryEscrow))
