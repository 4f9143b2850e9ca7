"""StakeManager constructor: token, admin, unbonding period and minimum self-stake."""

import pytest
from conftest import MIN_SELF_STAKE, UNBONDING
from helpers import DEFAULT_ADMIN_ROLE, ZERO_ADDRESS, deploy_reverts, emitted

pytestmark = pytest.mark.integration

MAX_PERIOD = 365 * 24 * 3600


def test_constructor_sets_parameters_and_grants_admin_only(project, token, admin, stranger, chain):
    manager = project.StakeManager.deploy(token, stranger, 3_600, 42, sender=admin)

    receipt = chain.get_receipt(manager.txn_hash)
    assert emitted(receipt, manager) == [
        ("RoleGranted", {"role": DEFAULT_ADMIN_ROLE, "account": stranger.address, "sender": admin.address}),
        ("UnbondingPeriodSet", {"period": 3_600}),
        ("MinSelfStakeSet", {"amount": 42}),
    ]
    assert manager.token() == token.address
    assert manager.unbondingPeriod() == 3_600
    assert manager.minSelfStake() == 42
    assert manager.totalStake() == 0
    assert manager.hasRole(DEFAULT_ADMIN_ROLE, stranger)
    # The deployer gets nothing, and nobody holds the hook roles until governance grants them.
    assert not manager.hasRole(DEFAULT_ADMIN_ROLE, admin)
    for role in (manager.SLASHER_ROLE(), manager.RETURNER_ROLE(), manager.UNFREEZER_ROLE()):
        assert not manager.hasRole(role, stranger)
        assert not manager.hasRole(role, admin)
    assert (manager.MIN_UNBONDING_PERIOD(), manager.MAX_UNBONDING_PERIOD()) == (1, MAX_PERIOD)


def test_constructor_roles_of_the_session_deployment(stake_manager, admin, slasher, restorer):
    assert stake_manager.hasRole(stake_manager.SLASHER_ROLE(), slasher)
    assert stake_manager.hasRole(stake_manager.RETURNER_ROLE(), restorer)
    assert stake_manager.hasRole(stake_manager.UNFREEZER_ROLE(), restorer)
    assert not stake_manager.hasRole(stake_manager.SLASHER_ROLE(), restorer)
    assert not stake_manager.hasRole(stake_manager.RETURNER_ROLE(), slasher)
    assert not stake_manager.hasRole(stake_manager.UNFREEZER_ROLE(), slasher)
    for role in (stake_manager.SLASHER_ROLE(), stake_manager.RETURNER_ROLE(), stake_manager.UNFREEZER_ROLE()):
        assert stake_manager.getRoleAdmin(role) == DEFAULT_ADMIN_ROLE
    assert stake_manager.hasRole(DEFAULT_ADMIN_ROLE, admin)


def test_constructor_accepts_a_zero_minimum_and_the_period_bounds(project, token, admin):
    for period in (1, MAX_PERIOD):
        manager = project.StakeManager.deploy(token, admin, period, 0, sender=admin)
        assert (manager.unbondingPeriod(), manager.minSelfStake()) == (period, 0)


def test_constructor_reverts_zero_address_token(project, admin):
    with deploy_reverts(project.StakeManager, "ZeroAddress"):
        project.StakeManager.deploy(ZERO_ADDRESS, admin, UNBONDING, MIN_SELF_STAKE, sender=admin)


def test_constructor_reverts_zero_address_admin(project, token, admin):
    with deploy_reverts(project.StakeManager, "ZeroAddress"):
        project.StakeManager.deploy(token, ZERO_ADDRESS, UNBONDING, MIN_SELF_STAKE, sender=admin)


@pytest.mark.parametrize("period", [0, MAX_PERIOD + 1])
def test_constructor_reverts_unbonding_period_out_of_range(project, token, admin, period):
    with deploy_reverts(project.StakeManager, "UnbondingPeriodOutOfRange", value=period, min=1, max=MAX_PERIOD):
        project.StakeManager.deploy(token, admin, period, MIN_SELF_STAKE, sender=admin)
