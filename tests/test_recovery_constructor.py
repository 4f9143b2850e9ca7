"""RecoveryEscrow constructor: token, StakeManager, OracleCommittee and admin are all required."""

import pytest
from helpers import DEFAULT_ADMIN_ROLE, ZERO_ADDRESS, deploy_reverts
from recovery_support import conserved  # noqa: F401 (autouse: the conservation check after each test)
from system_fixtures import SYSTEM_RECOVERY

pytestmark = pytest.mark.integration

ARGUMENTS = ("token", "stake_manager", "committee", "admin")


def _arguments(system) -> dict:
    return {"token": system.SwarmToken, "stake_manager": system.StakeManager,
            "committee": system.OracleCommittee, "admin": system.gov}


def test_constructor_with_every_address(project, system):
    args = _arguments(system)
    fresh = project.RecoveryEscrow.deploy(*args.values(), SYSTEM_RECOVERY.as_tuple(), sender=system.gov)

    assert fresh.hasRole(DEFAULT_ADMIN_ROLE, system.gov)
    assert fresh.totalEscrowed() == 0 and fresh.insuranceBalance() == 0


@pytest.mark.parametrize("missing", ARGUMENTS)
def test_constructor_reverts_one_zero_address(project, system, missing):
    args = {**_arguments(system), missing: ZERO_ADDRESS}
    with deploy_reverts(project.RecoveryEscrow, "ZeroAddress"):
        project.RecoveryEscrow.deploy(*args.values(), SYSTEM_RECOVERY.as_tuple(), sender=system.gov)
