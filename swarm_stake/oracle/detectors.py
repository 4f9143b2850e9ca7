"""Detection rules: from a stream of samples to the moments a provider starts breaking its SLA.

Every rule keeps per-provider state of bounded size and does bounded work per sample: windowed
rules use a fixed ring of time buckets (``window_seconds`` of ``bucket_seconds`` each) with
running counts, so a sample costs O(1) plus, when time moves on, clearing the buckets that fell
out of the window (at most the ring's size). Nothing ever sorts a window.

Time is the sample's ``at``, the oracle's wall clock when it measured. Chain time plays no part:
a chain whose clock jumps changes nothing here. Buckets expire when a later *sample* arrives,
so a gap in the data (the oracle stopped measuring, a collector hung) is never an outage: only
samples that were taken count, and after a gap longer than the window the rule starts from an
empty window and needs ``min_samples`` again before it judges.

A rule fires once when it starts failing and is then disarmed; it re-arms only after it has
clearly recovered (hysteresis: recovery needs a margin better than the failing threshold), and
never fires twice for a provider within ``cooldown_seconds``. A flapping node therefore yields
at most one detection per cooldown, and a long outage yields one detection, not one per sample.

Detectors are not thread-safe: feed each ``DetectorSet`` from one thread.
"""

from __future__ import annotations

import math
import random
import time
from bisect import bisect_left
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from swarm_stake.models import Level, ViolationClass
from swarm_stake.oracle.samples import Detection, Sample

DEFAULT_LATENCY_EDGES_MS = (
    5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 150.0, 200.0, 300.0, 400.0, 500.0,
    750.0, 1000.0, 1500.0, 2000.0, 3000.0, 5000.0, 10000.0,
)
_SCALE = 1_000_000  # quantiles as integers, so "p95 above the threshold" is decided exactly


class DetectorParams(BaseModel):
    """Every threshold of every rule, with defaults for a node probed about once a second."""

    # Finite numbers only: every setting goes into evidence bundles, which are canonical JSON.
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    bucket_seconds: float = Field(1.0, gt=0, description="width of one time bucket")
    window_seconds: float = Field(30.0, gt=0, description="sliding window: ceil(window / bucket) buckets")
    min_samples: int = Field(5, ge=1, description="samples in the window before uptime is judged")
    cooldown_seconds: float = Field(60.0, ge=0, description="least time between two detections of a rule for a provider")
    evidence_samples: int = Field(64, ge=1, le=256, description="recent samples kept as evidence per rule and provider")

    uptime_sla: float = Field(0.9, gt=0, le=1, description="fires when uptime in the window is below this")
    uptime_rearm_margin: float = Field(0.05, ge=0, description="re-arms at uptime >= sla + margin (at most 1)")

    latency_p95_ms: float = Field(1000.0, gt=0, description="fires when the window's quantile is above this")
    latency_quantile: float = Field(0.95, gt=0, lt=1)
    latency_rearm_ratio: float = Field(0.8, gt=0, le=1, description="re-arms when the quantile is <= threshold * ratio")
    latency_min_samples: int = Field(10, ge=1)
    latency_edges_ms: tuple[float, ...] = Field(DEFAULT_LATENCY_EDGES_MS, min_length=1, max_length=64)

    error_rate_threshold: float = Field(0.05, gt=0, le=1, description="fires when errors/requests in the window is above this")
    error_rearm_ratio: float = Field(0.5, gt=0, le=1, description="re-arms when the rate is <= threshold * ratio")
    error_min_requests: float = Field(20, gt=0, description="requests in the window before the rate is judged")

    anomaly_field: Literal["gpu_util", "latency_ms"] = "gpu_util"
    anomaly_alpha: float = Field(0.1, gt=0, lt=1, description="EWMA weight of the newest sample")
    anomaly_warmup: int = Field(30, ge=2, description="samples before any anomaly is reported")
    anomaly_z: float = Field(4.0, gt=0, description="fires when |z| is above this")
    anomaly_rearm_z: float = Field(2.0, ge=0, description="re-arms when |z| is <= this")
    anomaly_min_std: float = Field(0.02, gt=0, description="floor of the standard deviation (a flat series is not infinitely surprising)")

    restoration_min_samples: int = Field(5, ge=1, description="health samples an observation epoch needs to be healthy")
    restoration_min_integrity_checks: int = Field(1, ge=1, description="answered challenges an epoch needs to be data-intact")
    restoration_capacity: int = Field(16384, ge=16, description="time buckets of health and integrity totals kept per provider")

    @model_validator(mode="after")
    def _consistent(self) -> DetectorParams:
        if self.window_seconds < self.bucket_seconds:
            raise ValueError("window_seconds must be at least bucket_seconds")
        if self.buckets > 100_000:
            raise ValueError("too many buckets: widen bucket_seconds")
        edges = self.latency_edges_ms
        if any(not math.isfinite(e) or e <= 0 for e in edges) or list(edges) != sorted(set(edges)):
            raise ValueError("latency_edges_ms must be positive, finite and strictly increasing")
        if self.anomaly_rearm_z > self.anomaly_z:
            raise ValueError("anomaly_rearm_z must not exceed anomaly_z")
        return self

    @property
    def buckets(self) -> int:
        return math.ceil(self.window_seconds / self.bucket_seconds - 1e-9)


class Detector(Protocol):
    rule: str

    def observe(self, sample: Sample) -> Detection | None: ...


# --- shared machinery -------------------------------------------------------------------------


class _State:
    """Per-provider state every rule has: armed or not, the last detection, recent evidence."""

    __slots__ = ("armed", "last_fire", "recent")

    def __init__(self, evidence: int):
        self.armed = True
        self.last_fire = -math.inf
        self.recent: deque[Sample] = deque(maxlen=evidence)


class _Window(_State):
    """A ring of ``size`` time buckets; ``head`` is the newest bucket number seen."""

    __slots__ = ("size", "head")

    def __init__(self, evidence: int, size: int, bucket: int):
        super().__init__(evidence)
        self.size = size
        self.head = bucket

    def slot(self, bucket: int) -> int:
        """The ring slot of ``bucket`` after expiring what fell out of the window; -1 if too old."""
        head = self.head
        if bucket > head:
            size = self.size
            if bucket - head >= size:
                self.clear_all()
            else:
                for number in range(head + 1, bucket + 1):
                    self.clear(number % size)
            self.head = bucket
        elif bucket <= head - self.size:
            return -1  # older than the window: a late sample cannot change the past window
        return bucket % self.size

    def clear(self, slot: int) -> None:
        raise NotImplementedError

    def clear_all(self) -> None:
        raise NotImplementedError


class _Rule:
    """Base of the rules: identity, verdict class and level, parameters shown in evidence."""

    rule = ""
    violation_class = ViolationClass.POOR_PERFORMANCE
    severity = Level.WARNING

    def __init__(self, params: DetectorParams, rule_params: dict[str, Any]):
        self.settings = params
        self.params = {**rule_params, "cooldown_seconds": params.cooldown_seconds}
        # Every setting, in the evidence: anyone can build this rule again and re-run it on the samples.
        self._settings_json = params.model_dump(mode="json")
        self._cooldown = params.cooldown_seconds
        self._evidence = params.evidence_samples
        self._states: dict[str, Any] = {}

    def _fire(self, state: _State, sample: Sample, value: float | str) -> Detection:
        state.armed = False
        state.last_fire = sample.at
        return Detection(
            provider=sample.provider,
            rule=self.rule,
            violation_class=self.violation_class,
            severity=self.severity,
            at=sample.at,
            value=value,
            params=dict(self.params),
            samples=[s.to_json() for s in state.recent],
            detector_params=dict(self._settings_json),
        )

    def forget(self, provider: str) -> None:
        """Drop a provider's state (it left the network): memory stays bounded by live providers."""
        self._states.pop(provider, None)

    def providers(self) -> list[str]:
        return list(self._states)


# --- uptime -------------------------------------------------------------------------------------


class _UptimeState(_Window):
    __slots__ = ("ups", "totals", "up_sum", "total_sum")

    def __init__(self, evidence: int, size: int, bucket: int):
        super().__init__(evidence, size, bucket)
        self.ups = [0] * size
        self.totals = [0] * size
        self.up_sum = 0
        self.total_sum = 0

    def clear(self, slot: int) -> None:
        self.up_sum -= self.ups[slot]
        self.total_sum -= self.totals[slot]
        self.ups[slot] = 0
        self.totals[slot] = 0

    def clear_all(self) -> None:
        self.ups = [0] * self.size
        self.totals = [0] * self.size
        self.up_sum = 0
        self.total_sum = 0


class UptimeDetector(_Rule):
    """Uptime (up samples / samples taken) in the window below the SLA: poor performance, penalty.

    Fires when uptime < ``uptime_sla`` (exactly at the SLA does not fire) with at least
    ``min_samples`` samples in the window; re-arms at uptime >= min(sla + margin, 1).
    """

    rule = "uptime"
    severity = Level.PENALTY

    def __init__(self, params: DetectorParams):
        self._rearm = min(params.uptime_sla + params.uptime_rearm_margin, 1.0)
        super().__init__(params, {
            "window_seconds": params.window_seconds, "bucket_seconds": params.bucket_seconds,
            "sla": params.uptime_sla, "rearm_uptime": self._rearm, "min_samples": params.min_samples,
        })
        self._bucket = params.bucket_seconds
        self._size = params.buckets
        self._sla = params.uptime_sla
        self._min = params.min_samples

    def observe(self, sample: Sample) -> Detection | None:
        up = sample.up
        if up is None or sample.kind != "health":
            return None
        bucket = int(sample.at // self._bucket)
        state = self._states.get(sample.provider)
        if state is None:
            state = self._states[sample.provider] = _UptimeState(self._evidence, self._size, bucket)
        slot = state.slot(bucket)
        if slot < 0:
            return None
        state.recent.append(sample)
        state.totals[slot] += 1
        state.total_sum += 1
        if up:
            state.ups[slot] += 1
            state.up_sum += 1
        total = state.total_sum
        if total < self._min:
            return None
        uptime = state.up_sum / total
        if uptime < self._sla:
            if state.armed and sample.at - state.last_fire >= self._cooldown:
                return self._fire(state, sample, uptime)
        elif uptime >= self._rearm:
            state.armed = True
        return None

    def uptime(self, provider: str) -> float | None:
        """The provider's uptime over the current window (None without samples)."""
        state = self._states.get(provider)
        if state is None or not state.total_sum:
            return None
        return state.up_sum / state.total_sum


# --- latency quantile ---------------------------------------------------------------------------


class _LatencyState(_Window):
    __slots__ = ("hist", "total", "counts", "n", "above", "above_sum", "calm", "calm_sum", "maxes", "bins")

    def __init__(self, evidence: int, size: int, bucket: int, bins: int):
        super().__init__(evidence, size, bucket)
        self.bins = bins
        self.clear_all()

    def clear(self, slot: int) -> None:
        row = self.hist[slot]
        if self.counts[slot]:
            total = self.total
            for index, count in enumerate(row):
                if count:
                    total[index] -= count
                    row[index] = 0
            self.n -= self.counts[slot]
            self.above_sum -= self.above[slot]
            self.calm_sum -= self.calm[slot]
            self.counts[slot] = self.above[slot] = self.calm[slot] = 0
        self.maxes[slot] = 0.0

    def clear_all(self) -> None:
        size, bins = self.size, self.bins
        self.hist = [[0] * bins for _ in range(size)]
        self.total = [0] * bins
        self.counts = [0] * size
        self.above = [0] * size  # samples above the threshold, per bucket
        self.calm = [0] * size   # samples above the re-arm level, per bucket
        self.maxes = [0.0] * size
        self.n = self.above_sum = self.calm_sum = 0


class LatencyP95Detector(_Rule):
    """The window's latency quantile (p95) above a threshold: poor performance, warning.

    Latencies of answered probes (``up`` samples) go into a fixed histogram per time bucket
    (bin i holds latencies in (edge[i-1], edge[i]], the last bin everything above the last edge).
    The threshold and the re-arm level are always bin edges, so "p95 > threshold" is decided
    exactly in O(1): it holds iff fewer than ceil(0.95 n) samples are at or below the threshold
    (nearest rank). The reported p95 comes from a cumulative walk over the bins: the upper edge
    of the bin holding rank ceil(0.95 n), or the window's maximum for the overflow bin.
    Exactly at the threshold does not fire.
    """

    rule = "latency_p95"
    severity = Level.WARNING

    def __init__(self, params: DetectorParams):
        threshold = params.latency_p95_ms
        rearm = threshold * params.latency_rearm_ratio
        self.edges = tuple(sorted(set(params.latency_edges_ms) | {threshold, rearm}))
        super().__init__(params, {
            "window_seconds": params.window_seconds, "bucket_seconds": params.bucket_seconds,
            "quantile": params.latency_quantile, "threshold_ms": threshold, "rearm_ms": rearm,
            "min_samples": params.latency_min_samples, "edges_ms": list(self.edges),
        })
        self._bucket = params.bucket_seconds
        self._size = params.buckets
        self._min = params.latency_min_samples
        self._q = round(params.latency_quantile * _SCALE)
        self._fire_bin = self.edges.index(threshold)  # bins above this one are above the threshold
        self._rearm_bin = self.edges.index(rearm)
        self._bins = len(self.edges) + 1

    def observe(self, sample: Sample) -> Detection | None:
        latency = sample.latency_ms
        if latency is None or not sample.up or sample.kind != "health":
            return None  # a failed probe's latency is the uptime rule's business
        bucket = int(sample.at // self._bucket)
        state = self._states.get(sample.provider)
        if state is None:
            state = self._states[sample.provider] = _LatencyState(self._evidence, self._size, bucket, self._bins)
        slot = state.slot(bucket)
        if slot < 0:
            return None
        state.recent.append(sample)
        index = bisect_left(self.edges, latency)
        state.hist[slot][index] += 1
        state.total[index] += 1
        state.counts[slot] += 1
        state.n += 1
        if index > self._rearm_bin:
            state.calm[slot] += 1
            state.calm_sum += 1
            if index > self._fire_bin:
                state.above[slot] += 1
                state.above_sum += 1
        if latency > state.maxes[slot]:
            state.maxes[slot] = latency
        n = state.n
        if n < self._min:
            return None
        needed = self._q * n
        if (n - state.above_sum) * _SCALE < needed:
            if state.armed and sample.at - state.last_fire >= self._cooldown:
                return self._fire(state, sample, self._walk(state))
        elif (n - state.calm_sum) * _SCALE >= needed:
            state.armed = True
        return None

    def _walk(self, state: _LatencyState) -> float:
        rank = -(-self._q * state.n // _SCALE)  # ceil(q n), the nearest rank
        cumulative = 0
        for index, count in enumerate(state.total):
            cumulative += count
            if cumulative >= rank:
                return self.edges[index] if index < len(self.edges) else max(state.maxes)
        return 0.0

    def quantile(self, provider: str) -> float | None:
        """The provider's latency quantile over the current window, from the histogram."""
        state = self._states.get(provider)
        if state is None or not state.n:
            return None
        return self._walk(state)


# --- error rate ----------------------------------------------------------------------------------


class _ErrorState(_Window):
    __slots__ = ("errors", "requests", "last_errors", "last_requests", "last_at")

    def __init__(self, evidence: int, size: int, bucket: int, sample: Sample):
        super().__init__(evidence, size, bucket)
        self.clear_all()
        self.last_errors = sample.errors_total
        self.last_requests = sample.requests_total
        self.last_at = sample.at

    def clear(self, slot: int) -> None:
        self.errors[slot] = 0.0
        self.requests[slot] = 0.0

    def clear_all(self) -> None:
        self.errors = [0.0] * self.size
        self.requests = [0.0] * self.size


class ErrorRateDetector(_Rule):
    """Errors per request in the window, from Prometheus counters: poor performance, penalty.

    Each scrape adds the counters' increase since the previous scrape to its own time bucket.
    A counter that drops was reset (the node restarted): the scrape becomes the new baseline and
    adds nothing, so a reset never counts as a negative or a huge increase. Fires when the rate
    is above the threshold (exactly at it does not fire) with at least ``error_min_requests``
    requests in the window. Scrapes older than the previous one are ignored.
    """

    rule = "error_rate"
    severity = Level.PENALTY

    def __init__(self, params: DetectorParams):
        self._threshold = params.error_rate_threshold
        self._rearm = params.error_rate_threshold * params.error_rearm_ratio
        super().__init__(params, {
            "window_seconds": params.window_seconds, "bucket_seconds": params.bucket_seconds,
            "threshold": self._threshold, "rearm_rate": self._rearm, "min_requests": params.error_min_requests,
        })
        self._bucket = params.bucket_seconds
        self._size = params.buckets
        self._min = params.error_min_requests

    def observe(self, sample: Sample) -> Detection | None:
        errors, requests = sample.errors_total, sample.requests_total
        if errors is None or requests is None or sample.kind != "metrics":
            return None
        bucket = int(sample.at // self._bucket)
        state = self._states.get(sample.provider)
        if state is None:
            state = self._states[sample.provider] = _ErrorState(self._evidence, self._size, bucket, sample)
            state.recent.append(sample)
            return None
        if sample.at < state.last_at:
            return None
        if errors < state.last_errors or requests < state.last_requests:
            new_errors = new_requests = 0.0  # counter reset: restart the baseline
        else:
            new_errors, new_requests = errors - state.last_errors, requests - state.last_requests
        state.last_errors, state.last_requests, state.last_at = errors, requests, sample.at
        state.recent.append(sample)
        slot = state.slot(bucket)
        state.errors[slot] += new_errors
        state.requests[slot] += new_requests
        total = sum(state.requests)
        if total < self._min:
            return None
        rate = sum(state.errors) / total
        if rate > self._threshold:
            if state.armed and sample.at - state.last_fire >= self._cooldown:
                return self._fire(state, sample, rate)
        elif rate <= self._rearm:
            state.armed = True
        return None


# --- anomaly ------------------------------------------------------------------------------------


class _AnomalyState(_State):
    __slots__ = ("n", "mean", "var")

    def __init__(self, evidence: int):
        super().__init__(evidence)
        self.n = 0
        self.mean = 0.0
        self.var = 0.0


class AnomalyDetector(_Rule):
    """A sample far from the provider's exponentially weighted mean: a warning, never more.

    Tracks the EWMA mean and variance of ``anomaly_field`` (GPU utilization from metrics, or
    the latency of answered probes). The z-score of a sample is taken against the state before
    it; none is reported during the first ``anomaly_warmup`` samples. |z| above ``anomaly_z``
    fires (exactly at it does not), |z| <= ``anomaly_rearm_z`` re-arms. Every sample updates the
    averages, so a lasting shift becomes the new normal. A statistical surprise is not proof of
    a fault: the level is always WARNING (which records and slashes nothing).
    """

    rule = "anomaly"
    severity = Level.WARNING

    def __init__(self, params: DetectorParams):
        super().__init__(params, {
            "field": params.anomaly_field, "alpha": params.anomaly_alpha, "warmup": params.anomaly_warmup,
            "z": params.anomaly_z, "rearm_z": params.anomaly_rearm_z, "min_std": params.anomaly_min_std,
        })
        self._gpu = params.anomaly_field == "gpu_util"
        self._alpha = params.anomaly_alpha
        self._warmup = params.anomaly_warmup
        self._z = params.anomaly_z
        self._rearm = params.anomaly_rearm_z
        self._min_std = params.anomaly_min_std

    def observe(self, sample: Sample) -> Detection | None:
        if self._gpu:
            value = sample.gpu_util
            if value is None or sample.kind != "metrics":
                return None
        else:
            value = sample.latency_ms
            if value is None or not sample.up or sample.kind != "health":
                return None
        state = self._states.get(sample.provider)
        if state is None:
            state = self._states[sample.provider] = _AnomalyState(self._evidence)
        state.recent.append(sample)
        detection = None
        if state.n == 0:
            state.mean = value
        else:
            if state.n >= self._warmup:
                std = math.sqrt(state.var)
                if std < self._min_std:
                    std = self._min_std
                z = (value - state.mean) / std
                if abs(z) > self._z:
                    if state.armed and sample.at - state.last_fire >= self._cooldown:
                        detection = self._fire(state, sample, z)
                elif abs(z) <= self._rearm:
                    state.armed = True
            diff = value - state.mean
            step = self._alpha * diff
            state.mean += step
            state.var = (1.0 - self._alpha) * (state.var + diff * step)
        state.n += 1
        return detection


# --- software hash and data integrity ------------------------------------------------------------


class SoftwareHashDetector(_Rule):
    """A node that answers its health probe without the registered build: security breach, penalty.

    Compared case-insensitively. A node that is up but reports no hash at all counts as a
    mismatch (value ""): omitting the hash must not dodge the check. Probes of a node that is
    down say nothing about its software and are ignored. One detection per mismatch episode: the
    rule re-arms when the expected hash is reported again (and honours the cooldown).
    """

    rule = "software_hash"
    violation_class = ViolationClass.SECURITY_BREACH
    severity = Level.PENALTY

    def __init__(self, params: DetectorParams, expected: str):
        if not isinstance(expected, str) or not expected:
            raise ValueError("the expected software hash must be a non-empty string")
        self.expected = expected.lower()
        super().__init__(params, {"expected": self.expected})

    def observe(self, sample: Sample) -> Detection | None:
        if not sample.up or sample.kind != "health":
            return None
        state = self._states.get(sample.provider)
        if state is None:
            state = self._states[sample.provider] = _State(self._evidence)
        state.recent.append(sample)
        reported = sample.software_hash
        if reported is not None and reported.lower() == self.expected:
            state.armed = True
            return None
        if state.armed and sample.at - state.last_fire >= self._cooldown:
            return self._fire(state, sample, reported or "")
        return None


class IntegrityDetector(_Rule):
    """A wrong or malformed answer to a data-integrity challenge: protocol violation, penalty.

    Only ``integrity_ok is False`` counts: a challenge that got no answer (``None``: the node
    was unreachable) is the uptime rule's business. One detection per failure episode: the rule
    re-arms after a correct answer (and honours the cooldown).
    """

    rule = "data_integrity"
    violation_class = ViolationClass.PROTOCOL_VIOLATION
    severity = Level.PENALTY

    def __init__(self, params: DetectorParams):
        super().__init__(params, {})

    def observe(self, sample: Sample) -> Detection | None:
        if sample.kind != "integrity":
            return None
        state = self._states.get(sample.provider)
        if state is None:
            state = self._states[sample.provider] = _State(self._evidence)
        state.recent.append(sample)
        ok = sample.integrity_ok
        if ok:
            state.armed = True
        elif ok is False and state.armed and sample.at - state.last_fire >= self._cooldown:
            return self._fire(state, sample, "challenge failed")
        return None


# --- the set of rules ----------------------------------------------------------------------------


class DetectorSet:
    """Every rule built from one ``DetectorParams``, with samples routed by kind.

    Without an expected software hash there is no software-hash rule.
    """

    def __init__(self, params: DetectorParams, expected_software_hash: str | None):
        self.params = params
        self.uptime = UptimeDetector(params)
        self.latency = LatencyP95Detector(params)
        self.errors = ErrorRateDetector(params)
        self.anomaly = AnomalyDetector(params)
        self.integrity = IntegrityDetector(params)
        self.software = SoftwareHashDetector(params, expected_software_hash) if expected_software_hash else None
        health: list[Detector] = [self.uptime, self.latency]
        if self.software is not None:
            health.append(self.software)
        metrics: list[Detector] = [self.errors]
        (metrics if params.anomaly_field == "gpu_util" else health).append(self.anomaly)
        self.detectors: list[_Rule] = [d for d in (self.uptime, self.latency, self.errors, self.anomaly,
                                                    self.software, self.integrity) if d is not None]
        self._routes = {
            "health": tuple(d.observe for d in health),
            "metrics": tuple(d.observe for d in metrics),
            "integrity": (self.integrity.observe,),
        }

    def observe(self, sample: Sample) -> list[Detection]:
        """The detections this sample triggers (usually none)."""
        found = []
        for observe in self._routes.get(sample.kind, ()):
            detection = observe(sample)
            if detection is not None:
                found.append(detection)
        return found

    def observe_all(self, samples: Iterable[Sample]) -> list[Detection]:
        found = []
        for sample in samples:
            found.extend(self.observe(sample))
        return found

    def forget(self, provider: str) -> None:
        for detector in self.detectors:
            detector.forget(provider)


# --- observation epochs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EpochResult:
    """What one observation epoch showed. ``complete`` is False when samples from before the
    epoch's start may have been dropped to keep memory bounded (the epoch was judged on what
    remained)."""

    healthy: bool
    data_intact: bool
    samples: int            # health samples in the epoch
    integrity_checks: int   # integrity challenges in the epoch (answered or not)
    uptime: float
    complete: bool = True


class RestorationMeter:
    """Health and integrity totals per provider and time bucket, judged per observation epoch.

    Each ``bucket_seconds`` bucket keeps four counts (health samples, of them up, integrity
    challenges, of them answered correctly), at most ``restoration_capacity`` buckets per
    provider. An epoch [start, end) sums the buckets whose middle falls inside it, so its edges
    are exact to half a bucket. The totals are what the daemon persists: :meth:`dirty` hands out
    the buckets changed since the last save and :meth:`restore` loads them back after a restart.

    An epoch is healthy with at least ``restoration_min_samples`` health samples and uptime at
    or above ``uptime_sla``; data-intact with at least ``restoration_min_integrity_checks``
    challenges, every one of them answered correctly (a provider proving its recovery must
    answer every challenge: an unanswered one counts against it).

    :meth:`watch` restricts recording to the providers whose epochs can be judged (those under
    an incident); by default every provider is recorded.
    """

    def __init__(self, params: DetectorParams | None = None):
        self.params = params or DetectorParams()
        self._width = self.params.bucket_seconds
        self._buckets: dict[str, dict[int, list[int]]] = {}
        self._dropped: dict[str, int] = {}  # newest bucket dropped to stay within capacity
        self._dirty: dict[str, set[int]] = {}
        self._watched: set[str] | None = None

    def watch(self, providers: set[str] | None) -> None:
        """Record only ``providers`` from now on (None: every provider). A provider no longer
        watched is forgotten."""
        if providers is not None:
            for provider in [p for p in self._buckets if p not in providers]:
                self.forget(provider)
        self._watched = providers

    def record(self, sample: Sample) -> None:
        if sample.kind == "health":
            if sample.up is None:
                return
            ok = sample.up is True
        elif sample.kind == "integrity":
            ok = sample.integrity_ok is True
        else:
            return
        provider = sample.provider
        if self._watched is not None and provider not in self._watched:
            return
        bucket = int(sample.at // self._width)
        kept = self._buckets.get(provider)
        if kept is None:
            kept = self._buckets[provider] = {}
        counts = kept.get(bucket)
        if counts is None:
            counts = kept[bucket] = [0, 0, 0, 0]
            if len(kept) > self.params.restoration_capacity:
                self._drop_oldest(provider, kept)
        offset = 0 if sample.kind == "health" else 2
        counts[offset] += 1
        counts[offset + 1] += ok
        self._dirty.setdefault(provider, set()).add(bucket)

    def _drop_oldest(self, provider: str, kept: dict[int, list[int]]) -> None:
        oldest = min(kept)
        del kept[oldest]
        self._dropped[provider] = max(self._dropped.get(provider, oldest), oldest)
        self._dirty.get(provider, set()).discard(oldest)

    def judge(self, provider: str, start: float, end: float) -> EpochResult:
        """The epoch [start, end): the buckets whose middle is at or after start and before end."""
        kept = self._buckets.get(provider, {})
        width = self._width
        first = math.ceil(start / width - 0.5)   # smallest bucket with (b + 0.5) * width >= start
        last = math.ceil(end / width - 0.5)      # buckets before this one end before `end`
        health = up = checks = correct = 0
        for bucket, counts in kept.items():
            if first <= bucket < last:
                health += counts[0]
                up += counts[1]
                checks += counts[2]
                correct += counts[3]
        params = self.params
        uptime = up / health if health else 0.0
        dropped = self._dropped.get(provider)
        return EpochResult(
            healthy=health >= params.restoration_min_samples and uptime >= params.uptime_sla,
            data_intact=checks >= params.restoration_min_integrity_checks and correct == checks,
            samples=health,
            integrity_checks=checks,
            uptime=uptime,
            complete=dropped is None or dropped < first,
        )

    def dirty(self) -> list[tuple[str, int, int, int, int, int]]:
        """Buckets changed since :meth:`saved`: ``(provider, bucket, health, up, checks, correct)``."""
        rows = []
        for provider, buckets in self._dirty.items():
            kept = self._buckets.get(provider, {})
            rows.extend((provider, b, *kept[b]) for b in sorted(buckets) if b in kept)
        return rows

    def saved(self) -> None:
        """The buckets :meth:`dirty` returned are saved."""
        self._dirty.clear()

    def restore(self, rows: Iterable[tuple[str, int, int, int, int, int]]) -> int:
        """Load persisted buckets (as :meth:`dirty` returned them); returns how many were loaded."""
        loaded = 0
        for provider, bucket, health, up, checks, correct in rows:
            if self._watched is not None and provider not in self._watched:
                continue
            kept = self._buckets.setdefault(provider, {})
            kept[int(bucket)] = [int(health), int(up), int(checks), int(correct)]
            if len(kept) > self.params.restoration_capacity:
                self._drop_oldest(provider, kept)
            loaded += 1
        return loaded

    def oldest_bucket(self, now: float) -> int:
        """The oldest bucket still worth keeping at wall time ``now``."""
        return int(now // self._width) - self.params.restoration_capacity

    def forget(self, provider: str) -> None:
        self._buckets.pop(provider, None)
        self._dropped.pop(provider, None)
        self._dirty.pop(provider, None)


# --- throughput -----------------------------------------------------------------------------------


def synthetic_health(n: int, providers: int = 100, seed: int = 7, expected_hash: str = "0x" + "ab" * 32) -> list[Sample]:
    """``n`` health samples of ``providers`` nodes probed once a second each: mostly up and fast,
    a few down, slow or reporting another build."""
    rng = random.Random(seed)
    addresses = ["0x" + f"{i + 1:040x}" for i in range(providers)]
    other = "0x" + "cd" * 32
    samples = []
    for i in range(n):
        roll = rng.random()
        samples.append(Sample(
            provider=addresses[i % providers],
            at=1_700_000_000.0 + i / providers,
            kind="health",
            up=roll > 0.03,
            latency_ms=rng.expovariate(1 / 40.0) if roll < 0.99 else 2500.0,
            software_hash=expected_hash if roll < 0.999 else other,
        ))
    return samples


def measure_throughput(n: int = 200_000) -> float:
    """Health samples per second through ``DetectorSet.observe`` on this core (default params).

    Builds the samples first and times only the detection loop.
    """
    expected = "0x" + "ab" * 32
    samples = synthetic_health(n, expected_hash=expected)
    detectors = DetectorSet(DetectorParams(), expected)
    observe = detectors.observe
    started = time.perf_counter()
    for sample in samples:
        observe(sample)
    elapsed = time.perf_counter() - started
    return n / elapsed if elapsed > 0 else math.inf


if __name__ == "__main__":
    print(f"{measure_throughput():,.0f} health samples/s through DetectorSet.observe")
