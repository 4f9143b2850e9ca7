"""The arbiter's, the guardian's and the provider's key commands, and the steps anyone takes once a
window has passed: each happy path on a devnet, its --json output, and each refusal (a one-paragraph
message, nothing sent)."""

import pytest
from cli_inprocess import invoke
from cli_support import (
    CLOSED,
    TOKEN,
    assert_error,
    assert_ok,
    cli_chain,  # noqa: F401 - the module's devnet
    json_out,
    sends_nothing,
)

from swarm_stake.appeals import appeal
from swarm_stake.devnet import dev_account
from swarm_stake.models import EscrowState, Level, ProviderStatus, ViolationClass

APPEAL_BOND = 100 * TOKEN
ORACLE_PENALTY = 50 * TOKEN
APPEAL_WINDOW = RESOLUTION = 30  # devnet, seconds
CLAIM_WINDOW = 600
MAX_PAUSE, PAUSE_COOLDOWN = 20, 120


@pytest.fixture(scope="module")
def arbiter(cli_chain):
    """The deployer's keystore: the devnet's arbiter and guardian."""
    cli_chain.add_keystore("gov", dev_account(0))
    return "gov"


def appealed(cli_chain, operator_name=None):
    """A provider slashed (poor performance, penalty) whose operator appealed; returns (provider, operator, verdict)."""
    provider, operator = cli_chain.provider(operator_name=operator_name)
    verdict = cli_chain.execute_verdict(provider.address)
    appeal(cli_chain.client(operator), cli_chain.registry, verdict)
    return provider, operator, verdict


def insurance(cli_chain):
    return cli_chain.escrow.functions.insuranceBalance().call()


# -- arbiter -----------------------------------------------------------------------------------


def test_arbiter_upholds_an_appeal(cli_chain, arbiter):
    _, operator, verdict = appealed(cli_chain)
    incident = verdict.incident_id
    shown = json_out(invoke(cli_chain, "arbiter", "show", incident, "--json"))
    assert shown["state"] == "pending" and shown["appellant"] == operator.address and shown["bond"] == APPEAL_BOND
    assert shown["deadline"] == shown["appealed_at"] + RESOLUTION
    before = insurance(cli_chain)

    result = json_out(invoke(cli_chain, "arbiter", "uphold", incident, "--json", keystore=arbiter))
    assert result["outcome"] == "upheld" and result["bond_forfeited"] == APPEAL_BOND and result["transaction"]
    assert insurance(cli_chain) == before + APPEAL_BOND
    assert json_out(invoke(cli_chain, "--json", "arbiter", "show", incident))["state"] == "upheld"
    assert "upheld" in assert_ok(invoke(cli_chain, "arbiter", "show", incident)).stdout


def test_arbiter_overturns_an_appeal(cli_chain, arbiter):
    provider, operator = cli_chain.provider()
    pool_before = cli_chain.pool(provider.address)
    verdict = cli_chain.execute_verdict(provider.address)
    appeal(cli_chain.client(operator), cli_chain.registry, verdict)
    human = assert_ok(invoke(cli_chain, "arbiter", "show", verdict.incident_id))
    assert "pending" in human.stdout and operator.address in human.stdout
    operator_tokens = cli_chain.balance(operator.address)

    result = json_out(invoke(cli_chain, "arbiter", "overturn", verdict.incident_id, "--json", keystore=arbiter))
    assert result["outcome"] == "overturned" and result["penalties"] == 2 * ORACLE_PENALTY  # two signers
    assert cli_chain.pool(provider.address) == pool_before + result["penalties"]  # the escrow back, and the penalties
    assert cli_chain.balance(operator.address) == operator_tokens + APPEAL_BOND
    assert json_out(invoke(cli_chain, "arbiter", "show", verdict.incident_id, "--json"))["state"] == "overturned"


def test_an_upgrade_is_appealed_shown_and_overturned_on_its_own(cli_chain, arbiter):
    """A poor-performance penalty upgraded to the severe row: the operator appeals the upgrade
    (`incidents appeal --upgrade`), the arbiter sees that appeal (`arbiter show --upgrade`) and overturns it:
    the incident is back at the penalty row, the upgrade's extra slash back in the pool, and the verdict
    beneath still stands (its own appeal untouched)."""
    provider, operator = cli_chain.provider(operator_name="upgrade-operator")
    verdict = cli_chain.execute_verdict(provider.address)
    pool = cli_chain.pool(provider.address)
    cli_chain.upgrade(verdict, Level.SEVERE)
    assert cli_chain.pool(provider.address) < pool
    shown = json_out(invoke(cli_chain, "incidents", "show", verdict.incident_id, "--json"))
    assert (shown["level"], shown["upgraded"]) == ("severe", True)

    appealed_ = assert_ok(cli_chain.cli("incidents", "appeal", verdict.incident_id, "--upgrade", keystore="upgrade-operator"))
    assert f"appealed the upgrade of {verdict.incident_id} with a bond of 100.00 SWARM" in appealed_.stdout
    status = json_out(invoke(cli_chain, "arbiter", "show", verdict.incident_id, "--upgrade", "--json"))
    assert status["state"] == "pending" and status["appellant"] == operator.address
    assert json_out(invoke(cli_chain, "arbiter", "show", verdict.incident_id, "--json"))["state"] == "not appealed"

    result = json_out(invoke(cli_chain, "arbiter", "overturn", verdict.incident_id, "--upgrade", "--json",
                             keystore=arbiter))  # fmt: skip
    assert result["outcome"] == "overturned" and result["penalties"] == 2 * ORACLE_PENALTY
    assert cli_chain.pool(provider.address) == pool + result["penalties"]
    shown = json_out(invoke(cli_chain, "incidents", "show", verdict.incident_id, "--json"))
    assert shown["level"] == "penalty"
    refused = invoke(cli_chain, "incidents", "appeal", verdict.incident_id, "--upgrade", keystore="upgrade-operator")
    assert_error(refused, "overturned")


def test_arbiter_refusals(cli_chain, arbiter):
    provider, _ = cli_chain.provider()
    unappealed = cli_chain.execute_verdict(provider.address)
    _, _, verdict = appealed(cli_chain)
    incident = verdict.incident_id
    deployer = dev_account(0).address
    with sends_nothing(cli_chain, deployer, cli_chain.address("dev5")):
        assert_error(invoke(cli_chain, "arbiter", "uphold", incident, keystore="dev5"), "not resolvable",
                     "not an arbiter")  # fmt: skip
        assert_error(invoke(cli_chain, "arbiter", "overturn", unappealed.incident_id, keystore=arbiter),
                     "not resolvable", "never appealed")  # fmt: skip
        assert_error(invoke(cli_chain, "arbiter", "uphold", "0x" + "ab" * 32, keystore=arbiter), "no executed incident")
        assert_error(invoke(cli_chain, "arbiter", "uphold", "0x1234", keystore=arbiter), "32-byte", code=2)
    assert json_out(invoke(cli_chain, "arbiter", "show", unappealed.incident_id, "--json"))["state"] == "not appealed"

    cli_chain.jump(RESOLUTION + 1)
    with sends_nothing(cli_chain, deployer):
        message = assert_error(invoke(cli_chain, "arbiter", "uphold", incident, keystore=arbiter), "not resolvable",
                               "deadline passed")  # fmt: skip
    assert f"incidents finalize-appeal {incident}" in message


# -- anyone: an appeal left unresolved -----------------------------------------------------------


def test_finalize_an_unresolved_appeal(cli_chain, arbiter):
    _, operator, verdict = appealed(cli_chain)
    incident = verdict.incident_id
    stranger = cli_chain.address("dev5")
    with sends_nothing(cli_chain, stranger):
        assert_error(invoke(cli_chain, "incidents", "finalize-appeal", incident, keystore="dev5"),
                     "not finalizable", "arbiter has until")  # fmt: skip
    cli_chain.jump(RESOLUTION + 1)
    operator_tokens = cli_chain.balance(operator.address)

    result = json_out(invoke(cli_chain, "incidents", "finalize-appeal", incident, "--json", keystore="dev5"))
    assert result == {**result, "incident_id": incident, "outcome": "upheld", "bond_returned": APPEAL_BOND}
    assert cli_chain.balance(operator.address) == operator_tokens + APPEAL_BOND
    provider, _ = cli_chain.provider()
    never = cli_chain.execute_verdict(provider.address)
    with sends_nothing(cli_chain, stranger, dev_account(0).address):
        assert_error(invoke(cli_chain, "incidents", "finalize-appeal", incident, keystore="dev5"),
                     "not finalizable", "already resolved (upheld)")  # fmt: skip
        assert_error(invoke(cli_chain, "arbiter", "overturn", incident, keystore=arbiter), "already resolved")
        assert_error(invoke(cli_chain, "incidents", "finalize-appeal", never.incident_id, keystore="dev5"),
                     "never appealed")  # fmt: skip


# -- anyone: a tombstone, a closed escrow ---------------------------------------------------------


def test_finalize_a_tombstone_after_the_appeal_window(cli_chain):
    provider, _ = cli_chain.provider()
    verdict = cli_chain.execute_verdict(provider.address, ViolationClass.SECURITY_BREACH, Level.SEVERE)
    incident = verdict.incident_id
    stranger = cli_chain.address("dev6")
    with sends_nothing(cli_chain, stranger):
        assert_error(invoke(cli_chain, "incidents", "finalize-tombstone", incident, keystore="dev6"),
                     "not finalizable", "can still be appealed until")  # fmt: skip
        assert_error(invoke(cli_chain, "recovery", "close", incident, keystore="dev6"), "not closable",
                     "finalize-tombstone")  # fmt: skip
    cli_chain.jump(APPEAL_WINDOW + 1)
    escrowed = cli_chain.escrow.functions.escrowOf(incident).call()[0]

    result = json_out(invoke(cli_chain, "incidents", "finalize-tombstone", incident, "--json", keystore="dev6"))
    assert result["provider"] == provider.address and result["forfeited"] == escrowed
    assert cli_chain.manager.functions.statusOf(provider.address).call() == ProviderStatus.TOMBSTONED
    assert cli_chain.phase(incident) == CLOSED and cli_chain.escrow_state(incident) == EscrowState.FORFEITED
    plain_provider, _ = cli_chain.provider()
    plain = cli_chain.execute_verdict(plain_provider.address)
    with sends_nothing(cli_chain, stranger):
        assert_error(invoke(cli_chain, "incidents", "finalize-tombstone", incident, keystore="dev6"), "already closed")
        assert_error(invoke(cli_chain, "incidents", "finalize-tombstone", plain.incident_id, keystore="dev6"),
                     "does not tombstone")  # fmt: skip


def test_finalize_tombstone_refuses_an_appealed_verdict(cli_chain):
    provider, operator = cli_chain.provider()
    verdict = cli_chain.execute_verdict(provider.address, ViolationClass.SECURITY_BREACH, Level.SEVERE)
    appeal(cli_chain.client(operator), cli_chain.registry, verdict)
    cli_chain.jump(APPEAL_WINDOW + 1)
    with sends_nothing(cli_chain, cli_chain.address("dev6")):
        assert_error(invoke(cli_chain, "incidents", "finalize-tombstone", verdict.incident_id, keystore="dev6"),
                     "was appealed")  # fmt: skip


def test_close_an_unclaimed_escrow_after_its_claim_window(cli_chain):
    provider, operator = cli_chain.provider()
    verdict = cli_chain.execute_verdict(provider.address)
    warned_provider, _ = cli_chain.provider()
    warning = cli_chain.execute_verdict(warned_provider.address, severity=Level.WARNING)
    appealed_provider, appealed_operator = cli_chain.provider()
    pending = cli_chain.execute_verdict(appealed_provider.address)
    appeal(cli_chain.client(appealed_operator), cli_chain.registry, pending)
    incident = verdict.incident_id
    stranger = cli_chain.address("dev7")
    with sends_nothing(cli_chain, stranger):
        assert_error(invoke(cli_chain, "recovery", "close", incident, keystore="dev7"), "not closable",
                     "claim window ends")  # fmt: skip
        assert_error(invoke(cli_chain, "recovery", "close", warning.incident_id, keystore="dev7"), "has no escrow")
    cli_chain.jump(CLAIM_WINDOW + 1)
    with sends_nothing(cli_chain, stranger):  # the arbiter let its deadline pass: still pending until finalized
        assert_error(invoke(cli_chain, "recovery", "close", pending.incident_id, keystore="dev7"), "pending appeal")
    escrowed = cli_chain.escrow.functions.escrowOf(incident).call()[0]
    before = insurance(cli_chain)

    result = json_out(invoke(cli_chain, "recovery", "close", incident, "--json", keystore="dev7"))
    assert result["forfeited"] == escrowed and result["incident_id"] == incident
    assert insurance(cli_chain) == before + escrowed
    assert cli_chain.escrow_state(incident) == EscrowState.FORFEITED and cli_chain.phase(incident) == CLOSED
    assert cli_chain.manager.functions.getProvider(provider.address).call()[2] == 0  # pool unfrozen
    with sends_nothing(cli_chain, stranger):
        assert_error(invoke(cli_chain, "recovery", "close", incident, keystore="dev7"), "already ended (forfeited)")


# -- provider keys -----------------------------------------------------------------------------


def test_provider_changes_its_metadata_uri_with_either_key(cli_chain):
    provider, operator = cli_chain.provider(name="meta-owner", operator_name="meta-operator")
    result = json_out(invoke(cli_chain, "provider", "set-metadata-uri", "http://node-b:9000/health", "--json",
                             keystore="meta-owner"))  # fmt: skip
    assert result["provider"] == provider.address and result["metadata_uri"] == "http://node-b:9000/health"
    status = json_out(invoke(cli_chain, "provider", "status", provider.address, "--json"))
    assert status["metadata_uri"] == "http://node-b:9000/health"

    assert_ok(invoke(cli_chain, "provider", "set-metadata-uri", "http://node-c:9000/health", "--provider",
                     provider.address, keystore="meta-operator"))  # fmt: skip
    assert json_out(invoke(cli_chain, "provider", "status", provider.address, "--json"))["metadata_uri"] == (
        "http://node-c:9000/health")

    with sends_nothing(cli_chain, provider.address, operator.address, cli_chain.address("dev5")):
        assert_error(invoke(cli_chain, "provider", "set-metadata-uri", "http://x/health", "--provider", provider.address,
                            keystore="dev5"), "neither the provider", "nor its operator")  # fmt: skip
        assert_error(invoke(cli_chain, "provider", "set-metadata-uri", "http://x/health", keystore="meta-operator"),
                     "no provider is registered")  # fmt: skip
        assert_error(invoke(cli_chain, "provider", "set-metadata-uri", "", keystore="meta-owner"), "is empty", code=2)
        assert_error(invoke(cli_chain, "provider", "set-metadata-uri", "http://x/\x1b[2J", keystore="meta-owner"),
                     "only visible ascii", code=2)  # fmt: skip


def test_provider_changes_its_operator_key(cli_chain):
    provider, operator = cli_chain.provider(name="op-owner", operator_name="op-old")
    new_operator = cli_chain.fresh("op-new")
    result = json_out(invoke(cli_chain, "provider", "set-operator", new_operator.address, "--json", keystore="op-owner"))
    assert result == {**result, "operator": new_operator.address, "previous_operator": operator.address}
    assert cli_chain.manager.functions.getProvider(provider.address).call()[0] == new_operator.address

    with sends_nothing(cli_chain, provider.address, operator.address):
        assert_error(invoke(cli_chain, "provider", "set-operator", new_operator.address, keystore="op-owner"),
                     "already the operator")  # fmt: skip
        assert_error(invoke(cli_chain, "provider", "set-operator", "0x" + "0" * 40, keystore="op-owner"),
                     "zero address")  # fmt: skip
        assert_error(invoke(cli_chain, "provider", "set-operator", provider.address, keystore="op-old"),
                     f"no provider is registered at {operator.address}")  # fmt: skip
        assert_error(invoke(cli_chain, "provider", "set-operator", "0xnothex", keystore="op-owner"), "not an address",
                     code=2)  # fmt: skip


# -- guardian (last: a pause holds verdict execution) --------------------------------------------


def test_guardian_pauses_and_unpauses(cli_chain, arbiter):
    state = json_out(invoke(cli_chain, "guardian", "status", "--json"))
    assert state["paused"] is False and state["max_pause"] == MAX_PAUSE and state["pause_cooldown"] == PAUSE_COOLDOWN
    with sends_nothing(cli_chain, cli_chain.address("dev5")):
        assert_error(invoke(cli_chain, "guardian", "pause", keystore="dev5"), "not paused", "not the guardian")
        assert_error(invoke(cli_chain, "guardian", "unpause", keystore=arbiter), "not unpaused", "is not paused")

    paused = json_out(invoke(cli_chain, "guardian", "pause", "--json", keystore=arbiter))
    assert paused["paused"] is True and paused["paused_until"] == paused["now"] + MAX_PAUSE
    assert cli_chain.verdicts.functions.pausedUntil().call() == paused["paused_until"]
    assert "paused until" in assert_ok(invoke(cli_chain, "guardian", "status")).stdout
    with sends_nothing(cli_chain, dev_account(0).address):
        assert_error(invoke(cli_chain, "guardian", "pause", keystore=arbiter), "already paused until")

    resumed = json_out(invoke(cli_chain, "guardian", "unpause", "--json", keystore=arbiter))
    assert resumed["paused"] is False and resumed["next_pause_from"] == resumed["now"] + PAUSE_COOLDOWN
    with sends_nothing(cli_chain, dev_account(0).address):
        assert_error(invoke(cli_chain, "guardian", "pause", keystore=arbiter), "cooldown runs until")
    assert "next pause may start" in assert_ok(invoke(cli_chain, "guardian", "status")).stdout
    cli_chain.jump(PAUSE_COOLDOWN)
    assert json_out(invoke(cli_chain, "guardian", "pause", "--json", keystore=arbiter))["paused"] is True
    assert_ok(invoke(cli_chain, "guardian", "unpause", keystore=arbiter))


def _set_caps(cli_chain, rate_cap_bps: int, provider_cap_bps: int) -> None:
    """Governance (the devnet's timelock, delay 0) sets the slash-rate caps (system, per provider)."""
    from swarm_stake.governance import timelock_execute

    client = cli_chain.client(dev_account(0))
    vm = client.contract("VerdictManager", cli_chain.registry.address("VerdictManager"))
    limits = list(vm.functions.limits().call())
    limits[2:4] = rate_cap_bps, provider_cap_bps  # (appealBond, oraclePenalty, rateCapBps, providerCapBps, capWindow)
    timelock_execute(client, cli_chain.registry.address("SwarmTimelock"), vm.functions.setLimits(tuple(limits)))


def test_collect_takes_the_remainder_a_capped_verdict_owes(cli_chain):
    """A verdict over the rate cap executes with what the cap allows; `incidents show` names what is still
    owed; `incidents collect` (anyone) takes it once the cap allows, and then there is nothing to collect."""
    vm = cli_chain.contract("VerdictManager")
    default_caps = vm.functions.limits().call()[2:4]
    provider, _ = cli_chain.provider()
    stranger = cli_chain.address("dev8")
    _set_caps(cli_chain, 1, 1)
    try:
        verdict = cli_chain.execute_verdict(provider.address)
        incident = verdict.incident_id
        owed = vm.functions.remainderOf(incident).call()
        assert owed > 0
        shown = json_out(invoke(cli_chain, "incidents", "show", incident, "--json"))
        assert shown["remainder"] == owed
        assert f"incidents collect {incident}" in assert_ok(invoke(cli_chain, "incidents", "show", incident)).stdout
        with sends_nothing(cli_chain, stranger):
            assert_error(invoke(cli_chain, "incidents", "collect", incident, keystore="dev8"),
                         "slashing caps allow nothing more now")  # fmt: skip
    finally:
        _set_caps(cli_chain, *default_caps)
    escrowed = cli_chain.escrow.functions.escrowOf(incident).call()[0]

    result = json_out(invoke(cli_chain, "incidents", "collect", incident, "--json", keystore="dev8"))

    assert (result["collected"], result["remainder"]) == (owed, 0)
    assert cli_chain.escrow.functions.escrowOf(incident).call()[0] == escrowed + owed
    with sends_nothing(cli_chain, stranger):
        assert_error(invoke(cli_chain, "incidents", "collect", incident, keystore="dev8"), "nothing is owed")
