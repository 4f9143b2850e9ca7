"""Collectors against real HTTP servers on loopback (the node simulator in every mode, hostile
servers, a closed port), and JSONL feeds that must survive any content."""

import json
import logging
import os
import tempfile
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle_support import GOOD_HASH, PROVIDER, free_port, health, integrity, metrics, static_server

from swarm_stake.merkle import MerkleTree
from swarm_stake.oracle.collectors import (
    MAX_BODY,
    MAX_LINE,
    HealthProbe,
    IntegrityChallenge,
    JsonlFeed,
    MetricsScrape,
    challenge_response,
    check_answer,
    dataset,
    dataset_root,
    write_jsonl,
)
from swarm_stake.oracle.detectors import DetectorParams, DetectorSet
from swarm_stake.oracle.nodesim import NodeSimulator
from swarm_stake.oracle.samples import Sample

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def node():
    with NodeSimulator(GOOD_HASH, slow_seconds=0.4) as sim:
        yield sim


@pytest.fixture
def sim(node):
    node.set_mode("healthy")
    node.slow_seconds = 0.4
    yield node
    node.set_mode("healthy")


# --- health ---------------------------------------------------------------------------------------


def test_health_of_a_healthy_node(sim):
    before = time.time()
    sample = HealthProbe(timeout=2).probe(PROVIDER, sim.url)
    assert sample.kind == "health" and sample.provider == PROVIDER
    assert sample.up is True and sample.software_hash == GOOD_HASH and sample.detail == ""
    assert 0 < sample.latency_ms < 2000
    assert before <= sample.at <= time.time()


def test_health_of_a_node_that_is_down(sim):
    sim.set_mode("down")
    sample = HealthProbe(timeout=2).probe(PROVIDER, sim.url + "/")
    assert sample.up is False and sample.detail == "HTTP 503"


def test_health_of_a_slow_node(sim):
    sim.set_mode("slow")
    late = HealthProbe(timeout=0.15).probe(PROVIDER, sim.url)
    assert late.up is False and "timed out" in late.detail
    assert late.latency_ms >= 150
    slow = HealthProbe(timeout=3).probe(PROVIDER, sim.url)
    assert slow.up is True and slow.latency_ms >= 400


def test_health_of_a_node_reporting_other_software(sim):
    sim.set_mode("bad-software")
    sample = HealthProbe().probe(PROVIDER, sim.url)
    assert sample.up is True and sample.software_hash == sim.bad_software_hash != GOOD_HASH
    (detection,) = DetectorSet(DetectorParams(), GOOD_HASH).observe(sample)
    assert detection.rule == "software_hash" and detection.value == sim.bad_software_hash


@pytest.mark.parametrize("mode", ["errors", "corrupt"])
def test_health_is_up_in_modes_that_fail_elsewhere(sim, mode):
    sim.set_mode(mode)
    sample = HealthProbe().probe(PROVIDER, sim.url)
    assert sample.up is True and sample.software_hash == GOOD_HASH


def test_health_of_a_closed_port():
    sample = HealthProbe(timeout=1).probe(PROVIDER, f"http://127.0.0.1:{free_port()}")
    assert sample.up is False and sample.detail.startswith("no answer: ConnectionError")


@pytest.mark.parametrize(
    ("body", "up", "detail"),
    [
        (b"not json", False, "not a JSON object"),
        (b'["ok"]', False, "not a JSON object"),
        (b'{"status": "degraded", "software_hash": "0x01"}', False, "'degraded'"),
        (b'{"status": NaN}', False, "not a JSON object"),
        (b'{"status": "ok"}', True, "no software hash reported"),
        (b'{"status": "ok", "software_hash": 42}', True, "no software hash reported"),
    ],
)
def test_health_of_a_node_answering_nonsense(body, up, detail):
    with static_server({"/health": (200, body)}) as url:
        sample = HealthProbe(timeout=2).probe(PROVIDER, url)
    assert sample.up is up and detail in sample.detail
    if up:
        assert sample.software_hash is None


def test_health_refuses_an_oversized_answer():
    with static_server({"/health": (200, b'{"status": "ok", "x": "' + b"a" * MAX_BODY + b'"}')}) as url:
        sample = HealthProbe(timeout=5).probe(PROVIDER, url)
    assert sample.up is False and "larger than" in sample.detail


def test_deeply_nested_json_from_a_node_is_refused_not_a_crash():
    """Even where the recursion limit was raised (py_ecc does), "[[[[..." never reaches json.loads."""
    body = b"[" * 200_000
    with static_server({"/health": (200, body), "/challenge": (200, body)}) as url:
        assert HealthProbe(timeout=5).probe(PROVIDER, url).up is False
        assert IntegrityChallenge(b"\x01" * 32, 1, timeout=5).challenge(PROVIDER, url).integrity_ok is False


# --- metrics --------------------------------------------------------------------------------------


def test_metrics_of_a_healthy_node(sim):
    scrape = MetricsScrape(timeout=2)
    first = scrape.scrape(PROVIDER, sim.url)
    second = scrape.scrape(PROVIDER, sim.url)
    assert first.kind == "metrics" and first.detail == ""
    assert abs(first.gpu_util - 0.6) <= 0.011
    assert second.requests_total > first.requests_total
    assert second.errors_total == first.errors_total


def test_metrics_of_a_node_serving_errors(sim):
    scrape = MetricsScrape(timeout=2)
    before = scrape.scrape(PROVIDER, sim.url)
    sim.set_mode("errors")
    probe = HealthProbe()
    for _ in range(3):
        probe.probe(PROVIDER, sim.url)
    after = scrape.scrape(PROVIDER, sim.url)
    assert after.errors_total - before.errors_total == 4  # three probes and the scrape itself
    assert after.requests_total - before.requests_total == 4


def test_error_rate_rule_on_a_real_node(sim):
    params = DetectorParams(error_min_requests=5, cooldown_seconds=0)
    detectors = DetectorSet(params, GOOD_HASH)
    scrape, probe = MetricsScrape(timeout=2), HealthProbe()
    assert detectors.observe(scrape.scrape(PROVIDER, sim.url)) == []
    sim.set_mode("errors")
    for _ in range(5):
        probe.probe(PROVIDER, sim.url)
    found = detectors.observe(scrape.scrape(PROVIDER, sim.url))
    assert [d.rule for d in found] == ["error_rate"] and found[0].value == 1.0


def test_metrics_of_a_node_that_is_down_or_gone(sim):
    sim.set_mode("down")
    down = MetricsScrape().scrape(PROVIDER, sim.url)
    assert down.detail == "HTTP 503" and down.requests_total is None and down.gpu_util is None
    gone = MetricsScrape(timeout=1).scrape(PROVIDER, f"http://127.0.0.1:{free_port()}")
    assert gone.detail.startswith("no answer:") and gone.requests_total is None


def test_metrics_of_a_slow_node(sim):
    sim.set_mode("slow")
    assert "timed out" in MetricsScrape(timeout=0.15).scrape(PROVIDER, sim.url).detail


@pytest.mark.parametrize(
    ("body", "expected", "detail"),
    [
        (b"swarm_node_gpu_utilization NaN\nswarm_node_requests_total 5\nswarm_node_errors_total 1\n",
         (None, 5.0, 1.0), "swarm_node_gpu_utilization is nan"),
        (b"swarm_node_requests_total{a=\"1\"} 5\nswarm_node_requests_total{a=\"2\"} 7\n",
         (None, 12.0, None), "swarm_node_errors_total missing"),
        (b"this is { not prometheus\n", (None, None, None), "unparseable metrics"),
        (b"\xff\xfe\x00garbage", (None, None, None), "utf-8"),
    ],
)
def test_metrics_of_a_node_answering_nonsense(body, expected, detail):
    with static_server({"/metrics": (200, body)}) as url:
        sample = MetricsScrape(timeout=2).scrape(PROVIDER, url)
    assert (sample.gpu_util, sample.requests_total, sample.errors_total) == expected
    assert detail in sample.detail


# --- integrity ------------------------------------------------------------------------------------


def test_integrity_of_a_healthy_node(sim):
    challenge = IntegrityChallenge(sim.root, len(sim.chunks))
    samples = [challenge.challenge(PROVIDER, sim.url) for _ in range(5)]
    assert all(s.kind == "integrity" and s.integrity_ok is True for s in samples)


def test_integrity_of_a_slow_node_within_the_timeout(sim):
    sim.set_mode("slow")
    assert IntegrityChallenge(sim.root, len(sim.chunks), timeout=3).challenge(PROVIDER, sim.url).integrity_ok is True


def test_integrity_of_a_corrupt_node(sim):
    sim.set_mode("corrupt")
    sample = IntegrityChallenge(sim.root, len(sim.chunks)).challenge(PROVIDER, sim.url)
    assert sample.integrity_ok is False and "does not verify" in sample.detail
    (detection,) = DetectorSet(DetectorParams(), GOOD_HASH).observe(sample)
    assert detection.rule == "data_integrity"


def test_integrity_against_another_dataset_fails(sim):
    other = IntegrityChallenge(dataset_root(dataset("another", 64)), 64)
    assert other.challenge(PROVIDER, sim.url).integrity_ok is False


@pytest.mark.parametrize("mode", ["down", "slow"])
def test_integrity_without_an_answer_is_unknown(sim, mode):
    sim.set_mode(mode)
    sample = IntegrityChallenge(sim.root, len(sim.chunks), timeout=0.15).challenge(PROVIDER, sim.url)
    assert sample.integrity_ok is None and "no answer" in sample.detail


def test_integrity_of_a_closed_port():
    sample = IntegrityChallenge(b"\x01" * 32, 4, timeout=1).challenge(PROVIDER, f"http://127.0.0.1:{free_port()}")
    assert sample.integrity_ok is None and "no answer" in sample.detail


def test_integrity_of_a_node_answering_nonsense():
    for body in (b"garbage", b"[1, 2]", b'{"index": 0}'):
        with static_server({"/challenge": (200, body)}) as url:
            sample = IntegrityChallenge(b"\x01" * 32, 1).challenge(PROVIDER, url)
        assert sample.integrity_ok is False and sample.detail


CHUNKS = dataset("unit", 8)
TREE = MerkleTree(i.to_bytes(8, "big") + c for i, c in enumerate(CHUNKS))
NONCE = b"\x07" * 32


def answer(index, chunk=None, proof_of=None, nonce=NONCE):
    chunk = CHUNKS[index] if chunk is None else chunk
    return {
        "index": index,
        "chunk": "0x" + chunk.hex(),
        "proof": ["0x" + p.hex() for p in TREE.proof(index if proof_of is None else proof_of)],
        "response": "0x" + challenge_response(nonce, chunk).hex(),
    }


def test_check_answer_accepts_the_right_chunk():
    assert dataset_root(CHUNKS) == TREE.root
    assert all(check_answer(answer(i), i, NONCE, TREE.root) is None for i in range(8))


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({**answer(3), "index": 5}, "index 5, not 3"),
        ({**answer(3), "index": True}, "not 3"),
        ({**answer(3), "index": "3"}, "not 3"),
        ({**answer(5), "index": 3}, "does not verify"),                          # another chunk, its own proof
        ({**answer(3), "response": "0x" + challenge_response(b"\x00" * 32, CHUNKS[3]).hex()}, "response"),
        ({**answer(3), "chunk": "0xzz"}, "chunk is not 0x-prefixed hex"),
        ({**answer(3), "chunk": CHUNKS[3].hex()}, "chunk is not 0x-prefixed hex"),
        ({**answer(3), "proof": "0x00"}, "proof must be a list"),
        ({**answer(3), "proof": ["0x" + "00" * 32] * 65}, "proof must be a list"),
        ({**answer(3), "proof": ["0x00"]}, "proof item must be 32 bytes"),
        ({**answer(3), "response": None}, "response is not"),
        ([answer(3)], "not a JSON object"),
    ],
)
def test_check_answer_rejects(bad, reason):
    assert reason in check_answer(bad, 3, NONCE, TREE.root)


def test_a_leaf_commits_to_its_index():
    """Chunk 5 with its valid proof is no answer to a challenge for index 3."""
    assert check_answer(answer(5), 5, NONCE, TREE.root) is None
    assert check_answer({**answer(5), "index": 3}, 3, NONCE, TREE.root) is not None


def test_dataset_is_deterministic():
    assert dataset("seed", 4) == dataset("seed", 4)
    assert dataset("seed", 4) != dataset("other", 4)
    assert [len(c) for c in dataset("seed", 3, chunk_size=100)] == [100, 100, 100]
    with pytest.raises(ValueError):
        dataset("seed", 0)


# --- JSONL feeds ----------------------------------------------------------------------------------


def test_feed_round_trip(tmp_path):
    samples = [health(1), health(2, up=False, software_hash=None), metrics(3, 10, 1), integrity(4, None)]
    path = tmp_path / "feed.jsonl"
    assert write_jsonl(path, samples[:2]) == 2
    assert write_jsonl(path, samples[2:], append=True) == 2
    feed = JsonlFeed(path)
    assert list(feed) == samples and feed.skipped == 0


def test_feed_skips_logs_and_counts_corrupt_lines(tmp_path, caplog):
    good = [health(t) for t in range(3)]
    lines = [
        json.dumps(good[0].to_json()).encode(),
        b"{not json",
        json.dumps({**good[0].to_json(), "up": "yes"}).encode(),
        b"\xff\xfe\x00\x01 random bytes",
        b"",
        json.dumps(good[1].to_json()).encode(),
        b"[1, 2, 3]",
        b'{"provider": "0x1111111111111111111111111111111111111111", "at": NaN, "kind": "health"}',
        b'{"provider": "0x1111111111111111111111111111111111111111", "at": 1e999, "kind": "health"}',
        b"[" * 100_000,
        b"   ",
        json.dumps(good[2].to_json()).encode(),
    ]
    path = tmp_path / "feed.jsonl"
    path.write_bytes(b"\n".join(lines))  # no newline at the end
    feed = JsonlFeed(path)
    with caplog.at_level(logging.WARNING, logger="swarm_stake.oracle"):
        assert list(feed) == good
    assert feed.skipped == 7
    skipped = [r for r in caplog.records if r.name == "swarm_stake.oracle"]
    assert len(skipped) == 7
    assert "line 2 skipped" in skipped[0].getMessage()
    assert list(feed) == good and feed.skipped == 7  # a second pass counts afresh


def test_feed_skips_an_over_long_line(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_bytes(b"x" * (MAX_LINE + 10) + b"\n" + json.dumps(health(1).to_json()).encode() + b"\n")
    feed = JsonlFeed(path)
    assert list(feed) == [health(1)] and feed.skipped == 1


def _iterate(content: bytes) -> tuple[list[Sample], int]:
    handle, name = tempfile.mkstemp(suffix=".jsonl")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        feed = JsonlFeed(name)
        return list(feed), feed.skipped
    finally:
        os.unlink(name)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_feed_never_raises_on_random_bytes(content):
    logging.getLogger("swarm_stake.oracle").setLevel(logging.CRITICAL)
    try:
        samples, skipped = _iterate(content)
    finally:
        logging.getLogger("swarm_stake.oracle").setLevel(logging.NOTSET)
    assert len(samples) + skipped <= content.count(b"\n") + 1


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
SAMPLE_LIKE = st.fixed_dictionaries(
    {"provider": st.sampled_from([PROVIDER, PROVIDER.lower(), "0x12", 5]),
     "at": st.one_of(st.floats(), st.integers(), st.text(max_size=3)),
     "kind": st.sampled_from(["health", "metrics", "integrity", "other"])},
    optional={name: JSON for name in ("up", "latency_ms", "software_hash", "gpu_util", "errors_total",
                                      "requests_total", "integrity_ok", "detail", "extra")},
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(JSON, SAMPLE_LIKE), max_size=6))
def test_feed_never_raises_on_random_json(values):
    content = b"\n".join(json.dumps(v).encode() for v in values)
    logging.getLogger("swarm_stake.oracle").setLevel(logging.CRITICAL)
    try:
        samples, skipped = _iterate(content)
    finally:
        logging.getLogger("swarm_stake.oracle").setLevel(logging.NOTSET)
    assert len(samples) + skipped == len(values)
    for sample in samples:  # whatever was accepted is a valid sample that round-trips
        assert Sample.from_json(json.loads(json.dumps(sample.to_json(), allow_nan=False))) == sample
