"""An embedded development chain: anvil on a free port, swarm-stake deployed, accounts funded.

Dev accounts come from anvil's standard test mnemonic; they hold no value anywhere else.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import threading
import time
from collections import deque
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ChainConnectionError, ToolNotFoundError

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3 import Web3

    from .chain import Client
    from .deploy import DeployParams, Registry

#: anvil's standard, public test mnemonic (never use it for real funds).
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_ACCOUNTS = 20
#: The dev account that deploys; on a devnet it is also the arbiter, the guardian and the timelock's proposer.
DEPLOYER_ACCOUNT = 0
#: Dev accounts that run oracles (a 2-of-3 committee by default; five exist for larger committees).
ORACLE_ACCOUNTS = (10, 11, 12, 13, 14)
#: The dev account registered as an auditor.
AUDITOR_ACCOUNT = 9
DEV_CHAIN_ID = 31337
#: Tokens each dev account other than the deployer receives.
DEV_FUNDING = 1_000_000 * 10**18

_LISTENING = re.compile(r"Listening on (\S+):(\d+)")


def devnet_params() -> DeployParams:
    """Parameters of the devnet deployment: windows in seconds so that demos run in real time."""
    from .deploy import DEFAULT_MATRIX, DeployParams, LimitParams, RecoveryParamsModel, WindowParams

    matrix = {
        name: [row.model_copy(update={"jail": row.jail // 1440}) for row in rows]  # one day -> 60 s
        for name, rows in DEFAULT_MATRIX.items()
    }
    return DeployParams(
        unbonding_period="180s",
        min_self_stake="1000 tokens",
        min_oracle_bond="1000 tokens",
        windows=WindowParams(
            max_verdict_age=60, execution_grace=30, appeal_window=30, appeal_resolution=30,
            lookback=600, bucket_length=60, max_pause=20, pause_cooldown=120,
        ),
        limits=LimitParams(appeal_bond="100 tokens", oracle_penalty="50 tokens", cap_window=600),
        recovery=RecoveryParamsModel(
            claim_window=600, epoch_length=10, epochs_required=3, challenge_window=5, max_lifetime=3600,
            attestation_grace=8,
        ),
        auditors=[dev_account(AUDITOR_ACCOUNT).address],
        # On a devnet the deployer also guards and arbitrates, on purpose and by name.
        guardian=dev_account(0).address,
        arbiter=dev_account(0).address,
        matrix=matrix,
        timelock_delay=0,
    )  # fmt: skip


def dev_roles(committee: tuple[int, ...]) -> dict[str, list[int]]:
    """Dev account indices by role on a devnet deployed with :func:`devnet_params` and ``committee`` seated."""
    taken = {DEPLOYER_ACCOUNT, AUDITOR_ACCOUNT, *ORACLE_ACCOUNTS}
    return {
        "deployer": [DEPLOYER_ACCOUNT],
        "arbiter": [DEPLOYER_ACCOUNT],
        "guardian": [DEPLOYER_ACCOUNT],
        "timelock proposer": [DEPLOYER_ACCOUNT],
        "oracle": list(committee),
        "spare oracle": [i for i in ORACLE_ACCOUNTS if i not in committee],
        "auditor": [AUDITOR_ACCOUNT],
        "funded user": [i for i in range(DEV_ACCOUNTS) if i not in taken],
    }


def windows_in_force(params: DeployParams) -> list[tuple[str, str]]:
    """The deployment's windows and periods as (name, duration) for people."""
    from .units import format_duration as show

    windows, recovery = params.windows, params.recovery
    return [
        ("unbonding period", show(params.unbonding_period)),
        ("maximum verdict age", show(windows.max_verdict_age)),
        ("execution grace", show(windows.execution_grace)),
        ("appeal window", show(windows.appeal_window)),
        ("appeal resolution", show(windows.appeal_resolution)),
        ("slashing cap window", show(params.limits.cap_window)),
        ("guardian pause (max) / cooldown", f"{show(windows.max_pause)} / {show(windows.pause_cooldown)}"),
        ("recovery claim window", show(recovery.claim_window)),
        ("observation", f"{recovery.epochs_required} epochs of {show(recovery.epoch_length)}"),
        ("attestation grace", show(recovery.attestation_grace)),
        ("challenge window", show(recovery.challenge_window)),
        ("incident lifetime (max)", show(recovery.max_lifetime)),
        ("timelock delay", show(params.timelock_delay)),
    ]


def find_anvil() -> Path:
    """Locate the anvil binary: $SWARM_STAKE_ANVIL, the project's node_modules, then PATH."""
    explicit = os.environ.get("SWARM_STAKE_ANVIL")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ToolNotFoundError(f"SWARM_STAKE_ANVIL points to {path}, which does not exist")
        return path
    arch = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), platform.machine())
    system = platform.system().lower()
    bundled = Path(__file__).resolve().parents[1] / f"node_modules/@foundry-rs/anvil-{system}-{arch}/bin/anvil"
    if bundled.is_file():
        return bundled
    found = shutil.which("anvil")
    if found:
        return Path(found)
    raise ToolNotFoundError(
        "anvil not found: run `make setup` in the swarm-stake checkout (npm installs it), "
        "put anvil on PATH, or set SWARM_STAKE_ANVIL"
    )


def dev_account(index: int) -> LocalAccount:
    """The dev account ``index`` of the standard test mnemonic (m/44'/60'/0'/0/index)."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


class Devnet:
    """A running anvil process. Use as a context manager, or call :meth:`start` / :meth:`stop`."""

    def __init__(
        self, *, port: int = 0, host: str = "127.0.0.1", block_time: float | None = None, accounts: int = DEV_ACCOUNTS
    ):
        self.account_count = accounts
        self.host = host
        self.port = port
        self.block_time = block_time
        self.registry: Registry | None = None
        self._process: subprocess.Popen[str] | None = None
        self._output: deque[str] = deque(maxlen=50)

    @property
    def rpc_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @cached_property
    def accounts(self) -> list[LocalAccount]:
        return [dev_account(i) for i in range(self.account_count)]

    def start(self, timeout: float = 20.0) -> Devnet:
        command = [
            str(find_anvil()),
            "--host", self.host,
            "--port", str(self.port),
            "--chain-id", str(DEV_CHAIN_ID),
            "--mnemonic", DEV_MNEMONIC,
            "--accounts", str(self.account_count),
        ]  # fmt: skip
        if self.block_time:
            # Transactions still mine at once; empty blocks between them keep the chain clock on the
            # wall clock, so that windows and epochs pass in real time.
            command += ["--block-time", str(self.block_time), "--mixed-mining"]
        self._process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
        listening = threading.Event()
        # Keep draining anvil's output so that its pipe never fills up; note the port it binds.
        threading.Thread(target=self._drain, args=(self._process, listening), daemon=True).start()
        if not listening.wait(timeout) or self._process.poll() is not None:
            output = "\n".join(self._output)
            self.stop()
            raise ChainConnectionError(f"anvil did not start within {timeout:.0f} s:\n{output}")
        return self

    def _drain(self, process: subprocess.Popen[str], listening: threading.Event) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self._output.append(line.rstrip())
            match = _LISTENING.search(line)
            if match and not listening.is_set():
                self.port = int(match.group(2))
                listening.set()

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> Devnet:
        return self.start() if self._process is None else self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- chain helpers -----------------------------------------------------------------------

    def client(self, account_index: int = 0) -> Client:
        """A client sending from dev account ``account_index``."""
        from .chain import Client

        return Client.connect(self.rpc_url, self.accounts[account_index])

    def deploy(self, params: DeployParams | None = None, committee: tuple[int, ...] = ORACLE_ACCOUNTS[:3],
               threshold: int = 2) -> Registry:
        """Install Multicall3 at its canonical address, deploy swarm-stake from dev account 0, give every
        other dev account tokens, and seat the oracle ``committee`` (dev account indices, each bonding
        the minimum) with ``threshold``."""
        from .deploy import deploy_with_client
        from .multicall import install_multicall3

        client = self.client(0)
        install_multicall3(client.w3)  # public networks have it; batched reads (swarm_stake.multicall) use it
        params = params or devnet_params()
        self.registry = deploy_with_client(client, params, network="devnet")
        token = client.contract("SwarmToken", self.registry.address("SwarmToken"))
        for account in self.accounts[1:]:
            client.send(token.functions.transfer(account.address, DEV_FUNDING))
        if committee:
            self.seat_committee(committee, threshold)
        self.registry = self.registry.model_copy(update={"roles": self._roles(params, committee)})
        return self.registry

    def _roles(self, params: DeployParams, committee: tuple[int, ...]) -> dict[str, list[str]]:
        """Addresses by role: the dev accounts' roles, except those the parameters give to other addresses."""
        roles = {role: [self.accounts[i].address for i in indices if i < len(self.accounts)]
                 for role, indices in dev_roles(committee).items()}  # fmt: skip
        for role, given in (("arbiter", [params.arbiter]), ("guardian", [params.guardian]),
                            ("timelock proposer", params.proposers)):  # fmt: skip
            if given and given[0]:
                roles[role] = list(given)
        roles["auditor"] = list(params.auditors)
        return roles

    def seat_committee(self, members: tuple[int, ...], threshold: int) -> None:
        """Bond the minimum for each member (dev account indices) and seat them through the timelock."""
        from .governance import timelock_execute

        assert self.registry is not None, "deploy first"
        committee_address = self.registry.address("OracleCommittee")
        for index in members:
            client = self.client(index)
            committee = client.contract("OracleCommittee", committee_address)
            missing = committee.functions.minBond().call() - committee.functions.bondOf(client.account.address).call()[0]
            if missing > 0:
                token = client.contract("SwarmToken", self.registry.address("SwarmToken"))
                client.send(token.functions.approve(committee_address, missing))
                client.send(committee.functions.postBond(missing))
        admin = self.client(0)
        committee = admin.contract("OracleCommittee", committee_address)
        call = committee.functions.setCommittee([self.accounts[i].address for i in members], threshold)
        timelock_execute(admin, self.registry.address("SwarmTimelock"), call)

    def rpc(self, calls: list[tuple[str, list[object]]]) -> list[object]:
        """JSON-RPC ``calls`` (method, params) sent as one batch request; their results, in order."""
        import requests

        body = [{"jsonrpc": "2.0", "id": n, "method": method, "params": params} for n, (method, params) in enumerate(calls)]
        answers = sorted(requests.post(self.rpc_url, json=body, timeout=120).json(), key=lambda a: a["id"])
        errors = [a["error"] for a in answers if "error" in a]
        if errors:
            raise ChainConnectionError(f"{len(errors)} of {len(calls)} devnet requests failed; the first: {errors[0]}")
        return [a["result"] for a in answers]

    def register_providers(self, count: int, self_stake: int = 1_000 * 10**18, first: int = 0) -> list[str]:
        """Register ``count`` providers fast, for load tests and benchmarks: fresh addresses that anvil
        impersonates (numbered from ``first``; each is its own operator, metadata URI
        ``http://provider-N.invalid/health``), given ether and ``self_stake`` tokens. Each step's
        transactions (transfers, approvals, registrations) go out in JSON-RPC batches and are
        mined together, many to a block. Returns the addresses, in order of registration."""
        from eth_utils import keccak, to_checksum_address

        from .chain import Client

        assert self.registry is not None, "deploy first"
        client = Client.connect(self.rpc_url)
        token = client.contract("SwarmToken", self.registry.address("SwarmToken"))
        manager = client.contract("StakeManager", self.registry.address("StakeManager"))
        numbers = range(first, first + count)
        addresses = [to_checksum_address(keccak(text=f"swarm-stake load provider {n}")[-20:]) for n in numbers]
        self.rpc([("anvil_impersonateAccount", [a]) for a in addresses]
                 + [("anvil_setBalance", [a, hex(10**20)]) for a in addresses])  # fmt: skip

        def tx(sender: str, nonce: int, fn: object, gas: int) -> tuple[str, list[object]]:
            # Explicit nonces: a batch's transactions are taken concurrently.
            return ("eth_sendTransaction", [{"from": sender, "to": fn.address, "gas": hex(gas), "nonce": hex(nonce),  # type: ignore[attr-defined]
                                             "data": fn._encode_transaction_data()}])  # type: ignore[attr-defined]  # fmt: skip

        deployer = self.accounts[0].address
        nonce = client.w3.eth.get_transaction_count(deployer, "pending")
        fresh = [client.w3.eth.get_transaction_count(a, "pending") for a in addresses[:1]] == [0]
        assert fresh, f"provider addresses from {first} are taken already: give another first"
        steps = [
            [tx(deployer, nonce + n, token.functions.transfer(a, self_stake), 100_000) for n, a in enumerate(addresses)],
            [tx(a, 0, token.functions.approve(manager.address, self_stake), 100_000) for a in addresses],
            [tx(a, 1, manager.functions.registerProvider(a, self_stake, f"http://provider-{n}.invalid/health"), 400_000)
             for n, a in zip(numbers, addresses, strict=True)],
        ]  # fmt: skip
        self.rpc([("evm_setAutomine", [False])])
        try:
            for step in steps:
                hashes: list[object] = []
                for start in range(0, len(step), 500):
                    hashes += self.rpc(step[start : start + 500])
                while int(str(self.rpc([("txpool_status", [])])[0]["pending"]), 16):  # type: ignore[index]
                    self.rpc([("evm_mine", [])])
                receipts = self.rpc([("eth_getTransactionReceipt", [h]) for h in hashes])
                failed = [r for r in receipts if r is None or int(r["status"], 16) != 1]  # type: ignore[index]
                if failed:
                    raise ChainConnectionError(f"{len(failed)} of {len(hashes)} devnet transactions failed")
        finally:
            self.rpc([("evm_setAutomine", [True])])
        return addresses

    def open_incidents(self, providers: list[str], evidence_hash: str = "0x" + "cd" * 32) -> None:
        """One executed verdict against each of ``providers`` (poor performance, penalty: slash into
        escrow, jail, freeze), signed by the first three seated oracles and submitted 20 to a transaction
        through the VerdictBatcher: for load tests and benchmarks (deploy with a committee of at least
        three and slashing caps that leave room, e.g. ``rate_cap_bps`` 10,000)."""
        from .models import Level, ViolationClass
        from .verdicts import VerdictDesk

        assert self.registry is not None, "deploy first"
        members = [i for i in ORACLE_ACCOUNTS if self.accounts[i].address in self.registry.roles.get("oracle", [])][:3]
        oracles = [self.client(i) for i in members]
        desks = [VerdictDesk(o, self.registry) for o in oracles]
        relayer = desks[0]
        batcher = relayer.client.contract("VerdictBatcher", self.registry.address("VerdictBatcher"))
        for first in range(0, len(providers), 20):
            now = relayer.client.w3.eth.get_block("latest")["timestamp"]
            batch = [relayer.build(p, ViolationClass.POOR_PERFORMANCE, Level.PENALTY, evidence_hash, now)
                     for p in providers[first : first + 20]]  # fmt: skip
            signatures = [[d.sign(v, o.account) for d, o in zip(desks, oracles, strict=True)] for v in batch]
            receipt = relayer.client.send(batcher.functions.submitBatch([v.as_tuple() for v in batch], signatures))
            executed = relayer.events(receipt, "VerdictExecuted")
            if len(executed) != len(batch):
                raise ChainConnectionError(f"only {len(executed)} of {len(batch)} verdicts executed (slashing caps?)")

    def increase_time(self, seconds: int) -> int:
        """Move the chain's clock forward by ``seconds`` and mine a block; return its timestamp."""
        from web3 import Web3

        w3 = Web3(Web3.HTTPProvider(self.rpc_url))
        w3.provider.make_request("evm_increaseTime", [seconds])
        w3.provider.make_request("evm_mine", [])
        return w3.eth.get_block("latest")["timestamp"]


def require_local_devnet(w3: Web3, rpc_url: str) -> None:
    """Refuse, with the reason, a node that is not a local devnet (anvil serving chain 31337)."""
    from .errors import ConfigError

    chain_id = w3.eth.chain_id
    version = str(w3.client_version)
    if chain_id != DEV_CHAIN_ID or not version.lower().startswith("anvil/"):
        raise ConfigError(
            f"{rpc_url} is not a local devnet (chain {chain_id}, node {version.split('/')[0]}): `devnet fund` only funds "
            f"keys on a devnet that `swarm-stake devnet up` started (anvil, chain {DEV_CHAIN_ID}); on any other "
            "network, get ether and tokens from their holders"
        )
