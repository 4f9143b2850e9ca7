"""RecoveryEscrow.spendInsurance: only governance (the timelock) pays out of the insurance pool, and
never out of escrowed stake."""

import pytest
from helpers import DEFAULT_ADMIN_ROLE, ZERO_ADDRESS, emitted, reverts, transfers
from system_checks import assert_conserved, execute_verdict, governed_revert
from system_fixtures import TOKEN
from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

pytestmark = pytest.mark.integration


@pytest.fixture
def insured(system):
    system.RecoveryEscrow.depositInsurance(300 * TOKEN, sender=system.delegators[1])
    return 300 * TOKEN


def test_the_timelock_spends_insurance(system, insured):
    escrow, token, to = system.RecoveryEscrow, system.SwarmToken, system.outsider
    balance = token.balanceOf(to)

    tx = system.govern(escrow, "spendInsurance", to.address, 120 * TOKEN)

    assert emitted(tx, escrow) == [("InsuranceSpent", {"to": to.address, "amount": 120 * TOKEN, "balance": 180 * TOKEN})]
    assert transfers(tx, token) == [(escrow.address, to.address, 120 * TOKEN)]
    assert token.balanceOf(to) == balance + 120 * TOKEN
    assert escrow.insuranceBalance() == token.balanceOf(escrow) == 180 * TOKEN
    assert_conserved(system)


def test_the_timelock_spends_the_whole_pool(system, insured):
    system.govern(system.RecoveryEscrow, "spendInsurance", system.outsider.address, insured)
    assert system.RecoveryEscrow.insuranceBalance() == 0


def test_spend_more_than_the_pool(system, insured):
    governed_revert(
        system, system.RecoveryEscrow, "spendInsurance", (system.outsider.address, insured + 1), "InsufficientInsurance",
        amount=insured + 1, available=insured,
    )


def test_escrowed_stake_is_not_insurance(system):
    # The escrow holds the slashed 160 tokens, but the insurance pool is empty.
    execute_verdict(system)
    assert system.SwarmToken.balanceOf(system.RecoveryEscrow) == 160 * TOKEN
    governed_revert(
        system, system.RecoveryEscrow, "spendInsurance", (system.outsider.address, 1), "InsufficientInsurance",
        amount=1, available=0,
    )


def test_spend_zero(system, insured):
    governed_revert(system, system.RecoveryEscrow, "spendInsurance", (system.outsider.address, 0), "ZeroAmount")


def test_spend_to_the_zero_address(system, insured):
    governed_revert(system, system.RecoveryEscrow, "spendInsurance", (ZERO_ADDRESS, TOKEN), "ZeroAddress")


def test_only_the_timelock_spends_insurance(system, insured):
    escrow = system.RecoveryEscrow
    for caller in (system.gov, system.arbiter, system.guardian, system.outsider):
        with reverts(escrow.AccessControlUnauthorizedAccount, account=caller, neededRole=DEFAULT_ADMIN_ROLE):
            escrow.spendInsurance(caller, TOKEN, sender=caller)
    assert escrow.insuranceBalance() == insured
