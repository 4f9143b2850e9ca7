"""Chaos run: three `swarm-stake oracle run` processes SIGKILLed at random moments while
failures are injected and recovered, then the chain and the daemons' state are checked.

A :class:`LocalSwarm` with four providers; the committee seats the three daemons and two
members without a daemon, whose keys record the evaluations (so that no transaction of the
harness takes a daemon's nonce). A killer thread SIGKILLs daemons at random moments (sometimes
two at once; also right after a failure is injected, while a proposal waits for its co-signature
and around the end of each observation epoch) and restarts each after 0-3 s. The scenario plays
the provider, the auditor and the committee's evaluation as the demo does: it injects a security
breach and a downtime, and once each verdict executes it heals the node, files the claim (with
an audit proof where the recovery path needs one), waits for the daemons' epoch attestations,
records the evaluation and releases the escrow. Kills go on for a further settling time.

The seed (printed first) fixes every random decision: what fails, in which order and how long
apart, who is killed, how many at once and how long each stays down. The moments depend on the
machine as well. ``python -m swarm_stake.oracle.chaos --seed N`` replays a run's decisions.
"""

from __future__ import annotations

import json
import queue
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import requests

from ..deploy import DeployParams
from ..devnet import AUDITOR_ACCOUNT, ORACLE_ACCOUNTS, devnet_params
from ..evidence import evidence_hash
from ..incidents import Incidents
from ..models import AuditProof, EscrowState, Phase, Verdict, ViolationClass
from ..recovery import RecoveryDesk
from .localnet import DaemonHandle, LocalSwarm, wait_for

PROVIDERS = (("provider-a", 1, 2), ("provider-b", 3, 4), ("provider-c", 5, 6), ("provider-d", 7, 8))
#: Node modes injected, with the violation class the daemons should find.
FAILURES = {"bad-software": ViolationClass.SECURITY_BREACH, "down": ViolationClass.POOR_PERFORMANCE}
DAEMONS = 3
#: Committee members without a daemon: they record evaluations (2 = the threshold).
EVALUATORS = ORACLE_ACCOUNTS[3:5]


@dataclass
class ChaosPlan:
    seed: int
    #: (provider, node mode) in the order injected; the other providers stay healthy throughout.
    failures: tuple[tuple[str, str], ...] = (("provider-a", "bad-software"), ("provider-b", "down"),
                                             ("provider-c", "bad-software"))  # fmt: skip
    min_kills: int = 50
    #: Kills go on this long after the last release (and until ``min_kills``).
    settle_seconds: float = 60.0
    #: Kills stop after this long (None: they go on to the end); the scenario then finishes without them.
    kill_seconds: float | None = None
    #: Hard bound on the run from the first kill, failing the run if reached.
    max_seconds: float = 600.0
    #: Mean seconds between random kills (targeted kills come on top).
    mean_kill_gap: float = 4.5
    double_kill_chance: float = 0.15
    max_down_seconds: float = 3.0
    #: Where the swarm keeps its files (daemon logs, databases); a temporary folder when None.
    workdir: Path | None = None


@dataclass
class Kill:
    at: float
    victims: tuple[int, ...]
    reason: str
    down_for: dict[int, float]


@dataclass
class ChaosReport:
    seed: int
    kills: list[Kill] = field(default_factory=list)
    chaos_seconds: float = 0.0
    incidents: dict[str, str] = field(default_factory=dict)  # incident -> provider
    checks: dict[str, list[str]] = field(default_factory=dict)  # check -> violations
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def violations(self) -> list[str]:
        return [f"{name}: {v}" for name, found in self.checks.items() for v in found]

    def summary(self) -> dict[str, Any]:
        reasons = Counter(k.reason for k in self.kills)
        return {
            "seed": self.seed, "kills": sum(len(k.victims) for k in self.kills), "kill_events": len(self.kills),
            "double_kills": sum(1 for k in self.kills if len(k.victims) > 1), "kills_by_moment": dict(reasons),
            "chaos_seconds": round(self.chaos_seconds, 1), "incidents": len(self.incidents), **self.figures,
            "checks": {name: ("ok" if not found else found) for name, found in self.checks.items()},
        }  # fmt: skip


def say(text: str) -> None:
    print(f"  {time.strftime('%H:%M:%S')} {text}", flush=True)


# -- the killer ------------------------------------------------------------------------------


class Killer(threading.Thread):
    """SIGKILLs daemons at random moments and on request; restarts each after 0-3 s."""

    def __init__(self, swarm: LocalSwarm, handles: list[DaemonHandle], plan: ChaosPlan, report: ChaosReport):
        super().__init__(name="chaos-killer", daemon=True)
        self.swarm, self.handles, self.plan, self.report = swarm, handles, plan, report
        self.rng = random.Random(plan.seed)
        self.ports = [int(h.url.rsplit(":", 1)[1]) for h in handles]  # type: ignore[union-attr]
        self.requests: queue.Queue[tuple[str, int]] = queue.Queue()
        self.down: dict[int, float] = {}  # daemon index -> when it restarts (monotonic)
        self.spawned: list[tuple[int, float]] = []  # (daemon index, wall time) of each restart
        self.moments: list[tuple[float, str]] = []  # (wall time, reason) of kills planned ahead
        self.moments_lock = threading.Lock()
        self.halt = threading.Event()
        self.error: BaseException | None = None
        self.started_at = self.stopped_at = 0.0

    def request(self, reason: str, count: int = 1) -> None:
        self.requests.put((reason, count))

    def at(self, wall: float, reason: str) -> None:
        with self.moments_lock:
            self.moments.append((wall, reason))

    def run(self) -> None:
        self.started_at = time.monotonic()
        next_random = self.started_at + self.rng.expovariate(1 / self.plan.mean_kill_gap)
        try:
            while not self.halt.is_set():
                now = time.monotonic()
                self._restart_due(now)
                self._planned(time.time())
                while not self.requests.empty():
                    self._kill(*self.requests.get())
                if now >= next_random:
                    self._kill("random", 2 if self.rng.random() < self.plan.double_kill_chance else 1)
                    next_random = now + self.rng.expovariate(1 / self.plan.mean_kill_gap)
                time.sleep(0.05)
        except BaseException as exc:  # reported by the scenario, which stops the run
            self.error = exc

    def _planned(self, wall: float) -> None:
        with self.moments_lock:
            due = [m for m in self.moments if m[0] <= wall]
            self.moments = [m for m in self.moments if m[0] > wall]
        for _, reason in due:
            self._kill(reason, 2 if self.rng.random() < self.plan.double_kill_chance else 1)

    def _kill(self, reason: str, count: int) -> None:
        alive = [i for i in range(len(self.handles)) if i not in self.down]
        if not alive:
            return
        victims = tuple(sorted(self.rng.sample(alive, min(count, len(alive)))))
        down_for = {i: self.rng.uniform(0, self.plan.max_down_seconds) for i in victims}
        for index in victims:
            self.swarm.kill(self.handles[index])
            self.down[index] = time.monotonic() + down_for[index]
        self.report.kills.append(Kill(time.monotonic() - self.started_at, victims, reason, down_for))
        names = ", ".join(f"oracle-{i + 1}" for i in victims)
        say(f"kill #{len(self.report.kills):>3} {names} ({reason})")

    def _restart_due(self, now: float) -> None:
        for index, due in list(self.down.items()):
            if now >= due:
                self.handles[index] = self.swarm.spawn_daemon(index, port=self.ports[index])
                self.spawned.append((index, time.time()))
                del self.down[index]

    def kills(self) -> int:
        return sum(len(k.victims) for k in self.report.kills)

    def finish(self) -> None:
        """Stop killing, restart whoever is down and wait until every daemon answers /health."""
        if not self.halt.is_set():
            self.halt.set()
            self.stopped_at = time.monotonic()
        self.join(timeout=30)
        for index in list(self.down):
            self.down[index] = 0.0
        self._restart_due(time.monotonic())
        for handle in self.handles:
            self.swarm.wait_healthy(handle, timeout=60)


# -- the scenario ----------------------------------------------------------------------------


@dataclass
class Incident:
    """One injected failure as the harness carries it from injection to release."""

    provider: str
    mode: str
    stage: str = "injected"
    incident_id: str = ""
    verdict: Verdict | None = None
    released_at: float = 0.0


class Scenario:
    def __init__(self, swarm: LocalSwarm, plan: ChaosPlan, report: ChaosReport, killer: Killer):
        self.swarm, self.plan, self.report, self.killer = swarm, plan, report, killer
        self.rng = random.Random(plan.seed + 1)
        self.reader = swarm.devnet.client(0)
        registry = swarm.registry
        self.manager = self.reader.contract("VerdictManager", registry.address("VerdictManager"))
        self.escrow = self.reader.contract("RecoveryEscrow", registry.address("RecoveryEscrow"))
        self.lens = self.reader.contract("SwarmLens", registry.address("SwarmLens"))
        self.incidents = [Incident(provider, mode) for provider, mode in plan.failures]
        self.seen_approvals: set[str] = set()
        self.offset = 0.0  # chain time minus wall time

    def inject(self) -> None:
        for incident in self.incidents:
            self.swarm.nodes[incident.provider].node.set_mode(incident.mode)
            say(f"failure injected: {incident.provider} {incident.mode}")
            self.killer.request("failure injected", self.rng.choice((1, 2)))
            time.sleep(self.rng.uniform(0, 4))

    def advance(self) -> bool:
        """Move every incident one step on where it can; True once all are released."""
        self._watch_cosigning()
        for incident in self.incidents:
            step = getattr(self, f"_after_{incident.stage}", None)
            if step is not None:
                step(incident)
        return all(i.stage == "released" for i in self.incidents)

    def _watch_cosigning(self) -> None:
        """A proposal waiting for its co-signature: kill someone now."""
        for event in self.manager.events.VerdictApproved().get_logs(from_block=self.swarm.registry.start_block):
            digest = bytes(event["args"]["digest"]).hex()
            if digest not in self.seen_approvals:
                self.seen_approvals.add(digest)
                if self.lens.functions.stateOf(event["args"]["incidentId"]).call() <= Phase.DETECTED:
                    self.killer.request("during co-signing", self.rng.choice((1, 1, 2)))

    def _after_injected(self, incident: Incident) -> None:
        address = self.swarm.address(incident.provider)
        for event in self.manager.events.VerdictExecuted().get_logs(from_block=self.swarm.registry.start_block):
            if event["args"]["provider"] == address:
                incident.incident_id = "0x" + bytes(event["args"]["incidentId"]).hex()
                incident.verdict = Incidents(self.reader, self.swarm.registry).verdict(incident.incident_id)
                incident.stage = "executed"
                self.report.incidents[incident.incident_id] = incident.provider
                say(f"verdict executed: {incident.provider} ({incident.verdict.violation_class.name})")

    def _after_executed(self, incident: Incident) -> None:
        node = self.swarm.nodes[incident.provider]
        node.node.set_mode("healthy")
        assert incident.verdict is not None
        operator = RecoveryDesk(self.swarm.devnet.client(node.operator_index), self.swarm.registry)
        proof, signature = self._audit_proof(incident.verdict, operator)
        operator.file_claim(incident.verdict, proof, signature)  # a path without an audit ignores the proof
        incident.stage = "claimed"
        self._plan_epoch_kills(incident.incident_id)
        say(f"claim filed: {incident.provider}")

    def _audit_proof(self, verdict: Verdict, desk: RecoveryDesk) -> tuple[AuditProof, bytes]:
        now = self.reader.w3.eth.get_block("latest")["timestamp"]
        proof = AuditProof(
            incident_id=verdict.incident_id, provider=verdict.provider,
            audit_report_hash=evidence_hash({"audit": verdict.incident_id, "findings": 0}),
            remediation_hash=evidence_hash({"remediation": "rebuilt from the registered image"}),
            logs_root=evidence_hash({"logs": verdict.incident_id}), issued_at=now, expiry=now + 3600,
        )  # fmt: skip
        return proof, desk.sign(proof, self.swarm.devnet.accounts[AUDITOR_ACCOUNT])

    def _plan_epoch_kills(self, incident_id: str) -> None:
        """A kill around the end of each observation epoch, when the daemons attest it."""
        filed_at = self.escrow.functions.claimOf(incident_id).call()[0]
        params = RecoveryDesk(self.reader, self.swarm.registry).params(incident_id)
        for epoch in range(params["epochs_required"]):
            end = filed_at + (epoch + 1) * params["epoch_length"] - self.offset
            self.killer.at(end + self.rng.uniform(-1.5, 1.5), "during recovery attestations")

    def _after_claimed(self, incident: Incident) -> None:
        if self.escrow.functions.stateOf(incident.incident_id).call() != EscrowState.ATTESTED:
            return
        report = evidence_hash({"root_cause": incident.mode, "incident": incident.incident_id})
        for index in EVALUATORS:
            evaluator = RecoveryDesk(self.swarm.devnet.client(index), self.swarm.registry)
            evaluator.approve_evaluation(incident.verdict, report)
        incident.stage = "evaluated"
        say(f"observation attested, evaluation recorded: {incident.provider}")

    def _after_evaluated(self, incident: Incident) -> None:
        last_vested = self.escrow.functions.claimOf(incident.incident_id).call()[1]
        challenge = RecoveryDesk(self.reader, self.swarm.registry).params(incident.incident_id)["challenge_window"]
        if self.reader.w3.eth.get_block("latest")["timestamp"] < last_vested + challenge:
            return
        RecoveryDesk(self.swarm.devnet.client(0), self.swarm.registry).release(incident.verdict)
        incident.stage, incident.released_at = "released", time.monotonic()
        say(f"escrow released: {incident.provider}")


def chain_offset(w3: Any) -> float:
    """Chain time minus wall time, read as a new block appears."""
    first = w3.eth.block_number
    while True:
        block = w3.eth.get_block("latest")
        if block["number"] > first:
            return float(block["timestamp"] - time.time())
        time.sleep(0.02)


# -- the run ---------------------------------------------------------------------------------


def chaos_params() -> DeployParams:
    """The devnet's parameters with observation epochs of 20 s and an attestation grace of 16 s: a daemon
    killed at an epoch's end is down for up to 3 s and needs a few seconds to start, so a quorum of
    restarted daemons still attests inside the grace on a busy machine. (The devnet's 10 s epochs and
    8 s grace suit a calm demo; an epoch missed anyway costs time, never the claim.)"""
    params = devnet_params()
    recovery = params.recovery.model_copy(update={"epoch_length": 20, "attestation_grace": 16})
    return params.model_copy(update={"recovery": recovery})


def run(plan: ChaosPlan) -> ChaosReport:
    """One chaos run on a fresh local swarm; the report lists every violation found."""
    from .chaoschecks import check_all, restart_seconds

    print(f"chaos: seed {plan.seed}", flush=True)
    report = ChaosReport(seed=plan.seed)
    if plan.workdir is not None:
        plan.workdir.mkdir(parents=True, exist_ok=True)
    with LocalSwarm(providers=PROVIDERS, workdir=plan.workdir, params=chaos_params()) as swarm:
        swarm.devnet.seat_committee((*swarm.oracles, *EVALUATORS), swarm.threshold)
        start_nonces = _nonces(swarm)
        handles = [swarm.spawn_daemon(i) for i in range(DAEMONS)]
        for handle in handles:
            swarm.wait_healthy(handle)
        wait_for(lambda: all(_health(h).get("cycles", 0) >= 8 for h in handles), 60, what="daemons measuring")
        killer = Killer(swarm, handles, plan, report)
        scenario = Scenario(swarm, plan, report, killer)
        scenario.offset = chain_offset(scenario.reader.w3)
        killer.start()
        try:
            _drive(scenario, killer, plan, report)
        except Exception as exc:  # noqa: BLE001 - reported as a violation; the checks still run
            report.figures["scenario error"] = f"{type(exc).__name__}: {exc}"
        finally:
            killer.finish()
            report.chaos_seconds = killer.stopped_at - killer.started_at
            report.figures["run seconds"] = round(time.monotonic() - killer.started_at, 1)
        _settle(swarm, killer.handles)
        report.checks = check_all(swarm, killer.handles, scenario.incidents, start_nonces, report)
        report.figures["restart to serving (s)"] = restart_seconds(killer.handles, killer.spawned)
    return report


def _drive(scenario: Scenario, killer: Killer, plan: ChaosPlan, report: ChaosReport) -> None:
    scenario.inject()
    deadline = killer.started_at + plan.max_seconds
    done_at = None
    while time.monotonic() < deadline:
        if killer.error is not None:
            raise RuntimeError(f"the killer stopped: {killer.error!r}") from killer.error
        if plan.kill_seconds is not None and time.monotonic() - killer.started_at >= plan.kill_seconds:
            if not killer.halt.is_set():
                say(f"kills stop after {plan.kill_seconds:.0f} s; the scenario finishes without them")
                killer.finish()
        if done_at is None and scenario.advance():
            done_at = time.monotonic()
            say(f"every claim released; kills go on for {plan.settle_seconds:.0f} s more")
        if done_at is not None and time.monotonic() >= done_at + plan.settle_seconds and (
            killer.kills() >= plan.min_kills or killer.halt.is_set()
        ):
            return
        time.sleep(0.5)
    report.figures["stopped"] = f"the {plan.max_seconds:.0f} s bound was reached"


def _settle(swarm: LocalSwarm, handles: list[DaemonHandle], timeout: float = 60.0) -> None:
    """Give the restarted daemons time to settle what they sent (a few blocks, no pending nonce)."""
    w3 = swarm.reader().w3
    addresses = [swarm.devnet.accounts[h.account_index].address for h in handles]

    def settled() -> bool:
        return all(w3.eth.get_transaction_count(a, "pending") == w3.eth.get_transaction_count(a, "latest")
                   for a in addresses)  # fmt: skip

    time.sleep(5)
    try:
        wait_for(settled, timeout, what="daemon transactions settled")
    except TimeoutError:
        pass  # reported by the nonce check


def _nonces(swarm: LocalSwarm) -> dict[int, int]:
    w3 = swarm.reader().w3
    return {i: w3.eth.get_transaction_count(swarm.devnet.accounts[swarm.oracles[i]].address) for i in range(DAEMONS)}


def _health(handle: DaemonHandle) -> dict[str, Any]:
    try:
        answer = requests.get(f"{handle.url}/health", timeout=2)
        return dict(answer.json()) | {"http_status": answer.status_code}
    except (requests.RequestException, ValueError):
        return {}


def print_report(report: ChaosReport) -> None:
    summary = report.summary()
    print(f"\nchaos run, seed {report.seed}: {summary['kills']} SIGKILLs ({summary['double_kills']} double) in "
          f"{summary['chaos_seconds']} s; {summary['incidents']} incidents")  # fmt: skip
    print("  kills by moment: " + ", ".join(f"{k} {v}" for k, v in sorted(summary["kills_by_moment"].items())))
    for name, found in report.checks.items():
        print(f"  {'ok  ' if not found else 'FAIL'} {name}")
        for violation in found:
            print(f"         {violation}")
    for key, value in report.figures.items():
        print(f"  {key}: {value}")
    verdict = "no violation" if not report.violations else f"{len(report.violations)} violation(s)"
    print(f"chaos: {verdict} (replay: make chaos CHAOS_SEED={report.seed})")


@click.command()
@click.option("--seed", type=int, default=None, help="Replay the decisions of an earlier run (default: a fresh seed).")
@click.option("--min-kills", type=click.IntRange(0), default=50, show_default=True)
@click.option("--settle", type=float, default=60.0, show_default=True, help="Seconds of kills after the last release.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None, help="Also write the summary here.")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep the daemons' logs, databases and config files here (default: a temporary folder).")
def main(seed: int | None, min_kills: int, settle: float, json_path: str | None, workdir: Path | None) -> None:
    """Kill three oracle daemons at random while failures are injected and recovered; check the outcome."""
    plan = ChaosPlan(seed=seed if seed is not None else random.SystemRandom().randrange(2**31),
                     min_kills=min_kills, settle_seconds=settle, workdir=workdir)  # fmt: skip
    try:
        report = run(plan)
    except Exception as exc:  # noqa: BLE001 - the swarm could not be set up: say why, no traceback
        raise click.ClickException(f"the chaos run (seed {plan.seed}) stopped before its checks: "
                                   f"{type(exc).__name__}: {exc}") from exc  # fmt: skip
    print_report(report)
    if json_path:
        with open(json_path, "w") as handle:
            json.dump(report.summary(), handle, indent=2)
    sys.exit(1 if report.violations else 0)


if __name__ == "__main__":
    main()
