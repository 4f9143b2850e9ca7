"""The oracle daemon: measure providers, detect, sign and submit verdicts, co-sign what it can
confirm, attest restoration, and never lose or repeat anything across kills, outages and reorgs.

One cycle (every ``interval`` seconds):

1. **measure**: probe every provider's health, scrape its metrics, challenge its data now and
   then; feed the samples to the detectors; store each detection (and its evidence bundle)
   before acting on it.
2. **chain step** (skipped with back-off while the RPC is down; measuring goes on): notice
   reorgs, read confirmed events, reconcile sent transactions, then take at most one action:
   re-send what was signed but not sent, co-sign a proposal its own detections confirm,
   propose a verdict for a new detection, or attest an ended observation epoch.
3. **save** what was measured, in one SQLite transaction per cycle: the samples of the
   detectors' sliding windows and the per-bucket totals of providers under an incident. A
   restart replays the windows into the detectors and reloads the totals, so an observation
   epoch is judged on everything measured before a kill.

Proposals of one failure (same provider and class, incident buckets at most one apart) converge:
each member co-signs the earliest proposal recorded on chain at a severity its own measurement
reaches, and gives up a later proposal of its own at that severity. Its conflict key is
``verdict:<incident>:<severity>``.

Every message is recorded in SQLite under a conflict key *before* it is signed, and every
transaction is stored (raw, signed) before it is broadcast; a restart re-sends the very same
transaction. One transaction is in flight at a time.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import requests
from web3.exceptions import ContractCustomError, ContractLogicError, TransactionNotFound

from ..chain import decode_revert
from ..evidence import canonical_json
from ..models import Level, RestorationAttestation, Verdict, ViolationClass, incident_id
from ..recovery import attestable_epoch
from ..signing import digest as eip712_digest
from ..signing import sign
from .chainwatch import ChainEvent, ChainWatcher
from .collectors import dataset, dataset_root
from .detectors import DetectorSet, RestorationMeter
from .probe import ProbeEngine, ProbeSettings
from .samples import Detection, Sample, decode_samples, encode_samples
from .server import DaemonServer, EvidenceStore, Metrics
from .store import ConflictingSignature, Store

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3 import Web3

    from ..deploy import Registry
    from .config import DaemonConfig

log = logging.getLogger("swarm_stake.oracle")

#: Reverts that mean "someone already did it": the message is done, nothing is sent.
ALREADY_DONE = {
    "DuplicateSigner", "IncidentAlreadyExecuted", "WrongObservationEpoch", "NotObserving",
}  # fmt: skip


#: A remainder is collected once the caps allow at least 1/COLLECT_FRACTION of it (or all of it): the
#: rolling caps free a little every second, and a transaction per trickle would waste gas.
COLLECT_FRACTION = 10

#: ``SwarmLens.stateOf``: approvals recorded, nothing executed (a verdict may still be added).
PHASE_DETECTED = 1
#: Why a detection is not proposed, by the status it gets.
COVERED_NOTES = {
    "responded": "an incident of this failure is open",
    "awaiting-cosign": "another oracle proposed it",
    "duplicate": "already proposed",
}


def verdict_key(verdict: Verdict) -> str:
    """The conflict key of a verdict: one signed verdict per incident and severity."""
    return f"verdict:{verdict.incident_id}:{int(verdict.severity)}"


#: Gas limits that cover the approval that reaches quorum and executes (unused gas is not paid).
GAS_FLOOR = {"verdict": 500_000, "attestation": 250_000}
#: Transactions tried per signed message before it is given up.
MAX_ATTEMPTS = 3


def _hex(value: Any) -> str:
    return "0x" + bytes(value).hex() if isinstance(value, bytes | bytearray) else str(value).lower()


def endpoint_of(metadata_uri: str) -> str:
    """The node's base URL from its registered metadata URI (a base URL or its /health URL)."""
    uri = metadata_uri.strip().rstrip("/")
    return uri.removesuffix("/health")


class OracleDaemon:
    def __init__(self, config: DaemonConfig, w3: Web3, registry: Registry, account: LocalAccount,
                 clock: Callable[[], float] = time.time):  # fmt: skip
        self.config = config
        self.w3 = w3
        self.registry = registry
        self.account = account
        self.address = account.address
        self.clock = clock
        self.chain_id = registry.chain_id
        abi_contract = self._contract
        self.manager = abi_contract("VerdictManager")
        self.lens = abi_contract("SwarmLens")
        self.escrow = abi_contract("RecoveryEscrow")
        self.committee = abi_contract("OracleCommittee")
        self.stake = abi_contract("StakeManager")
        # Upgrades are applied by the AppealCourt (a registry of the verdict contracts alone has none).
        self.court = abi_contract("AppealCourt") if "AppealCourt" in registry.contracts else None
        self.store = Store(config.db_path)
        self.evidence = EvidenceStore(config.evidence_dir)
        self.metrics = Metrics()
        self.watcher = ChainWatcher(
            w3, {"StakeManager": self.stake, "VerdictManager": self.manager, "RecoveryEscrow": self.escrow,
                 **({"AppealCourt": self.court} if self.court is not None else {})},
            self.store, config.confirmations, config.scan_chunk, registry.start_block,
        )  # fmt: skip
        self.detectors = DetectorSet(config.detectors, config.software_hash)
        self.meter = RestorationMeter(config.detectors)
        self.prober = ProbeEngine(ProbeSettings.of(config), dataset_root(dataset(config.dataset_seed,
                                  config.dataset_chunks)), config.dataset_chunks)  # fmt: skip
        self.server: DaemonServer | None = None
        self.offset = 0.0  # chain time minus wall time, from the latest block
        self.cycles = 0
        self.last_cycle_end = 0.0
        self.chain_ok = False
        self.next_chain_attempt = 0.0
        self.chain_failures = 0
        self.suspect_until = 0.0
        self._committee: tuple[int, int, list[str]] = (0, 0, [])
        self._windows: tuple[int, int, int] | None = None
        self._stop = threading.Event()
        self._notifier: threading.Thread | None = None
        self._unsaved: list[Sample] = []  # measured this cycle, saved at its end
        self._announced = False  # the evidence server's URL is settled on chain for this run
        self._executed: dict[str, Verdict] = {}  # verdicts executed in the block being read, by incident
        self._recover()

    def _contract(self, name: str) -> Any:
        from ..abis import load_abi

        return self.w3.eth.contract(address=self.registry.address(name), abi=load_abi(name))

    # -- lifecycle ---------------------------------------------------------------------------

    def start_server(self) -> str:
        try:
            server = DaemonServer(self.config.listen_host, self.config.listen_port, self.evidence, self.metrics,
                                  self.health)  # fmt: skip
        except OSError as exc:
            from ..errors import ConfigError

            raise ConfigError(f"cannot listen on {self.config.listen_host}:{self.config.listen_port} "
                              f"({exc.strerror or exc}); choose another --listen HOST:PORT") from exc  # fmt: skip
        self.server = server.start()
        return self.server.url

    def run(self, cycles: int | None = None) -> None:
        """Run cycles until :meth:`stop` (or ``cycles`` cycles)."""
        if self.server is None:
            self.start_server()
        self._notifier = threading.Thread(target=self._deliver_loop, name="webhooks", daemon=True)
        self._notifier.start()
        log.info("oracle started", extra={"fields": {"oracle": self.address, "http": self.server.url if self.server else None,
                                                     "state": str(self.config.state_dir)}})  # fmt: skip
        done = 0
        while not self._stop.is_set():
            started = self.clock()
            self.cycle()
            done += 1
            if cycles is not None and done >= cycles:
                break
            self._stop.wait(max(0.0, self.config.interval - (self.clock() - started)))
        self.close()

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        if self.server is not None:
            self.server.stop()
            self.server = None
        self.prober.close()
        self.store.close()

    def cycle(self) -> None:
        started = time.monotonic()
        try:
            self.measure()
            self.save_measurements()
            if self.clock() >= self.next_chain_attempt:
                self.chain_step_guarded()
        except Exception:  # one place for every unforeseen error: log it, keep the daemon alive
            log.exception("cycle failed")
        finally:
            self.cycles += 1
            self.last_cycle_end = self.clock()
            self.metrics.cycle.observe(time.monotonic() - started)

    def health(self) -> tuple[bool, dict[str, Any]]:
        age = self.clock() - self.last_cycle_end if self.last_cycle_end else None
        alive = age is not None and age < 5 * self.config.interval + 5
        details = {
            "status": "ok" if alive and self.chain_ok else "degraded",
            "oracle": self.address, "cycles": self.cycles, "last_cycle_age_s": age,
            "chain_ok": self.chain_ok, "last_block": self.store.last_block,
            "suspecting_own_network": self.clock() < self.suspect_until,
        }  # fmt: skip
        return alive, details

    # -- measuring ---------------------------------------------------------------------------

    def endpoints(self) -> dict[str, str]:
        endpoints = self.store.providers()
        endpoints.update(self.config.providers)
        return endpoints

    def measure(self) -> list[Sample]:
        endpoints = self.endpoints()
        if not endpoints:
            return []
        samples = self.prober.measure(endpoints, self.cycles)
        down = sum(1 for s in samples if s.kind == "health" and not s.up)
        if len(endpoints) >= self.config.suspect_min_providers and down >= self.config.suspect_fraction * len(endpoints):
            if self.clock() >= self.suspect_until:
                log.warning("many providers fail at once: suspecting the oracle's own network, holding proposals",
                            extra={"fields": {"down": down, "providers": len(endpoints)}})  # fmt: skip
            self.suspect_until = self.clock() + 3 * self.config.interval
        for sample in samples:
            self.ingest(sample)
        return samples

    def ingest(self, sample: Sample) -> list[Detection]:
        """Feed one sample to the meter and the detectors; store and announce each detection."""
        self.metrics.samples.labels(sample.kind).inc()
        self._unsaved.append(sample)
        self.meter.record(sample)
        detections = self.detectors.observe(sample)
        for detection in detections:
            self.record_detection(detection)
        return detections

    def record_detection(self, detection: Detection) -> int:
        bundle = detection.evidence(self.address)
        evidence_hash = self.evidence.put(bundle)
        observed_at = int(detection.at + self.offset)
        detection_id = self.store.add_detection(
            detection.provider, detection.rule, int(detection.violation_class), int(detection.severity), detection.at,
            observed_at, evidence_hash,
        )  # fmt: skip
        self.metrics.detections.labels(detection.rule, detection.severity.name.lower()).inc()
        log.info("detection", extra={"fields": {
            "provider": detection.provider, "rule": detection.rule, "value": detection.value,
            "class": detection.violation_class.name, "severity": detection.severity.name, "evidence": evidence_hash,
        }})  # fmt: skip
        self.notify(f"detection:{detection_id}", "detection", {
            "provider": detection.provider, "rule": detection.rule, "class": detection.violation_class.name.lower(),
            "severity": detection.severity.name.lower(), "evidence_hash": evidence_hash, "at": detection.at,
        })  # fmt: skip
        return detection_id

    # -- what was measured survives a restart ------------------------------------------------

    def _window_span(self) -> float:
        """How far back the detectors' windows reach (plus a bucket of margin)."""
        params = self.config.detectors
        return params.window_seconds + 2 * params.bucket_seconds

    def _recover(self) -> None:
        """Reload what earlier runs measured: the epoch totals, and the detectors' windows, replayed.

        A cycle's samples are saved after its detections were stored, so what the replay detects
        is already stored: it only rebuilds the rules' state (windows, armed, last detection)."""
        self.meter.watch(self.store.watched_providers())
        buckets = self.meter.restore(self.store.epoch_buckets())
        replayed = 0
        for batch in self.store.sample_window(self.clock() - self._window_span()):
            try:
                samples = decode_samples(batch)
            except ValueError as exc:
                log.warning("skipped a damaged batch of saved samples", extra={"fields": {"error": str(exc)[:200]}})
                continue
            self.detectors.observe_all(samples)
            replayed += len(samples)
        if buckets or replayed:
            log.info("recovered what was measured before the restart",
                     extra={"fields": {"epoch_buckets": buckets, "window_samples": replayed}})  # fmt: skip

    def save_measurements(self) -> None:
        """Save this cycle's samples and changed epoch totals in one transaction."""
        now = self.clock()
        samples, self._unsaved = self._unsaved, []
        rows = self.meter.dirty()
        try:
            self.store.save_measurements(now, encode_samples(samples) if samples else None, now - self._window_span(),
                                         rows, self.meter.oldest_bucket(now))  # fmt: skip
        except sqlite3.Error:
            oldest = now - self._window_span()
            self._unsaved = [s for s in samples if s.at >= oldest] + self._unsaved  # tried again next cycle
            raise
        self.meter.saved()
        self.meter.watch(self.store.watched_providers())

    # -- the chain ---------------------------------------------------------------------------

    def chain_step_guarded(self) -> None:
        try:
            self.chain_step()
        except (requests.exceptions.RequestException, ConnectionError, TimeoutError, OSError) as exc:
            self._chain_down(exc)
        except Exception as exc:
            if type(exc).__module__.startswith(("web3", "requests", "urllib3")):
                self._chain_down(exc)
            else:
                raise
        else:
            if not self.chain_ok:
                log.info("chain reachable", extra={"fields": {"after_failures": self.chain_failures}})
            self.chain_ok = True
            self.chain_failures = 0

    def _chain_down(self, exc: Exception) -> None:
        self.chain_ok = False
        self.chain_failures += 1
        self.metrics.rpc_errors.inc()
        wait = min(self.config.backoff_max, self.config.interval * 2 ** min(self.chain_failures - 1, 6))
        self.next_chain_attempt = self.clock() + wait
        log.warning("chain step failed; measuring goes on", extra={"fields": {
            "error": f"{type(exc).__name__}: {exc}"[:300], "retry_in_s": round(wait, 2)}})  # fmt: skip

    def chain_step(self) -> None:
        latest = self.w3.eth.get_block("latest")
        head, chain_now = latest["number"], latest["timestamp"]
        self.offset = chain_now - self.clock()
        self._refresh_committee()
        fork = self.watcher.check_reorg()
        if fork is not None:
            self._after_reorg(fork)
        self.watcher.scan(head, self.apply)
        if self.store.last_block is not None:
            self.metrics.last_block.set(self.store.last_block)
        if not self._announced and self.announce_evidence_server():
            return  # the announcement went out: one new transaction per step
        if self.reconcile(head):
            return  # a transaction is in flight: one at a time
        for action in (self._resend_signed, self._cosign, self._propose, self._attest, self._collect):
            if action(head, chain_now):
                return

    def _refresh_committee(self) -> None:
        epoch, size, threshold = self.committee.functions.config().call()
        if epoch != self._committee[0]:
            members = [self.committee.functions.memberAt(epoch, i).call() for i in range(size)]
            self._committee = (epoch, threshold, members)
        # Windows follow the network's parameters: governance may change them at any block.
        windows = self.manager.functions.windows().call()
        self._windows = (windows[0], windows[1], windows[5])  # max age, grace, bucket length

    @property
    def committee_epoch(self) -> int:
        return self._committee[0]

    @property
    def is_member(self) -> bool:
        return self.address in self._committee[2]

    def _after_reorg(self, fork: int) -> None:
        self.metrics.reorgs.inc()
        reopened = 0
        for tx in self.store.txs("mined", "reverted"):
            if tx.block is not None and tx.block > fork:
                self.store.set_tx(tx.tx_hash, "pending")
                reopened += 1
        log.warning("reorg: re-checking everything after the fork",
                    extra={"fields": {"fork_block": fork, "transactions_rechecked": reopened}})  # fmt: skip

    # -- events ------------------------------------------------------------------------------

    def apply(self, event: ChainEvent) -> None:
        args = event.args
        handler = getattr(self, f"_on_{event.name}", None)
        if handler is not None:
            handler(event, args)

    def _on_ProviderRegistered(self, event: ChainEvent, args: dict[str, Any]) -> None:  # noqa: N802
        self.store.set_provider(args["provider"], endpoint_of(args["metadataURI"]), event.block)

    _on_MetadataURIChanged = _on_ProviderRegistered  # noqa: N815

    def _on_VerdictApproved(self, event: ChainEvent, args: dict[str, Any]) -> None:  # noqa: N802
        digest = _hex(args["digest"])
        if args["signer"] == self.address:
            own = self.store.signature(digest)
            if own is None:
                return
            if own["status"] in ("signing", "signed", "sent", "submitted"):
                self.store.set_signature_status(digest, "approved")
            # Its own proposals are recorded too: "the earliest proposal of a failure" is chain order for all.
            self.store.add_proposal(digest, own["incident_id"], own["provider"], own["violation_class"], self.address,
                                    json.loads(own["message"]), event.block, event.tx_hash, event.log_index,
                                    status="signed")  # fmt: skip
            return
        verdict = self._verdict_from_tx(event.tx_hash, digest)
        if verdict is None:
            log.warning("cannot read the proposed verdict from its transaction",
                        extra={"fields": {"digest": digest, "tx": event.tx_hash}})  # fmt: skip
            return
        self.store.add_proposal(digest, verdict.incident_id, verdict.provider, int(verdict.violation_class),
                                args["signer"], verdict.model_dump(mode="json"), event.block, event.tx_hash,
                                event.log_index)  # fmt: skip

    def _verdict_from_tx(self, tx_hash: str, digest: str) -> Verdict | None:
        """The verdict a transaction approved (submit or approve, or a VerdictBatcher batch), matched by digest."""
        from ..abis import load_abi

        tx = self.w3.eth.get_transaction(tx_hash)
        params: dict[str, Any] = {}
        for abi in (self.manager.abi, load_abi("VerdictBatcher")):
            try:
                params = self.w3.eth.contract(abi=abi).decode_function_input(tx["input"])[1]
                break
            except ValueError:
                continue
        candidates = params.get("verdicts_") or params.get("verdicts") or [params.get("verdict")]
        for raw in candidates:
            if raw is None:
                continue
            verdict = _verdict(raw)
            if "0x" + eip712_digest(verdict, self.chain_id, self.manager.address).hex() == digest:
                return verdict
        return None

    def _on_VerdictExecuted(self, event: ChainEvent, args: dict[str, Any]) -> None:  # noqa: N802
        incident = _hex(args["incidentId"])
        verdict = _verdict(args["verdict"])
        self._executed[incident] = verdict  # a RemainderOwed of the same transaction follows, if any
        self.store.set_incident(incident, args["provider"], int(verdict.violation_class), "open", event.block,
                                int(verdict.severity), verdict.observed_at)  # fmt: skip
        self._answered(args, verdict)
        self.notify(f"response:{incident}", "response", {
            "incident_id": incident, "provider": args["provider"], "level": Level(args["level"]).name.lower(),
            "slashed": str(args["amount"]), "jailed_until": args["jailedUntil"], "block": event.block,
            "tx": event.tx_hash,
        })  # fmt: skip

    def _answered(self, args: dict[str, Any], verdict: Verdict) -> None:
        """A verdict executed or upgraded an incident: this oracle's proposal and signature of it are done,
        and every other pending proposal of the same failure at or below its severity is superseded (one of
        another failure, or a higher measurement of this one, an upgrade, is still to be co-signed)."""
        digest = _hex(args["digest"])
        for row in self.store.pending_proposals(args["provider"], int(verdict.violation_class)):
            if row["digest"] == digest:
                self.store.set_proposal_status(digest, "executed")
            elif self.same_failure(row["observed_at"], verdict.observed_at) and row["severity"] <= verdict.severity:
                self.store.set_proposal_status(row["digest"], "superseded")
        if self.store.signature(digest) is not None:
            self.store.set_signature_status(digest, "executed")

    def _on_VerdictUpgraded(self, event: ChainEvent, args: dict[str, Any]) -> None:  # noqa: N802
        """An upgrade of an executed incident (DESIGN "No severity lock-in"): this oracle's signature of it,
        and every pending proposal of the failure at or below its severity, are done."""
        incident = _hex(args["incidentId"])
        self._answered(args, _verdict(args["verdict"]))
        self.notify(f"upgrade:{incident}:{_hex(args['digest'])}", "upgrade", {
            "incident_id": incident, "provider": args["provider"], "level": Level(args["level"]).name.lower(),
            "slashed": str(args["amount"]), "jailed_until": args["jailedUntil"], "block": event.block,
            "tx": event.tx_hash,
        })  # fmt: skip

    def _on_RemainderOwed(self, event: ChainEvent, args: dict[str, Any]) -> None:  # noqa: N802
        incident = _hex(args["incidentId"])
        verdict = self._executed.get(incident)
        if verdict is None:
            log.warning("a remainder is owed on an incident whose verdict was not read", extra={"fields": {
                "incident": incident, "block": event.block}})  # fmt: skip
            return
        owed = json.loads(self.store.get_meta("owed") or "{}")
        owed[incident] = verdict.model_dump(mode="json")
        self.store.set_meta("owed", json.dumps(owed))

    def _settle_owed(self, incident: str) -> None:
        owed = json.loads(self.store.get_meta("owed") or "{}")
        if owed.pop(incident, None) is not None:
            self.store.set_meta("owed", json.dumps(owed))

    def _on_RemainderCollected(self, event: ChainEvent, args: dict[str, Any]) -> None:  # noqa: N802
        if args["remainder"] == 0:
            self._settle_owed(_hex(args["incidentId"]))

    def _on_RemainderCleared(self, event: ChainEvent, args: dict[str, Any]) -> None:  # noqa: N802
        self._settle_owed(_hex(args["incidentId"]))

    def _close_incident(self, event: ChainEvent, args: dict[str, Any], phase: str) -> None:
        incident = _hex(args["incidentId"])
        self.store.set_incident_phase(incident, phase, event.block)
        self.store.set_claim(incident, args["provider"], event.block, status=phase)

    def _on_IncidentClosed(self, event: ChainEvent, args: dict[str, Any]) -> None:  # noqa: N802
        self._close_incident(event, args, "closed")

    def _on_VerdictOverturned(self, event: ChainEvent, args: dict[str, Any]) -> None:  # noqa: N802
        self._close_incident(event, args, "overturned")

    def _on_IncidentTombstoned(self, event: ChainEvent, args: dict[str, Any]) -> None:  # noqa: N802
        self._close_incident(event, args, "tombstoned")

    def _on_ClaimFiled(self, event: ChainEvent, args: dict[str, Any]) -> None:  # noqa: N802
        self.store.set_claim(_hex(args["incidentId"]), args["provider"], event.block)

    def _on_ClaimRejected(self, event: ChainEvent, args: dict[str, Any]) -> None:  # noqa: N802
        incident = _hex(args["incidentId"])
        self.store.db.execute("UPDATE claims SET status = 'rejected' WHERE incident_id = ?", (incident,))

    def _on_EpochAttested(self, event: ChainEvent, args: dict[str, Any]) -> None:  # noqa: N802
        incident = _hex(args["incidentId"])
        self.notify(f"restoration:{incident}:{args['epoch']}", "restoration", {
            "incident_id": incident, "epoch": args["epoch"], "passed": args["passed"],
            "vested_epochs": args["vestedEpochs"], "block": event.block,
        })  # fmt: skip

    def _on_RecoveryCompleted(self, event: ChainEvent, args: dict[str, Any]) -> None:  # noqa: N802
        incident = _hex(args["incidentId"])
        self.store.db.execute("UPDATE claims SET status = 'completed' WHERE incident_id = ?", (incident,))
        self.notify(f"recovered:{incident}", "recovered", {
            "incident_id": incident, "provider": args["provider"], "released": str(args["released"]),
            "forfeited": str(args["forfeited"]), "block": event.block,
        })  # fmt: skip

    # -- the evidence server's announcement --------------------------------------------------

    def evidence_url(self) -> str | None:
        """The URL this daemon announces: ``public_url``, else its server's address (None when that is a
        wildcard address such as 0.0.0.0, which names no reachable host)."""
        if self.config.public_url:
            return self.config.public_url
        if self.server is None or self.config.listen_host in ("0.0.0.0", "::", ""):
            return None
        return self.server.url

    def last_announced_url(self) -> str | None:
        """The URL of this oracle's latest `EvidenceServerAnnounced` event (None: it never announced)."""
        logs = self.committee.events.EvidenceServerAnnounced().get_logs(
            from_block=self.registry.start_block, argument_filters={"member": self.address}
        )
        latest = max(logs, key=lambda log: (log["blockNumber"], log["logIndex"]), default=None)
        return None if latest is None else latest["args"]["url"]

    def announce_evidence_server(self) -> bool:
        """Announce the evidence server's URL once per run, when it differs from the last one on chain;
        True when a transaction was sent in this step.

        A sent announcement is stored (meta ``announcement``) before it is broadcast, and followed
        until it settles, so a restart never sends the same URL twice. A refusal by the contract (no
        bond) is logged and the daemon carries on; an RPC failure is retried at the next chain step."""
        stored = self.store.get_meta("announcement") or ""
        if stored:
            return self._follow_announcement(json.loads(stored))
        url = self.evidence_url()
        if url is None:
            self._announced = True
            log.warning("evidence server not announced: it listens on a wildcard address; set public_url",
                        extra={"fields": {"listen": self.config.listen_host}})  # fmt: skip
            return False
        if self.last_announced_url() == url:
            self._announced = True
            log.info("evidence server already announced", extra={"fields": {"url": url}})
            return False
        return self._send_announcement(url)

    def _send_announcement(self, url: str) -> bool:
        fn = self.committee.functions.announceEvidenceServer(url)
        try:
            gas = fn.estimate_gas({"from": self.address})
        except (ContractCustomError, ContractLogicError) as exc:
            error = decode_revert(getattr(exc, "data", None))
            self._announced = True
            log.warning("the committee refused the evidence server's announcement; carrying on without it",
                        extra={"fields": {"url": url, "reason": str(error) if error else str(exc)}})  # fmt: skip
            return False
        record = self._send_plain("announcement", fn, gas, {"url": url})
        log.info("announcing the evidence server", extra={"fields": {"url": url, "tx": record["tx"],
                                                                      "nonce": record["nonce"]}})  # fmt: skip
        return True

    def _follow_announcement(self, record: dict[str, Any]) -> bool:
        receipt = self._follow_plain("announcement", record)
        if receipt is not None:
            self._announced = True
            if receipt["status"] == 1:
                log.info("evidence server announced", extra={"fields": {"url": record["url"], "tx": record["tx"]}})
            else:
                log.warning("the evidence server's announcement reverted", extra={"fields": {"tx": record["tx"]}})
        return False

    def _send_plain(self, key: str, fn: Any, gas: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Sign ``fn`` (a transaction outside the signed-message flow), store it under meta ``key`` and
        broadcast it: stored first, so that a restart follows this transaction instead of sending another."""
        nonce = self.w3.eth.get_transaction_count(self.address, "pending")
        signed = self.account.sign_transaction(
            fn.build_transaction({"from": self.address, "gas": gas + gas // 5, "nonce": nonce})
        )
        record = {**fields, "nonce": nonce, "tx": "0x" + bytes(signed.hash).hex(),
                  "raw": "0x" + bytes(signed.raw_transaction).hex()}  # fmt: skip
        self.store.set_meta(key, json.dumps(record))
        self._broadcast(record["raw"])
        return record

    def _follow_plain(self, key: str, record: dict[str, Any]) -> Any:
        """The receipt of the transaction stored under meta ``key`` once mined (the record is then
        cleared), else None: cleared as well when its nonce went to another transaction, or broadcast
        again (the very same bytes) when the node lost it."""
        try:
            receipt = self.w3.eth.get_transaction_receipt(record["tx"])
        except TransactionNotFound:
            receipt = None
        if receipt is not None:
            self.store.set_meta(key, "")
            return receipt
        if self.w3.eth.get_transaction_count(self.address, "latest") > record["nonce"]:
            self.store.set_meta(key, "")  # its nonce went to another transaction: check the chain again
            return None
        self._broadcast(record["raw"])  # lost before broadcast (a kill) or dropped
        return None

    def _collect(self, head: int, chain_now: int) -> bool:
        """Collect a remainder the slashing caps cut short, once the caps allow part of it (anyone may;
        each daemon does, so that the pool of a slashed provider does not wait for a person). A dry run
        first: nothing is sent that would revert (caps spent, paused, already collected). One collect
        per step, followed like the announcement (stored before it is broadcast)."""
        stored = self.store.get_meta("collecting") or ""
        if stored:
            return self._follow_collect(json.loads(stored))
        for incident, raw in json.loads(self.store.get_meta("owed") or "{}").items():
            fn = self.manager.functions.collect(Verdict.model_validate(raw).as_tuple())
            try:
                collectable = fn.call({"from": self.address})
                owed = self.manager.functions.remainderOf(incident).call()
                if collectable < owed and collectable * COLLECT_FRACTION < owed:
                    continue  # the rolling caps free a little every second: wait until a worthwhile part is free
                gas = fn.estimate_gas({"from": self.address})  # only for a collect that will be sent
            except (ContractCustomError, ContractLogicError) as exc:
                error = decode_revert(getattr(exc, "data", None))
                if error is not None and error.name in ("NothingOwed", "NotFinalizable"):
                    self._settle_owed(incident)  # collected by another, cancelled by an overturn
                continue
            record = self._send_plain("collecting", fn, gas, {"incident": incident})
            log.info("collecting a remainder", extra={"fields": {"incident": incident, "tx": record["tx"]}})
            return True
        return False

    def _follow_collect(self, record: dict[str, Any]) -> bool:
        receipt = self._follow_plain("collecting", record)
        if receipt is None:
            return bool(self.store.get_meta("collecting"))  # still in flight: one transaction at a time
        level = log.info if receipt["status"] == 1 else log.warning
        level("remainder collect settled", extra={"fields": {
            "incident": record["incident"], "tx": record["tx"], "status": receipt["status"]}})  # fmt: skip
        return False

    # -- transactions ------------------------------------------------------------------------

    def reconcile(self, head: int) -> bool:
        """Settle pending transactions; True while one is still in flight."""
        in_flight = False
        for tx in self.store.txs("pending"):
            try:
                receipt = self.w3.eth.get_transaction_receipt(tx.tx_hash)
            except TransactionNotFound:
                receipt = None
            if receipt is not None:
                outcome = "mined" if receipt["status"] == 1 else "reverted"
                self.store.set_tx(tx.tx_hash, outcome, receipt["blockNumber"])
                if self.store.signature(tx.digest)["status"] == "yielded":
                    pass  # given up for an earlier proposal of the same failure: nothing more to do
                elif outcome == "mined":
                    self.store.set_signature_status(tx.digest, "submitted")
                else:  # simulated fine but reverted when mined: simulate and try again, a bounded number of times
                    attempts = len(self.store.txs_of(tx.digest))
                    self.store.set_signature_status(tx.digest, "signed" if attempts < MAX_ATTEMPTS else "refused")
                    log.warning("reverted when mined: a transaction mined just before it probably did the same work "
                                "(a lost race); simulating it again", extra={"fields": {"tx": tx.tx_hash}})  # fmt: skip
                self.metrics.submissions.labels(tx.kind, outcome).inc()
                log.info("transaction settled", extra={"fields": {"tx": tx.tx_hash, "kind": tx.kind, "outcome": outcome,
                                                                  "block": receipt["blockNumber"]}})  # fmt: skip
                continue
            confirmed_nonce = self.w3.eth.get_transaction_count(self.address, "latest")
            if confirmed_nonce > tx.nonce:
                # Another transaction took this nonce (a replacement); this one can never be mined.
                self.store.set_tx(tx.tx_hash, "superseded")
                self.store.set_signature_status(tx.digest, "signed")
                continue
            try:
                self.w3.eth.get_transaction(tx.tx_hash)
                known = True
            except TransactionNotFound:
                known = False
            if not known:
                # Lost before broadcast (a kill) or dropped by a reorg: re-check, then send the same bytes.
                if not self._still_wanted(tx.digest):
                    self.store.set_tx(tx.tx_hash, "dropped")
                    continue
                self._broadcast(tx.raw)
                log.info("re-broadcast a stored transaction", extra={"fields": {"tx": tx.tx_hash, "nonce": tx.nonce}})
            in_flight = True
        return in_flight

    def _still_wanted(self, digest: str) -> bool:
        """Whether the signed message's transaction would still do something (simulated)."""
        row = self.store.signature(digest)
        if row is None or row["signature"] is None or row["status"] == "yielded":
            return False
        fn = self._function_for(row)
        try:
            fn.call({"from": self.address})
        except (ContractCustomError, ContractLogicError) as exc:
            error = decode_revert(getattr(exc, "data", None))
            self.store.set_signature_status(digest, "done" if error and error.name in ALREADY_DONE else "refused")
            log.info("a stored transaction is no longer needed", extra={"fields": {
                "digest": digest, "reason": error.name if error else str(exc)}})  # fmt: skip
            return False
        return True

    def _broadcast(self, raw: str) -> None:
        try:
            self.w3.eth.send_raw_transaction(raw)
        except ValueError as exc:  # "already known" and friends: the node has it
            if "known" not in str(exc).lower():
                raise

    def _function_for(self, row: Any) -> Any:
        message = json.loads(row["message"])
        signature = bytes.fromhex(row["signature"][2:])
        if row["kind"] == "verdict":
            return self.manager.functions.submit(Verdict(**message).as_tuple(), [signature])
        return self.escrow.functions.attest(RestorationAttestation(**message).as_tuple(), [signature])

    def send_signed(self, digest: str) -> bool:
        """Simulate, store and broadcast the transaction of a signed message; True if one was sent."""
        row = self.store.signature(digest)
        fn = self._function_for(row)
        kind = row["kind"]
        try:
            gas = fn.estimate_gas({"from": self.address})
        except (ContractCustomError, ContractLogicError) as exc:
            error = decode_revert(getattr(exc, "data", None))
            name = error.name if error else str(exc)
            done = error is not None and error.name in ALREADY_DONE
            self.store.set_signature_status(digest, "done" if done else "refused")
            self.metrics.submissions.labels(kind, "skipped" if done else "refused").inc()
            log.info("not sent", extra={"fields": {"digest": digest, "kind": kind, "reason": name}})
            return False
        nonce = self.w3.eth.get_transaction_count(self.address, "pending")
        # Whichever approval arrives last executes: every submission carries the gas for that.
        limit = max(gas + gas // 5, GAS_FLOOR[kind])
        tx = fn.build_transaction({"from": self.address, "gas": limit, "nonce": nonce})
        signed = self.account.sign_transaction(tx)
        raw = "0x" + bytes(signed.raw_transaction).hex()
        tx_hash = "0x" + bytes(signed.hash).hex()
        self.store.add_tx(digest, kind, nonce, tx_hash, raw)  # stored first: a restart sends these same bytes
        self.store.set_signature_status(digest, "sent")
        self._broadcast(raw)
        self.metrics.submissions.labels(kind, "sent").inc()
        log.info("sent", extra={"fields": {"digest": digest, "kind": kind, "tx": tx_hash, "nonce": nonce}})
        return True

    def sign_and_send(self, message: Verdict | RestorationAttestation, conflict_key: str, role: str,
                      deadline: int = 0, announce: str = "", fields: dict[str, Any] | None = None) -> bool:  # fmt: skip
        """Record the digest, sign, then send; False if this exact message was already handled.

        ``announce`` is logged (with ``fields``) once the message is recorded, never before: a
        judgement that was announced is always found again after a restart."""
        is_verdict = isinstance(message, Verdict)
        contract = self.manager if is_verdict else self.escrow
        digest = "0x" + eip712_digest(message, self.chain_id, contract.address).hex()
        provider = message.provider if isinstance(message, Verdict) else self._provider_of(message.incident_id)
        try:
            fresh = self.store.reserve_signature(
                digest, conflict_key, "verdict" if is_verdict else "attestation", role, message.incident_id, provider,
                int(message.violation_class) if isinstance(message, Verdict) else None,
                message.model_dump(mode="json"), deadline,
            )  # fmt: skip
        except ConflictingSignature as exc:
            log.error("refused to sign a conflicting message", extra={"fields": {"reason": str(exc)}})
            return False
        if not fresh and self.store.signature(digest)["status"] not in ("signing", "signed"):
            return False
        if announce and fresh:
            log.info(announce, extra={"fields": {"digest": digest, **(fields or {})}})
        signature = sign(message, self.chain_id, contract.address, self.account)
        self.store.set_signature(digest, "0x" + signature.hex())
        if is_verdict:
            self.metrics.verdicts.labels(role).inc()
        else:
            self.metrics.attestations.labels(role).inc()
        return self.send_signed(digest)

    def _provider_of(self, incident: str) -> str:
        row = self.store.db.execute("SELECT provider FROM claims WHERE incident_id = ?", (incident,)).fetchone()
        return row["provider"] if row else ""

    # -- actions (each returns True when it sent a transaction) --------------------------------

    def _resend_signed(self, head: int, chain_now: int) -> bool:
        for row in self.store.signatures("signing", "signed"):
            if row["kind"] == "verdict" and row["deadline"] < chain_now:
                self.store.set_signature_status(row["digest"], "expired")
                continue
            if row["signature"] is None:  # killed between recording and signing: sign the recorded message
                message = json.loads(row["message"])
                model = Verdict(**message) if row["kind"] == "verdict" else RestorationAttestation(**message)
                contract = self.manager if row["kind"] == "verdict" else self.escrow
                self.store.set_signature(row["digest"], "0x" + sign(model, self.chain_id, contract.address,
                                                                     self.account).hex())  # fmt: skip
            if self.send_signed(row["digest"]):
                return True
        return False

    def _suspecting(self) -> bool:
        if self.clock() < self.suspect_until:
            return True
        return False

    def _cosign(self, head: int, chain_now: int) -> bool:
        if not self.is_member:
            return False
        for row in self.store.proposals("open", "later"):
            verdict = Verdict(**json.loads(row["message"]))
            if not self._still_open(row, verdict, chain_now):
                continue
            if self._suspecting():
                self.metrics.held_back.inc()
                continue
            since = self.clock() - self.config.confirm_window
            own = self.store.latest_detection(verdict.provider, int(verdict.violation_class), since)
            if own is None or own["severity"] < verdict.severity:
                continue  # not (yet) confirmed by this oracle's own measurements
            if not self._earliest_of_failure(row):
                continue
            if verdict.severity < own["severity"] and self._higher_pending(verdict, chain_now):
                continue  # its own, higher measurement is proposed first
            if not self._holds_evidence(row, verdict):
                continue
            self._adopt(row["digest"], verdict)
            self.store.set_detection_status(own["id"], "cosigned", row["digest"])
            sent = self.sign_and_send(verdict, verdict_key(verdict), "cosigned", verdict.deadline,
                                      "co-signing a proposed verdict", {"proposer": row["proposer"],
                                      "provider": verdict.provider, "severity": verdict.severity.name})  # fmt: skip
            self.store.set_proposal_status(row["digest"], "signed")
            if sent:
                return True
        return False

    def _still_open(self, row: Any, verdict: Verdict, chain_now: int) -> bool:
        """Whether a recorded proposal is still one to co-sign (else its status says why not)."""
        digest = row["digest"]
        if verdict.deadline < chain_now:
            self.store.set_proposal_status(digest, "expired")
        elif verdict.committee_epoch != self.committee_epoch:
            self.store.set_proposal_status(digest, "stale", "committee epoch changed")
        elif self.store.signature(digest) is not None:
            self.store.set_proposal_status(digest, "signed")
        else:
            return True
        return False

    def same_failure(self, observed_a: int, observed_b: int) -> bool:
        """Two verdicts of one provider and class are one failure when their incident buckets are adjacent."""
        bucket_length = (self._windows or (0, 0, 1))[2]
        return abs(observed_a // bucket_length - observed_b // bucket_length) <= 1

    def _earliest_of_failure(self, row: Any) -> bool:
        """Whether ``row`` is the earliest pending proposal, in chain order, of its failure and severity
        (its own proposals included); a later one is marked so and left alone."""
        for other in self.store.pending_proposals(row["provider"], row["violation_class"]):
            if other["severity"] != row["severity"] or not self.same_failure(other["observed_at"], row["observed_at"]):
                continue
            if other["digest"] == row["digest"]:
                return True
            if row["status"] != "later":
                self.store.set_proposal_status(row["digest"], "later", f"earlier proposal {other['digest']}")
            return False
        return True

    def _higher_pending(self, verdict: Verdict, chain_now: int) -> bool:
        """Whether a higher severity of this failure is still to be proposed, or pending, by this oracle."""
        provider, violation_class = verdict.provider, int(verdict.violation_class)
        for detection in self.store.detections("new"):
            if (detection["provider"], detection["violation_class"]) == (provider, violation_class) and \
                    detection["severity"] > verdict.severity:  # fmt: skip
                return True
        for own in self.store.live_verdicts(provider, violation_class, chain_now):
            message = json.loads(own["message"])
            if message["severity"] > verdict.severity and self.same_failure(message["observed_at"], verdict.observed_at):
                return True
        return False

    def _holds_evidence(self, row: Any, verdict: Verdict) -> bool:
        if self.fetch_evidence(verdict.evidence_hash):
            return True
        if row["note"] != "evidence unavailable":
            self.store.set_proposal_status(row["digest"], row["status"], "evidence unavailable")
            log.warning("confirmed, but no peer serves the proposal's evidence yet; not co-signing",
                        extra={"fields": {"digest": row["digest"], "evidence": verdict.evidence_hash}})  # fmt: skip
        return False

    def _adopt(self, digest: str, verdict: Verdict) -> None:
        """Give up its own verdicts of the same failure and severity for the earlier proposal ``digest``."""
        for own in self.store.verdicts_on(verdict.provider, int(verdict.violation_class)):
            message = json.loads(own["message"])
            if own["digest"] == digest or own["status"] in ("yielded", "executed") or \
                    message["severity"] != verdict.severity or \
                    not self.same_failure(message["observed_at"], verdict.observed_at):  # fmt: skip
                continue
            self.store.yield_signature(own["digest"])
            log.info("gave up its own proposal for an earlier proposal of the same failure",
                     extra={"fields": {"own": own["digest"], "adopted": digest}})  # fmt: skip

    def fetch_evidence(self, evidence_hash: str) -> bool:
        """Keep a copy of the evidence of a verdict before co-signing it: local, else from the peers."""
        if self.evidence.get(evidence_hash) is not None:
            return True
        for peer in self.config.peers:
            try:
                response = requests.get(f"{peer.rstrip('/')}/evidence/{evidence_hash}", timeout=2)
            except requests.RequestException:
                continue
            if response.status_code != 200:
                continue
            try:
                self.evidence.put_bytes(evidence_hash, response.content)
            except ValueError:
                log.warning("a peer served evidence that does not match its hash", extra={"fields": {"peer": peer}})
                continue
            return True
        return False

    def _rank(self, provider: str, violation_class: int, bucket: int) -> int:
        """This oracle's turn to propose for a failure: a rotation of the committee per failure."""
        from eth_utils import keccak

        members = sorted(self._committee[2])
        if self.address not in members:
            return len(members)
        seed = int.from_bytes(keccak(f"{provider}:{violation_class}:{bucket}".encode()), "big")
        return (members.index(self.address) - seed) % len(members)

    def _propose(self, head: int, chain_now: int) -> bool:
        max_age, _, bucket_length = self._windows or (0, 0, 1)
        for row in self.store.detections("new"):
            if not self._may_propose(row):
                continue
            provider, violation_class, severity = row["provider"], row["violation_class"], row["severity"]
            observed_at = min(int(row["observed_at"]), chain_now)
            covered = self._covered(provider, violation_class, severity, observed_at, chain_now)
            upgrade = covered is not None
            if covered is not None:
                status, covered_severity, observed_at = covered
                if severity <= covered_severity:
                    self.store.set_detection_status(row["id"], status, COVERED_NOTES[status])
                    continue
            if chain_now - observed_at >= max_age - 2:
                self.store.set_detection_status(row["id"], "stale", "older than the maximum verdict age")
                continue
            if not upgrade:
                rank = self._rank(provider, violation_class, observed_at // bucket_length)
                if self.clock() < row["at"] + rank * self.config.propose_stagger:
                    continue  # an earlier-ranked oracle may propose first; co-sign that instead
                if self._unconfirmed_proposal(head, provider, violation_class, observed_at, bucket_length):
                    continue
            verdict = Verdict(
                incident_id=incident_id(provider, violation_class, observed_at, bucket_length), provider=provider,
                violation_class=ViolationClass(violation_class), severity=Level(severity),
                evidence_hash=row["evidence_hash"], observed_at=observed_at, deadline=observed_at + max_age,
                committee_epoch=self.committee_epoch,
            )  # fmt: skip
            if upgrade and not self.chain_accepts_upgrade(verdict):
                self.store.set_detection_status(row["id"], "responded", "a lower verdict of this failure is on chain; "
                                                "the chain refuses an upgrade of it")  # fmt: skip
                continue
            if not upgrade and self.lens.functions.stateOf(verdict.incident_id).call() > PHASE_DETECTED:
                self.store.set_detection_status(row["id"], "duplicate", "the incident is already on chain")
                continue
            self.store.set_detection_status(row["id"], "proposed", verdict.incident_id)
            if self.sign_and_send(verdict, verdict_key(verdict), "proposed", verdict.deadline,
                                  "proposing an upgrade" if upgrade else "proposing a verdict",
                                  {"provider": provider, "class": ViolationClass(violation_class).name,
                                   "severity": Level(severity).name, "incident": verdict.incident_id}):  # fmt: skip
                return True
        return False

    def _may_propose(self, row: Any) -> bool:
        """Whether this oracle may propose anything for a detection (else its status says why not)."""
        if row["severity"] == Level.WARNING:
            self.store.set_detection_status(row["id"], "noted", "warnings are notified, not proposed")
        elif not self.is_member:
            self.store.set_detection_status(row["id"], "noted", "not a committee member")
        elif self._suspecting():
            self.metrics.held_back.inc()
            self.store.set_detection_status(row["id"], "held", "own network suspected")
        else:
            return True
        return False

    def _covered(self, provider: str, violation_class: int, severity: int, observed_at: int,
                 chain_now: int) -> tuple[str, int, int] | None:  # fmt: skip
        """What already answers a failure measured at ``severity``, if anything: (the detection's
        status, the highest severity answered, the observedAt an upgrade must carry to name the
        same incident). Only answers to the same failure count (its incident bucket or an adjacent
        one): an open incident, or a proposal, of another failure of the class is no answer, since
        the chain executes every verdict as its own incident (DESIGN "No shield"). Another member's
        proposal above ``severity`` answers nothing: this oracle cannot confirm it, so it proposes
        what it measured."""
        found: list[tuple[str, int, int]] = [
            ("responded", incident["severity"], incident["observed_at"])
            for incident in self.store.open_incidents(provider, violation_class)
        ]
        for proposal in self.store.pending_proposals(provider, violation_class):
            if proposal["proposer"] != self.address and proposal["severity"] <= severity:
                found.append(("awaiting-cosign", proposal["severity"], proposal["observed_at"]))
        for own in self.store.live_verdicts(provider, violation_class, chain_now):
            message = json.loads(own["message"])
            found.append(("duplicate", message["severity"], message["observed_at"]))
        found = [answer for answer in found if self.same_failure(answer[2], observed_at)]
        if not found:
            return None
        status, highest, _ = max(found, key=lambda answer: answer[1])
        return status, highest, found[0][2]

    def chain_accepts_upgrade(self, verdict: Verdict) -> bool:
        """Whether the VerdictManager takes ``verdict``, a higher severity for an incident that already
        has a verdict: a dry run of its submission, so nothing is sent that would revert. The chain takes
        it while no verdict of the incident has executed, and afterwards as an upgrade (DESIGN "No
        severity lock-in"); it refuses an upgrade of an overturned or closed incident (``NotUpgradable``),
        one at or below the severity in force (``SeverityNotAbove``), and one overturned before."""
        try:
            self.manager.functions.submit(verdict.as_tuple(), []).call({"from": self.address})
        except (ContractCustomError, ContractLogicError) as exc:
            error = decode_revert(getattr(exc, "data", None))
            log.info("an upgrade is not proposed: the chain refuses it", extra={"fields": {
                "incident": verdict.incident_id, "severity": verdict.severity.name,
                "reason": error.name if error else str(exc)[:200]}})  # fmt: skip
            return False
        return True

    def _unconfirmed_proposal(self, head: int, provider: str, violation_class: int, observed_at: int,
                              bucket_length: int) -> bool:  # fmt: skip
        """Whether a not-yet-confirmed block already carries another oracle's proposal for this failure."""
        last = self.store.last_block
        if last is None or last >= head:
            return False
        bucket = observed_at // bucket_length
        ids = {incident_id(provider, violation_class, b * bucket_length, bucket_length)
               for b in (bucket - 1, bucket, bucket + 1)}  # fmt: skip
        for event in self.watcher.logs(last + 1, head):
            if event.name == "VerdictApproved" and _hex(event.args["incidentId"]) in ids:
                return True
        return False

    def _attest(self, head: int, chain_now: int) -> bool:
        if not self.is_member:
            return False
        for claim in self.store.claims("observing"):
            incident = claim["incident_id"]
            escrow = self.escrow.functions.escrowOf(incident).call()
            filed_at, _, next_epoch, vested = self.escrow.functions.claimOf(incident).call()[:4]
            params = self.escrow.functions.recoveryParams(escrow[5]).call()
            epoch_length, epochs_required, grace = params[1], params[2], params[6]
            if self.escrow.functions.stateOf(incident).call() != 2:  # no longer observing
                self.store.set_claim(incident, claim["provider"], claim["block"], status="settled")
                continue
            # The last epoch that ended, while its attestation grace lasts; earlier ones are attested or missed.
            epoch = attestable_epoch(filed_at, next_epoch, epoch_length, grace, chain_now)
            if epoch is None or vested >= epochs_required:
                continue
            start = filed_at + epoch * epoch_length
            end = start + epoch_length
            conflict_key = f"attest:{incident}:{filed_at}:{epoch}"
            if self.store.db.execute("SELECT 1 FROM signatures WHERE conflict_key = ?", (conflict_key,)).fetchone():
                continue
            result = self.meter.judge(claim["provider"], start - self.offset, end - self.offset)
            if result.samples < self.config.min_epoch_samples:
                continue  # too few own measurements in the epoch (e.g. the chain's clock jumped): abstain
            attestation = RestorationAttestation(
                incident_id=incident, observation_epoch=epoch, committee_epoch=self.committee_epoch,
                healthy=result.healthy, data_intact=result.data_intact, observed_at=end - 1,
            )  # fmt: skip
            role = "passed" if result.healthy and result.data_intact else "failed"
            if self.sign_and_send(attestation, conflict_key, role, 0, "attesting an observation epoch", {
                "incident": incident, "epoch": epoch, "healthy": result.healthy,
                "data_intact": result.data_intact, "samples": result.samples,
            }):  # fmt: skip
                return True
        return False

    # -- webhooks ------------------------------------------------------------------------------

    def notify(self, key: str, kind: str, payload: dict[str, Any]) -> None:
        body = {"event": kind, "oracle": self.address, **payload}
        for url in self.config.webhooks:
            self.store.enqueue(f"{key}:{url}", url, body)

    def _deliver_loop(self) -> None:
        while not self._stop.wait(0.25):
            try:
                self.deliver()
            except Exception:
                log.exception("webhook delivery failed")

    def deliver(self) -> int:
        """POST due notifications; failures retry with back-off (at most 10 attempts)."""
        sent = 0
        for row in self.store.due(self.clock()):
            try:
                response = requests.post(row["url"], data=canonical_json(json.loads(row["payload"])),
                                         headers={"Content-Type": "application/json"}, timeout=2)  # fmt: skip
                ok = 200 <= response.status_code < 300
            except requests.RequestException:
                ok = False
            if ok:
                self.store.delivered(row["key"])
                self.metrics.webhooks.labels("delivered").inc()
                sent += 1
            else:
                attempts = row["attempts"] + 1
                self.metrics.webhooks.labels("failed").inc()
                next_at = self.clock() + min(60.0, 0.5 * 2**attempts) if attempts < 10 else float("inf")
                self.store.retry_later(row["key"], attempts, next_at)
        return sent


def _verdict(raw: Any) -> Verdict:
    """A Verdict from a decoded ABI tuple or dict."""
    names = ("incidentId", "provider", "violationClass", "severity", "evidenceHash", "observedAt", "deadline",
             "committeeEpoch")  # fmt: skip
    values = [raw[n] for n in names] if hasattr(raw, "keys") else list(raw)
    return Verdict(
        incident_id=values[0], provider=values[1], violation_class=ViolationClass(values[2]), severity=Level(values[3]),
        evidence_hash=values[4], observed_at=values[5], deadline=values[6], committee_epoch=values[7],
    )  # fmt: skip
