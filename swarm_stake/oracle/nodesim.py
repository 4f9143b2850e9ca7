"""A provider node simulator: a real HTTP server on loopback that fails on request.

It serves what an oracle measures: ``GET /health``, ``GET /metrics`` (Prometheus text from its
own registry), ``GET /challenge?nonce=0x..&index=i`` (a dataset chunk with its Merkle proof),
and ``POST /control`` with ``{"mode": ...}`` (optionally ``"slow_seconds"``) to switch modes.

Modes: ``healthy``; ``down`` (every node endpoint answers 503); ``slow`` (answers after
``slow_seconds``); ``errors`` (every request served also counts as an error); ``bad-software``
(reports another build's hash); ``corrupt`` (answers challenges with a tampered chunk).
"""

from __future__ import annotations

import json
import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from eth_utils import keccak
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from swarm_stake.oracle.collectors import challenge_response, dataset, dataset_tree
from swarm_stake.oracle.server import QuietHandler

MODES = ("healthy", "down", "slow", "errors", "bad-software", "corrupt")


class NodeSimulator:
    """One simulated node. ``start()`` serves in a daemon thread; use it as a context manager."""

    def __init__(
        self,
        software_hash: str,
        dataset_seed: str = "swarm-demo",
        chunks: int = 64,
        host: str = "127.0.0.1",
        port: int = 0,
        slow_seconds: float = 0.5,
        gpu_util: float = 0.6,
    ):
        self.software_hash = software_hash
        self.bad_software_hash = "0x" + keccak(b"bad-software:" + software_hash.encode()).hex()
        self.chunks = dataset(dataset_seed, chunks)
        self.tree = dataset_tree(self.chunks)
        self.root = self.tree.root
        self.host = host
        self.port = port
        self.slow_seconds = slow_seconds
        self.gpu_util = gpu_util
        self.gpu_jitter = 0.01
        self._mode = "healthy"
        self._lock = threading.Lock()
        self._rng = random.Random(dataset_seed)
        self.registry = CollectorRegistry()
        self._requests = Counter("swarm_node_requests", "Requests served", registry=self.registry)
        self._errors = Counter("swarm_node_errors", "Requests that failed", registry=self.registry)
        self._gpu = Gauge("swarm_node_gpu_utilization", "GPU utilization, 0..1", registry=self.registry)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- control -------------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        self.set_mode(mode)

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}: one of {', '.join(MODES)}")
        with self._lock:
            self._mode = mode

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> NodeSimulator:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer((self.host, self.port), _handler(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                                        name=f"nodesim-{server.server_address[1]}")
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> NodeSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what the node answers -----------------------------------------------------------------

    def health(self, mode: str) -> tuple[int, dict[str, Any]]:
        if mode == "down":
            return 503, {"status": "down"}
        reported = self.bad_software_hash if mode == "bad-software" else self.software_hash
        return 200, {"status": "ok", "software_hash": reported}

    def metrics(self) -> bytes:
        with self._lock:
            value = self.gpu_util + self._rng.uniform(-self.gpu_jitter, self.gpu_jitter)
        self._gpu.set(min(max(value, 0.0), 1.0))
        return generate_latest(self.registry)

    def answer(self, nonce: bytes, index: int, mode: str) -> dict[str, Any]:
        """The answer to a challenge; in ``corrupt`` mode the chunk is tampered (one byte flipped)."""
        chunk = self.chunks[index]
        if mode == "corrupt":
            chunk = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
        return {
            "index": index,
            "chunk": "0x" + chunk.hex(),
            "proof": ["0x" + node.hex() for node in self.tree.proof(index)],
            "response": "0x" + challenge_response(nonce, chunk).hex(),
        }

    def _served(self, mode: str) -> None:
        self._requests.inc()
        if mode == "errors":
            self._errors.inc()


def _handler(sim: NodeSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        server_version = "swarm-nodesim"

        def _json(self, status: int, data: dict[str, Any]) -> None:
            self._send(status, json.dumps(data).encode())

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path not in ("/health", "/metrics", "/challenge"):
                self._json(404, {"error": "not found"})
                return
            mode = sim.mode
            if mode == "down":
                self._json(503, {"status": "down"})
                return
            if mode == "slow":
                threading.Event().wait(sim.slow_seconds)
            sim._served(mode)
            if parts.path == "/health":
                self._json(*sim.health(mode))
            elif parts.path == "/metrics":
                self._send(200, sim.metrics(), CONTENT_TYPE_LATEST)
            else:
                self._challenge(parse_qs(parts.query), mode)

        def _challenge(self, query: dict[str, list[str]], mode: str) -> None:
            try:
                nonce_hex = query["nonce"][0]
                if not nonce_hex.startswith("0x"):
                    raise ValueError
                nonce = bytes.fromhex(nonce_hex[2:])
                index = int(query["index"][0])
                if len(nonce) != 32 or not 0 <= index < len(sim.chunks):
                    raise ValueError
            except (KeyError, ValueError):
                self._json(400, {"error": "need nonce=0x<32 bytes> and index=<chunk>"})
                return
            self._json(200, sim.answer(nonce, index, mode))

        def do_POST(self) -> None:
            if urlsplit(self.path).path != "/control":
                self._json(404, {"error": "not found"})
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
                if not 0 < length <= 4096:
                    raise ValueError("a JSON body of at most 4096 bytes")
                data = json.loads(self.rfile.read(length))
                if not isinstance(data, dict):
                    raise ValueError("a JSON object")
                if "slow_seconds" in data:
                    slow = data["slow_seconds"]
                    if isinstance(slow, bool) or not isinstance(slow, int | float) or not 0 <= slow <= 60:
                        raise ValueError("slow_seconds between 0 and 60")
                    sim.slow_seconds = float(slow)
                if "mode" in data:
                    sim.set_mode(data["mode"])
            except ValueError as exc:
                self._json(400, {"error": str(exc)})
                return
            self._json(200, {"mode": sim.mode, "slow_seconds": sim.slow_seconds})

    return Handler
