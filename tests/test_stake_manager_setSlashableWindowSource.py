"""StakeManager.setSlashableWindowSource: the unbonding period must outlast the verdict contract's
slashable window, checked when the source is set and on every later change of the period."""

import pytest
from conftest import UNBONDING
from helpers import DEFAULT_ADMIN_ROLE, ZERO_ADDRESS, addr, emitted, reverts

pytestmark = pytest.mark.integration


@pytest.fixture
def window_source(project, admin):
    return project.SlashableWindowStub.deploy(UNBONDING - 1, sender=admin)


def test_set_slashable_window_source_records_the_source(stake_manager, admin, window_source):
    assert stake_manager.slashableWindowSource() == ZERO_ADDRESS

    tx = stake_manager.setSlashableWindowSource(window_source, sender=admin)

    assert emitted(tx, stake_manager) == [("SlashableWindowSourceSet", {"source": window_source.address})]
    assert stake_manager.slashableWindowSource() == window_source.address


def test_set_slashable_window_source_reverts_unbonding_too_short(stake_manager, admin, window_source):
    window_source.setSlashableWindow(UNBONDING, sender=admin)  # equal is not enough: it must outlast

    with reverts(stake_manager.UnbondingTooShort, unbonding=UNBONDING, window=UNBONDING):
        stake_manager.setSlashableWindowSource(window_source, sender=admin)
    assert stake_manager.slashableWindowSource() == ZERO_ADDRESS


def test_set_slashable_window_source_bounds_later_unbonding_periods(stake_manager, admin, window_source):
    stake_manager.setSlashableWindowSource(window_source, sender=admin)
    window_source.setSlashableWindow(3_600, sender=admin)

    with reverts(stake_manager.UnbondingTooShort, unbonding=3_600, window=3_600):
        stake_manager.setUnbondingPeriod(3_600, sender=admin)
    tx = stake_manager.setUnbondingPeriod(3_601, sender=admin)
    assert emitted(tx, stake_manager) == [("UnbondingPeriodSet", {"period": 3_601})]


def test_set_slashable_window_source_to_zero_lifts_the_bound(stake_manager, admin, window_source):
    stake_manager.setSlashableWindowSource(window_source, sender=admin)

    tx = stake_manager.setSlashableWindowSource(ZERO_ADDRESS, sender=admin)

    assert emitted(tx, stake_manager) == [("SlashableWindowSourceSet", {"source": ZERO_ADDRESS})]
    stake_manager.setUnbondingPeriod(1, sender=admin)
    assert stake_manager.unbondingPeriod() == 1


@pytest.mark.parametrize("caller", ["slasher", "restorer", "stranger"])
def test_set_slashable_window_source_reverts_access_control_unauthorized_account(
    stake_manager, window_source, caller, request
):
    account = request.getfixturevalue(caller)

    with reverts(stake_manager.AccessControlUnauthorizedAccount, account=addr(account), neededRole=DEFAULT_ADMIN_ROLE):
        stake_manager.setSlashableWindowSource(window_source, sender=account)
