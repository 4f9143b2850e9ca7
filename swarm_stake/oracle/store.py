"""The oracle daemon's durable state: one SQLite file in WAL mode.

Everything the daemon must not forget or repeat after a kill -9 lives here: the blocks it
processed (with their hashes, to notice reorgs), its detections, every message it signed
(written *before* it signs, under a conflict key so that it never signs two different
messages for the same incident or observation epoch), the transactions it sent (the raw signed
bytes are stored before broadcasting, so that a restart re-sends the very same transaction
instead of a second one), every verdict proposed on chain (its own and the other oracles', in
chain order), the webhook outbox, and what it measured: per-bucket totals of the providers under
observation (what an observation epoch is judged on) and the samples of the detectors' sliding
windows, written once per cycle in one transaction.

A verdict's conflict key is ``verdict:<incident>:<severity>``: the daemon signs at most one
verdict per incident and severity, so co-signing a low-severity proposal never stops it from
signing a higher one for the same incident. An own proposal given up for an earlier proposal
of the same failure is marked ``yielded`` and releases its key.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SwarmStakeError

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS providers (
    provider TEXT PRIMARY KEY, endpoint TEXT NOT NULL, block INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS detections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL, rule TEXT NOT NULL, violation_class INTEGER NOT NULL, severity INTEGER NOT NULL,
    at REAL NOT NULL, observed_at INTEGER NOT NULL, evidence_hash TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'new', note TEXT NOT NULL DEFAULT '', created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS detections_by_status ON detections (status);
CREATE TABLE IF NOT EXISTS signatures (
    digest TEXT PRIMARY KEY,
    conflict_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL, role TEXT NOT NULL,
    incident_id TEXT NOT NULL, provider TEXT NOT NULL, violation_class INTEGER,
    message TEXT NOT NULL, signature TEXT, deadline INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'signing', created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS txs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    digest TEXT NOT NULL, kind TEXT NOT NULL, nonce INTEGER NOT NULL,
    tx_hash TEXT NOT NULL UNIQUE, raw TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending', block INTEGER, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS proposals (
    digest TEXT PRIMARY KEY, incident_id TEXT NOT NULL, provider TEXT NOT NULL,
    violation_class INTEGER NOT NULL, proposer TEXT NOT NULL, message TEXT NOT NULL,
    block INTEGER NOT NULL, tx_hash TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'open', note TEXT NOT NULL DEFAULT '',
    log_index INTEGER NOT NULL DEFAULT 0, severity INTEGER NOT NULL DEFAULT 0, observed_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS proposals_by_failure ON proposals (provider, violation_class);
CREATE TABLE IF NOT EXISTS incidents (
    incident_id TEXT PRIMARY KEY, provider TEXT NOT NULL, violation_class INTEGER NOT NULL,
    phase TEXT NOT NULL, block INTEGER NOT NULL, severity INTEGER NOT NULL DEFAULT 0,
    observed_at INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS claims (
    incident_id TEXT PRIMARY KEY, provider TEXT NOT NULL, block INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'observing'
);
CREATE TABLE IF NOT EXISTS outbox (
    key TEXT PRIMARY KEY, url TEXT NOT NULL, payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_at REAL NOT NULL DEFAULT 0,
    delivered REAL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS epoch_buckets (
    provider TEXT NOT NULL, bucket INTEGER NOT NULL,
    health INTEGER NOT NULL, up INTEGER NOT NULL, checks INTEGER NOT NULL, correct INTEGER NOT NULL,
    PRIMARY KEY (provider, bucket)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS epoch_buckets_by_bucket ON epoch_buckets (bucket);
CREATE TABLE IF NOT EXISTS sample_window (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, samples BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS sample_window_by_at ON sample_window (at);
"""

#: Columns added after the first release, with their definitions (added to older files on open).
ADDED_COLUMNS = {
    "proposals": {"log_index": "INTEGER NOT NULL DEFAULT 0", "severity": "INTEGER NOT NULL DEFAULT 0",
                  "observed_at": "INTEGER NOT NULL DEFAULT 0"},
    "incidents": {"severity": "INTEGER NOT NULL DEFAULT 0", "observed_at": "INTEGER NOT NULL DEFAULT 0"},
}  # fmt: skip
#: Signature statuses of a verdict that can no longer execute or was given up.
DEAD = ("expired", "refused", "yielded")

#: Processed block hashes kept for reorg checks.
BLOCK_HISTORY = 256


@dataclass(frozen=True)
class TxRecord:
    id: int
    digest: str
    kind: str
    nonce: int
    tx_hash: str
    raw: str
    status: str
    block: int | None


class Store:
    """A thin, explicit layer over the SQLite file; every write is its own committed transaction,
    except the groups written together under :meth:`transaction`."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self.db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # a committed row survives a power cut, not only a kill
        self.db.executescript(SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Bring a file written by an older release up to this schema (idempotent)."""
        with self.transaction():
            for table, columns in ADDED_COLUMNS.items():
                present = {row["name"] for row in self._all(f"PRAGMA table_info({table})")}
                for name, definition in columns.items():
                    if name not in present:
                        self.db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {definition}")
                        if table == "proposals":
                            self.db.execute(f"UPDATE proposals SET {name} = COALESCE(json_extract(message, '$.{name}'), 0)")
            # Verdict keys were `verdict:<incident>`; they now carry the severity.
            self.db.execute(
                "UPDATE signatures SET conflict_key = conflict_key || ':' || json_extract(message, '$.severity') "
                "WHERE kind = 'verdict' AND conflict_key NOT LIKE 'verdict:%:%' AND conflict_key LIKE 'verdict:%'"
            )

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block's statements as one SQLite transaction (the connection autocommits otherwise)."""
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def _one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        return self.db.execute(sql, args).fetchone()

    def _all(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        return self.db.execute(sql, args).fetchall()

    # -- meta and blocks ---------------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", key)
        return row["value"] if row else default

    def set_meta(self, key: str, value: Any) -> None:
        self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        (key, str(value)))  # fmt: skip

    @property
    def last_block(self) -> int | None:
        value = self.get_meta("last_block")
        return int(value) if value is not None else None

    def mark_processed(self, number: int, block_hash: str) -> None:
        """Blocks up to ``number`` are processed; ``block_hash`` is kept to notice a reorg later."""
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO blocks (number, hash) VALUES (?, ?)", (number, block_hash))
            self.db.execute("DELETE FROM blocks WHERE number <= ?", (number - BLOCK_HISTORY,))
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_block', ?)", (str(number),))

    def processed_hashes(self) -> list[tuple[int, str]]:
        """Processed blocks, newest first."""
        return [(r["number"], r["hash"]) for r in self._all("SELECT number, hash FROM blocks ORDER BY number DESC")]

    def rewind(self, number: int) -> None:
        """Forget blocks after ``number`` (a reorg replaced them); their events are scanned again."""
        with self.transaction():
            self.db.execute("DELETE FROM blocks WHERE number > ?", (number,))
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_block', ?)", (str(number),))
            self.db.execute("DELETE FROM proposals WHERE block > ?", (number,))

    # -- providers ---------------------------------------------------------------------------

    def set_provider(self, provider: str, endpoint: str, block: int) -> None:
        self.db.execute(
            "INSERT INTO providers (provider, endpoint, block) VALUES (?, ?, ?) "
            "ON CONFLICT(provider) DO UPDATE SET endpoint = excluded.endpoint, block = excluded.block "
            "WHERE excluded.block >= providers.block",
            (provider, endpoint, block),
        )

    def providers(self) -> dict[str, str]:
        return {r["provider"]: r["endpoint"] for r in self._all("SELECT provider, endpoint FROM providers")}

    # -- detections --------------------------------------------------------------------------

    def add_detection(self, provider: str, rule: str, violation_class: int, severity: int, at: float,
                      observed_at: int, evidence_hash: str) -> int:  # fmt: skip
        cursor = self.db.execute(
            "INSERT INTO detections (provider, rule, violation_class, severity, at, observed_at, evidence_hash, created)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (provider, rule, violation_class, severity, at, observed_at, evidence_hash, time.time()),
        )
        return int(cursor.lastrowid or 0)

    def detections(self, status: str = "new") -> list[sqlite3.Row]:
        return self._all("SELECT * FROM detections WHERE status = ? ORDER BY id", status)

    def set_detection_status(self, detection_id: int, status: str, note: str = "") -> None:
        self.db.execute("UPDATE detections SET status = ?, note = ? WHERE id = ?", (status, note, detection_id))

    def latest_detection(self, provider: str, violation_class: int, since: float) -> sqlite3.Row | None:
        """This oracle's most severe recent detection of ``provider`` in ``violation_class``."""
        return self._one(
            "SELECT * FROM detections WHERE provider = ? AND violation_class = ? AND at >= ? "
            "ORDER BY severity DESC, at DESC LIMIT 1",
            provider, violation_class, since,
        )  # fmt: skip

    # -- signatures --------------------------------------------------------------------------

    def reserve_signature(self, digest: str, conflict_key: str, kind: str, role: str, incident_id: str,
                          provider: str, violation_class: int | None, message: dict[str, Any],
                          deadline: int = 0) -> bool:  # fmt: skip
        """Record the intent to sign ``digest`` before signing. False if this digest is already
        recorded; raises :class:`ConflictingSignature` if another message holds ``conflict_key``."""
        existing = self._one("SELECT digest FROM signatures WHERE conflict_key = ?", conflict_key)
        if existing is not None:
            if existing["digest"] == digest:
                return False
            raise ConflictingSignature(conflict_key, existing["digest"], digest)
        self.db.execute(
            "INSERT INTO signatures (digest, conflict_key, kind, role, incident_id, provider, violation_class, message,"
            " deadline, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (digest, conflict_key, kind, role, incident_id, provider, violation_class,
             json.dumps(message, sort_keys=True), deadline, time.time()),
        )  # fmt: skip
        return True

    def set_signature(self, digest: str, signature: str) -> None:
        self.db.execute("UPDATE signatures SET signature = ?, status = 'signed' WHERE digest = ?", (signature, digest))

    def set_signature_status(self, digest: str, status: str) -> None:
        self.db.execute("UPDATE signatures SET status = ? WHERE digest = ?", (status, digest))

    def yield_signature(self, digest: str) -> None:
        """Give up an own verdict for an earlier proposal of the same failure: it is never sent
        again, and its conflict key is released for the proposal it adopts."""
        self.db.execute(
            "UPDATE signatures SET status = 'yielded', conflict_key = conflict_key || '#yielded:' || digest "
            "WHERE digest = ? AND status != 'yielded'",
            (digest,),
        )

    def holder(self, conflict_key: str) -> str | None:
        """The digest recorded under ``conflict_key``, if any."""
        row = self._one("SELECT digest FROM signatures WHERE conflict_key = ?", conflict_key)
        return row["digest"] if row else None

    def signature(self, digest: str) -> sqlite3.Row | None:
        return self._one("SELECT * FROM signatures WHERE digest = ?", digest)

    def signatures(self, *statuses: str) -> list[sqlite3.Row]:
        marks = ",".join("?" * len(statuses))
        return self._all(f"SELECT * FROM signatures WHERE status IN ({marks}) ORDER BY created", *statuses)

    def live_verdict(self, provider: str, violation_class: int, now: int) -> sqlite3.Row | None:
        """A verdict this oracle signed on ``provider`` in ``violation_class`` that can still execute."""
        return self._one(
            "SELECT * FROM signatures WHERE kind = 'verdict' AND provider = ? AND violation_class = ? "
            "AND status NOT IN (?, ?, ?) AND deadline >= ?",
            provider, violation_class, *DEAD, now,
        )  # fmt: skip

    def verdicts_on(self, provider: str, violation_class: int) -> list[sqlite3.Row]:
        """Every verdict it recorded on ``provider`` in ``violation_class``, whatever became of it."""
        return self._all("SELECT * FROM signatures WHERE kind = 'verdict' AND provider = ? AND violation_class = ?"
                         " ORDER BY created", provider, violation_class)  # fmt: skip

    def live_verdicts(self, provider: str, violation_class: int, now: int) -> list[sqlite3.Row]:
        """Every verdict of its own on ``provider`` in ``violation_class`` that can still execute."""
        return self._all(
            "SELECT * FROM signatures WHERE kind = 'verdict' AND provider = ? AND violation_class = ? "
            "AND status NOT IN (?, ?, ?) AND deadline >= ? ORDER BY created",
            provider, violation_class, *DEAD, now,
        )  # fmt: skip

    # -- transactions ------------------------------------------------------------------------

    def add_tx(self, digest: str, kind: str, nonce: int, tx_hash: str, raw: str) -> None:
        self.db.execute(
            "INSERT INTO txs (digest, kind, nonce, tx_hash, raw, created) VALUES (?, ?, ?, ?, ?, ?)",
            (digest, kind, nonce, tx_hash, raw, time.time()),
        )

    def set_tx(self, tx_hash: str, status: str, block: int | None = None) -> None:
        self.db.execute("UPDATE txs SET status = ?, block = ? WHERE tx_hash = ?", (status, block, tx_hash))

    def txs(self, *statuses: str) -> list[TxRecord]:
        marks = ",".join("?" * len(statuses))
        rows = self._all(f"SELECT * FROM txs WHERE status IN ({marks}) ORDER BY id", *statuses)
        return [TxRecord(r["id"], r["digest"], r["kind"], r["nonce"], r["tx_hash"], r["raw"], r["status"], r["block"])
                for r in rows]  # fmt: skip

    def txs_of(self, digest: str) -> list[TxRecord]:
        rows = self._all("SELECT * FROM txs WHERE digest = ? ORDER BY id", digest)
        return [TxRecord(r["id"], r["digest"], r["kind"], r["nonce"], r["tx_hash"], r["raw"], r["status"], r["block"])
                for r in rows]  # fmt: skip

    # -- what the chain says -------------------------------------------------------------------

    def add_proposal(self, digest: str, incident_id: str, provider: str, violation_class: int, proposer: str,
                     message: dict[str, Any], block: int, tx_hash: str, log_index: int = 0,
                     status: str = "open") -> None:  # fmt: skip
        """Record the first approval of ``digest`` seen on chain (later approvals of it are ignored)."""
        self.db.execute(
            "INSERT OR IGNORE INTO proposals (digest, incident_id, provider, violation_class, proposer, message, block,"
            " tx_hash, log_index, severity, observed_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (digest, incident_id, provider, violation_class, proposer, json.dumps(message, sort_keys=True), block,
             tx_hash, log_index, int(message["severity"]), int(message["observed_at"]), status),
        )  # fmt: skip

    def proposals(self, *statuses: str) -> list[sqlite3.Row]:
        """Proposals in any of ``statuses`` (default: open), in chain order."""
        statuses = statuses or ("open",)
        marks = ",".join("?" * len(statuses))
        return self._all(f"SELECT * FROM proposals WHERE status IN ({marks}) ORDER BY block, log_index", *statuses)

    def proposal(self, digest: str) -> sqlite3.Row | None:
        return self._one("SELECT * FROM proposals WHERE digest = ?", digest)

    def pending_proposals(self, provider: str, violation_class: int) -> list[sqlite3.Row]:
        """Proposals on ``provider`` in ``violation_class`` that may still execute, in chain order."""
        return self._all(
            "SELECT * FROM proposals WHERE provider = ? AND violation_class = ? AND status IN ('open', 'signed', 'later')"
            " ORDER BY block, log_index",
            provider, violation_class,
        )  # fmt: skip

    def proposal_for(self, provider: str, violation_class: int) -> sqlite3.Row | None:
        rows = self.pending_proposals(provider, violation_class)
        return rows[0] if rows else None

    def set_proposal_status(self, digest: str, status: str, note: str = "") -> None:
        self.db.execute("UPDATE proposals SET status = ?, note = ? WHERE digest = ?", (status, note, digest))

    def set_incident(self, incident_id: str, provider: str, violation_class: int, phase: str, block: int,
                     severity: int = 0, observed_at: int = 0) -> None:  # fmt: skip
        self.db.execute(
            "INSERT INTO incidents (incident_id, provider, violation_class, phase, block, severity, observed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(incident_id) DO UPDATE SET phase = excluded.phase,"
            " block = excluded.block, severity = excluded.severity, observed_at = excluded.observed_at",
            (incident_id, provider, violation_class, phase, block, severity, observed_at),
        )

    def set_incident_phase(self, incident_id: str, phase: str, block: int) -> None:
        self.db.execute("UPDATE incidents SET phase = ?, block = ? WHERE incident_id = ?", (phase, block, incident_id))

    def open_incidents(self, provider: str, violation_class: int) -> list[sqlite3.Row]:
        """The provider's open incidents of ``violation_class``, oldest observation first."""
        return self._all(
            "SELECT * FROM incidents WHERE provider = ? AND violation_class = ? AND phase = 'open' ORDER BY observed_at",
            provider, violation_class,
        )  # fmt: skip

    def set_claim(self, incident_id: str, provider: str, block: int, status: str = "observing") -> None:
        self.db.execute(
            "INSERT INTO claims (incident_id, provider, block, status) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(incident_id) DO UPDATE SET status = excluded.status, block = excluded.block",
            (incident_id, provider, block, status),
        )

    def claims(self, status: str = "observing") -> list[sqlite3.Row]:
        return self._all("SELECT * FROM claims WHERE status = ?", status)

    def watched_providers(self) -> set[str]:
        """Providers whose observation epochs may be judged: an open incident or a claim in observation."""
        rows = self._all("SELECT provider FROM incidents WHERE phase = 'open' "
                         "UNION SELECT provider FROM claims WHERE status = 'observing'")  # fmt: skip
        return {row["provider"] for row in rows}

    # -- measurements ----------------------------------------------------------------------------

    def save_measurements(self, at: float, samples: bytes | None, window_start: float,
                          buckets: list[tuple[str, int, int, int, int, int]], oldest_bucket: int) -> None:  # fmt: skip
        """One cycle's measurements in one transaction: the encoded samples of the detectors' windows
        (those before ``window_start`` are dropped) and the epoch totals of watched providers,
        ``(provider, bucket, health, up, checks, correct)`` (buckets before ``oldest_bucket`` dropped)."""
        with self.transaction():
            if samples is not None:
                self.db.execute("INSERT INTO sample_window (at, samples) VALUES (?, ?)", (at, samples))
            self.db.execute("DELETE FROM sample_window WHERE at < ?", (window_start,))
            if buckets:
                self.db.executemany(
                    "INSERT INTO epoch_buckets (provider, bucket, health, up, checks, correct) VALUES (?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(provider, bucket) DO UPDATE SET health = excluded.health, up = excluded.up,"
                    " checks = excluded.checks, correct = excluded.correct",
                    buckets,
                )
                self.db.execute("DELETE FROM epoch_buckets WHERE bucket < ?", (oldest_bucket,))

    def sample_window(self, since: float) -> list[bytes]:
        """The encoded sample batches written at or after ``since``, oldest first."""
        return [bytes(r["samples"]) for r in self._all("SELECT samples FROM sample_window WHERE at >= ? ORDER BY id", since)]

    def epoch_buckets(self) -> list[tuple[str, int, int, int, int, int]]:
        rows = self._all("SELECT provider, bucket, health, up, checks, correct FROM epoch_buckets ORDER BY bucket")
        return [tuple(row) for row in rows]  # type: ignore[misc]

    # -- webhooks ------------------------------------------------------------------------------

    def enqueue(self, key: str, url: str, payload: dict[str, Any]) -> bool:
        """Queue one notification; the same ``key`` is queued (and so delivered) once."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO outbox (key, url, payload, created) VALUES (?, ?, ?, ?)",
            (key, url, json.dumps(payload, sort_keys=True), time.time()),
        )
        return cursor.rowcount == 1

    def due(self, now: float, limit: int = 20) -> list[sqlite3.Row]:
        return self._all(
            "SELECT * FROM outbox WHERE delivered IS NULL AND next_at <= ? ORDER BY created LIMIT ?", now, limit
        )

    def delivered(self, key: str) -> None:
        self.db.execute("UPDATE outbox SET delivered = ? WHERE key = ?", (time.time(), key))

    def retry_later(self, key: str, attempts: int, next_at: float) -> None:
        self.db.execute("UPDATE outbox SET attempts = ?, next_at = ? WHERE key = ?", (attempts, next_at, key))

    def counts(self) -> dict[str, int]:
        """Row counts by table and status, for the health endpoint and tests."""
        out: dict[str, int] = {}
        for table in ("detections", "signatures", "txs", "proposals"):
            for row in self._all(f"SELECT status, COUNT(*) AS n FROM {table} GROUP BY status"):
                out[f"{table}.{row['status']}"] = row["n"]
        return out


class ConflictingSignature(SwarmStakeError):
    """The daemon was about to sign a second, different message under a conflict key."""

    def __init__(self, key: str, signed: str, attempted: str):
        super().__init__(f"{key} already holds signed digest {signed}; refusing to sign {attempted}")
        self.key = key


def measure_save(providers: int = 5000, cycles: int = 60, watched: int = 20) -> tuple[float, int]:
    """The median time of one cycle's save (seconds) and the compressed size of its samples (bytes)
    for ``providers`` nodes (health every cycle, metrics for a fifth), ``watched`` of them under an
    incident, in a temporary SQLite file."""
    import statistics
    import tempfile

    from .detectors import DetectorParams, RestorationMeter
    from .samples import Sample, encode_samples

    addresses = ["0x" + f"{i + 1:040x}" for i in range(providers)]
    meter = RestorationMeter(DetectorParams())
    meter.watch(set(addresses[:watched]))
    times, size = [], 0
    with tempfile.TemporaryDirectory() as directory:
        store = Store(Path(directory) / "oracle.db")
        start = time.time()
        for cycle in range(cycles):
            now = start + cycle
            samples = [Sample(a, now, "health", up=True, latency_ms=20.0, software_hash="0x" + "ab" * 32) for a in addresses]
            samples += [Sample(a, now, "metrics", gpu_util=0.5, errors_total=1.0, requests_total=100.0 + cycle)
                        for a in addresses[: providers // 5]]  # fmt: skip
            for sample in samples:
                meter.record(sample)
            started = time.perf_counter()
            batch = encode_samples(samples)
            store.save_measurements(now, batch, now - 32, meter.dirty(), meter.oldest_bucket(now))
            meter.saved()
            times.append(time.perf_counter() - started)
            size = len(batch)
        store.close()
    return statistics.median(times), size


if __name__ == "__main__":
    seconds, size = measure_save()
    print(f"one cycle's save at 5,000 providers: median {seconds * 1000:.1f} ms, samples {size / 1000:.0f} kB compressed")
