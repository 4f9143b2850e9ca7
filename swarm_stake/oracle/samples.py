"""Measurements of providers' nodes (``Sample``) and what the rules make of them (``Detection``).

A sample's time is the oracle's wall clock when it measured, never chain time: windows and
epochs are judged in the time the node was actually observed, so a chain whose clock jumps
(a devnet warp, a stalled block producer) changes nothing about what was measured.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from operator import attrgetter
from typing import Any

from eth_utils import to_checksum_address

from swarm_stake.models import Level, ViolationClass

KINDS = ("health", "metrics", "integrity")
RULES = ("uptime", "latency_p95", "error_rate", "anomaly", "software_hash", "data_integrity")

# Node-reported strings are untrusted: bound what a sample (and so an evidence bundle) carries.
MAX_TEXT = 256
MAX_DETAIL = 512

_FLOATS = ("latency_ms", "gpu_util", "errors_total", "requests_total")
_BOOLS = ("up", "integrity_ok")
_FIELDS = frozenset(("provider", "at", "kind", "detail", "software_hash", *_FLOATS, *_BOOLS))


@lru_cache(maxsize=4096)
def checksum(address: str) -> str:
    """The checksummed form of ``address`` (cached: feeds repeat a few providers many times)."""
    try:
        return to_checksum_address(address)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"provider is not an address: {address[:64]!r}") from exc


def _finite(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError as exc:
        raise ValueError(f"{name} is out of range") from exc
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number!r}")
    return number


@dataclass(frozen=True, slots=True)
class Sample:
    """One measurement of one provider's node by this oracle.

    ``kind`` says which fields are meaningful: ``health`` (``up``, ``latency_ms``,
    ``software_hash``), ``metrics`` (``gpu_util``, ``errors_total``, ``requests_total``) or
    ``integrity`` (``integrity_ok``: True for a correct answer to a data-integrity challenge,
    False for a wrong or malformed one, None when the challenge got no answer at all).
    """

    provider: str
    at: float
    kind: str
    up: bool | None = None
    latency_ms: float | None = None
    software_hash: str | None = None
    gpu_util: float | None = None
    errors_total: float | None = None
    requests_total: float | None = None
    integrity_ok: bool | None = None
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict: fields that are None (and an empty detail) are left out."""
        data: dict[str, Any] = {"provider": self.provider, "at": self.at, "kind": self.kind}
        for name in ("up", "latency_ms", "software_hash", "gpu_util", "errors_total", "requests_total", "integrity_ok"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        if self.detail:
            data["detail"] = self.detail
        return data

    @classmethod
    def from_json(cls, data: Any) -> Sample:
        """Parse and validate a dict written by :meth:`to_json`.

        Raises ValueError naming the offending field for anything else: unknown fields, wrong
        types (a bool is not a number, a number is not a bool), NaN or infinite numbers, an
        unknown kind, a provider that is not an address, over-long strings.
        """
        if not isinstance(data, dict):
            raise ValueError(f"a sample must be a JSON object, got {type(data).__name__}")
        unknown = set(data) - _FIELDS
        if unknown:
            raise ValueError(f"unknown sample fields: {sorted(map(str, unknown))[:5]}")
        for required in ("provider", "at", "kind"):
            if required not in data:
                raise ValueError(f"a sample needs {required!r}")
        provider = data["provider"]
        if not isinstance(provider, str):
            raise ValueError(f"provider must be a string, got {type(provider).__name__}")
        kind = data["kind"]
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {str(kind)[:32]!r}")
        values: dict[str, Any] = {"provider": checksum(provider), "at": _finite("at", data["at"]), "kind": kind}
        for name in _FLOATS:
            if data.get(name) is not None:
                values[name] = _finite(name, data[name])
        for name in _BOOLS:
            value = data.get(name)
            if value is not None:
                if not isinstance(value, bool):
                    raise ValueError(f"{name} must be true or false, got {type(value).__name__}")
                values[name] = value
        for name, limit in (("software_hash", MAX_TEXT), ("detail", MAX_DETAIL)):
            value = data.get(name)
            if value is not None:
                if not isinstance(value, str):
                    raise ValueError(f"{name} must be a string, got {type(value).__name__}")
                if len(value) > limit:
                    raise ValueError(f"{name} is longer than {limit} characters")
                values[name] = value
        return cls(**values)


_ROW = ("provider", "at", "kind", "up", "latency_ms", "software_hash", "gpu_util", "errors_total", "requests_total",
        "integrity_ok", "detail")  # fmt: skip
_row_of = attrgetter(*_ROW)


def encode_samples(samples: Iterable[Sample]) -> bytes:
    """A compact, compressed batch of samples (for the daemon's store): one JSON row per sample."""
    rows = list(map(_row_of, samples))
    return zlib.compress(json.dumps(rows, separators=(",", ":")).encode(), 1)


def decode_samples(data: bytes) -> list[Sample]:
    """The samples of :func:`encode_samples`; ValueError if the batch is damaged."""
    try:
        rows = json.loads(zlib.decompress(data))
        return [Sample(**dict(zip(_ROW, row, strict=True))) for row in rows]
    except (zlib.error, ValueError, TypeError) as exc:
        raise ValueError(f"a stored batch of samples is damaged: {exc}") from exc


@dataclass(frozen=True)
class Detection:
    """A rule that started failing for a provider, with what it measured and why.

    ``samples`` holds the provider's recent samples for the rule (at most ``evidence_samples``,
    64 by default) as JSON dicts: what the committee re-checks and what the evidence hash covers.
    ``detector_params`` holds every setting of the detectors (``DetectorParams`` as JSON), so
    that anyone can build the rule again and re-run it on the samples.
    """

    provider: str
    rule: str
    violation_class: ViolationClass
    severity: Level
    at: float
    value: float | str
    params: dict[str, Any]
    samples: list[dict[str, Any]] = field(default_factory=list)
    detector_params: dict[str, Any] = field(default_factory=dict)

    def evidence(self, oracle: str) -> dict[str, Any]:
        """The evidence bundle signed over by ``oracle`` (hash it with ``swarm_stake.evidence``).

        Every number in it is finite and every key a string, so it always has a canonical JSON
        form (RFC 8785).
        """
        value = self.value
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"a detection's value must be finite, got {value!r}")
        return {
            "provider": self.provider,
            "rule": self.rule,
            "params": dict(self.params),
            "value": value,
            "violation_class": int(self.violation_class),
            "severity": int(self.severity),
            "at": self.at,
            "oracle": oracle,
            "samples": [dict(sample) for sample in self.samples],
            "detector_params": dict(self.detector_params),
        }
