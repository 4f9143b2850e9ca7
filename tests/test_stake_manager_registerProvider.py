"""StakeManager.registerProvider: registration, self-stake, refusals."""

import pytest
from conftest import MIN_SELF_STAKE, TOKEN, ProviderStatus
from helpers import (
    ZERO_ADDRESS,
    deploy_manager,
    emitted,
    fund,
    pool,
    position,
    reverts,
    to_shares,
    transfers,
)

from swarm_stake.models import MAX_METADATA_URI_BYTES

pytestmark = pytest.mark.integration

URI = "http://10.0.0.7:9000/health"


@pytest.fixture
def applicant(stranger):
    """An account that no session fixture registers (the session's `registered` fixture, once used,
    keeps `provider` registered for the rest of the session)."""
    return stranger


def test_register_provider_records_keys_mints_shares_and_pulls_tokens(stake_manager, token, applicant, operator):
    amount = 1_500 * TOKEN + 11
    balance = token.balanceOf(applicant)
    total = stake_manager.totalStake()  # other pools of the session, if any

    tx = stake_manager.registerProvider(operator, amount, URI, sender=applicant)

    shares = to_shares(amount, 0, 0)
    assert shares == amount * 1_000
    assert emitted(tx, stake_manager) == [
        (
            "ProviderRegistered",
            {
                "provider": applicant.address,
                "operator": operator.address,
                "assets": amount,
                "shares": shares,
                "metadataURI": URI,
            },
        )
    ]
    assert transfers(tx, token) == [(applicant.address, stake_manager.address, amount)]
    assert token.balanceOf(applicant) == balance - amount
    assert stake_manager.totalStake() == total + amount
    assert token.balanceOf(stake_manager) == stake_manager.totalStake()

    registration = stake_manager.getProvider(applicant)
    assert registration.operator == operator.address
    assert registration.jailedUntil == 0
    assert registration.openIncidents == 0
    assert registration.registered is True
    assert registration.tombstoned is False
    assert pool(stake_manager, applicant) == (amount, shares)
    assert position(stake_manager, applicant, applicant) == (shares, 0, 0)
    assert stake_manager.selfStakeOf(applicant) == amount
    assert stake_manager.statusOf(applicant) == ProviderStatus.ACTIVE


def test_register_provider_accepts_exactly_the_minimum_self_stake(stake_manager, applicant, operator):
    stake_manager.registerProvider(operator, MIN_SELF_STAKE, URI, sender=applicant)

    assert stake_manager.selfStakeOf(applicant) == MIN_SELF_STAKE
    assert stake_manager.statusOf(applicant) == ProviderStatus.ACTIVE


def test_register_provider_pools_are_separate_per_provider(stake_manager, token, registered, applicant, operator):
    tx = stake_manager.registerProvider(operator, 2_000 * TOKEN, URI, sender=applicant)

    assert emitted(tx, stake_manager)[0][1]["shares"] == 2_000 * TOKEN * 1_000
    assert pool(stake_manager, applicant) == (2_000 * TOKEN, 2_000 * TOKEN * 1_000)
    assert pool(stake_manager, registered) == (MIN_SELF_STAKE, MIN_SELF_STAKE * 1_000)
    assert stake_manager.totalStake() == token.balanceOf(stake_manager) == 3_000 * TOKEN


def test_register_provider_reverts_zero_address_operator(stake_manager, applicant):
    with reverts(stake_manager.ZeroAddress):
        stake_manager.registerProvider(ZERO_ADDRESS, MIN_SELF_STAKE, URI, sender=applicant)


def test_register_provider_reverts_zero_amount(stake_manager, applicant, operator):
    with reverts(stake_manager.ZeroAmount):
        stake_manager.registerProvider(operator, 0, URI, sender=applicant)


def test_register_provider_reverts_zero_amount_even_without_minimum(stake_manager, admin, applicant, operator):
    stake_manager.setMinSelfStake(0, sender=admin)

    with reverts(stake_manager.ZeroAmount):
        stake_manager.registerProvider(operator, 0, URI, sender=applicant)


def test_register_provider_reverts_self_stake_below_minimum(stake_manager, applicant, operator):
    with reverts(stake_manager.SelfStakeBelowMinimum, selfStake=MIN_SELF_STAKE - 1, minimum=MIN_SELF_STAKE):
        stake_manager.registerProvider(operator, MIN_SELF_STAKE - 1, URI, sender=applicant)


def test_register_provider_reverts_provider_already_registered(stake_manager, registered, operator):
    with reverts(stake_manager.ProviderAlreadyRegistered, provider=registered):
        stake_manager.registerProvider(operator, MIN_SELF_STAKE, URI, sender=registered)


def test_register_provider_reverts_provider_already_registered_after_full_exit(
    stake_manager, registered, operator, chain
):
    shares = stake_manager.getPosition(registered, registered).shares
    stake_manager.requestUnstake(registered, shares, sender=registered)
    chain.mine(deltatime=stake_manager.unbondingPeriod())
    stake_manager.withdraw(registered, sender=registered)

    with reverts(stake_manager.ProviderAlreadyRegistered, provider=registered):
        stake_manager.registerProvider(operator, MIN_SELF_STAKE, URI, sender=registered)


def test_register_provider_reverts_erc20_insufficient_allowance(stake_manager, token, applicant, operator):
    token.approve(stake_manager, MIN_SELF_STAKE - 1, sender=applicant)

    with reverts(
        token.ERC20InsufficientAllowance, spender=stake_manager, allowance=MIN_SELF_STAKE - 1, needed=MIN_SELF_STAKE
    ):
        stake_manager.registerProvider(operator, MIN_SELF_STAKE, URI, sender=applicant)
    assert stake_manager.getProvider(applicant).registered is False


def test_register_provider_reverts_erc20_insufficient_balance(stake_manager, token, applicant, operator):
    balance = token.balanceOf(applicant)

    with reverts(token.ERC20InsufficientBalance, sender=applicant, balance=balance, needed=balance + 1):
        stake_manager.registerProvider(operator, balance + 1, URI, sender=applicant)
    assert stake_manager.getProvider(applicant).registered is False


def test_register_provider_reverts_transfer_amount_mismatch_on_fee_token(project, admin, applicant, operator):
    fee_token = project.FeeOnTransferToken.deploy(admin, 10**6 * TOKEN, sender=admin)
    manager = deploy_manager(project, fee_token, admin)
    fund(fee_token, admin, manager, [applicant], 10_000 * TOKEN)

    with reverts(manager.TransferAmountMismatch, expected=MIN_SELF_STAKE, received=MIN_SELF_STAKE * 99 // 100):
        manager.registerProvider(operator, MIN_SELF_STAKE, URI, sender=applicant)
    assert manager.getProvider(applicant).registered is False
    assert manager.totalStake() == 0


def test_register_provider_accepts_a_metadata_uri_of_exactly_the_maximum_length(stake_manager, applicant, operator):
    uri = "http://n/" + "a" * (MAX_METADATA_URI_BYTES - len("http://n/"))
    assert len(uri) == MAX_METADATA_URI_BYTES == stake_manager.MAX_METADATA_URI_BYTES()

    tx = stake_manager.registerProvider(operator, MIN_SELF_STAKE, uri, sender=applicant)

    assert emitted(tx, stake_manager)[0][1]["metadataURI"] == uri


@pytest.mark.parametrize("length", [0, MAX_METADATA_URI_BYTES + 1, 4_096])
def test_register_provider_reverts_metadata_uri_length_out_of_range(stake_manager, token, applicant, operator, length):
    balance = token.balanceOf(applicant)

    with reverts(stake_manager.MetadataURILengthOutOfRange, length=length, maxLength=MAX_METADATA_URI_BYTES):
        stake_manager.registerProvider(operator, MIN_SELF_STAKE, "u" * length, sender=applicant)
    assert stake_manager.getProvider(applicant).registered is False
    assert token.balanceOf(applicant) == balance


def test_register_provider_counts_the_metadata_uri_in_bytes_not_characters(stake_manager, applicant, operator):
    uri = "é" * (MAX_METADATA_URI_BYTES // 2 + 1)  # 2 bytes each in UTF-8

    with reverts(stake_manager.MetadataURILengthOutOfRange, length=MAX_METADATA_URI_BYTES + 2,
                 maxLength=MAX_METADATA_URI_BYTES):  # fmt: skip
        stake_manager.registerProvider(operator, MIN_SELF_STAKE, uri, sender=applicant)
