"""StakeManager.setMetadataURI: the owner or the operator key publishes a new URI (event only), non-empty and
at most MAX_METADATA_URI_BYTES bytes."""

import pytest
from helpers import emitted, reverts

from swarm_stake.models import MAX_METADATA_URI_BYTES

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("key", ["provider", "operator"])
def test_set_metadata_uri_by_provider_key_emits_event(stake_manager, registered, key, request):
    before = stake_manager.getProvider(registered)

    tx = stake_manager.setMetadataURI(registered, "https://node-7.example/health", sender=request.getfixturevalue(key))

    assert emitted(tx, stake_manager) == [
        ("MetadataURIChanged", {"provider": registered.address, "metadataURI": "https://node-7.example/health"})
    ]
    assert stake_manager.getProvider(registered) == before


def test_set_metadata_uri_reverts_not_provider_key(stake_manager, registered, stranger):
    with reverts(stake_manager.NotProviderKey, provider=registered, caller=stranger):
        stake_manager.setMetadataURI(registered, "http://evil/health", sender=stranger)


def test_set_metadata_uri_reverts_provider_not_registered(stake_manager, stranger):
    with reverts(stake_manager.ProviderNotRegistered, provider=stranger):
        stake_manager.setMetadataURI(stranger, "http://x/health", sender=stranger)


def test_set_metadata_uri_accepts_exactly_the_maximum_length(stake_manager, registered):
    uri = "http://n/" + "a" * (MAX_METADATA_URI_BYTES - len("http://n/"))

    tx = stake_manager.setMetadataURI(registered, uri, sender=registered)

    assert emitted(tx, stake_manager) == [("MetadataURIChanged", {"provider": registered.address, "metadataURI": uri})]


@pytest.mark.parametrize("length", [0, MAX_METADATA_URI_BYTES + 1])
def test_set_metadata_uri_reverts_metadata_uri_length_out_of_range(stake_manager, registered, operator, length):
    with reverts(stake_manager.MetadataURILengthOutOfRange, length=length, maxLength=MAX_METADATA_URI_BYTES):
        stake_manager.setMetadataURI(registered, "u" * length, sender=operator)


def test_set_metadata_uri_checks_the_key_before_the_uri(stake_manager, registered, stranger):
    with reverts(stake_manager.NotProviderKey, provider=registered, caller=stranger):
        stake_manager.setMetadataURI(registered, "", sender=stranger)
