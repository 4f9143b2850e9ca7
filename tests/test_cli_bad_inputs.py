"""A table of bad inputs: each one exits non-zero with a one-paragraph message, no traceback, and
nothing sent (the sender's nonce and the block number are unchanged).

Categories: ambiguous or malformed amounts, metadata URIs, addresses and ids, registries that
do not match the chain (no code, the wrong contract, another chain), messages signed for another
chain or deployment, keystores and endpoints. Commands run in-process (click's CliRunner) against
the module's devnet; tests/test_cli_interrupt.py covers what needs a real process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cli_inprocess import invoke
from cli_support import (
    COMMITTEE,
    DEAD_RPC,
    assert_error,
    assert_ok,
    cli_chain,  # noqa: F401 - the module's devnet
    sends_nothing,
)
from swarm_stake.cli import runtime
from swarm_stake.devnet import dev_account
from swarm_stake.errors import ContractError
from swarm_stake.models import MAX_METADATA_URI_BYTES
from swarm_stake.signed_files import SignedEntry, SignedMessageFile
from swarm_stake.signing import sign
from swarm_stake.verdicts import VerdictDesk

SENDER = "dev5"
USAGE, ERROR = 2, 1
ACCEPTED_FORMS = "e.g. 1000, 2.5 or 1_000"


@dataclass
class Premises:
    """What the cases refer to: a registered provider, registries and signed files made for the test."""

    chain: Any
    directory: Path
    provider: str

    def registry(self, name: str, **changes: Any) -> Path:
        """The devnet's registry with ``changes`` (contracts: name -> address; or chain_id), saved as ``name``."""
        contracts = {**self.chain.registry.contracts, **changes.pop("contracts", {})}
        path = self.directory / name
        self.chain.registry.model_copy(update={"contracts": contracts, **changes}).save(path)
        return path

    def keystore_without_ether(self) -> str:
        """A keystore whose account holds tokens but no ether."""
        self.chain.fresh("no-ether", tokens=100, eth=0)
        return "no-ether"

    def verdict(self, name: str, chain_id: int = 31337, contract: str | None = None) -> Path:
        """A verdict on the provider signed by one committee member for ``chain_id`` and ``contract``."""
        member = dev_account(COMMITTEE[0])
        desk = VerdictDesk(self.chain.client(member), self.chain.registry)
        verdict = desk.build(self.provider, 0, 1, "0x" + "ee" * 32, self.chain.mine())
        verifying = contract or self.chain.verdicts.address
        signature = "0x" + sign(verdict, chain_id, verifying, member).hex()
        document = SignedMessageFile(type="Verdict", message=verdict.model_dump(mode="json"), chain_id=chain_id,
                                     verifying_contract=verifying,
                                     signatures=[SignedEntry(signer=member.address, signature=signature)])  # fmt: skip
        path = self.directory / name
        path.write_text(document.model_dump_json(indent=2))
        return path


@dataclass(frozen=True)
class Case:
    """A bad input: the command line (built from the premises), extra settings, the exit status and the
    words the message must hold."""

    build: Callable[[Premises], list[Any]]
    code: int
    words: Callable[[Premises], list[str]] | tuple[str, ...]
    env: Callable[[Premises], dict[str, Any]] | None = None


def delegate(amount: str) -> Callable[[Premises], list[Any]]:
    return lambda p: ["delegator", "delegate", p.provider, "--", amount]


def register(uri: str, stake: str = "1000") -> Callable[[Premises], list[Any]]:
    return lambda p: ["provider", "register", "--operator", p.provider, "--stake", stake, "--metadata-uri", uri]


def registry(**changes: Any) -> Callable[[Premises], dict[str, Any]]:
    return lambda p: {"SWARM_STAKE_REGISTRY": p.registry(f"registry-{abs(hash(repr(changes)))}.json", **changes)}


def addresses(p: Premises, *names: str) -> dict[str, str]:
    return {name: p.chain.registry.address(name) for name in names}


def wrong_checksum(address: str) -> str:
    """``address`` with the case of its first letter flipped: the same account, a broken EIP-55 checksum."""
    index = next(i for i, char in enumerate(address) if i > 1 and char.isalpha())
    return address[:index] + address[index].swapcase() + address[index + 1:]


EOA = dev_account(19).address
STATUS = lambda p: ["provider", "status", p.provider]  # noqa: E731 - a read command, for registry cases

CASES: dict[str, Case] = {
    # amounts: exponents are ambiguous; the accepted forms are named
    "amount 1e18": Case(delegate("1e18"), USAGE, ("ambiguous", ACCEPTED_FORMS)),
    "amount 1E3": Case(delegate("1E3"), USAGE, ("ambiguous", ACCEPTED_FORMS)),
    "amount 2.5e3": Case(delegate("2.5e3"), USAGE, ("ambiguous", ACCEPTED_FORMS)),
    "amount 1e-3": Case(delegate("1e-3"), USAGE, ("ambiguous", ACCEPTED_FORMS)),
    "amount 1e": Case(delegate("1e"), USAGE, ("ambiguous", ACCEPTED_FORMS)),
    "amount in words": Case(delegate("ten"), USAGE, ("not an amount of tokens", ACCEPTED_FORMS)),
    "amount NaN": Case(delegate("NaN"), USAGE, ("not an amount of tokens",)),
    "amount infinity": Case(delegate("Infinity"), USAGE, ("not an amount of tokens",)),
    "amount negative": Case(delegate("-5"), USAGE, ("must be a positive number",)),
    "amount zero": Case(delegate("0"), USAGE, ("must be a positive number",)),
    "amount with two points": Case(delegate("1.2.3"), USAGE, ("not an amount of tokens",)),
    "amount in hex": Case(delegate("0x10"), USAGE, ("not an amount of tokens",)),
    "amount with a thousands comma": Case(delegate("1,000"), USAGE, ("not an amount of tokens", "1_000")),
    "amount empty": Case(delegate(""), USAGE, ("not an amount of tokens",)),
    "amount beyond any supply": Case(delegate("1" + "0" * 50), USAGE, ("larger than any token supply",)),
    "amount finer than the token": Case(delegate("0.0000000000000000001"), ERROR, ("more than 18 decimals",)),
    "stake 1e3 at registration": Case(register("http://node/health", "1e3"), USAGE, ("ambiguous", "--stake")),
    "bond 5e2": Case(lambda p: ["oracle", "bond", "5e2"], USAGE, ("ambiguous", ACCEPTED_FORMS)),
    "faucet tokens 1e3": Case(lambda p: ["devnet", "fund", p.provider, "--tokens", "1e3"], USAGE, ("ambiguous",)),
    # metadata URIs: non-empty, bounded, visible ASCII
    "metadata URI empty": Case(register(""), USAGE, ("metadata URI is empty",)),
    "metadata URI with a space": Case(register("http://node/a b"), USAGE, ("' '", "visible ASCII")),
    "metadata URI with a tab": Case(register("http://node/\thealth"), USAGE, ("\\t", "visible ASCII")),
    "metadata URI with a bell": Case(register("http://node\x07/health"), USAGE, ("\\x07", "visible ASCII")),
    "metadata URI with an escape sequence": Case(register("http://node/\x1b[31mred"), USAGE, ("\\x1b", "visible ASCII")),
    "metadata URI with a newline": Case(register("http://node/\nhealth"), USAGE, ("\\n", "visible ASCII")),
    "metadata URI with a right-to-left override": Case(register("http://node/\u202egpj"), USAGE, ("\\u202e",)),
    "metadata URI not ASCII": Case(register("http://nöde/health"), USAGE, ("visible ASCII", "percent-encode")),
    "metadata URI too long": Case(register("http://node/" + "a" * MAX_METADATA_URI_BYTES), USAGE,
                                  (f"at most {MAX_METADATA_URI_BYTES} bytes",)),  # fmt: skip
    # addresses and ids
    "address too short": Case(lambda p: ["delegator", "delegate", "0x1234", "10"], USAGE, ("not an address",)),
    "address with a wrong checksum": Case(lambda p: ["delegator", "delegate", wrong_checksum(p.provider), "10"], USAGE,
                                          ("checksum",)),  # fmt: skip
    "address not hex": Case(lambda p: ["provider", "status", "0x" + "zz" * 20], USAGE, ("not an address",)),
    "incident id too short": Case(lambda p: ["incidents", "show", "0x1234"], USAGE, ("32-byte id",)),
    "incident unknown": Case(lambda p: ["incidents", "show", "0x" + "ab" * 32], ERROR, ("no executed incident",)),
    "provider not registered": Case(lambda p: ["delegator", "delegate", EOA, "10"], ERROR,
                                    ("no provider is registered", EOA)),  # fmt: skip
    "undelegate without a position": Case(lambda p: ["delegator", "undelegate", p.provider, "--all"], ERROR,
                                          ("holds no bonded stake",)),  # fmt: skip
    "unstake an amount and --all": Case(lambda p: ["provider", "unstake", "5", "--all"], ERROR, ("not both",)),
    # registries that do not match the chain: one line naming the address and the chain
    "registry address without code": Case(STATUS, ERROR, (EOA, "StakeManager", "holds no code", "chain 31337"),
                                          registry(contracts={"StakeManager": EOA})),  # fmt: skip
    "registry of a restarted devnet": Case(lambda p: ["incidents", "list"], ERROR,
                                           (EOA, "AppealCourt", "holds no code", "chain 31337"),
                                           registry(contracts={"AppealCourt": EOA})),  # fmt: skip
    "registry with two contracts swapped": Case(
        STATUS, ERROR, lambda p: [p.chain.registry.address("VerdictManager"), "is not a StakeManager", "chain 31337"],
        lambda p: {"SWARM_STAKE_REGISTRY": p.registry("swapped.json", contracts={
            "StakeManager": p.chain.registry.address("VerdictManager"),
            "VerdictManager": p.chain.registry.address("StakeManager")})}),  # fmt: skip
    "registry naming the timelock as the token": Case(
        STATUS, ERROR, lambda p: [p.chain.registry.address("SwarmTimelock"), "is not a SwarmToken", "chain 31337"],
        lambda p: {"SWARM_STAKE_REGISTRY": p.registry("token.json", contracts={
            "SwarmToken": p.chain.registry.address("SwarmTimelock")})}),  # fmt: skip
    "registry of another chain": Case(STATUS, ERROR, ("serves chain 31337", "is for chain 5"), registry(chain_id=5)),
    "registry missing": Case(STATUS, ERROR, ("registry not found",),
                             lambda p: {"SWARM_STAKE_REGISTRY": p.directory / "none.json"}),  # fmt: skip
    "registry not JSON": Case(STATUS, ERROR, ("is invalid",), lambda p: {"SWARM_STAKE_REGISTRY": _write(
        p.directory / "broken.json", '{"network": "devnet", "chain_id": 31')}),  # fmt: skip
    # messages signed for another chain or deployment
    "verdict signed for chain 5, submitted": Case(lambda p: ["oracle", "submit", p.verdict("chain5.json", 5)], ERROR,
                                                  ("signed for chain 5", "this is chain 31337")),  # fmt: skip
    "verdict signed for chain 5, co-signed": Case(lambda p: ["oracle", "cosign", p.verdict("chain5b.json", 5)],
                                                  ERROR, ("signed for chain 5", "this is chain 31337")),  # fmt: skip
    "verdict signed for another VerdictManager": Case(
        lambda p: ["oracle", "submit", p.verdict("other.json", contract=p.chain.escrow.address)], ERROR,
        lambda p: ["not this deployment's VerdictManager", p.chain.verdicts.address, "chain 31337"]),
    # keys and endpoints
    "no keystore for a sending command": Case(lambda p: ["delegator", "delegate", p.provider, "10"], ERROR,
                                              ("needs a key", "--keystore"),
                                              lambda p: {"SWARM_STAKE_KEYSTORE": None}),  # fmt: skip
    "keystore that does not exist": Case(lambda p: ["delegator", "delegate", p.provider, "10"], ERROR,
                                         ("keystore not found",), lambda p: {"SWARM_STAKE_KEYSTORE": "nobody"}),
    "keystore name with a path escape": Case(lambda p: ["delegator", "delegate", p.provider, "10"], ERROR,
                                             ("not a keystore name",), lambda p: {"SWARM_STAKE_KEYSTORE": "..x"}),
    "wrong keystore password": Case(lambda p: ["delegator", "delegate", p.provider, "10"], ERROR,
                                    ("wrong password",), lambda p: {"SWARM_STAKE_PASSWORD": "not-it"}),
    "no ether for gas": Case(lambda p: ["delegator", "delegate", p.provider, "10"], ERROR,
                             ("too little ether", "devnet fund", "it was not sent"),
                             lambda p: {"SWARM_STAKE_KEYSTORE": p.keystore_without_ether()}),  # fmt: skip
    "endpoint down": Case(lambda p: ["delegator", "delegate", p.provider, "10"], ERROR, ("cannot reach",),
                          lambda p: {"SWARM_STAKE_RPC_URL": DEAD_RPC}),  # fmt: skip
}


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def premises(cli_chain, tmp_path_factory):
    provider, _ = cli_chain.provider()
    return Premises(cli_chain, tmp_path_factory.mktemp("bad-inputs"), provider.address)


def test_the_table_is_at_least_forty_cases():
    assert len(CASES) >= 40


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(cli_chain, premises, name):
    case = CASES[name]
    args = case.build(premises)
    env = {"SWARM_STAKE_KEYSTORE": SENDER, **(case.env(premises) if case.env else {})}
    words = case.words(premises) if callable(case.words) else case.words
    senders = {cli_chain.address(name) for name in (SENDER, env.get("SWARM_STAKE_KEYSTORE")) if name in cli_chain.accounts}
    with sends_nothing(cli_chain, *senders):
        result = invoke(cli_chain, *args, **env)
    assert_error(result, *words, code=case.code)
    assert "Warning" not in result.stderr


def test_enum_arguments_of_contract_errors_are_named():
    """Numeric states in messages become names (ClaimNotAllowed carries an escrow status, the
    VerdictManager's errors a class and a severity, the timelock's a bitmap of operation states)."""
    assert "status=rejected" in str(ContractError("ClaimNotAllowed", {"incidentId": "0x" + "ab" * 32, "status": 3}))
    message = str(ContractError("SeverityNotApplicable", {"violationClass": 1, "severity": 0}))
    assert "violationClass=security breach" in message and "severity=warning" in message
    assert "expectedStates=ready" in str(ContractError("TimelockUnexpectedOperationState",
                                                       {"operationId": "0x00", "expectedStates": "0x" + "0" * 63 + "4"}))
    assert "status=9" in str(ContractError("ClaimNotAllowed", {"status": 9}))  # unknown values stay numbers


def test_tables_print_wide_ids_whole(cli_chain, premises):
    """`incidents list` piped: every incident id and provider address whole on its row, nothing cut."""
    verdict = cli_chain.execute_verdict(premises.provider)
    result = assert_ok(invoke(cli_chain, "incidents", "list", "--provider", premises.provider))
    row = next(line for line in result.stdout.splitlines() if verdict.incident_id in line)
    assert premises.provider in row and "poor performance" in row
    assert "…" not in result.stdout


def test_tables_fold_wide_ids_in_a_narrow_terminal(cli_chain, monkeypatch):
    """In a 50-column terminal a 66-character hash is folded over lines, never cut with an ellipsis."""
    verdict = cli_chain.execute_verdict(cli_chain.provider()[0].address)
    monkeypatch.setattr(runtime, "_on_terminal", lambda: True)
    result = assert_ok(invoke(cli_chain, "incidents", "show", verdict.incident_id, COLUMNS="50"))
    assert "…" not in result.stdout
    rows = [line.split("│") for line in result.stdout.splitlines() if line.count("│") == 3]
    assert max(map(len, result.stdout.splitlines())) <= 50
    values = "".join(row[2].strip() for row in rows)  # the value column, continuation lines included
    assert verdict.evidence_hash in values and verdict.provider in values


def test_an_approval_left_by_a_refused_stake_is_reported(cli_chain, monkeypatch):
    """The pool freezes between the approval and the stake (a verdict lands in between): the stake is
    refused before it is sent, and the message names the mined approval and the allowance it leaves."""
    import swarm_stake.staking

    provider, _ = cli_chain.provider()
    approve = swarm_stake.staking.approve_exact

    def approve_then_freeze(*args: Any, **kwargs: Any) -> None:
        approve(*args, **kwargs)
        cli_chain.execute_verdict(provider.address)

    monkeypatch.setattr(swarm_stake.staking, "approve_exact", approve_then_freeze)
    staker = cli_chain.address(SENDER)
    nonce = cli_chain.nonce(staker)
    result = invoke(cli_chain, "delegator", "delegate", provider.address, "12.5", SWARM_STAKE_KEYSTORE=SENDER)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    sent, message = result.stderr.splitlines()
    approval = sent.split("transaction ")[1].split(";")[0]
    assert sent.startswith("sent approve on SwarmToken")
    assert cli_chain.nonce(staker) == nonce + 1  # the approval, and nothing else
    manager = cli_chain.manager.address
    assert cli_chain.token.functions.allowance(staker, manager).call() == 12_500 * 10**15
    assert message.startswith("error: the pool is frozen") and "PoolFrozen" in message
    assert f"already mined: approve on SwarmToken {approval}" in message
    assert f"allowance left: the StakeManager ({manager}) may spend 12.5000 SWARM of {staker} (approval {approval})" \
        in message
