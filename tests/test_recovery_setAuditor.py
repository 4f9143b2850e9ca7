"""RecoveryEscrow.setAuditor: only governance (the timelock) registers and removes auditors."""

import pytest
from helpers import DEFAULT_ADMIN_ROLE, ZERO_ADDRESS, emitted, reverts
from recovery_support import (
    Status,
    audit_proof,
    conserved,  # noqa: F401 (autouse: the conservation check after each test)
    file_claim,
    governed_reverts,
    slash,
)

from swarm_stake.models import ViolationClass

pytestmark = pytest.mark.integration


def test_the_deployment_registered_the_system_auditor(system):
    escrow = system.RecoveryEscrow
    assert escrow.isAuditor(system.auditor)
    assert not escrow.isAuditor(system.outsider)


def test_governance_registers_and_removes_an_auditor(system):
    escrow = system.RecoveryEscrow
    tx = system.govern(escrow, "setAuditor", system.outsider, True)
    assert emitted(tx, escrow) == [("AuditorSet", {"auditor": system.outsider.address, "registered": True})]
    assert escrow.isAuditor(system.outsider)

    verdict = slash(system, ViolationClass.SECURITY_BREACH)
    proof = audit_proof(system, verdict)
    tx = file_claim(system, verdict, proof, system.sign_proof(proof, system.outsider))
    assert emitted(tx, escrow)[0][1]["auditor"] == system.outsider.address
    assert escrow.escrowOf(verdict.incident_id).status == Status.CLAIMED

    tx = system.govern(escrow, "setAuditor", system.outsider, False)
    assert emitted(tx, escrow) == [("AuditorSet", {"auditor": system.outsider.address, "registered": False})]
    assert not escrow.isAuditor(system.outsider)
    assert escrow.isAuditor(system.auditor)


def test_only_governance_sets_auditors(system):
    escrow = system.RecoveryEscrow
    for caller in (system.gov, system.outsider, system.auditor, system.guardian, system.oracles[0]):
        with reverts(escrow.AccessControlUnauthorizedAccount, account=caller, neededRole=DEFAULT_ADMIN_ROLE):
            escrow.setAuditor(caller, True, sender=caller)
        with reverts(escrow.AccessControlUnauthorizedAccount, account=caller, neededRole=DEFAULT_ADMIN_ROLE):
            escrow.setAuditor(system.auditor, False, sender=caller)
    assert escrow.isAuditor(system.auditor)
    assert not escrow.isAuditor(system.outsider)


def test_the_zero_address_is_no_auditor(system):
    escrow = system.RecoveryEscrow
    with governed_reverts(escrow, "ZeroAddress"):
        system.govern(escrow, "setAuditor", ZERO_ADDRESS, True)
    assert not escrow.isAuditor(ZERO_ADDRESS)
