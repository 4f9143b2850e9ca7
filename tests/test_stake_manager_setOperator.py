"""StakeManager.setOperator: only the owner key changes the operator key."""

import pytest
from helpers import CAPS, ZERO_ADDRESS, emitted, reverts, standing

pytestmark = pytest.mark.integration


def test_set_operator_changes_the_operator_key(stake_manager, registered, operator, stranger):
    tx = stake_manager.setOperator(stranger, sender=registered)

    assert emitted(tx, stake_manager) == [
        ("OperatorChanged", {"provider": registered.address, "operator": stranger.address})
    ]
    assert stake_manager.getProvider(registered).operator == stranger.address
    # The new key acts for the provider; the old one no longer does.
    stake_manager.setMetadataURI(registered, "http://new/health", sender=stranger)
    with reverts(stake_manager.NotProviderKey, provider=registered, caller=operator):
        stake_manager.setMetadataURI(registered, "http://old/health", sender=operator)


def test_set_operator_keeps_the_rest_of_the_registration(stake_manager, registered, stranger, slasher, chain, escrow):
    until = chain.pending_timestamp + 1_000
    stake_manager.penalize(registered, 0, escrow, standing(until), CAPS, sender=slasher)

    stake_manager.setOperator(stranger, sender=registered)

    registration = stake_manager.getProvider(registered)
    assert (registration.jailedUntil, registration.openIncidents, registration.registered) == (until, 1, True)


def test_set_operator_reverts_zero_address(stake_manager, registered):
    with reverts(stake_manager.ZeroAddress):
        stake_manager.setOperator(ZERO_ADDRESS, sender=registered)


def test_set_operator_reverts_provider_not_registered(stake_manager, stranger, operator):
    with reverts(stake_manager.ProviderNotRegistered, provider=stranger):
        stake_manager.setOperator(operator, sender=stranger)


def test_set_operator_reverts_provider_not_registered_for_the_operator_key(
    stake_manager, registered, operator, stranger
):
    # The operator key is not the owner key: it is looked up as a provider of its own and is none.
    with reverts(stake_manager.ProviderNotRegistered, provider=operator):
        stake_manager.setOperator(stranger, sender=operator)
    assert stake_manager.getProvider(registered).operator == operator.address
