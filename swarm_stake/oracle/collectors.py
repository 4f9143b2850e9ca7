"""Collectors: measuring a provider's node over HTTP, and replaying samples from JSONL files.

Everything a node sends is untrusted: bodies are size-limited, each request has an overall
deadline, and whatever a node answers becomes a sample (with a detail saying what was wrong),
never an exception in the oracle.

Data-integrity challenges run against a dataset of chunks committed to by a Merkle root. A
leaf line is ``index (8 bytes, big-endian) || chunk``, so a proof binds the chunk to its
position: a node that lost chunk 5 cannot answer with chunk 3 and chunk 3's proof.
"""

from __future__ import annotations

import http.client
import json
import logging
import math
import os
import secrets
import time
from collections.abc import Iterable, Iterator
from typing import Any

import requests
import urllib3
from eth_utils import keccak

from swarm_stake.merkle import MerkleTree, verify
from swarm_stake.oracle.samples import MAX_DETAIL, MAX_TEXT, Sample

log = logging.getLogger("swarm_stake.oracle")

MAX_BODY = 1 << 20          # bytes read from a node's answer
MAX_CHUNK = 1 << 16         # bytes of one dataset chunk in a challenge answer
MAX_PROOF = 64              # siblings in a Merkle proof (a tree of 2**64 chunks)
MAX_LINE = 1 << 20          # bytes of one JSONL line
# No valid answer or sample nests more than a few levels or carries more than a few hundred
# brackets in its strings. Parsing is refused beyond this: a process whose recursion limit was
# raised (py_ecc and py-evm raise it to 100,000 on import) would otherwise let json.loads overflow
# the C stack on "[[[[..." and crash the oracle instead of raising RecursionError.
MAX_BRACKETS = 1000

GPU_METRIC = "swarm_node_gpu_utilization"
REQUESTS_METRIC = "swarm_node_requests_total"
ERRORS_METRIC = "swarm_node_errors_total"

_NETWORK_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException, OSError, ValueError)


class AnswerTooLarge(Exception):
    """A node's answer exceeds MAX_BODY bytes (refused, not read to the end)."""


def _detail(text: str) -> str:
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 3] + "..."


def _reason(exc: BaseException) -> str:
    if isinstance(exc, requests.Timeout | TimeoutError):
        return f"timed out ({type(exc).__name__})"
    return f"{type(exc).__name__}: {exc}"


def _fetch(url: str, timeout: float, params: dict[str, Any] | None = None) -> tuple[int, bytes]:
    """GET ``url``: (status, body) within ``timeout`` seconds overall, at most MAX_BODY bytes."""
    deadline = time.monotonic() + timeout
    with requests.get(url, params=params, timeout=timeout, stream=True, allow_redirects=False) as response:
        body = bytearray()
        for chunk in response.iter_content(65536):
            body += chunk
            if len(body) > MAX_BODY:
                raise AnswerTooLarge(f"answer larger than {MAX_BODY} bytes")
            if time.monotonic() > deadline:
                raise requests.Timeout(f"answer not complete within {timeout} s")
        return response.status_code, bytes(body)


def _json(body: bytes) -> Any:
    """Parse untrusted JSON: UTF-8, no NaN/Infinity, at most MAX_BRACKETS opening brackets."""
    if body.count(b"[") + body.count(b"{") > MAX_BRACKETS:
        raise ValueError(f"more than {MAX_BRACKETS} brackets: not a sample or an answer")
    return json.loads(body.decode("utf-8"), parse_constant=_no_constant)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# --- health ----------------------------------------------------------------------------------------


class HealthProbe:
    """GET ``{base_url}/health``: up iff it answers 200 with ``{"status": "ok"}`` within ``timeout``."""

    def __init__(self, timeout: float = 2.0):
        if not timeout > 0:
            raise ValueError("timeout must be positive")
        self.timeout = timeout

    def probe(self, provider: str, base_url: str) -> Sample:
        at = time.time()
        started = time.monotonic()
        try:
            status, body = _fetch(base_url.rstrip("/") + "/health", self.timeout)
        except (AnswerTooLarge, *_NETWORK_ERRORS) as exc:
            return failed_sample("health", provider, at, exc, (time.monotonic() - started) * 1000.0)
        return health_sample(provider, at, (time.monotonic() - started) * 1000.0, status, body, self.timeout)


def health_sample(provider: str, at: float, latency: float, status: int, body: bytes, timeout: float) -> Sample:
    """The health sample of an answer (``status``, ``body``) that took ``latency`` ms."""
    try:
        answer = _json(body)
    except ValueError:
        answer = None
    reported = answer.get("software_hash") if isinstance(answer, dict) else None
    software_hash = reported[:MAX_TEXT] if isinstance(reported, str) else None
    if status != 200:
        problem = f"HTTP {status}"
    elif not isinstance(answer, dict):
        problem = "health answer is not a JSON object"
    elif answer.get("status") != "ok":
        problem = f"status is {str(answer.get('status'))[:64]!r}, not 'ok'"
    elif latency > timeout * 1000.0:
        problem = f"answered after {latency:.0f} ms, beyond the {timeout} s timeout"
    else:
        detail = "" if software_hash is not None else "no software hash reported"
        return Sample(provider, at, "health", up=True, latency_ms=latency, software_hash=software_hash, detail=detail)
    return Sample(provider, at, "health", up=False, latency_ms=latency, software_hash=software_hash, detail=_detail(problem))


def failed_sample(kind: str, provider: str, at: float, exc: BaseException, latency: float | None = None,
                  index: int | None = None) -> Sample:  # fmt: skip
    """The sample of a probe that got no usable answer: a network error, a timeout, a body too large.

    A challenge answered with a body too large is a wrong answer (``integrity_ok`` False); any
    other failure of a challenge leaves it unanswered (None).
    """
    if kind == "health":
        return Sample(provider, at, "health", up=False, latency_ms=latency, detail=_detail(f"no answer: {_reason(exc)}"))
    if kind == "metrics":
        return Sample(provider, at, "metrics", detail=_detail(f"no answer: {_reason(exc)}"))
    if isinstance(exc, AnswerTooLarge):
        return Sample(provider, at, "integrity", integrity_ok=False, detail=f"chunk {index}: {exc}")
    return Sample(provider, at, "integrity", detail=_detail(f"chunk {index}: no answer: {_reason(exc)}"))


# --- metrics -------------------------------------------------------------------------------------------


def parse_metrics(text: str) -> tuple[float | None, float | None, float | None, list[str]]:
    """(gpu utilization, requests total, errors total, problems) from Prometheus text.

    Counters are summed over their label sets, the gauge averaged; non-finite values are left
    out (and named in the problems). Raises ValueError for text that does not parse.
    """
    from prometheus_client.parser import text_string_to_metric_families

    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    problems: list[str] = []
    wanted = (GPU_METRIC, REQUESTS_METRIC, ERRORS_METRIC)
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name not in wanted:
                    continue
                value = sample.value
                if not isinstance(value, int | float) or not math.isfinite(value):
                    problems.append(f"{sample.name} is {value!r}")
                    continue
                sums[sample.name] = sums.get(sample.name, 0.0) + float(value)
                counts[sample.name] = counts.get(sample.name, 0) + 1
    except Exception as exc:  # the parser's errors on hostile text are not all ValueError
        raise ValueError(f"unparseable metrics: {type(exc).__name__}: {str(exc)[:200]}") from exc
    gpu = sums[GPU_METRIC] / counts[GPU_METRIC] if GPU_METRIC in sums else None
    for name in wanted:
        if name not in sums:
            problems.append(f"{name} missing")
    return gpu, sums.get(REQUESTS_METRIC), sums.get(ERRORS_METRIC), problems


class MetricsScrape:
    """GET ``{base_url}/metrics`` (Prometheus text): GPU utilization and the request/error counters."""

    def __init__(self, timeout: float = 2.0):
        if not timeout > 0:
            raise ValueError("timeout must be positive")
        self.timeout = timeout

    def scrape(self, provider: str, base_url: str) -> Sample:
        at = time.time()
        try:
            status, body = _fetch(base_url.rstrip("/") + "/metrics", self.timeout)
        except (AnswerTooLarge, *_NETWORK_ERRORS) as exc:
            return failed_sample("metrics", provider, at, exc)
        return metrics_sample(provider, at, status, body)


def metrics_sample(provider: str, at: float, status: int, body: bytes) -> Sample:
    """The metrics sample of an answer (``status``, ``body``) to ``GET /metrics``."""
    if status != 200:
        return Sample(provider, at, "metrics", detail=f"HTTP {status}")
    try:
        gpu, requests_total, errors_total, problems = parse_metrics(body.decode("utf-8"))
    except ValueError as exc:  # UnicodeDecodeError included
        return Sample(provider, at, "metrics", detail=_detail(str(exc)))
    return Sample(
        provider, at, "metrics", gpu_util=gpu, requests_total=requests_total, errors_total=errors_total,
        detail=_detail("; ".join(problems)),
    )


# --- data integrity ---------------------------------------------------------------------------------------


def dataset(seed: str, chunks: int, chunk_size: int = 256) -> list[bytes]:
    """``chunks`` deterministic pseudo-random chunks of ``chunk_size`` bytes derived from ``seed``."""
    if chunks < 1 or not 1 <= chunk_size <= MAX_CHUNK:
        raise ValueError("a dataset needs at least one chunk of 1..65536 bytes")
    out = []
    for index in range(chunks):
        block = bytearray()
        counter = 0
        while len(block) < chunk_size:
            block += keccak(f"{seed}:{index}:{counter}".encode())
            counter += 1
        out.append(bytes(block[:chunk_size]))
    return out


def chunk_line(index: int, chunk: bytes) -> bytes:
    """The Merkle leaf line of a chunk: its index (8 bytes, big-endian) then its bytes."""
    return index.to_bytes(8, "big") + chunk


def dataset_tree(chunks: list[bytes]) -> MerkleTree:
    return MerkleTree(chunk_line(i, chunk) for i, chunk in enumerate(chunks))


def dataset_root(chunks: list[bytes]) -> bytes:
    """The Merkle root committing to ``chunks`` and their positions."""
    return dataset_tree(chunks).root


def challenge_response(nonce: bytes, chunk: bytes) -> bytes:
    """What a node must answer besides the chunk: keccak256(nonce || chunk), proving freshness."""
    return keccak(nonce + chunk)


def _hex(value: Any, name: str, size: int | None = None, limit: int = MAX_CHUNK) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) > 2 + 2 * limit:
        raise ValueError(f"{name} is not 0x-prefixed hex")
    try:
        raw = bytes.fromhex(value[2:])
    except ValueError as exc:
        raise ValueError(f"{name} is not 0x-prefixed hex") from exc
    if size is not None and len(raw) != size:
        raise ValueError(f"{name} must be {size} bytes, got {len(raw)}")
    return raw


def check_answer(answer: Any, index: int, nonce: bytes, root: bytes) -> str | None:
    """Why ``answer`` does not answer the challenge (index, nonce) for ``root``; None if it does."""
    if not isinstance(answer, dict):
        return "answer is not a JSON object"
    try:
        answered = answer.get("index")
        if isinstance(answered, bool) or not isinstance(answered, int) or answered != index:
            return f"answer is for index {str(answered)[:32]}, not {index}"
        chunk = _hex(answer.get("chunk"), "chunk")
        proof_items = answer.get("proof")
        if not isinstance(proof_items, list) or len(proof_items) > MAX_PROOF:
            return f"proof must be a list of at most {MAX_PROOF} hashes"
        proof = [_hex(item, "proof item", 32) for item in proof_items]
        response = _hex(answer.get("response"), "response", 32)
    except ValueError as exc:
        return str(exc)
    if not verify(proof, root, chunk_line(index, chunk)):
        return "the chunk does not verify against the dataset root at this index"
    if response != challenge_response(nonce, chunk):
        return "response is not keccak256(nonce || chunk)"
    return None


class IntegrityChallenge:
    """Ask a node for a random chunk with its Merkle proof and a response bound to a fresh nonce.

    ``integrity_ok`` is True for a correct answer, False for a 200 answer that is wrong or
    malformed, and None when the node gave no answer (unreachable, timed out, an HTTP error):
    a node that does not answer is down, which the uptime rule judges.
    """

    def __init__(self, dataset_root: bytes, chunk_count: int, timeout: float = 2.0):
        if len(dataset_root) != 32 or chunk_count < 1 or not timeout > 0:
            raise ValueError("need a 32-byte root, at least one chunk and a positive timeout")
        self.root = bytes(dataset_root)
        self.chunk_count = chunk_count
        self.timeout = timeout

    def new(self) -> tuple[int, bytes, dict[str, Any]]:
        """A fresh challenge: (chunk index, nonce, the query parameters asking for it)."""
        index = secrets.randbelow(self.chunk_count)
        nonce = secrets.token_bytes(32)
        return index, nonce, {"nonce": "0x" + nonce.hex(), "index": index}

    def challenge(self, provider: str, base_url: str) -> Sample:
        at = time.time()
        index, nonce, params = self.new()
        try:
            status, body = _fetch(base_url.rstrip("/") + "/challenge", self.timeout, params)
        except (AnswerTooLarge, *_NETWORK_ERRORS) as exc:
            return failed_sample("integrity", provider, at, exc, index=index)
        return self.judge(provider, at, index, nonce, status, body)

    def judge(self, provider: str, at: float, index: int, nonce: bytes, status: int, body: bytes) -> Sample:
        """The integrity sample of an answer (``status``, ``body``) to the challenge (``index``, ``nonce``)."""
        if status != 200:
            return Sample(provider, at, "integrity", detail=f"chunk {index}: no answer: HTTP {status}")
        try:
            answer = _json(body)
        except ValueError:
            return Sample(provider, at, "integrity", integrity_ok=False, detail=f"chunk {index}: answer is not JSON")
        problem = check_answer(answer, index, nonce, self.root)
        if problem is not None:
            return Sample(provider, at, "integrity", integrity_ok=False, detail=_detail(f"chunk {index}: {problem}"))
        return Sample(provider, at, "integrity", integrity_ok=True, detail=f"chunk {index}")


# --- JSONL feeds ----------------------------------------------------------------------------------------------


class JsonlFeed:
    """Samples from a JSONL file (one ``Sample.to_json`` per line), for replay and offline analysis.

    A corrupt line (not UTF-8, not JSON, not a valid sample, longer than 1 MiB) is skipped,
    logged on ``swarm_stake.oracle`` and counted in ``skipped``; iterating never raises because
    of the file's content. Blank lines are ignored. ``skipped`` counts the latest iteration.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = path
        self.skipped = 0

    def __iter__(self) -> Iterator[Sample]:
        self.skipped = 0
        with open(self.path, "rb") as handle:
            number = 0
            while True:
                line = handle.readline(MAX_LINE + 1)
                if not line:
                    return
                number += 1
                if len(line) > MAX_LINE and not line.endswith(b"\n"):
                    while (rest := handle.readline(MAX_LINE)) and not rest.endswith(b"\n"):
                        pass
                    self._skip(number, f"longer than {MAX_LINE} bytes")
                    continue
                if not line.strip():
                    continue
                try:
                    sample = Sample.from_json(_json(line))
                except (ValueError, TypeError, RecursionError, OverflowError) as exc:
                    self._skip(number, f"{type(exc).__name__}: {str(exc)[:200]}")
                    continue
                yield sample

    def _skip(self, number: int, why: str) -> None:
        self.skipped += 1
        log.warning("%s line %d skipped: %s", self.path, number, why)


def write_jsonl(path: str | os.PathLike[str], samples: Iterable[Sample], append: bool = False) -> int:
    """Write ``samples`` one JSON object per line; returns how many were written."""
    count = 0
    with open(path, "a" if append else "w", encoding="utf-8") as handle:
        for sample in samples:
            handle.write(json.dumps(sample.to_json(), separators=(",", ":"), allow_nan=False) + "\n")
            count += 1
    return count
