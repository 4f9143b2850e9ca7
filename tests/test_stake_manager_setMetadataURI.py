"""StakeManager.setMetadataURI: the owner or the operator key publishes a new URI (event only)."""

import pytest
from helpers import emitted, reverts

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
