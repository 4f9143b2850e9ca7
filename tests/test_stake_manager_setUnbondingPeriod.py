"""StakeManager.setUnbondingPeriod: governance sets the period within [1 s, 365 days]."""

import pytest
from conftest import TOKEN, UNBONDING
from helpers import DEFAULT_ADMIN_ROLE, addr, emitted, position, reverts

pytestmark = pytest.mark.integration

MAX_PERIOD = 365 * 24 * 3600


@pytest.mark.parametrize("period", [1, 3_600, MAX_PERIOD])
def test_set_unbonding_period_accepts_the_range(stake_manager, admin, period):
    tx = stake_manager.setUnbondingPeriod(period, sender=admin)

    assert emitted(tx, stake_manager) == [("UnbondingPeriodSet", {"period": period})]
    assert stake_manager.unbondingPeriod() == period


@pytest.mark.parametrize("period", [0, MAX_PERIOD + 1, 2**32 - 1])
def test_set_unbonding_period_reverts_unbonding_period_out_of_range(stake_manager, admin, period):
    with reverts(stake_manager.UnbondingPeriodOutOfRange, value=period, min=1, max=MAX_PERIOD):
        stake_manager.setUnbondingPeriod(period, sender=admin)
    assert stake_manager.unbondingPeriod() == UNBONDING


def test_set_unbonding_period_keeps_the_end_of_requests_already_made(
    stake_manager, registered, delegators, admin, chain
):
    stake_manager.stake(registered, TOKEN, sender=delegators[0])
    request = stake_manager.requestUnstake(registered, 10**6, sender=delegators[0])
    end = request.timestamp + UNBONDING

    stake_manager.setUnbondingPeriod(60, sender=admin)

    assert position(stake_manager, registered, delegators[0])[2] == end
    chain.pending_timestamp = request.timestamp + 60
    with reverts(stake_manager.UnbondingNotFinished, unbondingEnd=end, nowTime=request.timestamp + 60):
        stake_manager.withdraw(registered, sender=delegators[0])


@pytest.mark.parametrize("caller", ["slasher", "restorer", "provider", "stranger"])
def test_set_unbonding_period_reverts_access_control_unauthorized_account(stake_manager, caller, request):
    account = request.getfixturevalue(caller)

    with reverts(stake_manager.AccessControlUnauthorizedAccount, account=addr(account), neededRole=DEFAULT_ADMIN_ROLE):
        stake_manager.setUnbondingPeriod(60, sender=account)
