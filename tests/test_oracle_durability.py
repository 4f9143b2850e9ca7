"""The oracle daemon under kills, RPC outages and reorgs, on a real anvil with real HTTP nodes.

The kill test runs the daemons as real `swarm-stake oracle run` processes (keystores, config
files, SQLite state on disk) and SIGKILLs them at random moments; the chain is then checked for
duplicates and misses, and every daemon's database against the chain.
"""

import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from swarm_stake.models import ProviderStatus, ViolationClass
from swarm_stake.oracle.collectors import write_jsonl
from swarm_stake.oracle.localnet import DEV_SOFTWARE_HASH, TAMPERED_SOFTWARE_HASH, LocalSwarm, wait_for
from swarm_stake.oracle.samples import Sample

pytestmark = pytest.mark.integration


def events(swarm, contract, name):
    instance = swarm.reader().contract(contract, swarm.registry.address(contract))
    return getattr(instance.events, name)().get_logs(from_block=0)


def jailed(swarm, name):
    return swarm.status_of(name) == ProviderStatus.JAILED


def assert_no_duplicates(swarm):
    """One execution; each oracle approved each digest at most once, and a second digest of one
    incident only to adopt the incident's earliest proposal (giving its own up)."""
    executed = events(swarm, "VerdictManager", "VerdictExecuted")
    assert len(executed) == 1, f"{len(executed)} executions"
    approvals = sorted(events(swarm, "VerdictManager", "VerdictApproved"), key=lambda e: (e["blockNumber"], e["logIndex"]))
    pairs = [(e["args"]["signer"], bytes(e["args"]["digest"])) for e in approvals]
    assert len(pairs) == len(set(pairs))
    earliest, per_incident = {}, {}
    for e in approvals:
        incident = bytes(e["args"]["incidentId"])
        earliest.setdefault(incident, bytes(e["args"]["digest"]))
        per_incident.setdefault((e["args"]["signer"], incident), set()).add(bytes(e["args"]["digest"]))
    for (_, incident), digests in per_incident.items():
        assert len(digests) == 1 or (len(digests) == 2 and earliest[incident] in digests)


def test_daemons_killed_at_random_moments_lose_nothing_and_send_nothing_twice():
    seed = int(os.environ.get("SWARM_STAKE_KILL_SEED", "7"))
    rng = random.Random(seed)
    with LocalSwarm() as swarm:
        handles = [swarm.spawn_daemon(i) for i in range(3)]
        for handle in handles:
            swarm.wait_healthy(handle)
        swarm.nodes["provider-a"].node.set_mode("bad-software")
        kills = 0
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and (kills < 6 or not jailed(swarm, "provider-a")):
            time.sleep(rng.uniform(0.0, 2.0))
            victim = rng.choice(handles)
            swarm.kill(victim)
            kills += 1
            handles[handles.index(victim)] = swarm.spawn_daemon(victim.index, port=int(victim.url.rsplit(":", 1)[1]))
        wait_for(lambda: jailed(swarm, "provider-a"), 60, what=f"provider A jailed (seed {seed})")
        time.sleep(3)  # let every daemon settle what it sent
        for handle in handles:
            swarm.stop_daemon(handle)

        assert kills >= 6
        assert_no_duplicates(swarm)
        w3 = swarm.reader().w3
        for handle in handles:
            assert_every_announced_judgement_recorded(handle)
            db = sqlite3.connect(handle.config.db_path)
            rows = db.execute("SELECT tx_hash, nonce, status FROM txs").fetchall()
            mined = [r for r in rows if r[2] == "mined"]
            address = swarm.devnet.accounts[handle.account_index].address
            # Its evidence server was announced once, however often it was killed (the URL never changed) ...
            assert swarm.announced(address) == [handle.url]
            # ... and every other transaction the oracle account ever sent is one the daemon recorded as mined ...
            assert w3.eth.get_transaction_count(address) == len(mined) + handle_setup_txs(swarm, handle) + 1
            # ... each mined successfully, and no nonce was used twice.
            assert len({r[1] for r in mined}) == len(mined)
            for tx_hash, _, _ in mined:
                assert w3.eth.get_transaction_receipt(tx_hash)["status"] == 1
            db.close()


JUDGEMENTS = ("attesting an observation epoch", "proposing a verdict", "proposing an upgrade",
              "co-signing a proposed verdict")  # fmt: skip


def assert_every_announced_judgement_recorded(handle):
    """Every proposal, co-signature and attestation the daemon's log announced (over all its runs,
    killed or not) is recorded in its database: a judgement is recorded before it is announced."""
    announced = []
    for line in handle.log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut by a kill
        if isinstance(entry, dict) and entry.get("msg") in JUDGEMENTS:
            announced.append(entry["digest"])
    db = sqlite3.connect(handle.config.db_path)
    try:
        recorded = {row[0] for row in db.execute("SELECT digest FROM signatures")}
    finally:
        db.close()
    assert set(announced) <= recorded
    return announced


def chain_offset(w3):
    """Chain time minus wall time, read as a new block appears (blocks come once a second)."""
    first = w3.eth.block_number
    while True:
        block = w3.eth.get_block("latest")
        if block["number"] > first:
            return block["timestamp"] - time.time()
        time.sleep(0.02)


def wait_until_wall(moment):
    time.sleep(max(0.0, moment - time.time()))


def attestations_in_db(handle, incident, epoch):
    db = sqlite3.connect(handle.config.db_path)
    try:
        return db.execute("SELECT role, status FROM signatures WHERE kind = 'attestation' AND conflict_key LIKE ?",
                          (f"attest:{incident}:%:{epoch}",)).fetchall()  # fmt: skip
    finally:
        db.close()


def test_two_daemons_killed_just_before_an_epoch_ends_still_attest_what_they_measured():
    """Two of three daemons are SIGKILLed half a second before an observation epoch ends and
    restarted at once: the epoch's samples were saved, so each judges the epoch on what it
    measured before the kill. Without them two daemons abstain, the epoch never reaches its
    2-of-3 quorum and the claim stays in observation for good."""
    from swarm_stake.incidents import Incidents
    from swarm_stake.models import EscrowState
    from swarm_stake.recovery import RecoveryDesk

    with LocalSwarm() as swarm:
        handles = [swarm.spawn_daemon(i) for i in range(3)]
        for handle in handles:
            swarm.wait_healthy(handle)
        swarm.nodes["provider-b"].node.set_mode("down")
        wait_for(lambda: jailed(swarm, "provider-b"), 60, what="provider B jailed")
        incident = "0x" + bytes(events(swarm, "VerdictManager", "VerdictExecuted")[0]["args"]["incidentId"]).hex()
        swarm.nodes["provider-b"].node.set_mode("healthy")
        reader = swarm.reader()
        verdict = Incidents(reader, swarm.registry).verdict(incident)
        RecoveryDesk(swarm.devnet.client(swarm.nodes["provider-b"].operator_index), swarm.registry).file_claim(verdict, None)
        escrow = reader.contract("RecoveryEscrow", swarm.registry.address("RecoveryEscrow"))
        filed_at = escrow.functions.claimOf(incident).call()[0]
        params = escrow.functions.recoveryParams(escrow.functions.escrowOf(incident).call()[5]).call()
        epoch_length, epochs_required = params[1], params[2]

        # The last epoch the claim needs: no later epoch depends on how fast the victims restart.
        kill_epoch = epochs_required - 1
        wait_until_wall(filed_at + (kill_epoch + 1) * epoch_length - chain_offset(reader.w3) - 1.5)
        victims = handles[:2]
        for victim in victims:
            swarm.kill(victim)
        assert not [e for e in events(swarm, "RecoveryEscrow", "EpochAttested") if e["args"]["epoch"] == kill_epoch]
        restarted = [swarm.spawn_daemon(v.index, port=int(v.url.rsplit(":", 1)[1])) for v in victims]
        for handle in restarted:
            swarm.wait_healthy(handle)

        def attested():
            return [(e["args"]["epoch"], e["args"]["passed"]) for e in events(swarm, "RecoveryEscrow", "EpochAttested")]

        try:
            wait_for(lambda: escrow.functions.stateOf(incident).call() == EscrowState.ATTESTED, 60, what="claim attested")
        except TimeoutError as exc:
            raise AssertionError(f"{exc}; epochs attested: {attested()}") from exc
        assert attested() == [(epoch, True) for epoch in range(epochs_required)]  # in order, each once
        # The survivor alone is no quorum: a restarted daemon attested the epoch it was killed in,
        # from the samples it had saved before the kill.
        assert any(attestations_in_db(h, incident, kill_epoch) for h in restarted)
        for handle in restarted:
            assert "recovered what was measured before the restart" in handle.log_path.read_text()
        for handle in [*restarted, handles[2]]:
            swarm.stop_daemon(handle)
            assert_every_announced_judgement_recorded(handle)


def handle_setup_txs(swarm, handle):
    """Transactions the oracle's dev account sent while the swarm was set up (approve + bond)."""
    return 2


class TcpProxy:
    """A loopback TCP forwarder that can be cut and restored, to simulate an RPC outage."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(64)
        self.up = threading.Event()
        self.up.set()
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up.is_set():
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while self.up.is_set() and (data := source.recv(65536)):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self):
        self.up.clear()
        for s in self.connections:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.connections = []

    def restore(self):
        self.up.set()

    def close(self):
        self.cut()
        self.listener.close()


def test_rpc_outage_backs_off_keeps_measuring_and_resumes():
    with LocalSwarm() as swarm:
        proxy = TcpProxy(swarm.devnet.port)
        try:
            handles = [swarm.start_daemon_thread(i, rpc_url=proxy.url) for i in range(3)]
            wait_for(lambda: all(len(h.daemon.endpoints()) == 3 for h in handles), 20, what="providers known")
            proxy.cut()
            wait_for(lambda: all(not h.daemon.chain_ok for h in handles), 20, what="outage noticed")
            samples_before = [h.daemon.metrics.samples.labels("health")._value.get() for h in handles]
            swarm.nodes["provider-c"].node.set_mode("bad-software")
            # While the RPC is down the daemons keep measuring and record their detections.
            wait_for(lambda: all(h.daemon.store.detections("new") for h in handles), 20, what="detections stored")
            for handle, before in zip(handles, samples_before):
                assert handle.daemon.metrics.samples.labels("health")._value.get() > before
                assert handle.daemon.metrics.rpc_errors._value.get() >= 1
            assert swarm.status_of("provider-c") == ProviderStatus.ACTIVE
            proxy.restore()
            wait_for(lambda: jailed(swarm, "provider-c"), 40, what="provider C jailed after the outage")
            assert_no_duplicates(swarm)
            executed = events(swarm, "VerdictManager", "VerdictExecuted")[0]
            assert executed["args"]["verdict"]["violationClass"] == ViolationClass.SECURITY_BREACH
        finally:
            proxy.close()


def test_a_reorg_under_a_confirmed_verdict_is_noticed_and_the_verdict_sent_again():
    with LocalSwarm() as swarm:
        handles = [swarm.start_daemon_thread(i) for i in range(3)]
        wait_for(lambda: all(h.daemon.cycles >= 4 for h in handles), 30, what="daemons cycling")
        swarm.nodes["provider-a"].node.set_mode("bad-software")
        wait_for(lambda: jailed(swarm, "provider-a"), 30, what="provider A jailed")
        executed_block = events(swarm, "VerdictManager", "VerdictExecuted")[0]["blockNumber"]
        w3 = swarm.reader().w3
        # Wait until every daemon has processed the verdict's block as confirmed.
        wait_for(lambda: all((h.daemon.store.last_block or 0) >= executed_block + 1 for h in handles), 20,
                 what="verdict confirmed")
        first_approval = min(e["blockNumber"] for e in events(swarm, "VerdictManager", "VerdictApproved"))
        depth = w3.eth.block_number - first_approval + 1
        w3.provider.make_request("anvil_reorg", [depth, []])
        assert w3.eth.block_number >= first_approval - 1
        wait_for(lambda: any(h.daemon.metrics.reorgs._value.get() >= 1 for h in handles), 20, what="reorg noticed")
        wait_for(lambda: jailed(swarm, "provider-a") and events(swarm, "VerdictManager", "VerdictExecuted"), 40,
                 what="the verdict executed again on the new chain")
        assert_no_duplicates(swarm)


def test_replay_of_a_feed_with_a_corrupt_line_skips_logs_and_counts_it(tmp_path):
    provider = "0x" + "11" * 20
    samples = [Sample(provider=provider, at=1000.0 + i, kind="health", up=True, latency_ms=20.0,
                      software_hash=DEV_SOFTWARE_HASH) for i in range(5)]
    samples.append(Sample(provider=provider, at=1006.0, kind="health", up=True, latency_ms=20.0,
                          software_hash=TAMPERED_SOFTWARE_HASH))
    feed = tmp_path / "feed.jsonl"
    write_jsonl(feed, samples[:3])
    with open(feed, "ab") as handle:
        handle.write(b'{"provider": "0x11", "at": "yesterday"\n')  # corrupt
    write_jsonl(feed, samples[3:], append=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWARM_STAKE_")}
    result = subprocess.run(
        [sys.executable, "-m", "swarm_stake.cli", "oracle", "replay", str(feed), "--software-hash", DEV_SOFTWARE_HASH,
         "--json"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["samples"] == 6 and report["skipped"] == 1
    assert [d["rule"] for d in report["detections"]] == ["software_hash"]
    assert report["detections"][0]["class"] == "security_breach"
    assert "line 4 skipped" in result.stderr


def test_saved_measurements_rebuild_the_epoch_totals_and_the_detectors_windows(tmp_path):
    """What the daemon writes per cycle (one transaction) is enough, read back from the SQLite
    file by a new process, to judge an epoch exactly as before and to resume each rule's window."""
    from oracle_support import PROVIDER, T0, health, integrity

    from swarm_stake.oracle.detectors import DetectorParams, DetectorSet, RestorationMeter
    from swarm_stake.oracle.samples import decode_samples, encode_samples
    from swarm_stake.oracle.store import Store

    params = DetectorParams(window_seconds=10, bucket_seconds=1, min_samples=5, cooldown_seconds=0)
    meter, detectors = RestorationMeter(params), DetectorSet(params, None)
    meter.watch({PROVIDER})
    store = Store(tmp_path / "oracle.db")
    for cycle in range(20):  # the last probe is down: 9 of 10 up in the window, just at the SLA
        samples = [health(cycle, up=cycle != 19), integrity(cycle + 0.5, True)]
        for sample in samples:
            meter.record(sample)
            assert detectors.observe(sample) == []
        now = T0 + cycle + 1
        store.save_measurements(now, encode_samples(samples), now - 12, meter.dirty(), meter.oldest_bucket(now))
        meter.saved()
    store.close()

    again = Store(tmp_path / "oracle.db")
    recovered, replayed = RestorationMeter(params), DetectorSet(params, None)
    recovered.watch({PROVIDER})
    assert recovered.restore(again.epoch_buckets()) == 20
    assert recovered.judge(PROVIDER, T0, T0 + 10) == meter.judge(PROVIDER, T0, T0 + 10)
    epoch = recovered.judge(PROVIDER, T0 + 10, T0 + 20)
    assert epoch == meter.judge(PROVIDER, T0 + 10, T0 + 20)
    assert (epoch.samples, epoch.integrity_checks, epoch.uptime, epoch.healthy) == (10, 10, 0.9, True)
    window = [s for batch in again.sample_window(T0 + 20 - 12) for s in decode_samples(batch)]
    assert [s.at - T0 for s in window if s.kind == "health"] == list(range(7, 20))  # older batches were dropped
    replayed.observe_all(window)
    # The replayed window goes on where it stopped: the next down probe breaks the uptime SLA.
    fired = replayed.observe(health(20, up=False))
    assert [d.rule for d in fired] == ["uptime"]
    assert detectors.observe(health(20, up=False))[0].value == fired[0].value
    assert DetectorSet(params, None).observe(health(20, up=False)) == []  # a fresh rule would not know


def test_the_cost_of_a_cycles_save_is_measured():
    from swarm_stake.oracle.store import measure_save

    seconds, size = measure_save(providers=200, cycles=3, watched=5)
    assert 0 < seconds < 5 and 0 < size < 200 * 200  # a compressed batch, far below the raw JSON


def test_a_cycles_save_is_one_transaction(tmp_path):
    """A save that fails halfway leaves nothing of it behind (the daemon tries the cycle again)."""
    from swarm_stake.oracle.store import Store

    store = Store(tmp_path / "oracle.db")
    store.save_measurements(100.0, b"first", 0.0, [("0xP", 1, 2, 2, 0, 0)], 0)
    with pytest.raises(sqlite3.Error):
        store.save_measurements(101.0, b"second", 0.0, [("0xP", 2, 1, 1, 0, 0), ("0xP", 3, "x")], 0)
    assert store.sample_window(0.0) == [b"first"]
    assert store.epoch_buckets() == [("0xP", 1, 2, 2, 0, 0)]
    assert not store.db.in_transaction
