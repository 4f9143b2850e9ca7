"""`evidence_review.rerun`: a daemon's evidence bundle carries every detector setting, and its rule,
built again from them and fed the bundle's samples, reproduces the recorded detection; bundles
that cannot be re-run say why. No chain: the bundles go through canonical JSON as a server serves them."""

from __future__ import annotations

import json

import pytest
from oracle_support import BAD_HASH, GOOD_HASH, PROVIDER, gpu, health, integrity, metrics

from swarm_stake.evidence import canonical_json
from swarm_stake.evidence_review import rerun
from swarm_stake.oracle.detectors import DetectorParams, DetectorSet

pytestmark = pytest.mark.unit

#: Settings unlike the defaults, so a replay with the defaults would judge differently.
SETTINGS = DetectorParams(window_seconds=12, bucket_seconds=1, min_samples=4, cooldown_seconds=5, uptime_sla=0.8,
                          latency_p95_ms=300, latency_min_samples=5, error_min_requests=10, anomaly_warmup=10,
                          anomaly_z=3.0)  # fmt: skip


def steady_gpu(n):
    return [gpu(t, 0.5 + 0.01 * (t % 3)) for t in range(n)]


#: For each rule, samples that make it fire (as a node that breaks the rule would produce them).
SCENARIOS = {
    "uptime": [health(t, up=t < 6) for t in range(12)],
    "latency_p95": [health(t, latency=20.0 if t < 4 else 900.0) for t in range(12)],
    "error_rate": [metrics(t, 10.0 * t, 0.0 if t < 3 else 3.0 * t) for t in range(8)],
    "anomaly": [*steady_gpu(20), gpu(20, 0.0)],
    "software_hash": [health(t, software_hash=GOOD_HASH if t < 3 else BAD_HASH) for t in range(5)],
    "data_integrity": [integrity(0, True), integrity(1, False)],
}


def served(rule):
    """The bundle of the first detection of ``rule`` in its scenario, as an evidence server serves it."""
    detectors = DetectorSet(SETTINGS, GOOD_HASH)
    found = [d for d in detectors.observe_all(SCENARIOS[rule]) if d.rule == rule]
    assert found, f"the {rule} scenario does not fire"
    return json.loads(canonical_json(found[0].evidence(PROVIDER)))


@pytest.mark.parametrize("rule", sorted(SCENARIOS))
def test_the_rule_rebuilt_from_the_bundle_reproduces_the_detection(rule):
    bundle = served(rule)
    assert DetectorParams(**bundle["detector_params"]) == SETTINGS

    result = rerun(bundle)

    assert result["possible"] and result["parameters_match"], result
    assert result["fires"] and result["reproduces"], result
    assert {"at": bundle["at"], "value": bundle["value"]} in result["detections"]


def test_healthy_samples_do_not_fire():
    bundle = served("uptime")
    bundle["samples"] = [{**sample, "up": True, "latency_ms": 20.0} for sample in bundle["samples"]]
    result = rerun(bundle)
    assert result["possible"] and not result["fires"] and not result["reproduces"] and result["detections"] == []


def test_other_settings_judge_otherwise_and_the_mismatch_is_reported():
    bundle = served("uptime")
    bundle["detector_params"]["uptime_sla"] = 0.3  # a 50% uptime passes this SLA
    result = rerun(bundle)
    assert result["possible"] and not result["fires"]
    assert result["parameters_match"] is False  # the bundle's rule parameters say sla 0.8


def test_the_anomaly_replay_carries_a_note():
    assert "history" in rerun(served("anomaly"))["note"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda b: b.pop("detector_params"), "no detector settings"),
        (lambda b: b.update(detector_params={}), "no detector settings"),
        (lambda b: b.update(rule="teleport"), "unknown rule"),
        (lambda b: b["detector_params"].update(window_seconds=-1), "invalid"),
        (lambda b: b["detector_params"].update(surprise=1), "invalid"),
        (lambda b: b["samples"].append({"provider": "nobody", "at": 1, "kind": "health"}), "not an address"),
        (lambda b: b.update(samples="many"), "names no rule"),
        (lambda b: b.pop("rule"), "names no rule"),
    ],
)
def test_a_bundle_that_cannot_be_re_run_says_why(change, reason):
    bundle = served("uptime")
    change(bundle)
    result = rerun(bundle)
    assert result["possible"] is False and reason in result["reason"]
    assert not result["fires"] and not result["reproduces"]


def test_a_software_hash_bundle_without_its_expected_hash_cannot_be_re_run():
    bundle = served("software_hash")
    bundle["params"].pop("expected")
    assert rerun(bundle)["possible"] is False


def test_a_non_object_is_not_a_bundle():
    assert rerun(["a", "list"])["possible"] is False
