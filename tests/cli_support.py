"""Shared by tests/test_cli_*.py: run `swarm-stake` as a user would, against a real anvil devnet.

Every command runs as a subprocess (``python -m swarm_stake.cli``) with the settings in its
environment (SWARM_STAKE_RPC_URL, SWARM_STAKE_REGISTRY, SWARM_STAKE_HOME, SWARM_STAKE_PASSWORD)
and its keystores in ``$SWARM_STAKE_HOME/keystores``. Those keystores use a cheap KDF (pbkdf2,
1000 rounds) so that unlocking costs nothing; `accounts create/import` write real scrypt ones.

The devnet only mines when a transaction arrives (no block time), so "no transaction was sent"
is checked twice: the sender's nonce and the block number are both unchanged.

State that a test only needs as a premise (a registered provider, an executed verdict, a filed
claim) is set up in-process with the library, which is fast; the command under test runs as a
subprocess.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from web3.logs import DISCARD
from eth_account import Account
from web3 import Web3

from swarm_stake.abis import load_abi
from swarm_stake.audit import prepare, sign_bundle, write_json
from swarm_stake.chain import Client
from swarm_stake.devnet import AUDITOR_ACCOUNT, ORACLE_ACCOUNTS, Devnet, dev_account
from swarm_stake.evidence import evidence_hash
from swarm_stake.models import Level, Verdict, ViolationClass
from swarm_stake.recovery import RecoveryDesk
from swarm_stake.staking import Staking
from swarm_stake.verdicts import VerdictDesk

CLI = [sys.executable, "-m", "swarm_stake.cli"]
PASSWORD = "cli-test-password"
TOKEN = 10**18
DEAD_RPC = "http://127.0.0.1:9"
#: Dev accounts that get a keystore named dev<i> (1..8 stakers and operators, 9 auditor, 10..12 oracles).
KEYSTORE_ACCOUNTS = (1, 2, 3, 4, 5, 6, 7, 8, AUDITOR_ACCOUNT, *ORACLE_ACCOUNTS[:3])
COMMITTEE = ORACLE_ACCOUNTS[:3]
AUDITOR = dev_account(AUDITOR_ACCOUNT)

# Phase and escrow state numbers as `--json` prints them.
DETECTED, RESPONDED, APPEALED, RESTORING, EVALUATED, CLOSED = 1, 2, 3, 4, 5, 6
ESCROWED, OBSERVING, ATTESTED, REJECTED, RELEASED = 1, 2, 3, 4, 5


# -- running the CLI -------------------------------------------------------------------------


def clean_env(**values: Any) -> dict[str, str]:
    """The test process's environment without any SWARM_STAKE_* setting, plus ``values`` (None: left out)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SWARM_STAKE_")}
    env.update({key: str(value) for key, value in values.items() if value is not None})
    return env


def run_cli(*args: Any, env: dict[str, str], cwd: Path, stdin: Any = subprocess.DEVNULL,
            timeout: float = 90) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """``swarm-stake ARGS`` as a subprocess; stdin is not a terminal unless given."""
    return subprocess.run([*CLI, *map(str, args)], env=env, cwd=cwd, stdin=stdin, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


def assert_ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    """A success: exit 0, no traceback, and no library warning on stderr (which holds only progress lines)."""
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert "Traceback" not in result.stdout + result.stderr
    assert "Warning" not in result.stderr, result.stderr
    return result


def assert_error(result: subprocess.CompletedProcess[str], *words: str, code: int = 1) -> str:
    """A clean failure: exit ``code``, no traceback, one paragraph on stderr holding every word of ``words``
    (case-insensitive); returns that message."""
    output = result.stdout + result.stderr
    assert result.returncode == code, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert "Traceback" not in output
    assert "unexpected" not in result.stderr, result.stderr  # the catch-all of GuardedGroup: a missed error path
    if code == 1:
        assert result.stderr.startswith("error: "), result.stderr
        message = result.stderr.strip()
        assert len(message.splitlines()) == 1, f"more than one paragraph:\n{result.stderr}"
    else:  # click's usage errors: the usage line, a hint, then one `Error: ...` line
        assert "Usage:" in result.stderr, result.stderr
        message = result.stderr.split("Error:", 1)[1].strip()
        assert len(message.splitlines()) == 1, f"more than one paragraph:\n{result.stderr}"
    for word in words:
        assert word.lower() in message.lower(), f"{word!r} not in the message: {message}"
    return message


def json_out(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(assert_ok(result).stdout)


def write_keystore(directory: Path, name: str, account: Any, password: str = PASSWORD) -> Path:
    """An eth-account keystore (pbkdf2, cheap to unlock) at ``directory/name.json``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    path.write_text(json.dumps(Account.encrypt(account.key, password, kdf="pbkdf2", iterations=1000)))
    return path


# -- the devnet -------------------------------------------------------------------------------


class CliChain:
    """A deployed devnet, its registry file, a SWARM_STAKE_HOME with keystores, and helpers."""

    def __init__(self, devnet: Devnet, home: Path):
        self.devnet = devnet
        self.registry = devnet.registry
        self.home = home
        self.work = home / "work"  # the CLI's working directory (no swarm-stake.toml there)
        self.work.mkdir(parents=True, exist_ok=True)
        self.keystores = home / "keystores"
        self.registry_path = home / "registry.json"
        self.registry.save(self.registry_path)
        self.w3 = Web3(Web3.HTTPProvider(devnet.rpc_url))
        self.accounts: dict[str, Any] = {}
        for index in KEYSTORE_ACCOUNTS:
            self.add_keystore(f"dev{index}", dev_account(index))
        self.token = self.contract("SwarmToken")
        self.manager = self.contract("StakeManager")
        self.verdicts = self.contract("VerdictManager")
        self.escrow = self.contract("RecoveryEscrow")
        self.court = self.contract("AppealCourt")
        # A large pool keeps the system-wide slashing cap (10% of all stake per window) out of the way.
        Staking(devnet.client(0), self.registry).register(dev_account(0).address, 10_000_000 * TOKEN, "http://whale")

    @property
    def rpc_url(self) -> str:
        return self.devnet.rpc_url

    # running
    def env(self, **overrides: Any) -> dict[str, str]:
        """The environment of a CLI run; an override of None removes that variable."""
        values: dict[str, Any] = {
            "SWARM_STAKE_RPC_URL": self.rpc_url,
            "SWARM_STAKE_REGISTRY": self.registry_path,
            "SWARM_STAKE_HOME": self.home,
            "SWARM_STAKE_PASSWORD": PASSWORD,
        }
        values.update(overrides)
        return clean_env(**values)

    def cli(self, *args: Any, keystore: str | None = None, env: dict[str, str] | None = None,
            cwd: Path | None = None, **kwargs: Any) -> subprocess.CompletedProcess[str]:  # fmt: skip
        prefix = ["--keystore", keystore] if keystore else []
        return run_cli(*prefix, *args, env=env or self.env(), cwd=cwd or self.work, **kwargs)

    # accounts
    def add_keystore(self, name: str, account: Any) -> Any:
        write_keystore(self.keystores, name, account)
        self.accounts[name] = account
        return account

    def address(self, name: str) -> str:
        return self.accounts[name].address

    def fresh(self, name: str | None = None, tokens: int = 0, eth: int = 10) -> Any:
        """A new account with ``eth`` ether and ``tokens`` tokens; with ``name`` it also gets a keystore."""
        account = Account.create()
        self.w3.provider.make_request("anvil_setBalance", [account.address, hex(eth * 10**18)])
        if tokens:
            admin = self.devnet.client(0)
            admin.send(admin.contract("SwarmToken", self.token.address).functions.transfer(account.address, tokens * TOKEN))
        if name:
            self.add_keystore(name, account)
        return account

    def client(self, account: Any) -> Client:
        return Client.connect(self.rpc_url, account)

    # reading
    def contract(self, name: str) -> Any:
        return self.w3.eth.contract(address=self.registry.address(name), abi=load_abi(name))

    def nonce(self, address: str) -> int:
        return self.w3.eth.get_transaction_count(address, "pending")

    def balance(self, address: str) -> int:
        return self.token.functions.balanceOf(address).call()

    def pool(self, provider: str) -> int:
        return self.manager.functions.getPool(provider).call()[0]

    def phase(self, incident: str) -> int:
        return self.contract("SwarmLens").functions.stateOf(incident).call()

    def escrow_state(self, incident: str) -> int:
        return self.escrow.functions.stateOf(incident).call()

    def now(self) -> int:
        return self.w3.eth.get_block("latest")["timestamp"]

    # time
    def mine(self) -> int:
        self.w3.provider.make_request("evm_mine", [])
        return self.now()

    def jump(self, seconds: int) -> int:
        return self.devnet.increase_time(seconds)

    # premises, set up with the library
    def provider(self, stake: int = 2_000, name: str | None = None, operator_name: str | None = None,
                 operator_tokens: int = 1_000, spare: int = 1_000) -> tuple[Any, Any]:  # fmt: skip
        """A registered provider with ``stake`` self-stake and ``spare`` tokens; returns (owner, operator)."""
        owner = self.fresh(name, tokens=stake + spare)
        operator = self.fresh(operator_name, tokens=operator_tokens)
        Staking(self.client(owner), self.registry).register(operator.address, stake * TOKEN, "http://node/health")
        return owner, operator

    def delegate(self, account: Any, provider: str, tokens: int) -> None:
        Staking(self.client(account), self.registry).stake(provider, tokens * TOKEN)

    def execute_verdict(self, provider: str, violation: ViolationClass = ViolationClass.POOR_PERFORMANCE,
                        severity: Level = Level.PENALTY) -> Verdict:  # fmt: skip
        """A verdict on ``provider`` signed by two of the three committee members and executed."""
        members = [dev_account(i) for i in COMMITTEE[:2]]
        desk = VerdictDesk(self.client(members[0]), self.registry)
        observed_at = self.mine()
        evidence = evidence_hash({"provider": provider, "rule": "test", "nonce": secrets.token_hex(8)})
        verdict = desk.build(provider, violation, severity, evidence, observed_at)
        receipt = desk.submit(verdict, [desk.sign(verdict, member) for member in members])
        assert desk.events(receipt, "VerdictExecuted"), "the verdict did not execute"
        return verdict

    def upgrade(self, verdict: Verdict, severity: Level) -> Verdict:
        """The failure of ``verdict`` signed again at ``severity`` by the same two members: an upgrade."""
        members = [dev_account(i) for i in COMMITTEE[:2]]
        desk = VerdictDesk(self.client(members[0]), self.registry)
        evidence = evidence_hash({"provider": verdict.provider, "rule": "test", "nonce": secrets.token_hex(8)})
        higher = desk.build(verdict.provider, verdict.violation_class, severity, evidence, verdict.observed_at)
        receipt = desk.submit(higher, [desk.sign(higher, member) for member in members])
        assert self.court.events.VerdictUpgraded().process_receipt(receipt, errors=DISCARD), "nothing was upgraded"
        return higher

    def bundle(self, verdict: Verdict, directory: Path) -> Path:
        """An audit bundle of ``verdict`` (as `recovery prepare` writes it) under ``directory``."""
        logs = directory / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        (logs / "node.log").write_text("node restarted\nhealth OK\n")
        (directory / "report.md").write_text("audit: fixed\n")
        (directory / "remediation.md").write_text("image rebuilt\n")
        path = directory / "bundle.json"
        write_json(path, prepare(verdict.incident_id, verdict.provider, logs, directory / "report.md",
                                 directory / "remediation.md"))  # fmt: skip
        return path

    def proof(self, verdict: Verdict, directory: Path, signer: Any = AUDITOR, escrow: str | None = None,
              name: str = "proof.json", valid_for: int = 3600) -> Path:  # fmt: skip
        """An audit proof file of ``verdict`` signed by ``signer`` (the registered auditor by default)."""
        from swarm_stake.audit import load_bundle

        bundle_path = directory / "bundle.json"
        if not bundle_path.exists():
            self.bundle(verdict, directory)
        now = self.mine()
        proof = sign_bundle(load_bundle(bundle_path), signer, self.registry.chain_id,
                            escrow or self.escrow.address, now, now + valid_for)  # fmt: skip
        path = directory / name
        write_json(path, proof)
        return path

    def file_claim(self, verdict: Verdict, operator: Any, directory: Path) -> None:
        """File the recovery claim of ``verdict`` from ``operator`` with a proof by the registered auditor."""
        from swarm_stake.audit import load_proof

        proof_file = load_proof(self.proof(verdict, directory))
        RecoveryDesk(self.client(operator), self.registry).file_claim(verdict, proof_file.proof,
                                                                      proof_file.signature_bytes)  # fmt: skip


@contextmanager
def sends_nothing(cli_chain: CliChain, *addresses: str):
    """Asserts that no transaction was sent from ``addresses`` (nonces) nor by anyone (block number)."""
    before = ([cli_chain.nonce(a) for a in addresses], cli_chain.w3.eth.block_number)
    yield
    after = ([cli_chain.nonce(a) for a in addresses], cli_chain.w3.eth.block_number)
    assert after == before, f"a transaction was sent on a failure path: (nonces, block) {before} -> {after}"


@pytest.fixture(scope="module")
def cli_chain(tmp_path_factory: pytest.TempPathFactory):
    """A deployed devnet for the test module (transactions mine at once; the clock moves by jumps)."""
    with Devnet() as devnet:
        devnet.deploy()
        yield CliChain(devnet, tmp_path_factory.mktemp("swarm-stake-home"))
