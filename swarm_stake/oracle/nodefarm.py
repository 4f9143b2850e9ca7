"""Many simulated nodes in one process: a fast loopback target for measuring the probe engine.

Each node listens on its own loopback port (so every node is a distinct endpoint with its own
connections, as real nodes are) and answers what an oracle measures, like the node simulator
(``/health``, ``/metrics``, ``/challenge``), from a bare asyncio protocol: HTTP/1.1 with
keep-alive, no framework, so that one core serves many thousands of requests per second.

A node can misbehave (see ``MODES``), and counts the connections it accepted and the requests
it answered, so tests can check connection reuse. Run it in a thread (``NodeFarm.start``) or as
a process (``python -m swarm_stake.oracle.nodefarm --count N``, which prints its ports as one
JSON line, answers each line of its standard input with its counts, and serves until that
input closes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import parse_qs

from eth_utils import keccak

from swarm_stake.oracle.collectors import MAX_BODY, challenge_response, dataset, dataset_tree
from swarm_stake.oracle.probe import raise_file_limit

#: healthy; down (503 everywhere); slow (answers after ``slow_seconds``); huge (a body larger than
#: the probe's cap, with its length announced); huge-chunked (the same, chunked: no length
#: announced); nested (JSON nested far deeper than any answer); nonsense (200 with bytes that
#: are not JSON nor metrics); hangup (closes the connection without answering); bad-http (answers
#: bytes that are not HTTP); bad-software (reports another build); corrupt (a tampered chunk);
#: errors (every request counts as an error); refused (the port accepts no connection).
MODES = ("healthy", "down", "slow", "huge", "huge-chunked", "nested", "nonsense", "hangup", "bad-http",
         "bad-software", "corrupt", "errors", "refused")  # fmt: skip
MAX_HEAD = 16384
_PIECE = 65536
_HUGE = b"x" * (MAX_BODY + 65536)
_NESTED = b"[" * 200_000
_JSON = b"application/json"
_TEXT = b"text/plain; version=0.0.4; charset=utf-8"
_REASONS = {200: b"OK", 400: b"Bad Request", 404: b"Not Found", 503: b"Service Unavailable"}


def _response(status: int, body: bytes, content_type: bytes = _JSON) -> bytes:
    head = b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
    return head % (status, _REASONS[status], content_type, len(body)) + body


_HUGE_ANSWER = _response(200, _HUGE)
_HUGE_CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(_HUGE), _HUGE)


class _Dataset:
    """The challenge answers of one dataset, with each chunk's JSON fragment prepared once."""

    def __init__(self, seed: str, chunks: int):
        self.chunks = dataset(seed, chunks)
        tree = dataset_tree(self.chunks)
        self.fragments = [
            ('{"index": %d, "chunk": "0x%s", "proof": %s, ' % (i, c.hex(), json.dumps(["0x" + p.hex() for p in tree.proof(i)])))
            .encode() for i, c in enumerate(self.chunks)
        ]  # fmt: skip
        tampered = [bytes([c[0] ^ 0xFF]) + c[1:] for c in self.chunks]
        self.corrupt = [
            ('{"index": %d, "chunk": "0x%s", "proof": %s, ' % (i, c.hex(), json.dumps(["0x" + p.hex() for p in tree.proof(i)])))
            .encode() for i, c in enumerate(tampered)
        ]  # fmt: skip
        self.tampered = tampered

    def answer(self, query: str, corrupt: bool) -> bytes:
        try:
            fields = parse_qs(query)
            nonce_hex, index = fields["nonce"][0], int(fields["index"][0])
            nonce = bytes.fromhex(nonce_hex[2:]) if nonce_hex.startswith("0x") else b""
            if len(nonce) != 32 or not 0 <= index < len(self.chunks):
                raise ValueError
        except (KeyError, ValueError):
            return _response(400, b'{"error": "need nonce=0x<32 bytes> and index=<chunk>"}')
        chunk = self.tampered[index] if corrupt else self.chunks[index]
        fragment = (self.corrupt if corrupt else self.fragments)[index]
        return _response(200, fragment + b'"response": "0x%s"}' % challenge_response(nonce, chunk).hex().encode())


class _Node:
    __slots__ = ("mode", "connections", "requests", "requests_total", "errors_total")

    def __init__(self, mode: str):
        self.mode = mode
        self.connections = 0  # connections accepted
        self.requests = 0  # requests answered
        self.requests_total = 0
        self.errors_total = 0


class _Connection(asyncio.Protocol):
    """One client connection to one node: parses request heads, answers each in order."""

    def __init__(self, farm: NodeFarm, node: _Node):
        self.farm = farm
        self.node = node
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self._rest: memoryview | None = None  # the part of a large answer not yet handed to the transport
        self._paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.node.connections += 1

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        out = []
        while (end := buffer.find(b"\r\n\r\n")) >= 0:
            head, buffer = buffer[:end], buffer[end + 4 :]
            answer = self.answer(head)
            if answer is None:
                self._flush(out)
                self.transport.close()  # type: ignore[union-attr]
                return
            out.append(answer)
        self.buffer = buffer
        self._flush(out)
        if len(buffer) > MAX_HEAD:
            self.transport.close()  # type: ignore[union-attr]

    def _flush(self, out: list[bytes]) -> None:
        if out:
            self._write(b"".join(out) if len(out) > 1 else out[0])

    def _write(self, data: bytes) -> None:
        """Write ``data``; a large answer goes out piece by piece as the client reads it (handing
        the transport a megabyte at once costs a copy of what is left after every send)."""
        if len(data) <= _PIECE and self._rest is None:
            self.transport.write(data)  # type: ignore[union-attr]
            return
        self._rest = memoryview(bytes(self._rest) + data) if self._rest is not None else memoryview(data)
        self._pump()

    def _pump(self) -> None:
        while self._rest is not None and not self._paused and not self.transport.is_closing():  # type: ignore[union-attr]
            piece, rest = self._rest[:_PIECE], self._rest[_PIECE:]
            self._rest = rest if len(rest) else None
            self.transport.write(piece)  # type: ignore[union-attr]

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._pump()

    def answer(self, head: bytes) -> bytes | None:
        """The bytes answering one request (b"" if answered later), None to hang up."""
        line = head.split(b"\r\n", 1)[0].split(b" ")
        if len(line) != 3 or line[0] != b"GET":
            return None
        node, mode = self.node, self.node.mode
        if mode == "hangup":
            return None
        if mode == "bad-http":
            return b"SSH-2.0-OpenSSH_9.6\r\n\r\n\x00\x01\x02"
        target = line[1].decode("latin-1")
        path, _, query = target.partition("?")
        answer = self.farm.render(node, mode, path, query)
        if mode == "slow":
            self.farm.loop.call_later(self.farm.slow_seconds, self._late, answer)
            return b""
        if mode == "huge-chunked":
            return _HUGE_CHUNKED
        return answer

    def _late(self, answer: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self._write(answer)


class NodeFarm:
    """``count`` nodes on loopback ports; ``urls[i]`` is node i's base URL."""

    def __init__(self, count: int, software_hash: str, dataset_seed: str = "swarm-demo", chunks: int = 64,
                 modes: dict[int, str] | None = None, slow_seconds: float = 5.0, gpu_util: float = 0.6):  # fmt: skip
        if count < 1:
            raise ValueError("a farm needs at least one node")
        self.software_hash = software_hash
        self.bad_software_hash = "0x" + keccak(b"bad-software:" + software_hash.encode()).hex()
        self.dataset = _Dataset(dataset_seed, chunks)
        self.slow_seconds = slow_seconds
        self.gpu_util = gpu_util
        self.nodes = [_Node("healthy") for _ in range(count)]
        self.ports: list[int] = []
        for index, mode in (modes or {}).items():
            self.set_mode(index, mode)
        self.loop = asyncio.new_event_loop()
        self._servers: list[asyncio.base_events.Server] = []
        self._refusing: list[socket.socket] = []
        self._thread: threading.Thread | None = None
        self._health = {
            mode: _response(200, json.dumps({"status": "ok", "software_hash": h}).encode())
            for mode, h in (("healthy", software_hash), ("bad-software", self.bad_software_hash))
        }  # fmt: skip

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def set_mode(self, index: int, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}: one of {', '.join(MODES)}")
        if (mode == "refused") != (self.nodes[index].mode == "refused") and self.ports:
            raise ValueError("a node refuses connections from the start or never")
        self.nodes[index].mode = mode

    def connections(self, index: int) -> int:
        return self.nodes[index].connections

    def requests(self, index: int) -> int:
        return self.nodes[index].requests

    # --- answers ---------------------------------------------------------------------------------

    def render(self, node: _Node, mode: str, path: str, query: str) -> bytes:
        node.requests += 1
        if path not in ("/health", "/metrics", "/challenge"):
            return _response(404, b'{"error": "not found"}')
        if mode == "down":
            return _response(503, b'{"status": "down"}')
        if mode in ("huge", "huge-chunked"):
            return _HUGE_ANSWER
        if mode == "nested":
            return _response(200, _NESTED)
        if mode == "nonsense":
            return _response(200, b"\xff\xfe not json, not metrics {{{")
        node.requests_total += 1
        node.errors_total += mode == "errors"
        if path == "/health":
            return self._health.get(mode, self._health["healthy"])
        if path == "/metrics":
            return _response(200, self.metrics_text(node), _TEXT)
        return self.dataset.answer(query, mode == "corrupt")

    def metrics_text(self, node: _Node) -> bytes:
        return (
            b"# HELP swarm_node_requests_total Requests served\n# TYPE swarm_node_requests_total counter\n"
            b"swarm_node_requests_total %d.0\nswarm_node_requests_created 1.7e+09\n"
            b"# HELP swarm_node_errors_total Requests that failed\n# TYPE swarm_node_errors_total counter\n"
            b"swarm_node_errors_total %d.0\nswarm_node_errors_created 1.7e+09\n"
            b"# HELP swarm_node_gpu_utilization GPU utilization, 0..1\n# TYPE swarm_node_gpu_utilization gauge\n"
            b"swarm_node_gpu_utilization %.3f\n"
        ) % (node.requests_total, node.errors_total, self.gpu_util)

    # --- serving ---------------------------------------------------------------------------------

    async def _listen(self) -> None:
        for node in self.nodes:
            if node.mode == "refused":  # bound, never listening: connecting is refused
                sock = socket.socket()
                sock.bind(("127.0.0.1", 0))
                self._refusing.append(sock)
                self.ports.append(sock.getsockname()[1])
                continue
            server = await self.loop.create_server(lambda n=node: _Connection(self, n), "127.0.0.1", 0, backlog=1024)
            self._servers.append(server)
            self.ports.append(server.sockets[0].getsockname()[1])

    def open(self) -> NodeFarm:
        """Bind every node's port (on this thread's use of the farm's loop)."""
        self.loop.run_until_complete(self._listen())
        return self

    def start(self) -> NodeFarm:
        """Bind, then serve in a daemon thread."""
        self.open()
        self._thread = threading.Thread(target=self.loop.run_forever, name="nodefarm", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5)
            self._thread = None
        for server in self._servers:
            server.close()
        for sock in self._refusing:
            sock.close()
        self._servers, self._refusing = [], []
        if not self.loop.is_closed():
            self.loop.run_until_complete(asyncio.sleep(0))
            self.loop.close()

    def __enter__(self) -> NodeFarm:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class FarmProcess:
    """A farm in a process of its own (optionally pinned to one CPU), so that it never shares a
    core or the GIL with the client measuring it."""

    def __init__(self, count: int, software_hash: str, modes: dict[int, str] | None = None,
                 slow_seconds: float = 5.0, cpu: int | None = None):  # fmt: skip
        command = [sys.executable, "-m", "swarm_stake.oracle.nodefarm", "--count", str(count),
                   "--software-hash", software_hash, "--slow-seconds", str(slow_seconds),
                   "--modes", json.dumps(modes or {})]  # fmt: skip
        if cpu is not None:
            command += ["--cpu", str(cpu)]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = self.process.stdout.readline()  # type: ignore[union-attr]
        if not line:
            self.process.wait(timeout=10)
            raise RuntimeError(f"the node farm did not start (exit status {self.process.returncode})")
        started = json.loads(line)
        self.ports: list[int] = started["ports"]
        self.pid: int = started["pid"]

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def counts(self) -> tuple[list[int], list[int]]:
        """Per node: connections accepted, requests answered."""
        self.process.stdin.write(b"counts\n")  # type: ignore[union-attr]
        self.process.stdin.flush()  # type: ignore[union-attr]
        counts = json.loads(self.process.stdout.readline())  # type: ignore[union-attr]
        return counts["connections"], counts["requests"]

    def cpu_seconds(self) -> float:
        """CPU time the farm has used so far (user and system)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> FarmProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--software-hash", default="0x" + "ab" * 32)
    parser.add_argument("--slow-seconds", type=float, default=5.0)
    parser.add_argument("--modes", default="{}", help='JSON: {"node index": "mode", ...}')
    parser.add_argument("--cpu", type=int, default=None, help="pin this process to one CPU")
    args = parser.parse_args(argv)
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    raise_file_limit()
    modes = {int(index): mode for index, mode in json.loads(args.modes).items()}
    farm = NodeFarm(args.count, args.software_hash, modes=modes, slow_seconds=args.slow_seconds).open()
    print(json.dumps({"ports": farm.ports, "pid": os.getpid()}), flush=True)
    farm.loop.add_reader(sys.stdin.fileno(), _command, farm)
    try:
        farm.loop.run_forever()
    finally:
        farm.stop()


def _command(farm: NodeFarm) -> None:
    """A line of input: print each node's connections and requests so far; end of input: stop."""
    if not os.read(sys.stdin.fileno(), 4096):
        farm.loop.remove_reader(sys.stdin.fileno())
        farm.loop.stop()
        return
    nodes = farm.nodes
    print(json.dumps({"connections": [n.connections for n in nodes], "requests": [n.requests for n in nodes]}),
          flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
