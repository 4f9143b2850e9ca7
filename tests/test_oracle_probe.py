"""The probe engine against real loopback servers: the node simulator, and a farm of many nodes
(each on its own port) that answer fast, slowly, hugely, wrongly or not at all."""

import asyncio
import logging
import re
import threading
import time
from collections import Counter

import pytest
from eth_utils import to_checksum_address
from oracle_support import GOOD_HASH, PROVIDER

from swarm_stake.oracle.collectors import MAX_BODY, HealthProbe, IntegrityChallenge, MetricsScrape, dataset, dataset_root
from swarm_stake.oracle.config import DaemonConfig
from swarm_stake.oracle.detectors import DetectorParams, DetectorSet
from swarm_stake.oracle.nodefarm import FarmProcess
from swarm_stake.oracle.nodesim import NodeSimulator
from swarm_stake.oracle.probe import INTEGRITY_SALT, METRICS_SALT, ProbeEngine, ProbeSettings, due

pytestmark = pytest.mark.unit

ROOT = dataset_root(dataset("swarm-demo", 64))


def address(i: int) -> str:
    return to_checksum_address(f"0x{i + 1:040x}")


def endpoints(farm: FarmProcess) -> dict[str, str]:
    return {address(i): url for i, url in enumerate(farm.urls)}


def engine(**settings) -> ProbeEngine:
    return ProbeEngine(ProbeSettings(**settings), ROOT, 64)


@pytest.fixture
def probe_engine():
    engines = []

    def make(**settings):
        engines.append(engine(**settings))
        return engines[-1]

    yield make
    for made in engines:
        made.close()


def by_kind(samples, provider):
    return {s.kind: s for s in samples if s.provider == provider}


def comparable(sample):
    """What a sample says about the node: all but when it was taken, how long it took, which chunk."""
    data = sample.to_json()
    for key in ("at", "latency_ms"):
        data.pop(key, None)
    data["detail"] = re.sub(r"chunk \d+", "chunk N", data.get("detail", ""))
    if data["kind"] == "metrics":  # counters move between two scrapes: only whether each was read
        data = {k: v if k in ("provider", "kind", "detail") else v is not None for k, v in data.items()}
    return data


# --- the same samples as the collectors ------------------------------------------------------------


@pytest.mark.parametrize("mode", ["healthy", "down", "bad-software", "corrupt", "errors"])
def test_engine_samples_are_the_collectors_samples(mode, probe_engine):
    with NodeSimulator(GOOD_HASH) as sim:
        sim.set_mode(mode)
        expected = [
            HealthProbe(timeout=2).probe(PROVIDER, sim.url),
            MetricsScrape(timeout=2).scrape(PROVIDER, sim.url),
            IntegrityChallenge(ROOT, 64, timeout=2).challenge(PROVIDER, sim.url),
        ]
        got = probe_engine(timeout=2, metrics_every=1, integrity_every=1).measure({PROVIDER: sim.url}, 0)
    assert [s.kind for s in got] == ["health", "metrics", "integrity"]
    assert [comparable(s) for s in got] == [comparable(s) for s in expected]


# --- limits, at scale -----------------------------------------------------------------------------


HOSTILE = ["slow", "huge", "huge-chunked", "nested", "nonsense", "hangup", "bad-http", "refused", "down"]


@pytest.fixture(scope="module")
def crowd():
    """400 nodes, one in ten hostile in one of the ways above, measured for two cycles with
    every request due each cycle: (hostile nodes by provider, [(samples, seconds) per cycle])."""
    modes = {i: HOSTILE[(i // 10) % len(HOSTILE)] for i in range(0, CROWD, 10)}
    probe = engine(timeout=TIMEOUT, metrics_every=1, integrity_every=1)
    cycles = []
    with FarmProcess(CROWD, GOOD_HASH, modes=modes, slow_seconds=30.0) as farm:
        for cycle in range(2):
            started = time.monotonic()
            samples = probe.measure(endpoints(farm), cycle)
            cycles.append((samples, time.monotonic() - started))
    probe.close()
    return {address(i): mode for i, mode in modes.items()}, cycles


CROWD = 400
TIMEOUT = 3.0  # generous: the machine running the tests may be busy (a busy loop delays every answer)


def test_a_crowd_with_hostile_nodes_gets_one_sample_per_request_and_slow_nodes_cost_a_deadline(crowd):
    hostile, cycles = crowd
    # A slow node costs its three deadlines the first cycle, one the next (never its 30 s).
    assert cycles[0][1] < 3 * TIMEOUT + 3
    assert cycles[1][1] < TIMEOUT + 2
    for samples, _ in cycles:
        assert Counter(s.kind for s in samples) == {"health": CROWD, "metrics": CROWD, "integrity": CROWD}
        for provider in {s.provider for s in samples}:
            check_answers(by_kind(samples, provider), hostile.get(provider, "healthy"))


def check_answers(got, mode):
    health, metrics, integrity = got["health"], got["metrics"], got["integrity"]
    assert health.up is (mode == "healthy"), (mode, health)
    if mode == "healthy":
        assert health.software_hash == GOOD_HASH and metrics.gpu_util is not None and integrity.integrity_ok
    elif mode == "slow":
        assert health.detail == "no answer: timed out (TimeoutError)"
        assert TIMEOUT * 1000 <= health.latency_ms < TIMEOUT * 1000 + 1500  # the deadline, not 30 s
        assert integrity.integrity_ok is None and metrics.detail == "no answer: timed out (TimeoutError)"
    elif mode in ("huge", "huge-chunked"):
        assert f"AnswerTooLarge: answer larger than {MAX_BODY} bytes" in health.detail
        assert integrity.integrity_ok is False and f"larger than {MAX_BODY}" in integrity.detail
        assert metrics.requests_total is None and "AnswerTooLarge" in metrics.detail
    elif mode in ("nested", "nonsense"):  # answered, but not with a JSON object: refused before parsing
        assert health.detail == "health answer is not a JSON object"
        assert integrity.integrity_ok is False and integrity.detail.endswith("answer is not JSON")
        assert metrics.requests_total is None and metrics.detail
    elif mode == "down":
        assert health.detail == "HTTP 503" and integrity.integrity_ok is None
    else:  # hangup, bad-http, refused: no HTTP answer at all
        assert health.detail.startswith("no answer: ") and integrity.integrity_ok is None
        assert metrics.detail.startswith("no answer: ")


def test_every_sample_of_a_crowd_goes_through_the_detectors(crowd):
    hostile, cycles = crowd
    detectors = DetectorSet(DetectorParams(min_samples=1, window_seconds=5, bucket_seconds=1), GOOD_HASH)
    found = detectors.observe_all(cycles[0][0])
    wrong_answers = {p for p, m in hostile.items() if m in ("huge", "huge-chunked", "nested", "nonsense")}
    assert {d.provider for d in found if d.rule == "data_integrity"} == wrong_answers
    assert {d.provider for d in found if d.rule == "uptime"} == set(hostile)


def test_nodes_that_ran_out_of_time_do_not_hold_up_the_next_cycle(probe_engine):
    # 40 slow nodes among 200 and only 8 nodes probed at a time: the first cycle waits on their
    # deadlines eight at a time; the next probes them apart, all at once.
    modes = {i: "slow" for i in range(0, 200, 5)}
    with FarmProcess(200, GOOD_HASH, modes=modes, slow_seconds=5.0) as farm:
        probe = probe_engine(timeout=0.3, concurrency=8, metrics_every=10_000, integrity_every=10_000)
        jobs = endpoints(farm)
        cycles = []
        for cycle in (1, 2, 3):
            started = time.monotonic()
            samples = probe.measure(jobs, cycle)
            cycles.append(time.monotonic() - started)
            assert sum(1 for s in samples if s.kind == "health" and s.up) == 160
    assert cycles[0] >= 40 * 0.3 / 8 * 0.9
    assert cycles[1] < 0.3 + 0.7 and cycles[2] < 0.3 + 0.7


# --- keep-alive and cadence -------------------------------------------------------------------------


def test_each_node_keeps_one_connection_across_cycles(probe_engine):
    with FarmProcess(50, GOOD_HASH) as farm:
        probe = probe_engine(timeout=2, metrics_every=1, integrity_every=1)
        for cycle in range(5):
            assert len(probe.measure(endpoints(farm), cycle)) == 150
        assert farm.counts() == ([1] * 50, [15] * 50)  # 15 requests per node on one connection


def test_metrics_every_fifth_and_challenges_every_tenth_cycle_spread_over_cycles(probe_engine):
    settings = ProbeSettings()
    assert (settings.metrics_every, settings.integrity_every) == (5, 10)
    with FarmProcess(200, GOOD_HASH) as farm:
        probe = probe_engine(timeout=2)
        per_cycle = [probe.measure(endpoints(farm), cycle) for cycle in range(20)]
    for provider in endpoints(farm):
        kinds = [[s.kind for s in samples if s.provider == provider] for samples in per_cycle]
        assert all(k[0] == "health" and k.count("health") == 1 for k in kinds)
        scraped = [c for c, k in enumerate(kinds) if "metrics" in k]
        challenged = [c for c, k in enumerate(kinds) if "integrity" in k]
        assert len(scraped) == 4 and scraped[1:] == [c + 5 for c in scraped[:-1]]
        assert len(challenged) == 2 and challenged[1] == challenged[0] + 10
        assert scraped == [c for c in range(20) if due(provider, c, 5, METRICS_SALT)]
        assert challenged == [c for c in range(20) if due(provider, c, 10, INTEGRITY_SALT)]
    # The load is spread: no cycle scrapes or challenges everyone.
    scrapes = [sum(s.kind == "metrics" for s in samples) for samples in per_cycle]
    challenges = [sum(s.kind == "integrity" for s in samples) for samples in per_cycle]
    assert sum(scrapes) == 800 and max(scrapes) < 100
    assert sum(challenges) == 400 and max(challenges) < 60


def test_the_daemon_config_carries_the_probe_settings():
    config = DaemonConfig(metrics_every=3, integrity_every=7, probe_concurrency=64, probe_workers=2, probe_timeout=0.4,
                          interval=20)  # fmt: skip
    assert ProbeSettings.of(config) == ProbeSettings(timeout=0.4, metrics_every=3, integrity_every=7, concurrency=64,
                                                     workers=2, keepalive=60.0)  # fmt: skip
    defaults = ProbeSettings.of(DaemonConfig())
    assert (defaults.metrics_every, defaults.integrity_every, defaults.workers) == (5, 10, 1)
    for bad in ({"metrics_every": 0}, {"probe_concurrency": 0}, {"probe_workers": 0}):
        with pytest.raises(ValueError):
            DaemonConfig(**bad)


# --- worker processes -------------------------------------------------------------------------------


def test_worker_processes_share_the_providers_and_a_dead_worker_is_replaced(probe_engine, caplog):
    with FarmProcess(120, GOOD_HASH, modes={7: "bad-software"}) as farm:
        probe = probe_engine(timeout=2, workers=2, metrics_every=1, integrity_every=1)
        jobs = endpoints(farm)
        for cycle in range(3):
            samples = probe.measure(jobs, cycle)
            assert Counter(s.kind for s in samples) == {"health": 120, "metrics": 120, "integrity": 120}
        assert farm.counts()[0] == [1] * 120  # each provider stays with its worker and its connection
        assert by_kind(samples, address(7))["health"].software_hash not in (GOOD_HASH, None)
        pids = [w.process.pid for w in probe._workers]
        assert len(set(pids)) == 2

        probe._workers[0].process.kill()
        probe._workers[0].process.join(5)
        with caplog.at_level(logging.ERROR, logger="swarm_stake.oracle"):
            samples = probe.measure(jobs, 3)
        assert Counter(s.kind for s in samples) == {"health": 120, "metrics": 120, "integrity": 120}
        assert "probe worker died" in caplog.text
        assert probe._workers[0].process.pid not in pids


# --- in the daemon ------------------------------------------------------------------------------------


def test_the_daemon_measures_through_the_engine_and_feeds_every_sample_to_its_rules(tmp_path):
    from eth_account import Account
    from web3 import Web3

    from swarm_stake.deploy import Registry
    from swarm_stake.devnet import devnet_params
    from swarm_stake.oracle.daemon import OracleDaemon

    contracts = {name: address(10_000 + i) for i, name in
                 enumerate(("StakeManager", "VerdictManager", "RecoveryEscrow", "OracleCommittee", "SwarmLens"))}  # fmt: skip
    registry = Registry(network="test", chain_id=31337, start_block=0, contracts=contracts, params=devnet_params())
    with FarmProcess(300, GOOD_HASH, modes={5: "bad-software"}) as farm:
        config = DaemonConfig(state_dir=tmp_path, providers=endpoints(farm), software_hash=GOOD_HASH, probe_timeout=2)
        daemon = OracleDaemon(config, Web3(), registry, Account.create())
        try:
            made = []
            for _ in range(10):
                made += daemon.measure()
                daemon.cycles += 1
            ingested = {kind: daemon.metrics.samples.labels(kind)._value.get() for kind in ("health", "metrics", "integrity")}
            detections = daemon.store.detections("new")
        finally:
            daemon.close()
        assert ingested == {"health": 3000, "metrics": 600, "integrity": 300} == Counter(s.kind for s in made)
        assert all(s.up for s in made if s.kind == "health" and s.provider != address(5))
        assert [(d["provider"], d["rule"]) for d in detections] == [(address(5), "software_hash")]
        assert farm.counts()[0] == [1] * 300
    assert daemon.prober._local is None  # closed with the daemon


def test_a_worker_dying_mid_cycle_costs_only_its_providers_samples_and_no_waiting(probe_engine, caplog):
    from swarm_stake.oracle.probe import shard

    slow = {i: "slow" for i in range(60) if shard(address(i), 2) == 0}
    with FarmProcess(60, GOOD_HASH, modes=slow, slow_seconds=10.0) as farm:
        probe = probe_engine(timeout=5, workers=2, metrics_every=10_000, integrity_every=10_000)
        jobs = endpoints(farm)
        probe.measure(jobs, 1)  # workers started, slow ones timed out
        victim = probe._workers[0].process
        killer = threading.Timer(0.5, victim.kill)
        killer.start()
        started = time.monotonic()
        with caplog.at_level(logging.ERROR, logger="swarm_stake.oracle"):
            samples = probe.measure(jobs, 2)
        took = time.monotonic() - started
        killer.join()
    assert took < 3  # not the slow nodes' 5 s deadline, nor the worker's budget
    assert {s.provider for s in samples} == {address(i) for i in range(60) if i not in slow}
    assert "probe worker gave no answer" in caplog.text


def test_running_out_of_time_while_the_oracle_itself_stalls_is_not_held_against_the_node():
    from swarm_stake.oracle.probe import OracleFault, _Deadlines

    async def scenario():
        deadlines = _Deadlines(0.4)
        sweeper = asyncio.ensure_future(deadlines.sweep())

        async def stall():
            await asyncio.sleep(0.05)
            time.sleep(0.6)  # the oracle's loop is blocked (overloaded, paused): nobody's answer can arrive

        during_stall = await asyncio.gather(deadlines.within(asyncio.sleep(5)), stall(), return_exceptions=True)
        plain = await asyncio.gather(deadlines.within(asyncio.sleep(5)), return_exceptions=True)
        answered = await asyncio.gather(deadlines.within(asyncio.sleep(0.1, "answer")))
        sweeper.cancel()
        return during_stall[0], plain[0], answered[0]

    during_stall, plain, answered = asyncio.run(scenario())
    assert isinstance(during_stall, OracleFault)
    assert isinstance(plain, TimeoutError) and not isinstance(plain, OracleFault)
    assert answered == "answer"
