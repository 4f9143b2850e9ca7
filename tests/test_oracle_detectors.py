"""Detection rules on synthetic series: thresholds (which side fires), one detection per failure,
re-arming, flapping nodes, gaps in the data, counter resets, anomaly warm-up; samples and evidence."""

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_support import BAD_HASH, GOOD_HASH, OTHER, PROVIDER, T0, gpu, health, integrity, metrics
from pydantic import ValidationError

from swarm_stake.evidence import canonical_json, evidence_hash
from swarm_stake.models import Level, ViolationClass
from swarm_stake.oracle.detectors import (
    AnomalyDetector,
    DetectorParams,
    DetectorSet,
    ErrorRateDetector,
    IntegrityDetector,
    LatencyP95Detector,
    RestorationMeter,
    SoftwareHashDetector,
    UptimeDetector,
    measure_throughput,
)
from swarm_stake.oracle.samples import Detection, Sample

pytestmark = pytest.mark.unit

# Small windows and no cooldown unless a test is about the cooldown.
P = DetectorParams(window_seconds=10, bucket_seconds=1, min_samples=5, cooldown_seconds=0)


def feed(detector, samples):
    found = []
    for sample in samples:
        detection = detector.observe(sample)
        if detection is not None:
            found.append(detection)
    return found


# --- samples and evidence ---------------------------------------------------------------------------


def test_sample_json_round_trip_drops_none_fields():
    sample = Sample(PROVIDER, T0, "health", up=True, latency_ms=12.5, software_hash=GOOD_HASH)
    data = sample.to_json()
    assert data == {"provider": PROVIDER, "at": T0, "kind": "health", "up": True, "latency_ms": 12.5, "software_hash": GOOD_HASH}
    assert Sample.from_json(data) == sample


def test_sample_from_json_checksums_the_provider_and_takes_ints_as_numbers():
    sample = Sample.from_json({"provider": "0x" + "ab" * 20, "at": 5, "kind": "metrics", "requests_total": 3})
    assert sample.provider == "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB"
    assert sample.at == 5.0 and isinstance(sample.at, float)
    assert sample.requests_total == 3.0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "JSON object"),
        ({"provider": PROVIDER, "kind": "health"}, "'at'"),
        ({"provider": PROVIDER, "at": 1, "kind": "health", "color": "red"}, "unknown sample fields"),
        ({"provider": PROVIDER, "at": 1, "kind": "weather"}, "kind"),
        ({"provider": "0x1234", "at": 1, "kind": "health"}, "not an address"),
        ({"provider": 7, "at": 1, "kind": "health"}, "provider"),
        ({"provider": PROVIDER, "at": "1", "kind": "health"}, "at must be a number"),
        ({"provider": PROVIDER, "at": True, "kind": "health"}, "at must be a number"),
        ({"provider": PROVIDER, "at": math.nan, "kind": "health"}, "finite"),
        ({"provider": PROVIDER, "at": 10**400, "kind": "health"}, "out of range"),
        ({"provider": PROVIDER, "at": 1, "kind": "health", "latency_ms": math.inf}, "latency_ms must be finite"),
        ({"provider": PROVIDER, "at": 1, "kind": "health", "up": 1}, "up must be true or false"),
        ({"provider": PROVIDER, "at": 1, "kind": "integrity", "integrity_ok": "yes"}, "integrity_ok"),
        ({"provider": PROVIDER, "at": 1, "kind": "health", "software_hash": 5}, "software_hash must be a string"),
        ({"provider": PROVIDER, "at": 1, "kind": "health", "detail": "x" * 513}, "detail is longer"),
    ],
)
def test_sample_from_json_rejects(data, message):
    with pytest.raises(ValueError, match=message):
        Sample.from_json(data)


def test_detection_evidence_is_canonical_json_with_the_agreed_keys():
    detection = Detection(PROVIDER, "uptime", ViolationClass.POOR_PERFORMANCE, Level.PENALTY, T0 + 1.5, 0.8,
                          {"sla": 0.9, "window_seconds": 30.0}, [health(1).to_json()])
    bundle = detection.evidence(OTHER)
    assert set(bundle) == {"provider", "rule", "params", "value", "violation_class", "severity", "at", "oracle", "samples",
                           "detector_params"}  # fmt: skip
    assert bundle["violation_class"] == 0 and bundle["severity"] == 1 and bundle["oracle"] == OTHER
    assert type(bundle["violation_class"]) is int
    canonical_json(bundle)
    assert evidence_hash(bundle) == evidence_hash(detection.evidence(OTHER))
    assert evidence_hash(bundle) != evidence_hash(detection.evidence(PROVIDER))


def test_detection_evidence_refuses_a_non_finite_value():
    detection = Detection(PROVIDER, "anomaly", ViolationClass.POOR_PERFORMANCE, Level.WARNING, T0, math.inf, {}, [])
    with pytest.raises(ValueError, match="finite"):
        detection.evidence(OTHER)


def test_params_are_validated():
    with pytest.raises(ValidationError):
        DetectorParams(uptime_sla=1.5)
    with pytest.raises(ValidationError):
        DetectorParams(window_seconds=0.5, bucket_seconds=1)
    with pytest.raises(ValidationError):
        DetectorParams(latency_edges_ms=(10.0, 5.0))
    with pytest.raises(ValidationError):
        DetectorParams(anomaly_z=2, anomaly_rearm_z=3)
    with pytest.raises(ValidationError):
        DetectorParams(surprise=1)
    assert DetectorParams().buckets == 30


# --- uptime -----------------------------------------------------------------------------------------


def test_uptime_exactly_at_the_sla_does_not_fire_below_it_does():
    detector = UptimeDetector(P)
    # Ten samples, the last one down: uptime 0.9 == SLA -> no detection.
    assert feed(detector, [health(t, up=(t != 9)) for t in range(10)]) == []
    assert detector.uptime(PROVIDER) == 0.9
    # The sample at t=10 pushes t=0 out of the 10-bucket window: 8 of 10 up -> fires.
    (detection,) = feed(detector, [health(10, up=False)])
    assert detection.rule == "uptime" and detection.value == 0.8
    assert (detection.violation_class, detection.severity) == (ViolationClass.POOR_PERFORMANCE, Level.PENALTY)
    assert detection.at == T0 + 10
    assert detection.params["sla"] == 0.9 and detection.params["window_seconds"] == 10


def test_uptime_needs_min_samples_in_the_window():
    detector = UptimeDetector(P)
    assert feed(detector, [health(t, up=False) for t in range(4)]) == []
    (detection,) = feed(detector, [health(4, up=False)])
    assert detection.value == 0.0
    assert [s["at"] for s in detection.samples] == [T0 + t for t in range(5)]


def test_uptime_fires_once_while_the_outage_lasts_and_re_arms_after_recovery():
    detector = UptimeDetector(P)
    first = feed(detector, [health(t, up=False) for t in range(100)])
    assert len(first) == 1
    # Recovering to 0.9 (inside the hysteresis band, below 0.95) does not re-arm...
    feed(detector, [health(100 + t, up=True) for t in range(9)])
    assert detector.uptime(PROVIDER) == 0.9
    assert feed(detector, [health(109 + t, up=False) for t in range(2)]) == []
    # ...a clear recovery does, and the next outage is a new detection.
    feed(detector, [health(200 + t, up=True) for t in range(10)])
    assert len(feed(detector, [health(210 + t, up=False) for t in range(10)])) == 1


def test_uptime_flapping_node_yields_at_most_one_detection_per_cooldown():
    params = DetectorParams(window_seconds=10, bucket_seconds=1, min_samples=5, cooldown_seconds=120)
    detector = UptimeDetector(params)
    # 15 s down, 45 s up, for 20 minutes: the rule fails and recovers every minute.
    series = [health(t, up=(t % 60) >= 15) for t in range(1200)]
    found = feed(detector, series)
    times = [d.at for d in found]
    assert 2 <= len(found) <= 1200 // 120
    assert all(b - a >= 120 for a, b in zip(times, times[1:]))
    # Without the cooldown the same node fires once per flap.
    assert len(feed(UptimeDetector(P), series)) == 20


def test_uptime_gap_in_data_is_not_an_outage():
    detector = UptimeDetector(P)
    feed(detector, [health(t) for t in range(20)])
    # The oracle stopped measuring for 1000 s: nothing was observed, nothing is judged.
    assert feed(detector, [health(1020 + t, up=False) for t in range(3)]) == []
    assert detector.uptime(PROVIDER) == 0.0  # only the 3 samples taken after the gap count
    # A gap shorter than the window keeps what was measured before it.
    other = UptimeDetector(P)
    feed(other, [health(t, provider=OTHER) for t in range(3)])
    feed(other, [health(7 + t, provider=OTHER) for t in range(2)])
    assert other.uptime(OTHER) == 1.0


def test_uptime_ignores_samples_older_than_the_window_and_other_kinds():
    detector = UptimeDetector(P)
    feed(detector, [health(100 + t) for t in range(10)])
    assert feed(detector, [health(50, up=False) for _ in range(20)]) == []
    assert detector.uptime(PROVIDER) == 1.0
    assert detector.observe(integrity(110, False)) is None
    assert detector.observe(Sample(PROVIDER, T0 + 111, "health")) is None  # no up/down recorded


def test_uptime_keeps_providers_apart_and_forgets():
    detector = UptimeDetector(P)
    feed(detector, [health(t, up=False, provider=OTHER) for t in range(4)])
    feed(detector, [health(t, up=True) for t in range(10)])
    assert detector.uptime(PROVIDER) == 1.0 and detector.uptime(OTHER) == 0.0
    detector.forget(OTHER)
    assert detector.uptime(OTHER) is None and detector.providers() == [PROVIDER]


def test_evidence_is_bounded():
    detector = UptimeDetector(DetectorParams(window_seconds=1000, cooldown_seconds=0, evidence_samples=16))
    feed(detector, [health(t) for t in range(500)])
    (detection,) = feed(detector, [health(500 + t, up=False) for t in range(200)])
    assert len(detection.samples) == 16
    assert detection.samples[-1]["at"] == detection.at


# --- latency ----------------------------------------------------------------------------------------


def test_latency_p95_exactly_at_the_threshold_does_not_fire_above_it_does():
    params = P.model_copy(update={"latency_min_samples": 20})
    detector = LatencyP95Detector(params)
    assert feed(detector, [health(t * 0.1, latency=1000.0) for t in range(20)]) == []
    assert detector.quantile(PROVIDER) == 1000.0
    # n=20: the nearest rank of p95 is 19, so one slow sample in 20 is still fine...
    other = LatencyP95Detector(params)
    assert feed(other, [health(t * 0.1, latency=100.0, provider=OTHER) for t in range(19)]) == []
    assert feed(other, [health(1.9, latency=1200.0, provider=OTHER)]) == []
    assert other.quantile(OTHER) == 100.0
    # ...two are not: p95 falls in the (1000, 1500] bin.
    (detection,) = feed(other, [health(2.0, latency=1200.0, provider=OTHER)])
    assert detection.value == 1500.0
    assert (detection.violation_class, detection.severity) == (ViolationClass.POOR_PERFORMANCE, Level.WARNING)
    assert detection.params["threshold_ms"] == 1000.0


def test_latency_reports_the_window_maximum_beyond_the_last_edge():
    detector = LatencyP95Detector(P)
    (detection,) = feed(detector, [health(t, latency=60_000.0 + t) for t in range(10)])
    assert detection.value == 60_009.0


def test_latency_ignores_failed_probes_fires_once_and_re_arms():
    detector = LatencyP95Detector(P)
    assert feed(detector, [health(t, up=False, latency=9000.0) for t in range(50)]) == []
    assert len(feed(detector, [health(100 + t, latency=3000.0) for t in range(50)])) == 1
    # 900 ms is below the threshold but above the re-arm level (800 ms): still disarmed.
    feed(detector, [health(200 + t, latency=900.0) for t in range(20)])
    assert feed(detector, [health(220 + t, latency=3000.0) for t in range(20)]) == []
    feed(detector, [health(300 + t, latency=50.0) for t in range(20)])
    assert len(feed(detector, [health(320 + t, latency=3000.0) for t in range(20)])) == 1


def test_latency_window_expires_by_sample_time():
    detector = LatencyP95Detector(P.model_copy(update={"latency_p95_ms": 500.0}))
    feed(detector, [health(t * 0.5, latency=400.0) for t in range(20)])
    assert detector.quantile(PROVIDER) == 400.0
    feed(detector, [health(100 + t * 0.5, latency=40.0) for t in range(20)])
    assert detector.quantile(PROVIDER) == 50.0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0.1, max_value=20_000.0), min_size=1, max_size=120))
def test_latency_decision_matches_the_sorted_nearest_rank_p95(latencies):
    """The O(1) decision agrees with sorting the window (what the detector never does)."""
    n = len(latencies)
    params = DetectorParams(window_seconds=1000, cooldown_seconds=0, latency_min_samples=n, latency_p95_ms=1000.0)
    detector = LatencyP95Detector(params)
    found = feed(detector, [health(i * 0.01, latency=x) for i, x in enumerate(latencies)])
    true_p95 = sorted(latencies)[math.ceil(0.95 * n) - 1]
    assert bool(found) == (true_p95 > 1000.0)
    estimate = detector.quantile(PROVIDER)
    edges = detector.edges
    below = max([e for e in edges if e < true_p95], default=0.0)
    assert below < true_p95 <= estimate  # the walk returns the upper edge of p95's bin
    assert estimate == (min(e for e in edges if e >= true_p95) if true_p95 <= edges[-1] else max(latencies))


# --- error rate -------------------------------------------------------------------------------------


def test_error_rate_exactly_at_the_threshold_does_not_fire_above_it_does():
    detector = ErrorRateDetector(P)
    assert feed(detector, [metrics(0, 0, 0), metrics(1, 100, 5)]) == []  # 5 / 100 == 0.05
    (detection,) = feed(detector, [metrics(2, 200, 16)])                 # 16 / 200 > 0.05
    assert detection.value == 0.08
    assert (detection.violation_class, detection.severity) == (ViolationClass.POOR_PERFORMANCE, Level.PENALTY)


def test_error_rate_needs_enough_requests():
    detector = ErrorRateDetector(P)
    assert feed(detector, [metrics(0, 0, 0), metrics(1, 19, 19)]) == []
    assert len(feed(detector, [metrics(2, 20, 20)])) == 1


def test_counter_reset_restarts_the_baseline():
    # A reset never counts as a negative increase: the restart to 0 must not cancel the 1000
    # requests already seen in the window (that would make 3 errors in 30 requests a 10% rate).
    detector = ErrorRateDetector(P)
    assert feed(detector, [metrics(0, 0, 0), metrics(1, 1000, 0), metrics(2, 0, 0), metrics(3, 30, 3)]) == []
    # The scrape after a reset is the new baseline, not an increase from zero (which would add
    # 25 errors in 25 requests to a window of 30 good requests).
    detector = ErrorRateDetector(P)
    assert feed(detector, [metrics(0, 0, 0), metrics(1, 30, 0), metrics(2, 25, 25)]) == []
    # The errors counter dropping alone is a reset too, and the rule still works afterwards.
    assert feed(detector, [metrics(3, 600, 0), metrics(4, 700, 1)]) == []
    (detection,) = feed(detector, [metrics(5, 800, 101)])
    assert detection.value == 101 / 230


def test_error_rate_window_and_rearm():
    detector = ErrorRateDetector(P)
    assert len(feed(detector, [metrics(t, 100 * t, 50 * t) for t in range(30)])) == 1
    # 4% errors: below the threshold, above the re-arm level (2.5%): stays disarmed.
    feed(detector, [metrics(30 + t, 3000 + 100 * t, 1500 + 4 * t) for t in range(1, 30)])
    assert feed(detector, [metrics(60 + t, 6000 + 100 * t, 3000 + 50 * t) for t in range(1, 30)]) == []
    # 1% errors over a whole window re-arms.
    feed(detector, [metrics(100 + t, 10_000 + 100 * t, 5000 + t) for t in range(1, 30)])
    assert len(feed(detector, [metrics(130 + t, 13_000 + 100 * t, 6000 + 50 * t) for t in range(1, 30)])) == 1


def test_error_rate_ignores_out_of_order_and_incomplete_scrapes():
    detector = ErrorRateDetector(P)
    feed(detector, [metrics(0, 0, 0), metrics(5, 100, 0)])
    assert detector.observe(metrics(3, 50, 50)) is None
    assert detector.observe(Sample(PROVIDER, T0 + 6, "metrics", requests_total=200.0)) is None
    assert feed(detector, [metrics(7, 200, 1)]) == []


# --- anomaly ----------------------------------------------------------------------------------------


def steady(count, start=0.0, level=0.6, noise=0.01, seed=1):
    rng = random.Random(seed)
    return [gpu(start + t, level + rng.uniform(-noise, noise)) for t in range(count)]


def test_anomaly_is_silent_during_warm_up():
    detector = AnomalyDetector(P)
    # Wild values while warming up: the first 30 samples never alert.
    assert feed(detector, [gpu(t, (t % 2) * 1.0) for t in range(30)]) == []


def test_anomaly_fires_after_warm_up_at_most_warning():
    detector = AnomalyDetector(P)
    assert feed(detector, steady(60)) == []
    (detection,) = feed(detector, [gpu(60, 0.0)])
    assert detection.rule == "anomaly" and detection.value < -4
    assert (detection.violation_class, detection.severity) == (ViolationClass.POOR_PERFORMANCE, Level.WARNING)


def test_anomaly_exactly_at_z_does_not_fire_above_it_does():
    # A flat series has no variance: the standard deviation floor (0.25) is used, so
    # z = (1.5 - 0.5) / 0.25 = 4 exactly.
    params = P.model_copy(update={"anomaly_min_std": 0.25})
    at_z = AnomalyDetector(params)
    feed(at_z, [gpu(t, 0.5) for t in range(40)])
    assert at_z.observe(gpu(40, 1.5)) is None
    above = AnomalyDetector(params)
    feed(above, [gpu(t, 0.5) for t in range(40)])
    detection = above.observe(gpu(40, 1.5000001))
    assert detection is not None and detection.value > 4


def test_anomaly_fires_once_per_episode_and_a_shift_becomes_normal():
    detector = AnomalyDetector(P)
    feed(detector, steady(60))
    found = feed(detector, [gpu(60 + t, 0.1) for t in range(200)])
    assert len(found) == 1  # the level shifted; the EWMA follows it and the rule re-arms quietly
    assert feed(detector, steady(100, start=300, level=0.1)) == []
    assert len(feed(detector, [gpu(400, 0.9)])) == 1


def test_anomaly_on_latency_routes_health_samples():
    params = P.model_copy(update={"anomaly_field": "latency_ms", "anomaly_min_std": 1.0})
    detectors = DetectorSet(params, GOOD_HASH)
    assert not any(d.rule == "anomaly" for t in range(60) for d in detectors.observe(health(t, latency=20.0 + t % 3)))
    found = detectors.observe(health(60, latency=400.0))
    assert [d.rule for d in found] == ["anomaly"]
    assert found[0].severity == Level.WARNING
    assert detectors.observe(gpu(61, 0.0)) == []


# --- software hash and integrity --------------------------------------------------------------------


def test_software_hash_mismatch_is_one_security_breach_per_episode():
    detector = SoftwareHashDetector(P, GOOD_HASH)
    assert feed(detector, [health(t) for t in range(5)]) == []
    found = feed(detector, [health(5 + t, software_hash=BAD_HASH) for t in range(50)])
    assert len(found) == 1
    assert (found[0].violation_class, found[0].severity) == (ViolationClass.SECURITY_BREACH, Level.PENALTY)
    assert found[0].value == BAD_HASH and found[0].params == {"expected": GOOD_HASH, "cooldown_seconds": 0}
    # The expected build again ends the episode; the next mismatch is a new one.
    feed(detector, [health(60, software_hash=GOOD_HASH.upper().replace("0X", "0x"))])
    assert len(feed(detector, [health(61, software_hash=BAD_HASH)])) == 1


def test_software_hash_missing_while_up_counts_down_is_ignored():
    detector = SoftwareHashDetector(P, GOOD_HASH)
    assert feed(detector, [health(t, up=False, software_hash=None) for t in range(10)]) == []
    (detection,) = feed(detector, [health(10, software_hash=None)])
    assert detection.value == ""


def test_software_hash_flapping_respects_the_cooldown():
    params = P.model_copy(update={"cooldown_seconds": 60})
    detector = SoftwareHashDetector(params, GOOD_HASH)
    found = feed(detector, [health(t, software_hash=BAD_HASH if t % 2 else GOOD_HASH) for t in range(300)])
    assert len(found) == 5
    assert all(b.at - a.at >= 60 for a, b in zip(found, found[1:]))


def test_integrity_failure_is_a_protocol_violation_once_per_episode():
    detector = IntegrityDetector(P)
    assert feed(detector, [integrity(0, True), integrity(1, None), integrity(2, None)]) == []
    found = feed(detector, [integrity(3 + t, False) for t in range(5)])
    assert len(found) == 1
    assert (found[0].violation_class, found[0].severity) == (ViolationClass.PROTOCOL_VIOLATION, Level.PENALTY)
    assert [s.get("integrity_ok") for s in found[0].samples] == [True, None, None, False]
    assert feed(detector, [integrity(10, None), integrity(11, False)]) == []  # unanswered does not re-arm
    assert len(feed(detector, [integrity(12, True), integrity(13, False)])) == 1


# --- the set ----------------------------------------------------------------------------------------


def test_detector_set_routes_by_kind():
    detectors = DetectorSet(P, GOOD_HASH)
    found = []
    for t in range(20):
        found += detectors.observe(health(t * 0.5, up=t % 2 == 0, latency=5000.0, software_hash=BAD_HASH))
    assert sorted(d.rule for d in found) == ["latency_p95", "software_hash", "uptime"]
    assert [d.rule for d in detectors.observe(integrity(10, False))] == ["data_integrity"]
    found = detectors.observe_all([metrics(11, 0, 0), metrics(12, 100, 50)])
    assert [d.rule for d in found] == ["error_rate"]
    assert {d.rule for d in detectors.detectors} == {
        "uptime", "latency_p95", "error_rate", "anomaly", "software_hash", "data_integrity"}
    detectors.forget(PROVIDER)
    assert all(d.providers() == [] for d in detectors.detectors)


def test_detector_set_without_expected_hash_has_no_software_rule():
    detectors = DetectorSet(P, None)
    assert detectors.software is None
    assert detectors.observe_all([health(t, software_hash=BAD_HASH) for t in range(20)]) == []


def test_no_rule_is_configured_above_its_level():
    """Whatever the parameters, an anomaly is a warning, and no rule is SEVERE."""
    detectors = DetectorSet(DetectorParams(anomaly_z=0.1, anomaly_rearm_z=0.0, anomaly_warmup=2), GOOD_HASH)
    assert detectors.anomaly.severity == Level.WARNING
    assert all(d.severity < Level.SEVERE for d in detectors.detectors)


def test_measure_throughput_returns_samples_per_second():
    assert measure_throughput(2000) > 0


# --- restoration epochs -------------------------------------------------------------------------------


def test_restoration_epoch_bounds_and_verdict():
    meter = RestorationMeter(P)
    for t in range(20):
        meter.record(health(t, up=t != 3))   # epoch [0, 10): 9 of 10 up == SLA -> healthy
        meter.record(integrity(t + 0.5, True))
    meter.record(gpu(5, 0.5))  # metrics are not part of an epoch
    result = meter.judge(PROVIDER, T0, T0 + 10)
    assert (result.samples, result.integrity_checks, result.uptime) == (10, 10, 0.9)
    assert result.healthy and result.data_intact and result.complete
    assert meter.judge(PROVIDER, T0 + 10, T0 + 20).samples == 10
    assert meter.judge(PROVIDER, T0 + 2.5, T0 + 3.5).samples == 1   # start inclusive...
    assert meter.judge(PROVIDER, T0 + 2, T0 + 3).samples == 1       # ...end exclusive


def test_restoration_unhealthy_or_not_intact():
    meter = RestorationMeter(P)
    for t in range(10):
        meter.record(health(t, up=t > 1))          # 8 of 10 up
        meter.record(integrity(t, None if t == 4 else True))
    result = meter.judge(PROVIDER, T0, T0 + 10)
    assert not result.healthy and result.uptime == 0.8
    assert not result.data_intact  # an unanswered challenge does not prove the data is there
    assert meter.judge(PROVIDER, T0 + 5, T0 + 10).data_intact
    few = meter.judge(PROVIDER, T0 + 6, T0 + 10)
    assert few.samples == 4 and not few.healthy  # below restoration_min_samples
    empty = meter.judge(OTHER, T0, T0 + 10)
    assert (empty.healthy, empty.data_intact, empty.samples, empty.uptime) == (False, False, 0, 0.0)
    meter.record(integrity(20, False))
    assert not meter.judge(PROVIDER, T0 + 20, T0 + 21).data_intact


def test_restoration_memory_is_bounded_and_says_so():
    meter = RestorationMeter(P.model_copy(update={"restoration_capacity": 16}))
    for t in range(100):
        meter.record(health(t))
    assert meter.judge(PROVIDER, T0 + 90, T0 + 100).complete
    partial = meter.judge(PROVIDER, T0, T0 + 100)
    assert partial.samples == 16 and not partial.complete
