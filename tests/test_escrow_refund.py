"""RecoveryEscrow.refund: only the appeal court (APPEALS_ROLE), only an open escrow (an overturn refunds it
once)."""

import pytest
from helpers import reverts
from system_checks import ESCROW_REFUNDED, appeal, execute_verdict, iid, impersonate, resolve
from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

from swarm_stake.models import Level

pytestmark = pytest.mark.integration


def test_refund_refuses_anyone_but_the_appeal_court(system):
    verdict, _ = execute_verdict(system)
    escrow = system.RecoveryEscrow
    callers = [system.gov, system.outsider, system.operator_a, system.provider_a, system.arbiter]
    callers += [impersonate(system, c) for c in (system.SwarmTimelock, system.VerdictManager)]
    for caller in callers:
        with reverts(escrow.AccessControlUnauthorizedAccount, account=caller, neededRole=escrow.APPEALS_ROLE()):
            escrow.refund(verdict.incident_id, system.provider_a, sender=caller)
    assert escrow.totalEscrowed() == escrow.escrowOf(verdict.incident_id).amount > 0


def test_a_second_refund(system):
    verdict, _ = execute_verdict(system)
    appeal(system, verdict)
    resolve(system, verdict, True)
    escrow = system.RecoveryEscrow
    assert escrow.escrowOf(verdict.incident_id).status == ESCROW_REFUNDED

    with reverts(escrow.EscrowNotOpen, incidentId=iid(verdict)):
        escrow.refund(verdict.incident_id, system.provider_a, sender=impersonate(system, system.AppealCourt))


def test_refund_of_an_incident_without_escrow(system):
    # A warning slashes nothing and opens no escrow.
    verdict, _ = execute_verdict(system, severity=Level.WARNING)
    escrow = system.RecoveryEscrow
    with reverts(escrow.EscrowNotOpen, incidentId=iid(verdict)):
        escrow.refund(verdict.incident_id, system.provider_a, sender=impersonate(system, system.AppealCourt))
