"""RecoveryEscrow.setVerdictManager: connected once, by the deployment; governance cannot swap it."""

import pytest
from helpers import DEFAULT_ADMIN_ROLE, ZERO_ADDRESS, emitted, reverts
from recovery_support import (
    conserved,  # noqa: F401 (autouse: the conservation check after each test)
    governed_reverts,
)
from system_fixtures import SYSTEM_RECOVERY

pytestmark = pytest.mark.integration


def test_the_verdict_manager_is_connected_once(system):
    escrow = system.RecoveryEscrow
    for candidate in (system.VerdictManager, system.AppealCourt, system.outsider):
        with governed_reverts(escrow, "AlreadyConnected"):
            system.govern(escrow, "setVerdictManager", candidate)
    with governed_reverts(escrow, "ZeroAddress"):
        system.govern(escrow, "setVerdictManager", ZERO_ADDRESS)


def test_only_governance_connects_the_verdict_manager(system):
    escrow = system.RecoveryEscrow
    for caller in (system.gov, system.outsider, system.guardian):
        with reverts(escrow.AccessControlUnauthorizedAccount, account=caller, neededRole=DEFAULT_ADMIN_ROLE):
            escrow.setVerdictManager(system.outsider, sender=caller)


def test_a_fresh_escrow_connects_once(project, system):
    """On a fresh RecoveryEscrow (its deployer the admin): VerdictManagerSet once, then AlreadyConnected."""
    fresh = project.RecoveryEscrow.deploy(
        system.SwarmToken, system.StakeManager, system.OracleCommittee, system.gov, SYSTEM_RECOVERY.as_tuple(),
        sender=system.gov,
    )
    with reverts(fresh.ZeroAddress):
        fresh.setVerdictManager(ZERO_ADDRESS, sender=system.gov)
    tx = fresh.setVerdictManager(system.VerdictManager, sender=system.gov)
    assert emitted(tx, fresh) == [("VerdictManagerSet", {"verdicts": system.VerdictManager.address})]
    with reverts(fresh.AlreadyConnected):
        fresh.setVerdictManager(system.outsider, sender=system.gov)
