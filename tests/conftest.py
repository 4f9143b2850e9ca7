"""Shared fixtures: one deployment per session on a real anvil chain (ape-foundry).

Each test runs inside a chain snapshot that Ape reverts afterwards, so tests never see each
other's state.
"""

from enum import IntEnum

import pytest

pytest_plugins = ["system_fixtures"]

TOKEN = 10**18
SUPPLY = 1_000_000_000 * TOKEN
UNBONDING = 7 * 24 * 3600
MIN_SELF_STAKE = 1_000 * TOKEN


class ProviderStatus(IntEnum):
    """Mirror of IStakeManager.ProviderStatus."""

    NONE = 0
    ACTIVE = 1
    JAILED = 2
    TOMBSTONED = 3
    BELOW_MINIMUM = 4


@pytest.fixture(scope="session")
def admin(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def provider(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def operator(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def delegators(accounts):
    return accounts[3:6]


@pytest.fixture(scope="session")
def slasher(accounts):
    return accounts[6]


@pytest.fixture(scope="session")
def restorer(accounts):
    return accounts[7]


@pytest.fixture(scope="session")
def escrow(accounts):
    return accounts[8]


@pytest.fixture(scope="session")
def stranger(accounts):
    return accounts[9]


@pytest.fixture(scope="session")
def appeals(accounts):
    """Holds the StakeManager's APPEALS_ROLE (tombstone, unjail): the AppealCourt's part in a deployment."""
    return accounts[10]


@pytest.fixture(scope="session")
def token(project, admin, accounts):
    token = project.SwarmToken.deploy(admin, SUPPLY, sender=admin)
    for account in accounts[1:]:
        token.transfer(account, 1_000_000 * TOKEN, sender=admin)
    return token


@pytest.fixture(scope="session")
def stake_manager(project, admin, token, slasher, restorer, appeals, accounts):
    manager = project.StakeManager.deploy(token, admin, UNBONDING, MIN_SELF_STAKE, sender=admin)
    manager.grantRole(manager.SLASHER_ROLE(), slasher, sender=admin)
    manager.grantRole(manager.APPEALS_ROLE(), appeals, sender=admin)
    manager.grantRole(manager.RETURNER_ROLE(), restorer, sender=admin)
    manager.grantRole(manager.UNFREEZER_ROLE(), restorer, sender=admin)
    for account in accounts:
        token.approve(manager, 2**256 - 1, sender=account)
    return manager


@pytest.fixture(scope="session")
def registered(stake_manager, provider, operator):
    """A provider registered with exactly the minimum self-stake."""
    stake_manager.registerProvider(operator, MIN_SELF_STAKE, "http://127.0.0.1:9000/health", sender=provider)
    return provider


@pytest.fixture(scope="session", autouse=True)
def _session_deployments(request):
    """The session's StakeManager deployment (token, manager, registered provider), created when the
    session starts, before any module's snapshot: created lazily inside a module, a later module's
    snapshot restore could leave the cached fixtures pointing at contracts the chain no longer has.
    Only when a StakeManager test is collected."""
    if any("test_stake_manager_" in item.nodeid for item in request.session.items):
        request.getfixturevalue("registered")
