"""`swarm-stake incidents`: list, show (phase, amounts, timeline of events) and appeal."""

from cli_support import (
    APPEALED,
    CLOSED,
    COMMITTEE,
    ESCROWED,
    RESPONDED,
    TOKEN,
    assert_error,
    assert_ok,
    cli_chain,  # noqa: F401 - the module's devnet
    json_out,
    sends_nothing,
)
from swarm_stake.appeals import appeal
from swarm_stake.devnet import dev_account
from swarm_stake.models import Level, ViolationClass
from swarm_stake.recovery import RecoveryDesk

APPEAL_BOND = 100 * TOKEN
APPEAL_WINDOW = 30  # devnet, seconds
CHALLENGE = 5


def test_list_and_show_with_the_timeline(cli_chain):
    provider_a, _ = cli_chain.provider(stake=5_000)
    provider_b, _ = cli_chain.provider(stake=3_000)
    pool_a = cli_chain.pool(provider_a.address)
    first = cli_chain.execute_verdict(provider_a.address, ViolationClass.SECURITY_BREACH, Level.PENALTY)
    second = cli_chain.execute_verdict(provider_b.address)

    listed = json_out(cli_chain.cli("incidents", "list", "--json"))
    by_id = {entry["incident_id"]: entry for entry in listed}
    assert {first.incident_id, second.incident_id} <= set(by_id)
    assert by_id[first.incident_id]["provider"] == provider_a.address
    assert by_id[first.incident_id]["amount"] == pool_a // 10  # security breach, penalty: 10%
    only_b = json_out(cli_chain.cli("--json", "incidents", "list", "--provider", provider_b.address))
    assert [entry["incident_id"] for entry in only_b] == [second.incident_id]

    shown = json_out(cli_chain.cli("incidents", "show", first.incident_id, "--json"))
    assert shown["provider"] == provider_a.address
    assert (shown["phase"], shown["escrow_state"]) == ("responded", "escrowed")  # names, as in recovery status
    assert shown["amount"] == pool_a // 10
    assert shown["evidence_hash"] == first.evidence_hash
    assert shown["verdict"] == first.model_dump(mode="json")
    events = [(entry["contract"], entry["event"]) for entry in shown["timeline"]]
    assert events.count(("VerdictManager", "VerdictApproved")) == 2
    assert ("VerdictManager", "VerdictExecuted") in events
    assert ("RecoveryEscrow", "EscrowOpened") in events
    assert [entry["block"] for entry in shown["timeline"]] == sorted(entry["block"] for entry in shown["timeline"])

    human = assert_ok(cli_chain.cli("incidents", "show", first.incident_id))
    assert "security breach" in human.stdout and "responded" in human.stdout and "VerdictExecuted" in human.stdout


def test_appeal_with_the_operator_key_moves_the_bond(cli_chain):
    provider, operator = cli_chain.provider(operator_name="appeal-operator")
    verdict = cli_chain.execute_verdict(provider.address)
    court_before = cli_chain.balance(cli_chain.court.address)
    operator_before = cli_chain.balance(operator.address)
    result = assert_ok(cli_chain.cli("incidents", "appeal", verdict.incident_id, keystore="appeal-operator"))
    assert f"appealed {verdict.incident_id} with a bond of 100.00 SWARM" in result.stdout
    assert cli_chain.balance(cli_chain.court.address) == court_before + APPEAL_BOND
    assert cli_chain.balance(operator.address) == operator_before - APPEAL_BOND
    assert cli_chain.phase(verdict.incident_id) == APPEALED
    assert tuple(cli_chain.court.functions.appealOf(verdict.incident_id).call()) == (operator.address, APPEAL_BOND)

    shown = json_out(cli_chain.cli("incidents", "show", verdict.incident_id, "--json"))
    events = [entry["event"] for entry in shown["timeline"]]
    assert "IncidentAppealed" in events and "Appealed" in events
    assert shown["phase"] == "appealed"


def test_appeal_with_the_owner_key(cli_chain):
    provider, operator = cli_chain.provider(name="appeal-owner")
    verdict = cli_chain.execute_verdict(provider.address)
    with sends_nothing(cli_chain, provider.address):
        result = cli_chain.cli("incidents", "appeal", verdict.incident_id, keystore="appeal-owner")
    assert_error(result, "operator key", operator.address, "keystore")
    assert cli_chain.phase(verdict.incident_id) == RESPONDED


def test_appeal_without_the_bond(cli_chain):
    provider, operator = cli_chain.provider(operator_name="poor-operator", operator_tokens=0)
    verdict = cli_chain.execute_verdict(provider.address)
    with sends_nothing(cli_chain, operator.address):
        result = cli_chain.cli("incidents", "appeal", verdict.incident_id, keystore="poor-operator")
    assert_error(result, "appeal bond", "send it tokens")


def test_appeal_twice(cli_chain):
    provider, operator = cli_chain.provider(operator_name="eager-operator")
    verdict = cli_chain.execute_verdict(provider.address)
    appeal(cli_chain.client(operator), cli_chain.registry, verdict)
    with sends_nothing(cli_chain, operator.address):
        result = cli_chain.cli("incidents", "appeal", verdict.incident_id, keystore="eager-operator")
    assert_error(result, "already appealed", "incidents show")


def test_appeal_after_the_appeal_window(cli_chain):
    provider, operator = cli_chain.provider(operator_name="late-operator")
    verdict = cli_chain.execute_verdict(provider.address)
    cli_chain.jump(APPEAL_WINDOW + 1)
    with sends_nothing(cli_chain, operator.address):
        result = cli_chain.cli("incidents", "appeal", verdict.incident_id, keystore="late-operator")
    assert_error(result, "appeal window has closed", "incidents show")
    assert cli_chain.phase(verdict.incident_id) == RESPONDED


def test_appeal_after_the_incident_closed(cli_chain, tmp_path):
    # Compliance verification vests at once: evaluated and released once the appeal window has passed, the
    # incident is closed and can no longer be appealed (the bond must not even be approved).
    provider, operator = cli_chain.provider(operator_name="closed-operator")
    verdict = cli_chain.execute_verdict(provider.address, ViolationClass.PROTOCOL_VIOLATION, Level.PENALTY)
    cli_chain.file_claim(verdict, operator, tmp_path)
    for index in COMMITTEE[:2]:
        RecoveryDesk(cli_chain.client(dev_account(index)), cli_chain.registry).approve_evaluation(verdict, "0x" + "aa" * 32)
    cli_chain.jump(max(CHALLENGE, APPEAL_WINDOW) + 1)
    RecoveryDesk(cli_chain.client(dev_account(5)), cli_chain.registry).release(verdict)
    assert cli_chain.phase(verdict.incident_id) == CLOSED
    with sends_nothing(cli_chain, operator.address):
        result = cli_chain.cli("incidents", "appeal", verdict.incident_id, keystore="closed-operator")
    assert_error(result, "can no longer be appealed")
    assert cli_chain.court.functions.appealOf(verdict.incident_id).call()[1] == 0


def test_appeal_an_unknown_incident(cli_chain):
    unknown = "0x" + "ab" * 32
    with sends_nothing(cli_chain, cli_chain.address("dev2")):
        result = cli_chain.cli("incidents", "appeal", unknown, keystore="dev2")
    assert_error(result, "no executed incident", unknown, "check the id")


def test_show_an_unknown_incident(cli_chain):
    unknown = "0x" + "cd" * 32
    result = cli_chain.cli("incidents", "show", unknown, "--json")
    assert_error(result, "no executed incident", unknown, "check the id")
    assert result.stdout == ""


def test_show_a_malformed_incident_id(cli_chain):
    result = cli_chain.cli("incidents", "show", "0x1234")
    assert_error(result, "not a 32-byte id", "64 hex digits", code=2)


def test_list_with_a_malformed_provider_address(cli_chain):
    result = cli_chain.cli("incidents", "list", "--provider", "0xABCDEF")
    assert_error(result, "not an address", code=2)
