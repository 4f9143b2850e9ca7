"""OracleCommittee constructor: token, StakeManager and admin are all required."""

import pytest
from helpers import DEFAULT_ADMIN_ROLE, ZERO_ADDRESS, deploy_reverts
from system_fixtures import SYSTEM_MIN_BOND

from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

pytestmark = pytest.mark.integration


def _arguments(system) -> dict:
    return {"token": system.SwarmToken, "stake_manager": system.StakeManager, "admin": system.gov}


def test_constructor_with_every_address(project, system):
    fresh = project.OracleCommittee.deploy(*_arguments(system).values(), SYSTEM_MIN_BOND, sender=system.gov)

    assert fresh.hasRole(DEFAULT_ADMIN_ROLE, system.gov)
    assert fresh.minBond() == SYSTEM_MIN_BOND
    assert fresh.epoch() == 0 and fresh.size() == 0


@pytest.mark.parametrize("missing", ["token", "stake_manager", "admin"])
def test_constructor_reverts_one_zero_address(project, system, missing):
    args = {**_arguments(system), missing: ZERO_ADDRESS}
    with deploy_reverts(project.OracleCommittee, "ZeroAddress"):
        project.OracleCommittee.deploy(*args.values(), SYSTEM_MIN_BOND, sender=system.gov)
