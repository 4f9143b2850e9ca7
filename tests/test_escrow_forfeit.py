"""RecoveryEscrow.forfeit: only the appeal court (APPEALS_ROLE), only an open escrow, into the insurance pool."""

import pytest
from helpers import reverts
from system_checks import (
    ESCROW_FORFEITED,
    appeal,
    appeal_window_end,
    assert_conserved,
    execute_verdict,
    iid,
    impersonate,
    resolve,
    severe_breach,
)
from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

pytestmark = pytest.mark.integration


def test_forfeit_refuses_anyone_but_the_appeal_court(system):
    verdict, _ = severe_breach(system)
    escrow = system.RecoveryEscrow
    callers = [system.gov, system.outsider, system.operator_b, system.arbiter]
    callers += [impersonate(system, c) for c in (system.SwarmTimelock, system.VerdictManager)]
    for caller in callers:
        with reverts(escrow.AccessControlUnauthorizedAccount, account=caller, neededRole=escrow.APPEALS_ROLE()):
            escrow.forfeit(verdict.incident_id, system.provider_b, sender=caller)
    assert escrow.insuranceBalance() == 0


def test_a_tombstone_forfeits_the_escrow_into_insurance(system, chain):
    verdict, _ = severe_breach(system)
    escrow = system.RecoveryEscrow
    amount = escrow.escrowOf(verdict.incident_id).amount
    held = system.SwarmToken.balanceOf(escrow)
    chain.pending_timestamp = appeal_window_end(system, verdict) + 1

    system.AppealCourt.finalizeTombstone(verdict.as_tuple(), sender=system.outsider)

    assert escrow.escrowOf(verdict.incident_id).status == ESCROW_FORFEITED
    assert (escrow.totalEscrowed(), escrow.insuranceBalance()) == (0, amount)
    assert system.SwarmToken.balanceOf(escrow) == held
    assert_conserved(system)


def test_a_second_forfeit(system, chain):
    verdict, _ = severe_breach(system)
    chain.pending_timestamp = appeal_window_end(system, verdict) + 1
    system.AppealCourt.finalizeTombstone(verdict.as_tuple(), sender=system.outsider)
    escrow = system.RecoveryEscrow
    with reverts(escrow.EscrowNotOpen, incidentId=iid(verdict)):
        escrow.forfeit(verdict.incident_id, system.provider_b, sender=impersonate(system, system.AppealCourt))


def test_forfeit_after_a_refund(system):
    verdict, _ = execute_verdict(system)
    appeal(system, verdict)
    resolve(system, verdict, True)
    escrow = system.RecoveryEscrow
    with reverts(escrow.EscrowNotOpen, incidentId=iid(verdict)):
        escrow.forfeit(verdict.incident_id, system.provider_a, sender=impersonate(system, system.AppealCourt))
    assert escrow.insuranceBalance() == 0
