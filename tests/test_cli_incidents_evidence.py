"""`swarm-stake incidents evidence`: why was I slashed?

A real devnet; the evidence bundle is what the daemon's detectors write (a real uptime rule on
real samples); the committee members' evidence servers are the daemon's own HTTP server class
(`DaemonServer` over an `EvidenceStore`) on loopback, announced on chain with
`OracleCommittee.announceEvidenceServer`. The verdict that commits to the bundle is signed by two
members and executed. The command runs as a subprocess, as a provider runs it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from cli_support import (
    COMMITTEE,
    assert_error,
    assert_ok,
    cli_chain,  # noqa: F401 - the module's devnet
    json_out,
    sends_nothing,
)
from eth_utils import keccak
from oracle_support import free_port, static_server

from swarm_stake.devnet import dev_account
from swarm_stake.evidence import canonical_json, evidence_hash
from swarm_stake.evidence_review import MAX_EVIDENCE_BYTES
from swarm_stake.models import Level, ViolationClass
from swarm_stake.oracle.detectors import UptimeDetector
from swarm_stake.oracle.localnet import devnet_detector_params
from swarm_stake.oracle.samples import Sample
from swarm_stake.oracle.server import DaemonServer, EvidenceStore, Metrics
from swarm_stake.verdicts import VerdictDesk

pytestmark = pytest.mark.integration

SIGNERS = [dev_account(i) for i in COMMITTEE[:2]]
T0 = 1_700_000_000.0


def uptime_bundle(provider: str) -> dict:
    """What a daemon signs when `provider`'s node stops answering: the uptime rule's detection."""
    rule = UptimeDetector(devnet_detector_params())
    samples = [Sample(provider, T0 + i / 2, "health", up=i < 12, latency_ms=20.0 if i < 12 else None)
               for i in range(20)]  # fmt: skip
    [detection] = [d for d in map(rule.observe, samples) if d is not None]
    return detection.evidence(SIGNERS[0].address)


def announce(cli_chain, member, url: str) -> None:
    client = cli_chain.client(member)
    committee = client.contract("OracleCommittee", cli_chain.registry.address("OracleCommittee"))
    client.send(committee.functions.announceEvidenceServer(url))


def slash(cli_chain, provider: str, bundle: dict) -> str:
    """The incident of a verdict on `provider` that commits to `bundle`, signed by SIGNERS and executed."""
    desk = VerdictDesk(cli_chain.client(SIGNERS[0]), cli_chain.registry)
    verdict = desk.build(provider, ViolationClass.POOR_PERFORMANCE, Level.PENALTY, evidence_hash(bundle),
                         cli_chain.mine())  # fmt: skip
    receipt = desk.submit(verdict, [desk.sign(verdict, member) for member in SIGNERS])
    assert desk.events(receipt, "VerdictExecuted")
    return verdict.incident_id


@contextmanager
def evidence_server(*bundles: dict) -> Iterator[str]:
    """A daemon's evidence server on loopback holding `bundles`; yields its base URL."""
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        store = EvidenceStore(directory)
        for bundle in bundles:
            store.put(bundle)
        server = DaemonServer("127.0.0.1", 0, store, Metrics(), lambda: (True, {})).start()
        try:
            yield server.url
        finally:
            server.stop()


def test_the_evidence_is_fetched_from_a_signer_verified_and_its_rule_fires_again(cli_chain):
    provider, _ = cli_chain.provider()
    bundle = uptime_bundle(provider.address)
    with evidence_server(bundle) as first, evidence_server(bundle) as second:
        announce(cli_chain, SIGNERS[0], first)
        announce(cli_chain, SIGNERS[1], second)
        incident = slash(cli_chain, provider.address, bundle)

        with sends_nothing(cli_chain, provider.address):
            report = json_out(cli_chain.cli("incidents", "evidence", incident, "--json"))
            human = assert_ok(cli_chain.cli("incidents", "evidence", incident)).stdout

    assert report["incident_id"] == incident and report["provider"] == provider.address
    [verdict] = report["verdicts"]
    assert verdict["evidence_hash"] == evidence_hash(bundle)
    assert verdict["signers"] == [s.address for s in SIGNERS]
    assert verdict["source"] == first
    assert verdict["servers"] == [{"url": first, "signer": SIGNERS[0].address, "outcome": "verified", "detail": ""}]
    assert verdict["bundle"] == json.loads(canonical_json(bundle))
    assert verdict["bundle"]["detector_params"]["window_seconds"] == devnet_detector_params().window_seconds
    rerun = verdict["rerun"]
    assert rerun["possible"] and rerun["fires"] and rerun["reproduces"] and rerun["parameters_match"]
    assert rerun["detections"][0] == {"at": bundle["at"], "value": bundle["value"]}

    assert "rule" in human and "uptime" in human
    assert f"evidence {evidence_hash(bundle)}: verified" in human
    assert "it reproduces the recorded detection exactly" in human
    assert f"samples ({len(bundle['samples'])})" in human


def test_an_unreachable_signer_is_skipped_for_the_next_one(cli_chain):
    provider, _ = cli_chain.provider()
    bundle = uptime_bundle(provider.address)
    dead = f"http://127.0.0.1:{free_port()}"
    with evidence_server(bundle) as second:
        announce(cli_chain, SIGNERS[0], dead)
        announce(cli_chain, SIGNERS[1], second)
        incident = slash(cli_chain, provider.address, bundle)
        report = json_out(cli_chain.cli("incidents", "evidence", incident, "--json"))
        human = assert_ok(cli_chain.cli("incidents", "evidence", incident)).stdout

    [verdict] = report["verdicts"]
    assert verdict["source"] == second
    assert [(a["url"], a["outcome"]) for a in verdict["servers"]] == [(dead, "unreachable"), (second, "verified")]
    assert "also tried" in human and f"{dead} is unreachable" in human


def test_a_tampered_bundle_is_refused(cli_chain):
    provider, _ = cli_chain.provider()
    bundle = uptime_bundle(provider.address)
    wanted = evidence_hash(bundle)
    forged = canonical_json({**bundle, "value": 0.1})  # another verdict's worth of evidence under this name
    with static_server({f"/evidence/{wanted}": (200, forged)}) as liar:
        announce(cli_chain, SIGNERS[0], liar)
        announce(cli_chain, SIGNERS[1], liar)
        incident = slash(cli_chain, provider.address, bundle)
        result = cli_chain.cli("incidents", "evidence", incident, "--json")

    message = assert_error(result, "served something else", wanted, "0x" + keccak(forged).hex())
    assert "2 tried" in message
    assert result.stdout == ""


def test_from_names_the_server_and_is_the_only_one_asked(cli_chain):
    provider, _ = cli_chain.provider()
    bundle = uptime_bundle(provider.address)
    with evidence_server(bundle) as mine:
        announce(cli_chain, SIGNERS[0], f"http://127.0.0.1:{free_port()}")
        announce(cli_chain, SIGNERS[1], f"http://127.0.0.1:{free_port()}")
        incident = slash(cli_chain, provider.address, bundle)
        report = json_out(cli_chain.cli("incidents", "evidence", incident, "--from", mine, "--json"))
        refused = cli_chain.cli("incidents", "evidence", incident)  # the announced servers are down

    [verdict] = report["verdicts"]
    assert verdict["source"] == mine
    assert verdict["servers"] == [{"url": mine, "signer": None, "outcome": "verified", "detail": ""}]
    assert verdict["rerun"]["reproduces"] is True
    assert_error(refused, "no evidence server served", "unreachable")


def test_from_a_server_that_does_not_hold_it_or_answers_too_much(cli_chain):
    provider, _ = cli_chain.provider()
    bundle = uptime_bundle(provider.address)
    wanted = evidence_hash(bundle)
    incident = slash(cli_chain, provider.address, bundle)
    with evidence_server() as empty:
        assert_error(cli_chain.cli("incidents", "evidence", incident, "--from", empty), "does not hold", wanted)
    flood = b"x" * (MAX_EVIDENCE_BYTES + 1)
    with static_server({f"/evidence/{wanted}": (200, flood)}) as big:
        assert_error(cli_chain.cli("incidents", "evidence", incident, "--from", big), str(MAX_EVIDENCE_BYTES), "bytes")
    with static_server({f"/evidence/{wanted}": (500, b"oops")}) as broken:
        assert_error(cli_chain.cli("incidents", "evidence", incident, "--from", broken), "answered 500")


def test_a_verified_bundle_whose_rule_does_not_fire_on_its_samples_says_so(cli_chain):
    """The committee signed evidence whose samples are all healthy: the hash checks out, the rule does not fire."""
    provider, _ = cli_chain.provider()
    real = uptime_bundle(provider.address)
    healthy = [{**s, "up": True, "latency_ms": 20.0} for s in real["samples"]]
    bundle = {**real, "samples": healthy}
    with evidence_server(bundle) as server:
        incident = slash(cli_chain, provider.address, bundle)
        report = json_out(cli_chain.cli("incidents", "evidence", incident, "--from", server, "--json"))
        human = assert_ok(cli_chain.cli("incidents", "evidence", incident, "--from", server)).stdout

    rerun = report["verdicts"][0]["rerun"]
    assert rerun["possible"] is True and rerun["fires"] is False and rerun["detections"] == []
    assert "does NOT fire" in human


def test_hand_made_evidence_is_shown_without_a_rule_to_re_run(cli_chain):
    provider, _ = cli_chain.provider()
    bundle = {"provider": provider.address, "note": "[bold]seen down\x1b[31m by hand"}
    with evidence_server(bundle) as server:
        incident = slash(cli_chain, provider.address, bundle)
        human = assert_ok(cli_chain.cli("incidents", "evidence", incident, "--from", server)).stdout

    assert "not possible" in human and "names no rule" in human
    assert "[bold]seen down\\x1b[31m by hand" in human  # shown as written, the escape defused
    assert "\x1b" not in human


@pytest.mark.parametrize(
    ("args", "words", "code"),
    [
        (["0x" + "ab" * 32], ["no executed incident"], 1),
        (["0x1234"], ["32-byte id"], 2),
        (["0x" + "ab" * 32, "--from", "ftp://oracle.example"], ["http://"], 2),
        (["0x" + "ab" * 32, "--from", "http://oracle .example"], ["visible ASCII"], 2),
    ],
)
def test_bad_input_is_one_clear_paragraph(cli_chain, args, words, code):
    assert_error(cli_chain.cli("incidents", "evidence", *args), *words, code=code)
