"""A whole swarm on one machine: anvil with a block a second, swarm-stake deployed, provider node
simulators on loopback registered on chain, and oracle daemons (threads or real processes).

Used by the demo, the benchmarks and the integration tests. Dev keys come from anvil's
public test mnemonic.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils import keccak

from ..deploy import DeployParams
from ..devnet import ORACLE_ACCOUNTS, Devnet
from ..staking import Staking
from .config import DaemonConfig
from .detectors import DetectorParams
from .nodesim import NodeSimulator

#: The build every devnet node runs (the "registered" software hash of the devnet).
DEV_SOFTWARE_HASH = "0x" + keccak(b"swarm-node 1.4.2 (reproducible build)").hex()
#: What a tampered node reports.
TAMPERED_SOFTWARE_HASH = "0x" + keccak(b"swarm-node 1.4.2 + unknown patch").hex()
TOKEN = 10**18


def devnet_detector_params() -> DetectorParams:
    """Thresholds for a devnet probed twice a second: short windows, quick re-arming."""
    return DetectorParams(window_seconds=10, bucket_seconds=0.5, min_samples=5, cooldown_seconds=20,
                          latency_p95_ms=400, latency_min_samples=6, restoration_min_samples=4)  # fmt: skip


def devnet_daemon_config(state_dir: Path, **overrides: Any) -> DaemonConfig:
    values: dict[str, Any] = {
        "state_dir": state_dir, "listen_port": 0, "interval": 0.5, "confirmations": 1, "probe_timeout": 0.5,
        "integrity_every": 2, "software_hash": DEV_SOFTWARE_HASH, "propose_stagger": 2.0, "confirm_window": 60,
        "min_epoch_samples": 4, "backoff_max": 2.0, "detectors": devnet_detector_params(),
    }  # fmt: skip
    values.update(overrides)
    return DaemonConfig(**values)


@dataclass
class ProviderNode:
    name: str
    owner_index: int
    operator_index: int
    node: NodeSimulator

    @property
    def url(self) -> str:
        return self.node.url


@dataclass
class DaemonHandle:
    """One oracle daemon: in a thread of this process, or a `swarm-stake oracle run` process."""

    index: int
    account_index: int
    state_dir: Path
    config: DaemonConfig
    daemon: Any = None
    thread: threading.Thread | None = None
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    url: str | None = None

    @property
    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        return self.thread is not None and self.thread.is_alive()


@dataclass
class LocalSwarm:
    """Use as a context manager: everything started is stopped on exit."""

    providers: tuple[tuple[str, int, int], ...] = (("provider-a", 1, 2), ("provider-b", 3, 4), ("provider-c", 7, 8))
    self_stake: int = 10_000 * TOKEN
    oracles: tuple[int, ...] = ORACLE_ACCOUNTS[:3]
    threshold: int = 2
    workdir: Path | None = None
    #: Deployment parameters (the devnet's when None).
    params: DeployParams | None = None
    devnet: Devnet = field(default_factory=lambda: Devnet(block_time=1))
    nodes: dict[str, ProviderNode] = field(default_factory=dict)
    daemons: list[DaemonHandle] = field(default_factory=list)
    _tmp: tempfile.TemporaryDirectory[str] | None = None
    _ports: dict[int, int] = field(default_factory=dict)

    def __enter__(self) -> LocalSwarm:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- set-up ------------------------------------------------------------------------------

    def start(self) -> LocalSwarm:
        if self.workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="swarm-stake-")
            self.workdir = Path(self._tmp.name)
        self.devnet.start()
        self.registry = self.devnet.deploy(self.params, committee=self.oracles, threshold=self.threshold)
        self.registry_path = self.workdir / "registry.json"
        self.registry.save(self.registry_path)
        for name, owner, operator in self.providers:
            node = NodeSimulator(DEV_SOFTWARE_HASH).start()
            self.nodes[name] = ProviderNode(name, owner, operator, node)
            staking = Staking(self.devnet.client(owner), self.registry)
            staking.register(self.devnet.accounts[operator].address, self.self_stake, node.url)
        return self

    def address(self, name: str) -> str:
        return self.devnet.accounts[self.nodes[name].owner_index].address

    def daemon_config(self, index: int, **overrides: Any) -> DaemonConfig:
        assert self.workdir is not None
        return devnet_daemon_config(self.workdir / f"oracle-{index + 1}", **overrides)

    def _peers(self, handle: DaemonHandle) -> list[str]:
        """Every other oracle's evidence server: those running, and the ports reserved for the rest."""
        urls = {d.index: d.url for d in self.daemons if d.url}
        urls.update({i: f"http://127.0.0.1:{port}" for i, port in self._ports.items() if i not in urls})
        return [url for i, url in sorted(urls.items()) if i != handle.index and url]

    def reserve_ports(self) -> None:
        """A port for each oracle's HTTP server, known before any process starts (they list each other as peers)."""
        for index in range(len(self.oracles)):
            self._ports.setdefault(index, _free_port())

    def start_daemon_thread(self, index: int, rpc_url: str | None = None, **overrides: Any) -> DaemonHandle:
        """Daemon ``index`` (0-based, of ``oracles``) in a thread of this process."""
        from ..chain import Client
        from .daemon import OracleDaemon

        handle = self._handle(index, overrides)
        client = Client.connect(rpc_url or self.devnet.rpc_url, self.devnet.accounts[handle.account_index])
        handle.daemon = OracleDaemon(handle.config, client.w3, self.registry, client.require_account())
        handle.url = handle.daemon.start_server()
        handle.thread = threading.Thread(target=handle.daemon.run, name=f"oracle-{index + 1}", daemon=True)
        handle.thread.start()
        self._link_peers()
        return handle

    def _handle(self, index: int, overrides: dict[str, Any]) -> DaemonHandle:
        existing = next((d for d in self.daemons if d.index == index), None)
        config = self.daemon_config(index, **overrides) if existing is None else existing.config
        if existing is not None:
            self.daemons.remove(existing)
        handle = DaemonHandle(index, self.oracles[index], config.state_dir, config)
        self.daemons.append(handle)
        return handle

    def _link_peers(self) -> None:
        for handle in self.daemons:
            if handle.daemon is not None:
                handle.daemon.config.peers = self._peers(handle)

    def spawn_daemon(self, index: int, port: int = 0, **overrides: Any) -> DaemonHandle:
        """Daemon ``index`` as a real `swarm-stake oracle run` process, with a keystore and a config file."""
        from ..accounts import create

        assert self.workdir is not None
        handle = self._handle(index, overrides)
        account = self.devnet.accounts[handle.account_index]
        keystores = self.workdir / "keystores"
        name = f"oracle-{index + 1}"
        password_file = self.workdir / f"{name}.password"
        if not (keystores / f"{name}.json").exists():
            password_file.write_text(secrets.token_hex(16))
            create(keystores, name, password_file.read_text(), bytes(account.key))
        self.reserve_ports()
        port = port or self._ports[index]
        self._ports[index] = port
        config_path = self.workdir / f"{name}.toml"
        config = handle.config.model_copy(update={"listen_port": port})
        handle.config = config
        handle.url = f"http://127.0.0.1:{port}"
        config_path.write_text(_toml(config, self._peers(handle)))
        handle.log_path = self.workdir / f"{name}.log"
        command = [
            sys.executable, "-m", "swarm_stake.cli", "--config", str(config_path), "--rpc-url", self.devnet.rpc_url,
            "--registry", str(self.registry_path), "--keystore-dir", str(keystores), "--keystore", name,
            "--password-file", str(password_file), "oracle", "run",
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("SWARM_STAKE_")}
        with open(handle.log_path, "ab") as log_file:
            handle.process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, env=env)
        return handle

    def wait_healthy(self, handle: DaemonHandle, timeout: float = 30.0) -> None:
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not handle.alive:
                raise RuntimeError(f"oracle-{handle.index + 1} exited: {self.log_tail(handle)}")
            try:
                if requests.get(f"{handle.url}/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"oracle-{handle.index + 1} not healthy within {timeout:.0f} s: {self.log_tail(handle)}")

    def log_tail(self, handle: DaemonHandle, lines: int = 15) -> str:
        if handle.log_path is None or not handle.log_path.exists():
            return ""
        return "\n".join(handle.log_path.read_text(errors="replace").splitlines()[-lines:])

    def kill(self, handle: DaemonHandle) -> None:
        """SIGKILL a daemon process (nothing is flushed or cleaned up)."""
        assert handle.process is not None
        handle.process.kill()
        handle.process.wait()

    def stop_daemon(self, handle: DaemonHandle) -> None:
        if handle.process is not None and handle.process.poll() is None:
            handle.process.terminate()
            try:
                handle.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                handle.process.kill()
                handle.process.wait()
        if handle.daemon is not None:
            handle.daemon.stop()
            if handle.thread is not None:
                handle.thread.join(timeout=10)

    def stop(self) -> None:
        for handle in self.daemons:
            self.stop_daemon(handle)
        for provider in self.nodes.values():
            provider.node.stop()
        self.devnet.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # -- observing -------------------------------------------------------------------------

    def reader(self) -> Any:
        return self.devnet.client(0)

    def status_of(self, name: str) -> int:
        manager = self.reader().contract("StakeManager", self.registry.address("StakeManager"))
        return manager.functions.statusOf(self.address(name)).call()

    def announced(self, member: str) -> list[str]:
        """Every evidence server URL ``member`` announced on chain, oldest first."""
        committee = self.reader().contract("OracleCommittee", self.registry.address("OracleCommittee"))
        logs = committee.events.EvidenceServerAnnounced().get_logs(
            from_block=self.registry.start_block, argument_filters={"member": member}
        )
        return [log["args"]["url"] for log in sorted(logs, key=lambda log: (log["blockNumber"], log["logIndex"]))]


def wait_for(predicate: Callable[[], Any], timeout: float, interval: float = 0.2, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy; raise TimeoutError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout:.0f} s")
        time.sleep(interval)


def _free_port() -> int:
    """A free port below the kernel's ephemeral range, where no port-0 bind of another process can
    take it between this reservation and the daemon binding it (restarts reuse it many times)."""
    import random
    import socket

    low = _ephemeral_low()
    for port in random.sample(range(max(1024, low - 8000), low), 200):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _toml(config: DaemonConfig, peers: list[str]) -> str:
    """The [oracle] table of a config file for ``config``."""
    import json

    data = config.model_dump(mode="json")
    data["peers"] = peers
    detectors = data.pop("detectors")
    lines = ["[oracle]"]
    for key, value in data.items():
        if value is None or (isinstance(value, dict) and not value):
            continue
        lines.append(f"{key} = {json.dumps(value)}")
    lines.append("\n[oracle.detectors]")
    for key, value in detectors.items():
        lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


__all__ = ["DEV_SOFTWARE_HASH", "LocalSwarm", "TAMPERED_SOFTWARE_HASH", "devnet_daemon_config", "wait_for"]
