"""AppealCourt constructor: token, StakeManager, VerdictManager, RecoveryEscrow, OracleCommittee and admin are
all required."""

import pytest
from helpers import DEFAULT_ADMIN_ROLE, ZERO_ADDRESS, deploy_reverts

from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

pytestmark = pytest.mark.integration

ARGUMENTS = ("token", "stake_manager", "verdicts", "escrow", "committee", "admin")


def _arguments(system) -> dict:
    return {"token": system.SwarmToken, "stake_manager": system.StakeManager, "verdicts": system.VerdictManager,
            "escrow": system.RecoveryEscrow, "committee": system.OracleCommittee, "admin": system.gov}


def test_constructor_with_every_address(project, system):
    fresh = project.AppealCourt.deploy(*_arguments(system).values(), sender=system.gov)

    assert fresh.hasRole(DEFAULT_ADMIN_ROLE, system.gov)


@pytest.mark.parametrize("missing", ARGUMENTS)
def test_constructor_reverts_one_zero_address(project, system, missing):
    args = {**_arguments(system), missing: ZERO_ADDRESS}
    with deploy_reverts(project.AppealCourt, "ZeroAddress"):
        project.AppealCourt.deploy(*args.values(), sender=system.gov)
