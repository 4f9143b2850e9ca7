"""The oracle daemon end to end: real anvil (a block a second), real HTTP nodes, three daemons.

Each test starts its own swarm (anvil, deployment, three registered providers with node
simulators) and daemons in threads of the test process; they talk to anvil and to the nodes
over loopback HTTP, sign with the committee's dev keys, and the chain checks every signature.
"""

import json

import pytest
import requests
from swarm_stake.evidence import evidence_hash
from swarm_stake.evidence_review import review
from swarm_stake.incidents import Incidents
from swarm_stake.models import Level, ProviderStatus, ViolationClass
from swarm_stake.oracle.localnet import LocalSwarm, wait_for
from swarm_stake.oracle.store import ConflictingSignature, Store

from oracle_support import WebhookReceiver

pytestmark = pytest.mark.integration


def verdict_events(swarm, name="VerdictExecuted"):
    manager = swarm.reader().contract("VerdictManager", swarm.registry.address("VerdictManager"))
    return getattr(manager.events, name)().get_logs(from_block=0)


def jailed(swarm, name):
    return swarm.status_of(name) == ProviderStatus.JAILED


@pytest.fixture
def swarm():
    with LocalSwarm() as running:
        yield running


@pytest.fixture
def receiver():
    hook = WebhookReceiver()
    yield hook
    hook.close()


def test_security_breach_is_detected_slashed_and_jailed_with_evidence_served_by_every_signer(swarm, receiver):
    daemons = [swarm.start_daemon_thread(i, webhooks=[receiver.url]) for i in range(3)]
    wait_for(lambda: all(h.daemon.cycles >= 4 for h in daemons), 30, what="daemons cycling")
    swarm.nodes["provider-a"].node.set_mode("bad-software")

    wait_for(lambda: jailed(swarm, "provider-a"), 30, what="provider A jailed")

    executed = verdict_events(swarm)
    assert len(executed) == 1
    verdict = executed[0]["args"]["verdict"]
    assert executed[0]["args"]["provider"] == swarm.address("provider-a")
    assert verdict["violationClass"] == ViolationClass.SECURITY_BREACH
    assert verdict["severity"] == Level.PENALTY
    approvals = verdict_events(swarm, "VerdictApproved")
    signers = [e["args"]["signer"] for e in approvals]
    assert len(signers) == 2 and len(set(signers)) == 2  # quorum of two distinct oracles, nothing more
    assert swarm.status_of("provider-b") == ProviderStatus.ACTIVE
    assert swarm.status_of("provider-c") == ProviderStatus.ACTIVE

    # Every signer keeps and serves the evidence the verdict commits to; it hashes to the verdict's hash.
    wanted = "0x" + bytes(verdict["evidenceHash"]).hex()
    by_address = {h.daemon.address: h for h in daemons}
    for signer in signers:
        body = requests.get(f"{by_address[signer].url}/evidence/{wanted}", timeout=2)
        assert body.status_code == 200
        bundle = json.loads(body.content)
        assert evidence_hash(bundle) == wanted
        assert bundle["rule"] == "software_hash" and bundle["provider"] == swarm.address("provider-a")

    # Each daemon announced its evidence server on chain; the provider's `incidents evidence` finds the
    # evidence there, verifies it and sees the rule fire again on its samples.
    for handle in daemons:
        assert swarm.announced(handle.daemon.address) == [handle.url]
    report = review(swarm.reader(), swarm.registry, "0x" + bytes(executed[0]["args"]["incidentId"]).hex())
    [reviewed] = report["verdicts"]
    assert reviewed["source"] == by_address[reviewed["signers"][0]].url
    assert reviewed["bundle"]["rule"] == "software_hash" and reviewed["evidence_hash"] == wanted
    assert reviewed["rerun"]["fires"] and reviewed["rerun"]["reproduces"] and reviewed["rerun"]["parameters_match"]

    # Metrics and health.
    metrics = requests.get(f"{daemons[0].url}/metrics", timeout=2).text
    for name in ("swarm_oracle_samples_total", "swarm_oracle_detections_total", "swarm_oracle_submissions_total",
                 "swarm_oracle_last_processed_block", "swarm_oracle_cycle_seconds_bucket"):
        assert name in metrics
    health = requests.get(f"{daemons[0].url}/health", timeout=2)
    assert health.status_code == 200 and health.json()["chain_ok"] is True

    # Stakeholders were told: a detection by each oracle, and the response, once per key.
    incident = "0x" + bytes(executed[0]["args"]["incidentId"]).hex()
    wait_for(lambda: any(b["event"] == "response" for b in receiver.bodies), 10, what="response webhook")
    responses = [b for b in receiver.bodies if b["event"] == "response"]
    assert {b["incident_id"] for b in responses} == {incident}
    assert len(responses) == len({b["oracle"] for b in responses})  # one per daemon, never repeated
    assert any(b["event"] == "detection" and b["rule"] == "software_hash" for b in receiver.bodies)


def _set_provider_cap(swarm, bps):
    """Governance (the devnet's timelock, delay 0) sets the per-provider slash cap; returns the old value."""
    from swarm_stake.governance import timelock_execute

    admin = swarm.devnet.client(0)
    manager = admin.contract("VerdictManager", swarm.registry.address("VerdictManager"))
    limits = list(manager.functions.limits().call())
    old, limits[3] = limits[3], bps  # (appealBond, oraclePenalty, rateCapBps, providerCapBps, capWindow)
    timelock_execute(admin, swarm.registry.address("SwarmTimelock"), manager.functions.setLimits(tuple(limits)))
    return old


def test_a_remainder_the_caps_cut_short_is_collected_by_the_daemons_once_the_caps_allow(swarm):
    """A security breach over the provider cap: the verdict isolates provider A at once and owes the rest of
    its slash; no person acts, yet once governance raises the cap the daemons collect the remainder into
    the escrow (a dry run first: nothing is sent while the cap allows nothing)."""
    manager = swarm.reader().contract("VerdictManager", swarm.registry.address("VerdictManager"))
    default_cap = _set_provider_cap(swarm, 1)
    daemons = [swarm.start_daemon_thread(i) for i in range(3)]
    wait_for(lambda: all(h.daemon.cycles >= 4 for h in daemons), 30, what="daemons cycling")
    swarm.nodes["provider-a"].node.set_mode("bad-software")
    wait_for(lambda: jailed(swarm, "provider-a"), 30, what="provider A jailed")
    [executed] = verdict_events(swarm)
    incident = executed["args"]["incidentId"]
    owed = manager.functions.remainderOf(incident).call()
    assert owed > 0
    seen = [h.daemon.cycles for h in daemons]  # three more cycles each: the cap allows nothing, nothing is sent
    wait_for(lambda: all(h.daemon.cycles >= c + 3 for h, c in zip(daemons, seen, strict=True)), 30,
             what="daemons cycling")  # fmt: skip
    assert verdict_events(swarm, "RemainderCollected") == []

    _set_provider_cap(swarm, default_cap)

    wait_for(lambda: manager.functions.remainderOf(incident).call() == 0, 30, what="the remainder collected")
    [collected] = verdict_events(swarm, "RemainderCollected")
    assert (collected["args"]["amount"], collected["args"]["remainder"]) == (owed, 0)
    escrow = swarm.reader().contract("RecoveryEscrow", swarm.registry.address("RecoveryEscrow"))
    assert escrow.functions.escrowOf(incident).call()[0] == executed["args"]["amount"] + owed


def test_the_evidence_server_is_announced_when_its_url_is_new_and_never_twice(swarm, caplog):
    first, second = "http://oracle-1.example:9464", "https://oracle-1.example/evidence-server"
    handle = swarm.start_daemon_thread(0, public_url=first)
    address = handle.daemon.address
    w3 = swarm.reader().w3
    wait_for(lambda: swarm.announced(address) == [first], 20, what="the first announcement")
    swarm.stop_daemon(handle)

    # A new run with the same URL reads the chain and sends nothing (a healthy swarm: nothing else to send).
    nonce = w3.eth.get_transaction_count(address)
    handle = swarm.start_daemon_thread(0)
    wait_for(lambda: handle.daemon.cycles >= 6 and handle.daemon.chain_ok, 30, what="cycles of the second run")
    assert swarm.announced(address) == [first]
    assert w3.eth.get_transaction_count(address, "pending") == nonce
    swarm.stop_daemon(handle)

    # A new URL is announced once.
    handle.config.public_url = second
    handle = swarm.start_daemon_thread(0)
    wait_for(lambda: swarm.announced(address) == [first, second], 20, what="the second announcement")
    target = handle.daemon.cycles + 6
    wait_for(lambda: handle.daemon.cycles >= target, 30, what="more cycles")
    assert swarm.announced(address) == [first, second]
    swarm.stop_daemon(handle)

    # An account without a bond is refused by the committee: logged, and the daemon carries on.
    from swarm_stake.oracle.daemon import OracleDaemon

    stranger = swarm.devnet.client(15)
    daemon = OracleDaemon(swarm.daemon_config(7), stranger.w3, swarm.registry, stranger.require_account())
    daemon.start_server()
    try:
        with caplog.at_level("WARNING", logger="swarm_stake.oracle"):
            for _ in range(3):
                daemon.cycle()
    finally:
        daemon.close()
    refused = [r for r in caplog.records if "refused the evidence server's announcement" in r.getMessage()]
    assert len(refused) == 1 and "NoBond" in str(refused[0].__dict__.get("fields"))
    assert daemon.chain_ok and daemon.cycles == 3
    assert w3.eth.get_transaction_count(stranger.require_account().address, "pending") == 0
    assert swarm.announced(stranger.require_account().address) == []


def test_a_proposal_is_co_signed_only_when_the_oracles_own_measurements_confirm_it(swarm):
    # oracle-1 probes a tampered copy of provider A's node (a wrong endpoint in its config);
    # oracles 2 and 3 probe the real, healthy node and must not co-sign.
    from swarm_stake.oracle.nodesim import NodeSimulator

    from swarm_stake.oracle.localnet import TAMPERED_SOFTWARE_HASH

    impostor = NodeSimulator(TAMPERED_SOFTWARE_HASH).start()
    try:
        provider_a = swarm.address("provider-a")
        first = swarm.start_daemon_thread(0, providers={provider_a: impostor.url})
        others = [swarm.start_daemon_thread(i) for i in (1, 2)]
        wait_for(lambda: len(verdict_events(swarm, "VerdictApproved")) == 1, 30, what="oracle-1's proposal")
        digest = verdict_events(swarm, "VerdictApproved")[0]["args"]["digest"]
        # Give the others many cycles to see the confirmed proposal.
        seen = lambda: all(h.daemon.store.proposals("open") for h in others)  # noqa: E731
        wait_for(seen, 20, what="proposal seen by the others")
        target = max(h.daemon.cycles for h in others) + 8
        wait_for(lambda: all(h.daemon.cycles >= target for h in others), 30, what="more cycles")

        assert len(verdict_events(swarm, "VerdictApproved")) == 1
        assert verdict_events(swarm) == []
        assert swarm.status_of("provider-a") == ProviderStatus.ACTIVE
        for handle in others:
            assert handle.daemon.store.signature("0x" + bytes(digest).hex()) is None
        assert first.daemon.store.signature("0x" + bytes(digest).hex())["role"] == "proposed"
    finally:
        impostor.stop()


def test_downtime_is_slashed_once_and_restoration_is_attested_epoch_by_epoch(swarm):
    from swarm_stake.models import EscrowState
    from swarm_stake.recovery import RecoveryDesk

    daemons = [swarm.start_daemon_thread(i) for i in range(3)]
    wait_for(lambda: all(h.daemon.cycles >= 6 for h in daemons), 30, what="daemons cycling")
    swarm.nodes["provider-b"].node.set_mode("down")
    wait_for(lambda: jailed(swarm, "provider-b"), 40, what="provider B jailed")
    executed = verdict_events(swarm)
    assert len(executed) == 1
    assert executed[0]["args"]["verdict"]["violationClass"] == ViolationClass.POOR_PERFORMANCE

    # The node is still down when the claim is filed: epoch 0 is attested as failing.
    incident = "0x" + bytes(executed[0]["args"]["incidentId"]).hex()
    verdict = Incidents(swarm.reader(), swarm.registry).verdict(incident)
    operator = RecoveryDesk(swarm.devnet.client(swarm.nodes["provider-b"].operator_index), swarm.registry)
    operator.file_claim(verdict, None)
    escrow = swarm.reader().contract("RecoveryEscrow", swarm.registry.address("RecoveryEscrow"))
    attested = lambda: escrow.events.EpochAttested().get_logs(from_block=0)  # noqa: E731
    wait_for(lambda: len(attested()) >= 1, 30, what="epoch 0 attested")
    assert attested()[0]["args"]["passed"] is False

    swarm.nodes["provider-b"].node.set_mode("healthy")
    wait_for(lambda: escrow.functions.stateOf(incident).call() == EscrowState.ATTESTED, 90, what="claim attested")
    events = attested()
    # Each epoch attested at most once, in order. One the committee missed (its quorum not reached within
    # the grace, as under CPU load) neither vests nor resets (DESIGN "Recovery order"): the grid goes on.
    epochs = [e["args"]["epoch"] for e in events]
    assert epochs == sorted(set(epochs)) and epochs[0] == 0
    assert [e["args"]["passed"] for e in events[-3:]] == [True, True, True]
    assert [e["args"]["vestedEpochs"] for e in events[-3:]] == [1, 2, 3]


def test_many_providers_failing_at_once_make_the_daemon_hold_its_proposals(swarm):
    # This oracle reaches no provider at all (its own network is cut off): it must not accuse anyone.
    closed = {swarm.address(name): "http://127.0.0.1:9" for name in swarm.nodes}
    handle = swarm.start_daemon_thread(0, providers=closed)
    wait_for(lambda: handle.daemon.metrics.held_back._value.get() >= 3, 30, what="proposals held back")
    assert verdict_events(swarm, "VerdictApproved") == []
    assert handle.daemon.store.signatures("signing", "signed", "sent", "submitted", "approved") == []
    assert handle.daemon.health()[1]["suspecting_own_network"] is True


def test_store_refuses_a_second_message_under_one_conflict_key(tmp_path):
    store = Store(tmp_path / "oracle.db")
    a, b = "0x" + "aa" * 32, "0x" + "bb" * 32
    assert store.reserve_signature(a, "verdict:0x01:1", "verdict", "proposed", "0x01", "0xP", 1, {"x": 1}, 10) is True
    assert store.reserve_signature(a, "verdict:0x01:1", "verdict", "proposed", "0x01", "0xP", 1, {"x": 1}, 10) is False
    with pytest.raises(ConflictingSignature):
        store.reserve_signature(b, "verdict:0x01:1", "verdict", "cosigned", "0x01", "0xP", 1, {"x": 2}, 10)
    store.close()
    # The reservation survives a restart (it is committed before anything is signed).
    again = Store(tmp_path / "oracle.db")
    assert again.signature(a)["status"] == "signing"
    assert again.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def verdict_message(severity, observed_at=1000):
    return {"incident_id": "0x01", "provider": "0xP", "violation_class": 1, "severity": severity,
            "evidence_hash": "0x" + "ee" * 32, "observed_at": observed_at, "deadline": observed_at + 60,
            "committee_epoch": 1}  # fmt: skip


def test_conflict_key_is_incident_and_severity_so_a_low_co_signature_never_blocks_a_higher_verdict(tmp_path):
    store = Store(tmp_path / "oracle.db")
    low, high, other_low = "0x" + "01" * 32, "0x" + "02" * 32, "0x" + "03" * 32
    assert store.reserve_signature(low, "verdict:0x01:0", "verdict", "cosigned", "0x01", "0xP", 0, verdict_message(0))
    # The same incident at a higher severity is another key: signing it is allowed.
    assert store.reserve_signature(high, "verdict:0x01:1", "verdict", "proposed", "0x01", "0xP", 0, verdict_message(1))
    # A second, different message at a severity already signed is refused ...
    with pytest.raises(ConflictingSignature):
        store.reserve_signature(other_low, "verdict:0x01:0", "verdict", "cosigned", "0x01", "0xP", 0, verdict_message(0))
    # ... unless the first was given up for an earlier proposal of the same failure: it releases its key.
    store.yield_signature(low)
    assert store.signature(low)["status"] == "yielded"
    assert store.reserve_signature(other_low, "verdict:0x01:0", "verdict", "cosigned", "0x01", "0xP", 0,
                                   verdict_message(0))  # fmt: skip
    assert [r["digest"] for r in store.live_verdicts("0xP", 0, 0)] == [high, other_low]
    assert store.holder("verdict:0x01:0") == other_low


def test_a_store_written_by_an_older_release_is_brought_up_to_date(tmp_path):
    import sqlite3

    path = tmp_path / "oracle.db"
    old = sqlite3.connect(path)  # the tables as an older release wrote them
    old.executescript("""
        CREATE TABLE proposals (digest TEXT PRIMARY KEY, incident_id TEXT NOT NULL, provider TEXT NOT NULL,
            violation_class INTEGER NOT NULL, proposer TEXT NOT NULL, message TEXT NOT NULL, block INTEGER NOT NULL,
            tx_hash TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'open', note TEXT NOT NULL DEFAULT '');
        CREATE TABLE incidents (incident_id TEXT PRIMARY KEY, provider TEXT NOT NULL, violation_class INTEGER NOT NULL,
            phase TEXT NOT NULL, block INTEGER NOT NULL);
        CREATE TABLE signatures (digest TEXT PRIMARY KEY, conflict_key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
            role TEXT NOT NULL, incident_id TEXT NOT NULL, provider TEXT NOT NULL, violation_class INTEGER,
            message TEXT NOT NULL, signature TEXT, deadline INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'signing', created REAL NOT NULL);
    """)  # fmt: skip
    message = json.dumps(verdict_message(1, observed_at=1234))
    old.execute("INSERT INTO proposals VALUES ('0xp', '0x01', '0xP', 0, '0xO', ?, 7, '0xt', 'open', '')", (message,))
    old.execute("INSERT INTO incidents VALUES ('0x01', '0xP', 0, 'open', 9)")
    old.execute("INSERT INTO signatures VALUES ('0xd', 'verdict:0x01', 'verdict', 'proposed', '0x01', '0xP', 0, ?,"
                " NULL, 1294, 'submitted', 0)", (message,))  # fmt: skip
    old.execute("INSERT INTO signatures VALUES ('0xa', 'attest:0x01:5:0', 'attestation', 'passed', '0x01', '0xP',"
                " NULL, '{}', NULL, 0, 'signed', 0)")  # fmt: skip
    old.commit()
    old.close()

    store = Store(path)
    assert store.holder("verdict:0x01:1") == "0xd"  # the verdict key now carries the severity
    assert store.holder("attest:0x01:5:0") == "0xa"  # attestation keys are unchanged
    proposal = store.proposal("0xp")
    assert (proposal["severity"], proposal["observed_at"], proposal["log_index"]) == (1, 1234, 0)
    assert [row["severity"] for row in store.open_incidents("0xP", 0)] == [0]
    store.close()
    again = Store(path)  # opening again changes nothing
    assert again.holder("verdict:0x01:1") == "0xd" and again.proposal("0xp")["severity"] == 1
