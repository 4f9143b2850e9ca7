"""Why was I slashed? The evidence of an incident's verdicts, from the oracles that signed them.

For each executed verdict of an incident (the first execution, then each upgrade) this reads its
signers from the chain (`VerdictApproved`), each signer's evidence server from its latest
`EvidenceServerAnnounced` event on the OracleCommittee, and fetches
``<server>/evidence/<evidence hash>`` (at most :data:`MAX_EVIDENCE_BYTES`, no redirects) until one
answer hashes (keccak256) to the verdict's evidence hash. A body that hashes to anything else is
refused: the server served something other than what the committee signed.

A bundle written by the oracle daemon names the rule that fired, the rule's parameters, every
detector setting (``detector_params``) and the samples the rule held. :func:`rerun` builds that
rule again from those settings and feeds it the samples, in order, from an empty state: the answer
says whether it still fires, and whether it reproduces the recorded detection (same sample time,
same value). Only the recorded samples are replayed, so a rule whose state reaches further back
than them (the anomaly rule's running averages) may judge differently; the answer says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_utils import keccak

from .errors import SwarmStakeError

if TYPE_CHECKING:
    from .chain import Client
    from .deploy import Registry
    from .incidents import IncidentView

#: Largest evidence body read from a server (a daemon's bundle holds at most 256 bounded samples:
#: well under 1 MiB). A larger answer is refused without reading the rest.
MAX_EVIDENCE_BYTES = 1 << 20
#: Seconds a server has to connect and to send each part of its answer.
FETCH_TIMEOUT = 5.0


class EvidenceUnavailable(SwarmStakeError, LookupError):
    """No server served the evidence of a verdict that hashes to the verdict's evidence hash."""


class ServerAnswer(SwarmStakeError, ValueError):
    """One server's answer that is not the evidence: unreachable, an error status, too large, or a
    body that hashes to something else. ``outcome`` is a short name for scripts."""

    def __init__(self, outcome: str, message: str):
        self.outcome = outcome
        super().__init__(message)


@dataclass(frozen=True)
class Server:
    """Where to ask: a signer's announced server (``signer`` set) or one named with ``--from``."""

    url: str | None
    signer: str | None = None

    def label(self) -> str:
        who = f" (signer {self.signer})" if self.signer else ""
        return f"{self.url}{who}" if self.url else f"signer {self.signer}"


# -- fetching --------------------------------------------------------------------------------


def fetch(url: str, evidence_hash: str, max_bytes: int = MAX_EVIDENCE_BYTES, timeout: float = FETCH_TIMEOUT) -> bytes:
    """The body of ``url``/evidence/``evidence_hash`` if it hashes to ``evidence_hash``; ServerAnswer otherwise."""
    import requests

    where = f"{url.rstrip('/')}/evidence/{evidence_hash}"
    try:
        with requests.get(where, timeout=timeout, stream=True, allow_redirects=False) as response:
            if response.status_code == 404:
                raise ServerAnswer("not found", f"{url} does not hold the evidence {evidence_hash} (404)")
            if response.status_code != 200:
                raise ServerAnswer("error", f"{url} answered {response.status_code} {response.reason or ''}".rstrip())
            body = _read_capped(response, url, max_bytes)
    except requests.RequestException as exc:
        raise ServerAnswer("unreachable", f"{url} is unreachable ({type(exc).__name__})") from None
    served = "0x" + keccak(body).hex()
    if served != evidence_hash:
        raise ServerAnswer("hash mismatch", f"{url} served something else: its {len(body)} bytes hash to {served}, "
                           f"not to the verdict's evidence hash {evidence_hash}")  # fmt: skip
    return body


def _read_capped(response: Any, url: str, max_bytes: int) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ServerAnswer("too large", f"{url} offered {int(declared)} bytes; evidence is read up to "
                           f"{max_bytes} bytes")  # fmt: skip
    body = bytearray()
    for chunk in response.iter_content(chunk_size=65536):
        body += chunk
        if len(body) > max_bytes:
            raise ServerAnswer("too large", f"{url} sent more than {max_bytes} bytes; evidence is read up to "
                               f"{max_bytes} bytes")  # fmt: skip
    return bytes(body)


def first_verified(servers: list[Server], evidence_hash: str, max_bytes: int = MAX_EVIDENCE_BYTES,
                   ) -> tuple[Server, bytes, list[dict[str, Any]]]:  # fmt: skip
    """Ask each server in turn; the first that serves the evidence, its body, and every attempt."""
    attempts: list[dict[str, Any]] = []
    for server in servers:
        if server.url is None:
            attempts.append({"url": None, "signer": server.signer, "outcome": "no server",
                             "detail": f"signer {server.signer} announced no evidence server"})  # fmt: skip
            continue
        try:
            body = fetch(server.url, evidence_hash, max_bytes)
        except ServerAnswer as exc:
            attempts.append({"url": server.url, "signer": server.signer, "outcome": exc.outcome, "detail": str(exc)})
            continue
        attempts.append({"url": server.url, "signer": server.signer, "outcome": "verified", "detail": ""})
        return server, body, attempts
    raise EvidenceUnavailable(_unavailable(evidence_hash, attempts))


def _unavailable(evidence_hash: str, attempts: list[dict[str, Any]]) -> str:
    if not attempts:
        return f"no evidence server to ask for the evidence {evidence_hash}; name one with --from URL"
    if len(attempts) == 1:
        return f"the evidence {evidence_hash} could not be verified: {attempts[0]['detail']}"
    details = "; ".join(a["detail"] for a in attempts)
    return f"no evidence server served the evidence {evidence_hash} ({len(attempts)} tried): {details}"


# -- where the servers are -------------------------------------------------------------------


def announced_servers(client: Client, registry: Registry) -> dict[str, str]:
    """Each committee member's latest announced evidence server URL, by member address."""
    committee = client.contract("OracleCommittee", registry.address("OracleCommittee"))
    logs = committee.events.EvidenceServerAnnounced().get_logs(from_block=registry.start_block)
    latest: dict[str, str] = {}
    for log in sorted(logs, key=lambda log: (log["blockNumber"], log["logIndex"])):
        latest[log["args"]["member"]] = log["args"]["url"]
    return latest


# -- re-running the rule ---------------------------------------------------------------------


def rerun(bundle: Any) -> dict[str, Any]:
    """Build the bundle's rule from its ``detector_params`` and replay its samples in order.

    Returns ``{"possible": bool, "reason": str, "fires": bool, "detections": [{"at", "value"}],
    "reproduces": bool, "parameters_match": bool, "note": str}``; ``possible`` is False (with the
    reason) when the bundle is not a daemon's detection bundle or its settings or samples are invalid.
    """
    from pydantic import ValidationError

    from .oracle.detectors import DetectorParams
    from .oracle.samples import Sample

    if not isinstance(bundle, dict) or not isinstance(bundle.get("rule"), str) or \
            not isinstance(bundle.get("samples"), list):  # fmt: skip
        return _impossible("the bundle names no rule and samples (not written by an oracle daemon)")
    if not bundle.get("detector_params"):
        return _impossible("the bundle records no detector settings (detector_params); it was written by an "
                           "older daemon, so its rule cannot be built again")  # fmt: skip
    try:
        settings = DetectorParams(**bundle["detector_params"])
        detector = _rule(bundle["rule"], settings, bundle.get("params"))
        samples = [Sample.from_json(sample) for sample in bundle["samples"]]
    except (ValidationError, ValueError, TypeError, KeyError) as exc:
        return _impossible(f"the bundle's settings or samples are invalid: {_first_line(exc)}")
    found = [d for d in map(detector.observe, samples) if d is not None]
    detections = [{"at": d.at, "value": d.value} for d in found]
    reproduces = any(d.at == bundle.get("at") and d.value == bundle.get("value") for d in found)
    note = ""
    if bundle["rule"] == "anomaly":
        note = ("the anomaly rule's running mean and variance start from the recorded samples only, not from the "
                "oracle's longer history, so the replay may judge differently")  # fmt: skip
    return {"possible": True, "reason": "", "fires": bool(found), "detections": detections, "reproduces": reproduces,
            "parameters_match": detector.params == bundle.get("params"), "note": note}  # fmt: skip


def _rule(name: str, settings: Any, params: Any) -> Any:
    from .oracle import detectors as d

    if name == "software_hash":
        expected = params.get("expected") if isinstance(params, dict) else None
        return d.SoftwareHashDetector(settings, expected)  # ValueError without an expected hash
    rules = {"uptime": d.UptimeDetector, "latency_p95": d.LatencyP95Detector, "error_rate": d.ErrorRateDetector,
             "anomaly": d.AnomalyDetector, "data_integrity": d.IntegrityDetector}  # fmt: skip
    if name not in rules:
        raise ValueError(f"unknown rule {name[:40]!r}")
    return rules[name](settings)


def _impossible(reason: str) -> dict[str, Any]:
    return {"possible": False, "reason": reason, "fires": False, "detections": [], "reproduces": False,
            "parameters_match": False, "note": ""}  # fmt: skip


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__


# -- the whole review ------------------------------------------------------------------------


def review(client: Client, registry: Registry, incident_id: str, from_url: str | None = None,
           max_bytes: int = MAX_EVIDENCE_BYTES) -> dict[str, Any]:  # fmt: skip
    """The evidence of every executed verdict of ``incident_id``, verified and re-run (JSON-ready).

    Raises ConfigError for an unknown incident and EvidenceUnavailable when a verdict's evidence
    cannot be had from any server."""
    from .incidents import Incidents

    incidents = Incidents(client, registry)
    views = incidents.executed(incident_id)
    announced = {} if from_url else announced_servers(client, registry)
    verdicts = []
    for view in views:
        signers = incidents.signers(view.digest)
        servers = [Server(from_url)] if from_url else [Server(announced.get(s), s) for s in signers]
        try:
            source, body, attempts = first_verified(servers, view.evidence_hash, max_bytes)
        except EvidenceUnavailable as exc:
            which = f" (verdict {view.digest})" if len(views) > 1 else ""
            raise EvidenceUnavailable(f"{exc}{which}") from None
        verdicts.append(_verdict_entry(view, signers, source, body, attempts))
    return {"incident_id": incident_id, "provider": views[0].provider, "verdicts": verdicts}


def _verdict_entry(view: IncidentView, signers: list[str], source: Server, body: bytes,
                   attempts: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    try:
        bundle: Any = json.loads(body)
    except ValueError:
        bundle = None
    return {
        "digest": view.digest,
        "evidence_hash": view.evidence_hash,
        "violation_class": view.violation_class.name.lower(),
        "severity": view.severity.name.lower(),
        "level": view.level.name.lower(),
        "executed_block": view.executed_block,
        "signers": signers,
        "source": source.url,
        "servers": attempts,
        "bundle": bundle,
        "bundle_bytes": len(body),
        "rerun": rerun(bundle) if bundle is not None else _impossible("the evidence is not JSON"),
    }
