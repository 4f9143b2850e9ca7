"""Ctrl-C and a lost connection never misreport a transaction.

`swarm-stake delegator delegate` (an approval, then the stake) runs in a real process that gets a
real SIGINT at a seeded random moment, against a real anvil that mines only when the test says so
(so a sent transaction stays pending as long as the test likes). After each run the chain is read:
every transaction the sender sent, mined or pending, must be named in the command's output; a
transaction still in flight means exit 3 ("sent, may still be mined"); exit 0 only when the command
did its work; exit 130 says "nothing was sent" exactly when nothing was.

The processes are forked from tests/cli_forkserver.py, which imports the CLI once: two dozen runs
take seconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from cli_support import PASSWORD, TOKEN, clean_env, run_cli, write_keystore
from swarm_stake.chain import Client
from swarm_stake.devnet import Devnet
from swarm_stake.staking import Staking

SENT = re.compile(r"^sent (\w+) on \w+: transaction (0x[0-9a-f]{64})", re.MULTILINE)
IN_FLIGHT = re.compile(r"transaction (0x[0-9a-f]{64}) \([^)]*\) (?:was sent|may have been sent) and may still be mined")
APPROVE = "095ea7b3"  # the selector of approve(address,uint256)
AFTER_SENDING_SEEDS = range(24)
FROM_THE_START_SEEDS = range(100, 108)
CHILD_TIMEOUT = 150  # s: longer than any wait of the command (a receipt: 120 s; a report's reads: 5 s)


class Chain:
    """A deployed devnet that mines only on request, a provider, and a staker with a keystore."""

    def __init__(self, devnet: Devnet, home: Path):
        self.devnet = devnet
        self.w3 = Web3(Web3.HTTPProvider(devnet.rpc_url))
        self.home = home
        self.registry_path = home / "registry.json"
        devnet.registry.save(self.registry_path)
        self.provider = Account.create()
        self.staker = Account.create()
        admin = devnet.client(0)
        token = admin.contract("SwarmToken", devnet.registry.address("SwarmToken"))
        for account, tokens in ((self.provider, 2_000), (self.staker, 1_000)):
            self.w3.provider.make_request("anvil_setBalance", [account.address, hex(10**20)])
            admin.send(token.functions.transfer(account.address, tokens * TOKEN))
        Staking(Client.connect(devnet.rpc_url, self.provider), devnet.registry).register(
            self.provider.address, 2_000 * TOKEN, "http://node/health")
        write_keystore(home / "keystores", "staker", self.staker)
        self.w3.provider.make_request("evm_setAutomine", [False])

    def env(self) -> dict[str, str]:
        return clean_env(SWARM_STAKE_RPC_URL=self.devnet.rpc_url, SWARM_STAKE_REGISTRY=self.registry_path,
                         SWARM_STAKE_HOME=self.home, SWARM_STAKE_PASSWORD=PASSWORD, SWARM_STAKE_KEYSTORE="staker")

    def mine(self) -> None:
        self.w3.provider.make_request("evm_mine", [])

    def pending(self) -> dict[str, dict[str, Any]]:
        """The staker's transactions waiting in the pool, by hash."""
        content = self.w3.provider.make_request("txpool_content", [])["result"]["pending"]
        mine = next((txs for sender, txs in content.items() if sender.lower() == self.staker.address.lower()), {})
        return {tx["hash"]: tx for tx in mine.values()}

    def mined_since(self, block: int) -> dict[str, str]:
        """The staker's transactions mined after ``block``: hash -> function (approve or stake)."""
        found = {}
        for number in range(block + 1, self.w3.eth.block_number + 1):
            for tx in self.w3.eth.get_block(number, full_transactions=True)["transactions"]:
                if tx["from"] == self.staker.address:
                    found["0x" + bytes(tx["hash"]).hex()] = bytes(tx["input"][:4]).hex()
        return found

    def settle(self, rng: random.Random) -> None:
        """Leave no pending transaction for the next run: mine them or drop them, at random."""
        if rng.random() < 0.5:
            self.mine()
        else:
            self.w3.provider.make_request("anvil_dropAllTransactions", [])
        assert not self.pending()


class ForkServer:
    """tests/cli_forkserver.py as a subprocess: runs commands in forked children."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.process = subprocess.Popen([sys.executable, str(Path(__file__).with_name("cli_forkserver.py"))],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line) for line in self.process.stdout], daemon=True).start()
        self.runs, self.child = 0, 0

    def start(self, args: list[str], env: dict[str, str]) -> tuple[int, Path, Path]:
        self.runs += 1
        out, err = self.tmp / f"out{self.runs}", self.tmp / f"err{self.runs}"
        request = {"args": args, "env": env, "cwd": str(self.tmp), "stdout": str(out), "stderr": str(err)}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.child = int(self._answer("started"))
        return self.child, out, err

    def wait(self, timeout: float = CHILD_TIMEOUT) -> int:
        """The command's exit status; a command still running after ``timeout`` s is a failure that shows
        where it stands (its stack, dumped into its stderr), not a suite that never ends."""
        try:
            return int(self._answer("exited", timeout))
        except queue.Empty:
            err = self.tmp / f"err{self.runs}"
            os.kill(self.child, signal.SIGUSR1)  # cli_forkserver.py: faulthandler dumps every thread's stack
            time.sleep(1)
            with contextlib.suppress(ProcessLookupError):  # it may end once its stack is dumped
                os.kill(self.child, signal.SIGKILL)
            self._answer("exited", 10)
            pytest.fail(f"the command did not end within {timeout:.0f} s; its stderr:\n{err.read_text()}")

    def _answer(self, word: str, timeout: float = 60) -> str:
        line = self.lines.get(timeout=timeout)
        assert line.startswith(word), f"fork server: {line!r}"
        return line.split()[1]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory):
    with Devnet() as devnet:
        devnet.deploy()
        yield Chain(devnet, tmp_path_factory.mktemp("interrupt-home"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    forks = ForkServer(tmp_path_factory.mktemp("interrupt-runs"))
    yield forks
    forks.close()


def wait_for(path: Path, pattern: re.Pattern[str], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not (path.exists() and pattern.search(path.read_text())):
        assert time.monotonic() < deadline, f"no {pattern.pattern!r} in {path}: {path.read_text()!r}"
        time.sleep(0.002)


def interrupted_run(chain: Chain, server: ForkServer, rng: random.Random, after_sending: bool) -> None:
    """One delegation, interrupted (SIGINT) at a random moment; then every promise is checked on chain."""
    block, nonce = chain.w3.eth.block_number, chain.w3.eth.get_transaction_count(chain.staker.address, "pending")
    mode = rng.choice(["pending", "mine once", "mine often"])
    pid, out, err = server.start(["delegator", "delegate", chain.provider.address, "1"], chain.env())
    if after_sending:
        wait_for(err, SENT)
    else:
        time.sleep(0.02)
    miner = Miner(chain, mode, rng)
    try:
        time.sleep(rng.uniform(0, 0.25))
        with contextlib.suppress(ProcessLookupError):  # the command may have finished first
            os.kill(pid, signal.SIGINT)
        status = server.wait()
    finally:
        miner.stop()
    check_report(chain, status, out.read_text(), err.read_text(), block, nonce)
    chain.settle(rng)


class Miner:
    """Mines as ``mode`` says while the command runs: never, once after a random pause, or every 10 ms."""

    def __init__(self, chain: Chain, mode: str, rng: random.Random):
        self.done = threading.Event()
        pause = rng.uniform(0, 0.1)
        self.thread = threading.Thread(target=self._run, args=(chain, mode, pause), daemon=True)
        self.thread.start()

    def _run(self, chain: Chain, mode: str, pause: float) -> None:
        if mode == "pending":
            return
        if mode == "mine once":
            if not self.done.wait(pause):
                chain.mine()
            return
        while not self.done.wait(0.01):
            chain.mine()

    def stop(self) -> None:
        self.done.set()
        self.thread.join()


def check_report(chain: Chain, status: int, stdout: str, stderr: str, block: int, nonce: int) -> None:
    output = stdout + stderr
    context = f"exit {status}\nstdout: {stdout}\nstderr: {stderr}"
    assert "Traceback" not in output and "Aborted" not in output, context
    mined, pending = chain.mined_since(block), chain.pending()
    sent = set(mined) | set(pending)
    assert len(sent) == chain.w3.eth.get_transaction_count(chain.staker.address, "pending") - nonce, context
    for tx_hash in sent:  # every transaction sent is reported, by hash
        assert tx_hash in output, f"{tx_hash} was sent but not reported\n{context}"
    assert status in (0, 3, 130), context
    if status == 0:
        assert not pending and "delegated 1 SWARM" in stdout, context
        return
    message = stderr.strip().splitlines()[-1]
    assert message.startswith("error: interrupted"), context
    in_flight = set(IN_FLIGHT.findall(message))
    if pending:
        assert status == 3 and set(pending) <= in_flight, context
    if status == 130:
        assert not pending, context
        assert ("nothing was sent" in message) == (not sent), context
    if status == 3:
        assert in_flight, context
    approvals = [h for h, selector in mined.items() if selector == APPROVE]
    stakes = [h for h, selector in mined.items() if selector != APPROVE]
    if approvals and not stakes:  # an approval left behind is reported with what it allows, and to whom
        assert "allowance left" in message or "if the approval" in message, context
        assert chain.devnet.registry.address("StakeManager") in message, context


@pytest.mark.parametrize("seed", AFTER_SENDING_SEEDS)
def test_ctrl_c_after_sending_reports_every_transaction(chain, server, seed):
    interrupted_run(chain, server, random.Random(seed), after_sending=True)


@pytest.mark.parametrize("seed", FROM_THE_START_SEEDS)
def test_ctrl_c_at_any_moment_reports_every_transaction(chain, server, seed):
    interrupted_run(chain, server, random.Random(seed), after_sending=False)


def test_ctrl_c_before_sending_says_nothing_was_sent(chain, server, tmp_path):
    """Interrupted while the keystore is unlocked (a slow KDF): exit 130, nothing sent."""
    slow = tmp_path / "keystores"
    slow.mkdir()
    keystore = Account.encrypt(chain.staker.key, PASSWORD, kdf="pbkdf2", iterations=600_000)
    (slow / "staker.json").write_text(json.dumps(keystore))
    nonce = chain.w3.eth.get_transaction_count(chain.staker.address, "pending")
    env = {**chain.env(), "SWARM_STAKE_HOME": str(tmp_path)}
    pid, out, err = server.start(["delegator", "delegate", chain.provider.address, "1"], env)
    time.sleep(0.1)  # unlocking takes longer than this
    os.kill(pid, signal.SIGINT)
    assert server.wait() == 130
    assert err.read_text() == "error: interrupted; nothing was sent\n"
    assert chain.w3.eth.get_transaction_count(chain.staker.address, "pending") == nonce


def test_lost_connection_after_sending_is_exit_3_naming_the_transaction(tmp_path):
    """The node goes away while the command waits for its receipt: a real subprocess, a real anvil."""
    with Devnet() as devnet:
        devnet.deploy()
        chain = Chain(devnet, tmp_path)
        process = subprocess.Popen([sys.executable, "-m", "swarm_stake.cli", "delegator", "delegate",
                                    chain.provider.address, "1"], env=chain.env(), cwd=tmp_path,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = process.stderr.readline()
        match = SENT.match(line)
        assert match, line
        devnet.stop()
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 3, stderr
    message = stderr.strip()
    assert message.startswith("error: the connection to the node was lost"), message
    assert f"transaction {match.group(2)} (approve on SwarmToken) was sent and may still be mined" in message
    assert f"swarm-stake tx {match.group(2)}" in message
    assert "Traceback" not in stdout + stderr and len(message.splitlines()) == 1


def test_tx_follows_a_reported_transaction(chain, server):
    """The `swarm-stake tx HASH` a report points to: pending, then mined."""
    block = chain.w3.eth.block_number
    pid, out, err = server.start(["delegator", "delegate", chain.provider.address, "1"], chain.env())
    wait_for(err, SENT)
    tx_hash = SENT.search(err.read_text()).group(2)
    env = {k: v for k, v in chain.env().items() if k != "SWARM_STAKE_KEYSTORE"}
    pending = json.loads(run_cli("tx", tx_hash, "--json", env=env, cwd=chain.home).stdout)
    assert pending["state"] == "pending" and pending["from"] == chain.staker.address
    miner = Miner(chain, "mine often", random.Random(0))
    try:
        status = server.wait()
    finally:
        miner.stop()
    assert status == 0, err.read_text()
    mined = json.loads(run_cli("tx", tx_hash, "--json", env=env, cwd=chain.home).stdout)
    assert mined["state"] == "succeeded" and mined["block"] > block and mined["confirmations"] >= 1
    human = run_cli("tx", "0x" + "12" * 32, env=env, cwd=chain.home)
    assert human.returncode == 0 and "unknown to the node" in human.stdout


def test_a_report_whose_chain_reads_block_still_ends(chain, monkeypatch):
    """An interruption can leave the HTTP pool's lock held: the report's allowance read then blocks.
    After REPORT_BUDGET the report says what the approval allowed, from what was sent, and the command ends."""
    from swarm_stake.chain import SentTransaction
    from swarm_stake.cli import runtime

    rt = runtime.Runtime(overrides={})
    rt._registry = chain.devnet.registry
    client = rt.adopt(Client.connect(chain.devnet.rpc_url, chain.staker))
    held = threading.Lock()
    held.acquire()  # as a lock left held by an interrupted request
    safety = threading.Timer(30, held.release)  # a report that ignores its budget reads the chain after 30 s
    safety.start()
    import requests

    real_post = requests.Session.post

    def blocked_post(self, *args, **kwargs):
        with held:
            return real_post(self, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "post", blocked_post)
    monkeypatch.setattr(runtime, "REPORT_BUDGET", 1)
    manager = chain.devnet.registry.address("StakeManager")
    record = SentTransaction("0x" + "ab" * 32, "approve", chain.devnet.registry.address("SwarmToken"),
                             (manager, 7 * TOKEN), state="mined", block=1)
    try:
        notes = runtime._allowance_notes(rt, [record])
    finally:
        safety.cancel()
    # read from the chain, the allowance is 0 (the note would be left out); from what was sent, 7 SWARM
    assert notes == [f"allowance left: the StakeManager ({manager}) may spend 7.0000 SWARM of {chain.staker.address} "
                     f"(approval {record.hash}) until a stake or bond uses it"]
    assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL and signal.alarm(0) == 0
