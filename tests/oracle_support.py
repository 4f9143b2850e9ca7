"""Helpers for the oracle tests: sample builders, a free port, a server that answers fixed bytes."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from swarm_stake.oracle.samples import Sample

PROVIDER = "0x1111111111111111111111111111111111111111"
OTHER = "0x2222222222222222222222222222222222222222"
GOOD_HASH = "0x" + "ab" * 32
BAD_HASH = "0x" + "cd" * 32
T0 = 1_700_000_000.0


def health(at: float, up: bool = True, latency: float = 20.0, software_hash: str | None = GOOD_HASH,
           provider: str = PROVIDER) -> Sample:
    return Sample(provider, T0 + at, "health", up=up, latency_ms=latency, software_hash=software_hash)


def metrics(at: float, requests: float, errors: float, gpu: float | None = 0.5, provider: str = PROVIDER) -> Sample:
    return Sample(provider, T0 + at, "metrics", gpu_util=gpu, requests_total=requests, errors_total=errors)


def gpu(at: float, value: float, provider: str = PROVIDER) -> Sample:
    return Sample(provider, T0 + at, "metrics", gpu_util=value)


def integrity(at: float, ok: bool | None, provider: str = PROVIDER) -> Sample:
    return Sample(provider, T0 + at, "integrity", integrity_ok=ok)


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def static_server(routes: dict[str, tuple[int, bytes]]) -> Iterator[str]:
    """A loopback server answering GET <path> with fixed (status, body); yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            status, body = routes.get(self.path.split("?")[0], (404, b"{}"))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class WebhookReceiver:
    """A webhook endpoint on loopback: answers 500 to the first ``failures`` posts, then 204, and
    keeps every JSON body it accepted."""

    def __init__(self, failures: int = 0):
        import json

        self.failures = failures
        self.attempts = 0
        self.bodies: list = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.attempts += 1
                if receiver.attempts <= receiver.failures:
                    self.send_response(500)
                else:
                    receiver.bodies.append(body)
                    self.send_response(204)
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
