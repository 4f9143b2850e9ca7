"""What a chaos run checks once the kills stop: the chain, each daemon's SQLite state and its log.

Each check returns the violations it found (empty when it holds); :func:`check_all` runs them
in order: health first (while the daemons run), the rest once they are stopped.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from ..models import EscrowState, Phase

if TYPE_CHECKING:
    from .chaos import ChaosReport, Incident
    from .localnet import DaemonHandle, LocalSwarm

LOST_RACE = "reverted when mined"


def check_all(swarm: LocalSwarm, handles: list[DaemonHandle], incidents: list[Incident],
              start_nonces: dict[int, int], report: ChaosReport) -> dict[str, list[str]]:  # fmt: skip
    from .chaos import FAILURES

    checks = {"every daemon healthy at the end": healthy(handles)}
    for handle in handles:
        swarm.stop_daemon(handle)
    reader = swarm.reader()
    chain = ChainView(swarm, reader)
    txs = chain.daemon_txs({handle_address(h) for h in handles})
    expected = {swarm.address(i.provider): FAILURES[i.mode] for i in incidents}
    checks["the harness carried every failure through"] = harness(report, incidents)
    checks["exactly one executed verdict per incident and failure"] = one_verdict_each(chain, expected)
    checks["no daemon nonce gap or stuck nonce"] = nonces(chain, handles, txs, start_nonces)
    checks["no reverted daemon transaction but logged lost races"] = reverts(handles, txs, report)
    checks["every observation epoch attested at most once, in order, passing"] = epochs(chain, report)
    checks["every recovery claim carried to release"] = releases(chain)
    checks["every judgement a daemon logged is in its database"] = judgements(handles)
    checks["no traceback in any log"] = tracebacks(handles)
    report.figures["daemon transactions"] = sum(len(v) for v in txs.values())
    return checks


class ChainView:
    """Events of the deployment, read once."""

    def __init__(self, swarm: LocalSwarm, reader: Any):
        self.swarm, self.w3 = swarm, reader.w3
        registry = swarm.registry
        self.manager = reader.contract("VerdictManager", registry.address("VerdictManager"))
        self.escrow = reader.contract("RecoveryEscrow", registry.address("RecoveryEscrow"))
        self.lens = reader.contract("SwarmLens", registry.address("SwarmLens"))
        self.start = registry.start_block
        self.committee = registry.address("OracleCommittee")

    def events(self, contract: Any, name: str) -> list[Any]:
        logs = getattr(contract.events, name)().get_logs(from_block=self.start)
        return sorted(logs, key=lambda e: (e["blockNumber"], e["logIndex"]))

    def daemon_txs(self, addresses: set[str]) -> dict[str, list[dict[str, Any]]]:
        """Every transaction each daemon account sent, mined in the deployment's blocks, with its status."""
        found: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for number in range(self.start, self.w3.eth.block_number + 1):
            for tx in self.w3.eth.get_block(number, full_transactions=True)["transactions"]:
                if tx["from"] in addresses:
                    status = self.w3.eth.get_transaction_receipt(tx["hash"])["status"]
                    found[tx["from"]].append({"hash": "0x" + bytes(tx["hash"]).hex(), "nonce": tx["nonce"],
                                              "status": status, "block": number, "to": tx["to"]})  # fmt: skip
        return found


def healthy(handles: list[DaemonHandle]) -> list[str]:
    import requests

    found = []
    for handle in handles:
        name = f"oracle-{handle.index + 1}"
        try:
            answer = requests.get(f"{handle.url}/health", timeout=5)
            status = answer.json().get("status")
        except (requests.RequestException, ValueError) as exc:
            found.append(f"{name}: /health did not answer ({exc})")
            continue
        if answer.status_code != 200 or status != "ok":
            found.append(f"{name}: /health answered {answer.status_code}, status {status!r}")
    return found


def harness(report: ChaosReport, incidents: list[Incident]) -> list[str]:
    found = [f"{key}: {value}" for key, value in report.figures.items() if key in ("scenario error", "stopped")]
    found += [f"{i.provider} ({i.mode}) stopped at stage {i.stage!r}" for i in incidents if i.stage != "released"]
    return found


def one_verdict_each(chain: ChainView, expected: dict[str, int]) -> list[str]:
    """One execution per incident; one incident per injected failure, of its class; none against a healthy provider."""
    executed = chain.events(chain.manager, "VerdictExecuted")
    found = [f"incident 0x{bytes(i).hex()} executed {n} times"
             for i, n in Counter(e["args"]["incidentId"] for e in executed).items() if n != 1]  # fmt: skip
    per_provider = Counter(e["args"]["provider"] for e in executed)
    for provider, count in per_provider.items():
        if provider not in expected:
            found.append(f"{count} verdict(s) executed against {provider}, which never failed")
    for provider, violation_class in expected.items():
        if per_provider[provider] != 1:
            found.append(f"{per_provider[provider]} verdicts executed for the one failure of {provider}")
        classes = {e["args"]["verdict"]["violationClass"] for e in executed if e["args"]["provider"] == provider}
        if classes and classes != {int(violation_class)}:
            found.append(f"{provider}: executed class {sorted(classes)}, expected {int(violation_class)}")
    return found


def _db(handle: DaemonHandle) -> sqlite3.Connection:
    db = sqlite3.connect(f"file:{handle.config.db_path}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    return db


def nonces(chain: ChainView, handles: list[DaemonHandle], txs: dict[str, list[dict[str, Any]]],
           start_nonces: dict[int, int]) -> list[str]:  # fmt: skip
    """Every nonce the account used since the daemons started carries a transaction the daemon
    recorded (before sending it); nothing is left pending, in its database or in the node's pool."""
    found = []
    for handle in handles:
        name, address = f"oracle-{handle.index + 1}", handle_address(handle)
        db = _db(handle)
        try:
            rows = {r["tx_hash"]: r for r in db.execute("SELECT tx_hash, nonce, status FROM txs")}
        finally:
            db.close()
        sent = [t for t in txs.get(address, []) if t["nonce"] >= start_nonces[handle.index]]
        # The evidence server's announcement is followed in its meta record until it settles, then forgotten.
        announcements = [t for t in sent if t["to"] == chain.committee]
        if len(announcements) > 1:
            found.append(f"{name}: {len(announcements)} evidence server announcements, expected one")
        found += [f"{name}: nonce {t['nonce']} carries {t['hash']}, which its database never recorded"
                  for t in sent if t["hash"] not in rows and t not in announcements]  # fmt: skip
        found += [f"{name}: transaction {h} (nonce {r['nonce']}) still pending in its database"
                  for h, r in rows.items() if r["status"] == "pending"]  # fmt: skip
        mined = {t["hash"] for t in sent}
        found += [f"{name}: {h} recorded as {r['status']} but not on chain"
                  for h, r in rows.items() if r["status"] in ("mined", "reverted") and h not in mined]  # fmt: skip
        latest, pending = (chain.w3.eth.get_transaction_count(address, tag) for tag in ("latest", "pending"))
        if latest != pending:
            found.append(f"{name}: stuck nonce: {pending - latest} transaction(s) pending in the node after settling")
        used, first = [t["nonce"] for t in sent], start_nonces[handle.index]
        if used != list(range(first, latest)):
            found.append(f"{name}: nonces {used} do not run from {first} to {latest - 1}")
    return found


def log_entries(handle: DaemonHandle) -> list[dict[str, Any]]:
    entries = []
    for line in handle.log_path.read_text(errors="replace").splitlines() if handle.log_path else []:
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut by a kill, or not the daemon's JSON
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def reverts(handles: list[DaemonHandle], txs: dict[str, list[dict[str, Any]]], report: ChaosReport) -> list[str]:
    found, races = [], 0
    for handle in handles:
        name, address = f"oracle-{handle.index + 1}", handle_address(handle)
        logged = {e.get("tx") for e in log_entries(handle) if str(e.get("msg", "")).startswith(LOST_RACE)}
        for tx in (t for t in txs.get(address, []) if t["status"] != 1):
            if tx["hash"] in logged:
                races += 1
            else:
                found.append(f"{name}: {tx['hash']} (nonce {tx['nonce']}, block {tx['block']}) reverted, "
                             "not logged as a lost race")  # fmt: skip
    report.figures["lost races (reverted, logged)"] = races
    return found


def handle_address(handle: DaemonHandle) -> str:
    from ..devnet import dev_account

    return str(dev_account(handle.account_index).address)


def epochs(chain: ChainView, report: ChaosReport) -> list[str]:
    """Per claim: each epoch attested at most once, in order, each passed. An epoch whose grace ended
    without a quorum (EpochsMissed: the daemons were killed around its end) costs the provider time,
    never the claim, by design: it is counted in the figures, and a claim that stalls short of its
    epochs fails the release check."""
    found: list[str] = []
    attested = defaultdict(list)
    for event in chain.events(chain.escrow, "EpochAttested"):
        args = event["args"]
        attested["0x" + bytes(args["incidentId"]).hex()].append((args["epoch"], args["passed"]))
    if any(e.get("name") == "EpochsMissed" for e in chain.escrow.abi if e.get("type") == "event"):
        missed = chain.events(chain.escrow, "EpochsMissed")
        report.figures["epochs missed"] = sum(event["args"]["count"] for event in missed)
    for event in chain.events(chain.escrow, "ClaimFiled"):
        incident = "0x" + bytes(event["args"]["incidentId"]).hex()
        name, seen = report.incidents.get(incident, incident), attested.get(incident, [])
        numbers = [epoch for epoch, _ in seen]
        if numbers != sorted(set(numbers)):
            found.append(f"{name}: epochs attested {numbers}: one twice or out of order")
        found += [f"{name}: epoch {epoch} attested failed on a healthy node" for epoch, passed in seen if not passed]
    report.figures["epochs attested"] = sum(len(v) for v in attested.values())
    return found


def releases(chain: ChainView) -> list[str]:
    found = []
    for event in chain.events(chain.escrow, "ClaimFiled"):
        incident = event["args"]["incidentId"]
        escrow_state = EscrowState(chain.escrow.functions.stateOf(incident).call())
        phase = Phase(chain.lens.functions.stateOf(incident).call())
        if escrow_state != EscrowState.RELEASED or phase != Phase.CLOSED:
            found.append(f"incident 0x{bytes(incident).hex()}: escrow {escrow_state.name}, incident {phase.name}")
    return found


#: Log messages announcing a judgement; each is logged only once the judgement is recorded.
JUDGEMENTS = ("attesting an observation epoch", "proposing a verdict", "proposing an upgrade",
              "co-signing a proposed verdict")  # fmt: skip


def judgements(handles: list[DaemonHandle]) -> list[str]:
    """Every proposal, co-signature and attestation a daemon announced, in any of its runs, is recorded."""
    found = []
    for handle in handles:
        announced = {e["digest"] for e in log_entries(handle) if e.get("msg") in JUDGEMENTS and "digest" in e}
        db = _db(handle)
        try:
            recorded = {row[0] for row in db.execute("SELECT digest FROM signatures")}
        finally:
            db.close()
        missing = sorted(announced - recorded)
        found += [f"oracle-{handle.index + 1}: announced {digest}, not in its database" for digest in missing]
    return found


def tracebacks(handles: list[DaemonHandle]) -> list[str]:
    found = []
    for handle in handles:
        lines = handle.log_path.read_text(errors="replace").splitlines() if handle.log_path else []
        found += [f"oracle-{handle.index + 1} log line {n}: {line[:300]}" for n, line in enumerate(lines, 1)
                  if "Traceback" in line]  # fmt: skip
    return found


def restart_seconds(handles: list[DaemonHandle], spawned: list[tuple[int, float]]) -> str:
    """How long a restarted process took to serve ("oracle started" in its log): median and max."""
    import calendar
    import statistics

    started: dict[int, list[float]] = defaultdict(list)
    for handle in handles:
        for entry in log_entries(handle):
            if entry.get("msg") == "oracle started":
                stamp, millis = str(entry["ts"]).rstrip("Z").split(".")
                at = calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%S")) + int(millis) / 1000
                started[handle.index].append(at)
    waits = [min((t - at for t in started[index] if t >= at), default=None) for index, at in spawned]
    known = [w for w in waits if w is not None]
    if not known:
        return "no restart"
    return f"median {statistics.median(known):.1f}, max {max(known):.1f} over {len(known)} restarts"
