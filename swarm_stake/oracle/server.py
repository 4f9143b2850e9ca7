"""The daemon's HTTP face: evidence bundles, Prometheus metrics and a health endpoint.

Evidence is content-addressed: a bundle is stored as the canonical JSON whose keccak256 is its
name, so anyone fetching ``/evidence/<hash>`` can check what they got; every co-signer keeps and
serves a copy of what it signed, so evidence outlives any one oracle.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from eth_utils import keccak
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from ..evidence import canonical_json

_HASH = re.compile(r"^0x[0-9a-f]{64}$")


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing on stderr and sends whole bodies with their length."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class EvidenceStore:
    """Bundles by their keccak256 (over canonical JSON) in a directory; writes are atomic."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def put(self, bundle: Any) -> str:
        data = canonical_json(bundle)
        digest = "0x" + keccak(data).hex()
        self.put_bytes(digest, data)
        return digest

    def put_bytes(self, digest: str, data: bytes) -> None:
        """Store ``data`` under ``digest`` after checking that it hashes to it (and is canonical JSON)."""
        if "0x" + keccak(data).hex() != digest:
            raise ValueError(f"the data does not hash to {digest}")
        if canonical_json(json.loads(data)) != data:
            raise ValueError("evidence must be canonical JSON (RFC 8785)")
        path = self.path(digest)
        if path.exists():
            return
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)

    def get(self, digest: str) -> bytes | None:
        if not _HASH.match(digest):
            return None
        path = self.path(digest)
        return path.read_bytes() if path.is_file() else None

    def path(self, digest: str) -> Path:
        return self.directory / f"{digest}.json"


class Metrics:
    """The daemon's Prometheus metrics, in a registry of its own (several daemons may share a process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.samples = Counter("swarm_oracle_samples", "Measurements taken", ["kind"], registry=r)
        self.detections = Counter("swarm_oracle_detections", "Rule violations detected", ["rule", "severity"], registry=r)
        self.verdicts = Counter("swarm_oracle_verdicts", "Verdicts signed", ["role"], registry=r)
        self.attestations = Counter("swarm_oracle_attestations", "Restoration attestations signed", ["result"], registry=r)
        self.submissions = Counter("swarm_oracle_submissions", "Transactions by outcome", ["kind", "outcome"], registry=r)
        self.held_back = Counter("swarm_oracle_held_back", "Proposals held back (own network suspected)", registry=r)
        self.rpc_errors = Counter("swarm_oracle_rpc_errors", "Failed chain steps (RPC unreachable or erroring)", registry=r)
        self.reorgs = Counter("swarm_oracle_reorgs", "Reorgs noticed under processed blocks", registry=r)
        self.webhooks = Counter("swarm_oracle_webhooks", "Webhook deliveries by outcome", ["outcome"], registry=r)
        self.last_block = Gauge("swarm_oracle_last_processed_block", "Last block whose events were processed", registry=r)
        self.cycle = Histogram("swarm_oracle_cycle_seconds", "Duration of one daemon cycle", registry=r,
                               buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))  # fmt: skip

    def render(self) -> bytes:
        return generate_latest(self.registry)


class DaemonServer:
    """ThreadingHTTPServer with ``/evidence/<hash>``, ``/metrics`` and ``/health``."""

    def __init__(self, host: str, port: int, evidence: EvidenceStore, metrics: Metrics,
                 health: Callable[[], tuple[bool, dict[str, Any]]]):  # fmt: skip
        self.evidence = evidence
        self.metrics = metrics
        self.health = health
        handler = self._handler()
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> DaemonServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="oracle-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(200, server.metrics.render(), CONTENT_TYPE_LATEST)
                elif path == "/health":
                    ok, details = server.health()
                    self._send(200 if ok else 503, json.dumps(details, sort_keys=True).encode())
                elif path.startswith("/evidence/"):
                    data = server.evidence.get(path.removeprefix("/evidence/").lower())
                    if data is None:
                        self._send(404, b'{"error": "no such evidence"}')
                    else:
                        self._send(200, data)
                else:
                    self._send(404, b'{"error": "not found"}')

        return Handler
