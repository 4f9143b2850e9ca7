"""RecoveryEscrow.depositInsurance: anyone adds real tokens to the insurance pool."""

import pytest
from helpers import emitted, reverts, transfers
from system_checks import assert_conserved
from system_fixtures import TOKEN
from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

pytestmark = pytest.mark.integration


def test_deposit_moves_tokens_into_the_insurance_pool(system):
    escrow, token, outsider = system.RecoveryEscrow, system.SwarmToken, system.outsider
    balance = token.balanceOf(outsider)

    tx = escrow.depositInsurance(250 * TOKEN + 1, sender=outsider)

    assert emitted(tx, escrow) == [
        ("InsuranceDeposited", {"from": outsider.address, "amount": 250 * TOKEN + 1, "balance": 250 * TOKEN + 1})
    ]
    assert transfers(tx, token) == [(outsider.address, escrow.address, 250 * TOKEN + 1)]
    assert token.balanceOf(outsider) == balance - 250 * TOKEN - 1
    assert token.balanceOf(escrow) == escrow.insuranceBalance() == 250 * TOKEN + 1
    assert escrow.totalEscrowed() == 0
    assert_conserved(system)


def test_deposits_add_up(system):
    escrow = system.RecoveryEscrow
    escrow.depositInsurance(100 * TOKEN, sender=system.outsider)

    tx = escrow.depositInsurance(30 * TOKEN, sender=system.delegators[0])

    assert emitted(tx, escrow) == [
        ("InsuranceDeposited", {"from": system.delegators[0].address, "amount": 30 * TOKEN, "balance": 130 * TOKEN})
    ]
    assert escrow.insuranceBalance() == 130 * TOKEN
    assert_conserved(system)


def test_deposit_zero(system):
    with reverts(system.RecoveryEscrow.ZeroAmount):
        system.RecoveryEscrow.depositInsurance(0, sender=system.outsider)


def test_deposit_more_than_the_allowance(system):
    escrow = system.RecoveryEscrow
    system.SwarmToken.approve(escrow, TOKEN, sender=system.outsider)
    with reverts(system.SwarmToken.ERC20InsufficientAllowance, spender=escrow, allowance=TOKEN, needed=TOKEN + 1):
        escrow.depositInsurance(TOKEN + 1, sender=system.outsider)
    assert escrow.insuranceBalance() == 0
