"""A read-only live status page: providers, incidents with their phase timelines, escrows and the
insurance pool, refreshed from the chain.

    swarm-stake --rpc-url URL --registry FILE dashboard --listen 127.0.0.1:8080

The server is the standard library's ThreadingHTTPServer. It answers these GET paths:

- ``/``: one self-contained HTML page (inline CSS and JavaScript, nothing loaded from elsewhere)
  that polls ``/api/status`` every couple of seconds and renders it; each incident links to its
  evidence;
- ``/api/status``: the status as JSON (see :meth:`StatusReader.snapshot`), with an ``index``
  section (the block the event index has read, the head, the lag between them, whether it is
  still catching up); 503 with ``{"error": ...}`` when the chain cannot be read;
- ``/api/evidence/<incident id>``: the evidence of the incident's verdicts, fetched from the
  servers their signers announced, verified against the chain and re-run: the same JSON as
  ``swarm-stake incidents evidence INCIDENT --json`` (see :mod:`swarm_stake.evidence_review`);
  404 for an unknown incident, 502 when no server serves matching evidence;
- ``/health``: ``ok``.

Nothing here holds a key or sends a transaction. Token amounts in the JSON are decimal strings
of base units (JavaScript numbers cannot hold them exactly).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, SwarmStakeError
from .incidents import TIMELINE_CONTRACTS, Incidents, TimelineEntry, timeline_entry
from .index import EventIndex
from .models import EscrowState
from .multicall import Multicall
from .multicall import view as view_call
from .recovery import RecoveryDesk
from .staking import METADATA_EVENTS, Staking

if TYPE_CHECKING:
    from .chain import Client
    from .deploy import Registry

#: Seconds between two refreshes of the page (and the shortest age of a snapshot that is re-read).
DEFAULT_REFRESH = 2.0
#: Seconds a verified evidence review is served again before the servers are asked anew.
EVIDENCE_MAX_AGE = 30.0
#: Providers whose live state one batched call (Multicall3 ``aggregate3``) reads.
PROVIDERS_PER_BATCH = 500
#: Chunks of blocks the index reads at most per snapshot while it catches up (the page says how far it is).
CHUNKS_PER_SNAPSHOT = 20
_EVIDENCE_PATH = re.compile(r"^/api/evidence/(0x[0-9a-fA-F]{64})$")

#: Events that move an incident into a phase: (contract, event) -> phase. The first approval of
#: any verdict for the incident is its detection; an upheld appeal or a rejected claim sends it
#: back to "responded".
PHASE_EVENTS: dict[tuple[str, str], str] = {
    ("VerdictManager", "VerdictApproved"): "detected",
    ("VerdictManager", "VerdictExecuted"): "responded",
    ("VerdictManager", "IncidentAppealed"): "appealed",
    ("VerdictManager", "VerdictUpheld"): "responded",
    ("VerdictManager", "VerdictOverturned"): "overturned",
    ("RecoveryEscrow", "ClaimFiled"): "restoring",
    ("RecoveryEscrow", "ClaimRejected"): "responded",
    ("RecoveryEscrow", "EvaluationRecorded"): "evaluated",
    ("VerdictManager", "IncidentClosed"): "closed",
}


def _name(value: Any) -> str:
    """An enum member as the page shows it: ``BELOW_MINIMUM`` -> ``below minimum``."""
    return value.name.lower().replace("_", " ")


def phase_timeline(entries: list[TimelineEntry], block_time: Any) -> list[dict[str, Any]]:
    """The phases an incident went through, from its event timeline: phase, event, block, time, transaction.

    ``block_time`` maps a block number to its timestamp. Only the first approval counts (as the
    detection); every other phase event is listed each time it happened.
    """
    phases: list[dict[str, Any]] = []
    detected = False
    for entry in entries:
        phase = PHASE_EVENTS.get((entry.contract, entry.event))
        if phase is None:
            continue
        if entry.event == "VerdictApproved":
            if detected:
                continue
            detected = True
        phases.append({
            "phase": phase, "event": entry.event, "block": entry.block, "time": block_time(entry.block),
            "transaction": entry.transaction,
        })  # fmt: skip
    return phases


class StatusReader:
    """Reads the status of one deployment: the events from an :class:`~swarm_stake.index.EventIndex`
    (synced at each snapshot; in memory when none is given), the live state of every provider and
    incident in batched calls (Multicall3), one per :data:`PROVIDERS_PER_BATCH` providers."""

    def __init__(self, client: Client, registry: Registry, index: EventIndex | None = None):
        self.client = client
        self.registry = registry
        self.index = index if index is not None else EventIndex.open(client, registry)
        self.staking = Staking(client, registry)
        self.incidents = Incidents(client, registry, self.index)
        self.desk = RecoveryDesk(client, registry)
        self.escrow = self.desk.escrow
        self.multicall = Multicall(client.w3)

    def provider_addresses(self, block: int) -> list[str]:
        """Every provider registered up to ``block`` (StakeManager `ProviderRegistered` events), in
        order of registration (as far as the index has read)."""
        return self.index.providers(until=block)

    def snapshot(self) -> dict[str, Any]:
        """The whole status, read at the head block that the snapshot reports: the index is synced up
        to it, then every live value is read at that block in batched calls."""
        w3 = self.client.w3
        head = w3.eth.get_block("latest")
        number = head["number"]
        index = self.index.sync(number, max_chunks=CHUNKS_PER_SNAPSHOT)

        addresses = self.provider_addresses(number)
        uris = self.index.latest("StakeManager", METADATA_EVENTS, "metadataURI", until=number)
        executed = self.incidents.executed_logs()
        escrowed = {log["args"]["incidentId"] for log in self.index.events("RecoveryEscrow", ("EscrowOpened",))}
        epochs = {log["args"]["version"]: log["args"]["params"]["epochsRequired"]
                  for log in self.index.events("RecoveryEscrow", ("RecoveryParamsSet",))}  # fmt: skip
        by_incident: dict[bytes, list[TimelineEntry]] = {}
        times: dict[int, int] = {number: head["timestamp"]}
        for log in self.index.events(TIMELINE_CONTRACTS):
            incident = log["args"].get("incidentId")
            if incident is not None:
                by_incident.setdefault(bytes(incident), []).append(timeline_entry(log))
                times[log["blockNumber"]] = log["blockTimestamp"]

        def block_time(block: int) -> int:
            if times.get(block) is None:
                times[block] = w3.eth.get_block(block)["timestamp"]
            return times[block]

        # Every live value in one list of calls: providers, incidents, escrows, then the totals.
        escrow, token = self.escrow, self.staking.token
        calls = [call for address in addresses for call in self.staking.provider_calls(address)]
        calls += [call for log in executed for call in self.incidents.live_calls(log["args"]["incidentId"])]
        opened = list(dict.fromkeys(i for i in (log["args"]["incidentId"] for log in executed) if i in escrowed))
        calls += [view_call(escrow, name, i) for i in opened for name in ("escrowOf", "claimOf", "vestedOf")]
        calls += [view_call(token, "symbol"), view_call(token, "decimals"), view_call(escrow, "insuranceBalance"),
                  view_call(escrow, "totalEscrowed")]  # fmt: skip
        live = self.multicall.call(calls, number, batches=max(1, -(-len(addresses) // PROVIDERS_PER_BATCH)))
        at = 0

        def take(count: int) -> list[Any]:
            nonlocal at
            at += count
            return live[at - count : at]

        providers = []
        for address in addresses:
            view = Staking.provider_view(address, take(4), uris.get(address), number)
            providers.append({
                "address": view.address,
                "status": _name(view.status),
                "operator": view.operator,
                "jailed_until": view.jailed_until,
                "open_incidents": view.open_incidents,
                "frozen": view.open_incidents > 0,
                "pool_assets": str(view.pool_assets),
                "self_stake": str(view.self_stake),
                "delegated": str(max(view.pool_assets - view.self_stake, 0)),
                "metadata_uri": view.metadata_uri,
            })  # fmt: skip

        views = [self.incidents.view(log, take(self.incidents.LIVE)) for log in executed]
        escrow_reads = {i: take(3) for i in opened}
        symbol, decimals, insurance, total_escrowed = take(4)

        incidents = []
        escrows = []
        for view in views:
            timeline = by_incident.get(bytes.fromhex(view.incident_id.removeprefix("0x")), [])
            incidents.append({
                "incident_id": view.incident_id,
                "provider": view.provider,
                "violation_class": _name(view.violation_class),
                "severity": _name(view.severity),
                "level": _name(view.level),
                "amount": str(view.amount),
                "jailed_until": view.jailed_until,
                "evidence_hash": view.evidence_hash,
                "phase": _name(view.phase),
                "escrow_state": _name(view.escrow_state),
                "executed_block": view.executed_block,
                "phases": phase_timeline(timeline, block_time),
                "events": [
                    {"block": e.block, "contract": e.contract, "event": e.event, "transaction": e.transaction}
                    for e in timeline
                ],
            })  # fmt: skip
            if view.escrow_state != EscrowState.NONE:
                reads = escrow_reads.get(bytes.fromhex(view.incident_id.removeprefix("0x")))
                escrows.append(self._escrow(view.incident_id, view.provider, number, reads, epochs))

        return {
            "chain": {
                "chain_id": self.registry.chain_id,
                "network": self.registry.network,
                "block": number,
                "block_time": head["timestamp"],
            },
            "token": {"symbol": symbol, "decimals": decimals},
            "providers": providers,
            "incidents": incidents,
            "escrows": escrows,
            "insurance_pool": str(insurance),
            "total_escrowed": str(total_escrowed),
            "index": {**index.as_json(), "multicall": self.multicall.available},
            "generated_at": time.time(),
        }

    def _escrow(self, incident_id: str, provider: str, block: int, reads: list[Any] | None,
                epochs: dict[int, int]) -> dict[str, Any]:  # fmt: skip
        """An escrow row from its batched reads (``escrowOf``, ``claimOf``, ``vestedOf``), or read now when
        the index has not seen the escrow open yet."""
        fn = self.escrow.functions
        if reads is None:
            reads = self.multicall.call([view_call(self.escrow, name, incident_id) for name in ("escrowOf", "claimOf", "vestedOf")],
                                        block)  # fmt: skip
        (amount, recoverable_bps, _path, status, opened_at, version, evaluated, _clock), claim, vested = reads
        filed_at, _last_vested, next_epoch, vested_epochs, released, _vested_clock = claim
        required = epochs.get(version)
        if required is None:
            required = fn.recoveryParams(version).call(block_identifier=block)[2]
        return {
            "incident_id": incident_id,
            "provider": provider,
            "amount": str(amount),
            "recoverable": str(amount * recoverable_bps // 10_000),
            "state": _name(EscrowState(status)),
            "opened_at": opened_at,
            "claim_filed_at": filed_at or None,
            "next_epoch": next_epoch,
            "vested_epochs": vested_epochs,
            "epochs_required": required,
            "vested": str(vested),
            "released": str(released),
            "evaluated": evaluated,
        }


class EvidenceCache:
    """Verified evidence reviews by incident, kept :data:`EVIDENCE_MAX_AGE` seconds; one review at a time,
    so that open pages cost the oracles' servers no more than one fetch per incident and period."""

    def __init__(self, reader: StatusReader, max_age: float = EVIDENCE_MAX_AGE):
        self.reader = reader
        self.max_age = max_age
        self._lock = threading.Lock()
        self._reviews: dict[str, tuple[float, dict[str, Any]]] = {}

    def get(self, incident_id: str) -> dict[str, Any]:
        from .evidence_review import review

        with self._lock:
            kept = self._reviews.get(incident_id)
            if kept is None or time.monotonic() - kept[0] >= self.max_age:
                report = review(self.reader.client, self.reader.registry, incident_id)
                self._reviews[incident_id] = kept = (time.monotonic(), report)
            return kept[1]


class StatusCache:
    """The latest snapshot, re-read when older than ``max_age`` seconds; one reader at a time, so
    that many open pages cost the chain no more than one."""

    def __init__(self, reader: StatusReader, max_age: float):
        self.reader = reader
        self.max_age = max_age
        self._lock = threading.Lock()
        self._snapshot: dict[str, Any] | None = None
        self._read_at = 0.0

    def get(self) -> dict[str, Any]:
        with self._lock:
            if self._snapshot is None or time.monotonic() - self._read_at >= self.max_age:
                self._snapshot = self.reader.snapshot()
                self._read_at = time.monotonic()
            return self._snapshot


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


class Dashboard:
    """The HTTP server of the status page. :meth:`start` binds (raising ConfigError when it cannot)
    and serves in a thread; :meth:`serve_forever` serves in the calling thread."""

    def __init__(self, reader: StatusReader, host: str = "127.0.0.1", port: int = 8080,
                 refresh: float = DEFAULT_REFRESH):  # fmt: skip
        self.cache = StatusCache(reader, max_age=min(refresh / 2, 1.0))
        self.evidence_cache = EvidenceCache(reader)
        self.refresh = refresh
        self.host = host
        self.port = port
        self.page = render_page(refresh).encode()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def bind(self) -> Dashboard:
        import socket

        server_class = ThreadingHTTPServer
        if ":" in self.host:
            server_class = type("ThreadingHTTPServer6", (ThreadingHTTPServer,), {"address_family": socket.AF_INET6})
        try:
            server = server_class((self.host, self.port), _handler(self))
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ConfigError(
                f"cannot listen on {self.host}:{self.port} ({reason}); pick another address with --listen HOST:PORT"
            ) from exc
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        return self

    def start(self) -> Dashboard:
        if self._server is None:
            self.bind()
        assert self._server is not None
        self._thread = threading.Thread(target=self._server.serve_forever, name="dashboard", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        if self._server is None:
            self.bind()
        assert self._server is not None
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Dashboard:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- responses -------------------------------------------------------------------------

    def status(self) -> tuple[int, dict[str, Any]]:
        try:
            return 200, {**self.cache.get(), "refresh_seconds": self.refresh}
        except SwarmStakeError as exc:
            return 503, {"error": str(exc)}
        except Exception as exc:  # the node went away or answered nonsense: the page says so and keeps polling
            return 503, {"error": f"cannot read the chain: {type(exc).__name__}: {exc}"}

    def evidence(self, incident_id: str) -> tuple[int, dict[str, Any]]:
        from .evidence_review import EvidenceUnavailable

        try:
            return 200, self.evidence_cache.get(incident_id.lower())
        except EvidenceUnavailable as exc:
            return 502, {"error": str(exc)}
        except ConfigError as exc:  # no such incident
            return 404, {"error": str(exc)}
        except Exception as exc:
            return 503, {"error": f"cannot read the chain: {type(exc).__name__}: {exc}"}


def _handler(dashboard: Dashboard) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "swarm-stake-dashboard"

        def do_GET(self) -> None:  # noqa: N802
            self._respond(head=False)

        def do_HEAD(self) -> None:  # noqa: N802
            self._respond(head=True)

        def _respond(self, head: bool) -> None:
            path = self.path.split("?", 1)[0]
            if path in ("/", "/index.html"):
                self._send(200, dashboard.page, "text/html; charset=utf-8", head, page=True)
            elif path == "/api/status":
                code, data = dashboard.status()
                self._send(code, json.dumps(data).encode(), "application/json", head)
            elif _EVIDENCE_PATH.match(path):
                code, data = dashboard.evidence(path.rsplit("/", 1)[1])
                self._send(code, json.dumps(data, indent=1).encode(), "application/json", head)
            elif path == "/health":
                self._send(200, b"ok\n", "text/plain; charset=utf-8", head)
            else:
                self._send(404, b"not found\n", "text/plain; charset=utf-8", head)

        def _refuse(self) -> None:
            body = b"read-only: only GET and HEAD\n"
            self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
            self.send_header("Allow", "GET, HEAD")
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_PUT = do_DELETE = do_PATCH = _refuse  # noqa: N815

        def _send(self, code: int, body: bytes, content_type: str, head: bool, page: bool = False) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            if page:
                self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                self.send_header("Referrer-Policy", "no-referrer")
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # a request every couple of seconds per open page: not worth a line each

    return Handler


# -- the page --------------------------------------------------------------------------------

_STYLE = """
:root { --bg:#0f1419; --panel:#161c24; --line:#263040; --text:#d8dee9; --dim:#8a96a8; --ok:#3fb950;
        --warn:#d29922; --bad:#f85149; --info:#58a6ff; --grey:#6e7681; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.45 system-ui, sans-serif; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 8px 24px; padding: 14px 24px;
         border-bottom: 1px solid var(--line); background: var(--panel); }
header h1 { margin: 0; font-size: 18px; }
header .meta { color: var(--dim); }
header .meta b { color: var(--text); font-weight: 600; }
header .meta b.stale { color: var(--warn); }
main { padding: 16px 24px 32px; }
#error { display: none; margin-bottom: 14px; padding: 10px 14px; border: 1px solid var(--bad); border-radius: 6px;
         color: var(--bad); background: rgba(248,81,73,.08); }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 18px; }
.card { min-width: 170px; padding: 10px 14px; border: 1px solid var(--line); border-radius: 8px; background: var(--panel); }
.card .label { color: var(--dim); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 20px; font-weight: 600; margin-top: 2px; }
section { margin-bottom: 22px; }
h2 { font-size: 15px; margin: 0 0 8px; }
table { width: 100%; border-collapse: collapse; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--dim); font-weight: 500; font-size: 12px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr:last-child td { border-bottom: none; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
.uri { max-width: 280px; overflow-wrap: anywhere; color: var(--dim); }
.uri a { color: inherit; }
.badge.frozen { margin-left: 6px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
         border: 1px solid currentColor; white-space: nowrap; }
.s-active, .p-closed, .e-released { color: var(--ok); }
.s-jailed, .p-appealed, .p-detected, .e-observing, .e-attested { color: var(--warn); }
.s-tombstoned, .p-responded, .e-forfeited, .e-rejected { color: var(--bad); }
.s-below-minimum, .e-refunded, .p-overturned { color: var(--grey); }
.p-restoring, .p-evaluated, .e-escrowed, .frozen { color: var(--info); }
.empty { color: var(--dim); padding: 10px; }
ol.timeline { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 0; }
ol.timeline li { white-space: nowrap; }
ol.timeline li + li::before { content: "→"; color: var(--dim); margin: 0 6px; }
ol.timeline .when { color: var(--dim); font-size: 12px; }
footer { color: var(--dim); font-size: 12px; padding: 0 24px 20px; }
"""

_SCRIPT = """
"use strict";
const REFRESH_MS = Math.max(500, Number(document.body.dataset.refresh) * 1000);
let token = {symbol: "SWARM", decimals: 18};

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined) continue;
    if (key === "class") node.className = value; else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function amount(baseUnits, places = 2) {
  const value = BigInt(baseUnits);
  const scale = 10n ** BigInt(token.decimals);
  const whole = value / scale;
  const cents = (value % scale) * 10n ** BigInt(places) / scale;
  const text = whole.toLocaleString("en-US") + (places ? "." + cents.toString().padStart(places, "0") : "");
  return text + " " + token.symbol;
}
const short = (hex) => hex.slice(0, 8) + "…" + hex.slice(-6);
const slug = (name) => name.replace(/ /g, "-");
const clock = (unix) => new Date(unix * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC";
const badge = (kind, name) => el("span", {class: "badge " + kind + "-" + slug(name)}, name);

function addressCell(address) {
  return el("td", {class: "mono", title: address}, short(address));
}

function table(headers, rows, empty) {
  if (!rows.length) return el("div", {class: "empty"}, empty);
  return el("table", {}, el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", {}, h)))),
            el("tbody", {}, ...rows));
}

function providerRows(data) {
  return data.providers.map((p) => {
    const uri = p.metadata_uri || "";
    const link = /^https?:\\/\\//i.test(uri) ? el("a", {href: uri, rel: "noreferrer"}, uri) : uri;
    const incidents = el("td", {class: "num incidents"}, String(p.open_incidents),
                         p.frozen ? el("span", {class: "badge frozen"}, "frozen") : null);
    return el("tr", {"data-provider": p.address, "data-status": p.status},
      addressCell(p.address),
      el("td", {class: "status"}, badge("s", p.status)),
      el("td", {class: "num pool"}, amount(p.pool_assets)),
      el("td", {class: "num self"}, amount(p.self_stake)),
      el("td", {class: "num delegated"}, amount(p.delegated)),
      incidents,
      el("td", {class: "uri"}, link));
  });
}

function incidentRows(data) {
  return data.incidents.slice().reverse().map((i) => {
    const steps = el("ol", {class: "timeline"}, ...i.phases.map((step) =>
      el("li", {"data-phase": step.phase, title: step.event + " in " + step.transaction},
         badge("p", step.phase), " ", el("span", {class: "when"}, "#" + step.block + " " + clock(step.time).slice(11)))));
    return el("tr", {"data-incident": i.incident_id, "data-phase": i.phase},
      el("td", {class: "mono", title: i.incident_id}, short(i.incident_id)),
      addressCell(i.provider),
      el("td", {class: "class"}, i.violation_class),
      el("td", {class: "level"}, i.level),
      el("td", {class: "num slashed"}, amount(i.amount)),
      el("td", {class: "phase"}, badge("p", i.phase)),
      el("td", {}, steps),
      el("td", {class: "evidence"}, el("a", {href: "api/evidence/" + i.incident_id, rel: "noreferrer",
                                             title: "the evidence, fetched from the signers and re-run"}, "evidence")));
  });
}

function escrowRows(data) {
  return data.escrows.slice().reverse().map((e) =>
    el("tr", {"data-escrow": e.incident_id, "data-state": e.state},
      el("td", {class: "mono", title: e.incident_id}, short(e.incident_id)),
      addressCell(e.provider),
      el("td", {class: "num amount"}, amount(e.amount)),
      el("td", {class: "num"}, amount(e.recoverable)),
      el("td", {class: "state"}, badge("e", e.state)),
      el("td", {class: "num vested"}, e.vested_epochs + " / " + e.epochs_required),
      el("td", {class: "num released"}, amount(e.released))));
}

function card(label, value, id) {
  return el("div", {class: "card", id: id}, el("div", {class: "label"}, label), el("div", {class: "value"}, value));
}

function render(data) {
  token = data.token;
  const jailed = data.providers.filter((p) => p.status === "jailed").length;
  const open = data.incidents.filter((i) => !["closed", "overturned"].includes(i.phase)).length;
  document.getElementById("network").textContent = data.chain.network + " (chain " + data.chain.chain_id + ")";
  document.getElementById("head").textContent = "#" + data.chain.block;
  document.getElementById("head-time").textContent = clock(data.chain.block_time);
  const index = document.getElementById("index");
  index.textContent = "#" + data.index.block + " (" + data.index.lag + " blocks below the head" +
    (data.index.stale ? "; catching up, " + data.index.behind + " confirmed blocks unread" : "") + ")";
  index.className = data.index.stale ? "stale" : "";
  index.dataset.lag = String(data.index.lag);
  document.getElementById("cards").replaceChildren(
    card("providers", data.providers.length + " (" + jailed + " jailed)", "card-providers"),
    card("open incidents", String(open), "card-incidents"),
    card("in escrow", amount(data.total_escrowed), "card-escrow"),
    card("insurance pool", amount(data.insurance_pool), "insurance-pool"));
  document.getElementById("insurance-pool").dataset.amount = data.insurance_pool;
  document.getElementById("providers").replaceChildren(table(
    ["provider", "status", "pool", "self-stake", "delegated", "open incidents", "metadata URI"],
    providerRows(data), "no providers registered"));
  document.getElementById("incidents").replaceChildren(table(
    ["incident", "provider", "class", "level", "slashed", "phase", "timeline", "why"],
    incidentRows(data), "no incidents"));
  document.getElementById("escrows").replaceChildren(table(
    ["incident", "provider", "escrowed", "recoverable", "state", "vested epochs", "released"],
    escrowRows(data), "no escrows"));
  document.body.dataset.block = String(data.chain.block);
}

async function refresh() {
  const banner = document.getElementById("error");
  try {
    const response = await fetch("api/status", {cache: "no-store"});
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || response.statusText);
    render(data);
    banner.style.display = "none";
    document.getElementById("updated").textContent = clock(Date.now() / 1000).slice(11);
  } catch (error) {
    banner.textContent = "cannot refresh: " + error.message + " (showing the last data read)";
    banner.style.display = "block";
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}
refresh();
"""

_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>swarm-stake status</title>
<style>{style}</style>
</head>
<body data-refresh="{refresh}">
<header>
  <h1>swarm-stake status</h1>
  <span class="meta">network <b id="network">…</b></span>
  <span class="meta">head <b id="head">…</b> <span id="head-time"></span></span>
  <span class="meta" title="the last confirmed block the event index has read">index <b id="index">…</b></span>
  <span class="meta">page updated <b id="updated">never</b></span>
</header>
<main>
  <div id="error" role="alert"></div>
  <div class="cards" id="cards"></div>
  <section><h2>Providers</h2><div id="providers"><div class="empty">loading…</div></div></section>
  <section><h2>Incidents</h2><div id="incidents"><div class="empty">loading…</div></div></section>
  <section><h2>Escrows</h2><div id="escrows"><div class="empty">loading…</div></div></section>
</main>
<footer>Read-only view of the chain, refreshed every {refresh} s. Times are block times.</footer>
<script>{script}</script>
</body>
</html>
"""

CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; script-src {_csp_hash(_SCRIPT)}; style-src {_csp_hash(_STYLE)}; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def capture(url: str, screenshot: Path | None = None, *, browser: str = "chromium", wait_ms: int = 5000,
            window: tuple[int, int] = (1400, 1000), timeout: float = 90) -> str:
    """The page at ``url`` as headless Chromium renders it after ``wait_ms`` of (virtual) time: the
    serialized DOM, or with ``screenshot`` a PNG written there (and an empty string)."""
    import shutil
    import subprocess
    import tempfile

    binary = shutil.which(browser)
    if binary is None:
        raise ConfigError(f"{browser} not found on PATH: install it (Debian: apt-get install -y chromium)")
    with tempfile.TemporaryDirectory(prefix="swarm-stake-chromium-") as profile:
        command = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--hide-scrollbars", f"--user-data-dir={profile}", f"--virtual-time-budget={wait_ms}",
        ]  # fmt: skip
        if screenshot is not None:
            command += [f"--screenshot={Path(screenshot).resolve()}", f"--window-size={window[0]},{window[1]}"]
        else:
            command.append("--dump-dom")
        result = subprocess.run([*command, url], capture_output=True, text=True, timeout=timeout,
                                stdin=subprocess.DEVNULL)  # fmt: skip
    if result.returncode != 0:
        raise ConfigError(f"{browser} exited with {result.returncode}: {result.stderr.strip()[-2000:]}")
    if screenshot is not None and not Path(screenshot).is_file():
        raise ConfigError(f"{browser} wrote no screenshot: {result.stderr.strip()[-2000:]}")
    return "" if screenshot is not None else result.stdout


def render_page(refresh: float = DEFAULT_REFRESH) -> str:
    """The status page: markup, style and script in one document."""
    return _TEMPLATE.format(style=_STYLE, script=_SCRIPT, refresh=f"{refresh:g}")
