"""The local try-out: `devnet up` says who is who and which windows are in force, `devnet fund` (the
devnet's faucet) funds a fresh key, so that `accounts create` then `provider register` work as the
guide says; the faucet refuses any node that is not a local devnet.

One `swarm-stake devnet up` runs for the module, as a user starts it; every command is a subprocess.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from cli_support import CLI, PASSWORD, TOKEN, assert_error, assert_ok, clean_env, run_cli
from swarm_stake.deploy import Registry
from swarm_stake.devnet import AUDITOR_ACCOUNT, DEV_ACCOUNTS, ORACLE_ACCOUNTS, dev_account, find_anvil


class RunningDevnet:
    def __init__(self, process: subprocess.Popen[str], home: Path, registry_path: Path):
        self.process = process
        self.home = home
        self.registry_path = registry_path
        lines = []
        deadline = time.monotonic() + 60
        while not lines or lines[-1] != "Press Ctrl-C to stop.":
            assert time.monotonic() < deadline and process.poll() is None, "\n".join(lines)
            lines.append(process.stdout.readline().rstrip("\n"))
        self.output = lines
        self.rpc_url = next(line.split("│")[2].strip() for line in lines if "RPC URL" in line)
        self.w3 = Web3(Web3.HTTPProvider(self.rpc_url))

    def env(self, **values: Any) -> dict[str, str]:
        return clean_env(**{"SWARM_STAKE_RPC_URL": self.rpc_url, "SWARM_STAKE_REGISTRY": self.registry_path,
                            "SWARM_STAKE_HOME": self.home, "SWARM_STAKE_PASSWORD": PASSWORD, **values})

    def cli(self, *args: Any, **env: Any) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, env=self.env(**env), cwd=self.home)

    def row(self, address: str) -> str:
        return next(line for line in self.output if address in line and "│" in line)

    def roles(self, address: str) -> str:
        """The roles cell of the dev account ``address`` in the printed table."""
        return self.row(address).split("│")[3].strip()


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    home = tmp_path_factory.mktemp("tryout")
    registry_path = home / "devnet.json"
    process = subprocess.Popen([*CLI, "devnet", "up", "--registry", str(registry_path)], cwd=home,
                               env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield RunningDevnet(process, home, registry_path)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)


def test_devnet_up_prints_each_dev_account_with_its_roles(devnet):
    deployer = dev_account(0).address
    assert devnet.roles(deployer) == "deployer, arbiter, guardian, timelock proposer"
    for index in ORACLE_ACCOUNTS[:3]:
        assert devnet.roles(dev_account(index).address) == "oracle"
    for index in ORACLE_ACCOUNTS[3:]:
        assert devnet.roles(dev_account(index).address) == "spare oracle"
    assert devnet.roles(dev_account(AUDITOR_ACCOUNT).address) == "auditor"
    users = [i for i in range(DEV_ACCOUNTS) if i not in (0, AUDITOR_ACCOUNT, *ORACLE_ACCOUNTS)]
    for index in users:
        address = dev_account(index).address
        assert devnet.row(address).startswith(f"│ {index} ") and devnet.roles(address) == "funded user"
    assert any("test test test" in line for line in devnet.output)  # where the keys come from


def test_devnet_up_prints_the_windows_in_force(devnet):
    text = "\n".join(devnet.output)
    for name, value in (("unbonding period", "3 min"), ("appeal window", "30 s"), ("appeal resolution", "30 s"),
                        ("recovery claim window", "10 min"), ("observation", "3 epochs of 10 s"), ("attestation grace", "8 s"),
                        ("challenge window", "5 s"), ("timelock delay", "0 s")):  # fmt: skip
        assert any(name in line and value in line for line in devnet.output), f"{name} {value}\n{text}"
    registry = Registry.load(devnet.registry_path)
    assert registry.params.windows.appeal_window == 30 and registry.params.unbonding_period == 180


def test_devnet_up_writes_the_roles_to_the_registry(devnet):
    registry = Registry.load(devnet.registry_path)
    deployer = dev_account(0).address
    for role in ("deployer", "arbiter", "guardian", "timelock proposer"):
        assert registry.roles[role] == [deployer]
    assert registry.roles["oracle"] == [dev_account(i).address for i in ORACLE_ACCOUNTS[:3]]
    assert registry.roles["auditor"] == [dev_account(AUDITOR_ACCOUNT).address]
    # the roles are true on chain: the committee seats the oracles, the court's arbiter is the deployer
    committee = devnet.w3.eth.contract(address=registry.address("OracleCommittee"), abi=_abi("OracleCommittee"))
    epoch = committee.functions.epoch().call()
    seated = [committee.functions.memberAt(epoch, i).call() for i in range(committee.functions.size().call())]
    assert seated == registry.roles["oracle"]
    court = devnet.w3.eth.contract(address=registry.address("AppealCourt"), abi=_abi("AppealCourt"))
    assert court.functions.hasRole(court.functions.ARBITER_ROLE().call(), deployer).call()


def _abi(name: str) -> Any:
    from swarm_stake.abis import load_abi

    return load_abi(name)


def test_a_fresh_key_funded_by_the_faucet_registers_as_the_guide_says(devnet):
    created = assert_ok(devnet.cli("accounts", "create", "owner"))
    owner = created.stdout.split(": ")[1].split()[0]  # "created owner: 0x... (path)"
    assert Web3.is_checksum_address(owner) and devnet.w3.eth.get_balance(owner) == 0
    funded = assert_ok(devnet.cli("devnet", "fund", owner))
    assert f"funded {owner}" in funded.stdout and "10,000.0000 SWARM" in funded.stdout
    registered = assert_ok(devnet.cli("--keystore", "owner", "provider", "register", "--operator", owner,
                                      "--stake", "1000", "--metadata-uri", "http://node.example:9000/health"))
    assert f"registered {owner} with 1000 SWARM" in registered.stdout
    status = json.loads(assert_ok(devnet.cli("provider", "status", owner, "--json")).stdout)
    assert status["status"] == 1 and status["self_stake"] == 1_000 * TOKEN
    for result in (funded, registered):  # stderr holds the transactions as they are sent, and nothing else
        lines = result.stderr.splitlines()
        assert lines and all(line.startswith("sent ") and "swarm-stake tx 0x" in line for line in lines), result.stderr


def test_faucet_amounts_and_json(devnet):
    address = Web3.to_checksum_address("0x" + "5a" * 20)
    before = devnet.w3.eth.get_balance(address)
    data = json.loads(assert_ok(devnet.cli("devnet", "fund", address, "--eth", "2.5", "--tokens", "1_234.5",
                                           "--json")).stdout)  # fmt: skip
    assert data == {"address": address, "eth": before + 25 * 10**17, "tokens": 1_234_500 * TOKEN // 1_000}
    nothing = assert_ok(devnet.cli("devnet", "fund", address, "--eth", "0", "--tokens", "0", "--json"))
    assert json.loads(nothing.stdout) == data and nothing.stderr == ""  # nothing sent


@pytest.fixture
def other_anvil():
    """A plain anvil serving chain 5: a node, but not a swarm-stake devnet."""
    process = subprocess.Popen([str(find_anvil()), "--port", "0", "--chain-id", "5"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        while "Listening on" not in (line := process.stdout.readline()):
            assert line, "anvil did not start"
        yield "http://" + line.split("Listening on ")[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_faucet_refuses_a_chain_that_is_not_a_devnet(devnet, other_anvil):
    address = "0x" + "6b" * 20
    result = devnet.cli("devnet", "fund", address, SWARM_STAKE_RPC_URL=other_anvil)
    assert_error(result, other_anvil, "is not a local devnet", "chain 5", "devnet up")
    assert Web3(Web3.HTTPProvider(other_anvil)).eth.get_balance(Web3.to_checksum_address(address)) == 0


def test_faucet_refuses_a_node_that_is_not_anvil(devnet):
    """A node on chain 31337 that is not anvil (say a geth dev chain) is not the devnet either."""

    class Geth(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server hook
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            result = {"eth_chainId": "0x7a69", "web3_clientVersion": "Geth/v1.14.0-stable/linux-amd64/go1.22"}
            body = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result[request["method"]]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Geth)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        result = devnet.cli("devnet", "fund", "0x" + "6c" * 20, SWARM_STAKE_RPC_URL=url)
    finally:
        server.shutdown()
    assert_error(result, "is not a local devnet", "chain 31337", "node Geth")
