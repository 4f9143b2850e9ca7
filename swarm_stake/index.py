"""An event index of one deployment in SQLite, followed incrementally: the read path of the status
page, ``incidents list/show`` and ``provider status``.

    index = EventIndex.open(client, registry, Path("devnet.index.sqlite3"))
    index.sync()                      # reads what the chain added since the last sync
    index.providers()                 # every registered provider, in order of registration
    index.events("VerdictManager", ("VerdictExecuted",))

Every event of the deployment's contracts (except the token's transfers and approvals) is kept,
decoded from the shipped ABIs, so an event that a new contract version adds is indexed without a
code change here. Blocks are read through :class:`~swarm_stake.chainscan.ChainScanner`: one
``eth_getLogs`` over every contract address per chunk of at most ``chunk`` blocks, only blocks at
least ``confirmations`` deep, the hashes of the processed blocks kept so that a reorg is noticed
and the replaced blocks are read again. A chunk's events and the mark that it is processed are
written in one SQLite transaction, so a restart resumes from the last processed block with
nothing lost and nothing twice. The unconfirmed blocks above (at most ``confirmations`` of them)
are read again at every sync, stored apart (``confirmed = 0``) and replaced each time: queries
see the chain up to its head, and only confirmed blocks are ever taken as final.

The index is a cache of the chain: a file that belongs to another chain or deployment (a devnet
started anew, a redeployment) is emptied and filled again.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .abis import SHIPPED_CONTRACTS, load_abi
from .chainscan import ChainEvent, ChainScanner, block_hash
from .errors import ConfigError
from .incidents import json_value

if TYPE_CHECKING:
    from web3 import Web3

    from .chain import Client
    from .deploy import Registry

#: Blocks a block must be below the head before its events are taken as final.
DEFAULT_CONFIRMATIONS = 12
#: Blocks per ``eth_getLogs`` (public endpoints commonly refuse larger ranges).
DEFAULT_CHUNK = 2_000
#: Contracts whose events are not indexed: the token's transfers and approvals (unbounded, unused here).
UNINDEXED = ("SwarmToken",)
#: Processed block hashes kept to notice a reorg (deeper reorgs are not followed).
BLOCK_HISTORY = 256
SCHEMA_VERSION = "swarm-stake-index/1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    block INTEGER NOT NULL, log_index INTEGER NOT NULL, tx TEXT NOT NULL, time INTEGER,
    contract TEXT NOT NULL, event TEXT NOT NULL, incident TEXT, provider TEXT, args TEXT NOT NULL,
    confirmed INTEGER NOT NULL,
    PRIMARY KEY (block, log_index)
);
CREATE INDEX IF NOT EXISTS events_by_name ON events (contract, event, block, log_index);
CREATE INDEX IF NOT EXISTS events_by_incident ON events (incident);
CREATE INDEX IF NOT EXISTS events_by_provider ON events (provider);
"""


def _restore(param: dict[str, Any], value: Any) -> Any:
    """A stored value as web3.py decodes it: bytes for bytes types, structs as name -> value."""
    kind = param["type"]
    if kind.endswith("]"):
        inner = {**param, "type": kind[: kind.rindex("[")]}
        return [_restore(inner, v) for v in value]
    if kind == "tuple":
        components = param["components"]
        if isinstance(value, Mapping):
            return {c["name"]: _restore(c, value[c["name"]]) for c in components}
        return {c["name"]: _restore(c, v) for c, v in zip(components, value, strict=True)}
    if kind.startswith("bytes") and isinstance(value, str):
        return bytes.fromhex(value[2:])
    return value


@dataclass(frozen=True)
class IndexStatus:
    """How far the index is: ``block`` is the last confirmed block it processed, ``head`` the chain's."""

    block: int
    head: int
    confirmations: int
    #: Whether the unconfirmed blocks above ``block`` (up to ``head``) were read too.
    tail: bool

    @property
    def lag(self) -> int:
        return max(self.head - self.block, 0)

    @property
    def behind(self) -> int:
        """Confirmed blocks not indexed yet: 0 once the index has caught up."""
        return max(self.lag - self.confirmations, 0)

    @property
    def stale(self) -> bool:
        return self.behind > 0

    def as_json(self) -> dict[str, Any]:
        return {"block": self.block, "head": self.head, "lag": self.lag, "behind": self.behind,
                "confirmations": self.confirmations, "stale": self.stale, "unconfirmed_read": self.tail}  # fmt: skip


def default_index_path(registry_path: Path | None, registry: Registry) -> Path:
    """Where the CLI keeps the index: beside the registry file (``devnet.json`` ->
    ``devnet.index.sqlite3``), or under ``$SWARM_STAKE_HOME/index/`` when that folder is not writable."""
    import os

    from .settings import default_home

    if registry_path is not None:
        folder = registry_path.resolve().parent
        if os.access(folder, os.W_OK):
            return folder / f"{registry_path.stem}.index.sqlite3"
    return default_home() / "index" / f"{registry.chain_id}-{registry.address('StakeManager').lower()}.sqlite3"


class EventIndex:
    """The events of one deployment in an SQLite file (``:memory:`` for one process only)."""

    def __init__(self, w3: Web3, registry: Registry, path: Path | str = ":memory:",
                 confirmations: int = DEFAULT_CONFIRMATIONS, chunk: int = DEFAULT_CHUNK):  # fmt: skip
        if confirmations < 0:
            raise ConfigError(f"index confirmations must be 0 or more, not {confirmations}")
        if chunk < 1:
            raise ConfigError(f"the index chunk (blocks per eth_getLogs) must be at least 1, not {chunk}")
        self.w3 = w3
        self.registry = registry
        self.path = path
        self.confirmations = confirmations
        self.chunk = chunk
        self._lock = threading.RLock()
        contracts = {
            name: w3.eth.contract(address=w3.to_checksum_address(address), abi=load_abi(name))
            for name, address in registry.contracts.items()
            if name in SHIPPED_CONTRACTS and name not in UNINDEXED
        }
        self.contracts = contracts
        self._inputs = {(name, item["name"]): item["inputs"] for name, contract in contracts.items()
                        for item in contract.abi if item["type"] == "event"}  # fmt: skip
        self.db = self._connect(path)
        self.scanner = ChainScanner(w3, contracts, self, confirmations, chunk, registry.start_block, rescan_unmatched=True)
        self._adopt(contracts)

    @classmethod
    def open(cls, client: Client, registry: Registry, path: Path | str = ":memory:", **kwargs: Any) -> EventIndex:
        return cls(client.w3, registry, path, **kwargs)

    def _connect(self, path: Path | str) -> sqlite3.Connection:
        where = str(path)
        try:
            if where != ":memory:":
                Path(where).parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(where, timeout=30, check_same_thread=False)
            db.row_factory = sqlite3.Row
            if where != ":memory:":
                db.execute("PRAGMA journal_mode=WAL")
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables and "meta" not in tables:
                raise ConfigError(f"{where} is not a swarm-stake event index (it holds other tables); "
                                  "give another file (index_file / SWARM_STAKE_INDEX_FILE)")  # fmt: skip
            with db:
                db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"cannot use {where} as the event index ({exc}); give another file "
                              "(index_file / SWARM_STAKE_INDEX_FILE) or remove it (it is rebuilt from the chain)") from exc  # fmt: skip
        except OSError as exc:
            raise ConfigError(f"cannot create the event index {where} ({exc.strerror or exc}); give a writable "
                              "place (index_file / SWARM_STAKE_INDEX_FILE)") from exc  # fmt: skip
        return db

    def _adopt(self, contracts: dict[str, Any]) -> None:
        """Check that the file indexes this chain and deployment with these ABIs; empty it otherwise."""
        from eth_utils import keccak

        genesis = block_hash(self.w3, 0) or "unknown"
        topics = sorted(f"{name}:{c.address}:{json.dumps(c.abi, sort_keys=True)}" for name, c in contracts.items())
        identity = {
            "chain_id": self.registry.chain_id, "genesis": genesis, "start_block": self.registry.start_block,
            "contracts": "0x" + keccak(text="\n".join(topics)).hex(),
        }  # fmt: skip
        with self._lock, self.db:
            schema = self.get_meta("schema")
            if schema not in (None, SCHEMA_VERSION):
                raise ConfigError(f"{self.path} is an event index of another format ({schema}); remove it "
                                  "(it is rebuilt from the chain)")  # fmt: skip
            if self.get_meta("identity") != json.dumps(identity, sort_keys=True):
                for table in ("events", "blocks", "meta"):
                    self.db.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed table names)
                self._set_meta("schema", SCHEMA_VERSION)
                self._set_meta("identity", json.dumps(identity, sort_keys=True))

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def __enter__(self) -> EventIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the scan state (chainscan.ScanState) ------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, str(value)))

    @property
    def last_block(self) -> int | None:
        value = self.get_meta("last_block")
        return int(value) if value is not None else None

    def processed_hashes(self) -> list[tuple[int, str]]:
        rows = self.db.execute("SELECT number, hash FROM blocks ORDER BY number DESC").fetchall()
        return [(row[0], row[1]) for row in rows]

    def mark_processed(self, number: int, block_hash: str) -> None:
        """Part of the chunk's transaction (see :meth:`sync`): final when that commits."""
        self.db.execute("INSERT OR REPLACE INTO blocks (number, hash) VALUES (?, ?)", (number, block_hash))
        self.db.execute("DELETE FROM blocks WHERE number <= ?", (number - BLOCK_HISTORY,))
        self._set_meta("last_block", number)

    def rewind(self, number: int) -> None:
        with self._lock, self.db:
            self.db.execute("DELETE FROM blocks WHERE number > ?", (number,))
            self.db.execute("DELETE FROM events WHERE block > ?", (number,))
            self._set_meta("last_block", number)

    # -- following the chain --------------------------------------------------------------------

    def sync(self, head: int | None = None, max_chunks: int | None = None) -> IndexStatus:
        """Index the confirmed blocks up to ``head`` (the chain's head when None), at most
        ``max_chunks`` chunks of them, after rewinding any that a reorg replaced; then, once caught
        up, read the unconfirmed blocks above. Returns where the index stands."""
        with self._lock:
            if head is None:
                head = self.w3.eth.block_number
            with self.db:
                self.db.execute("DELETE FROM events WHERE confirmed = 0")
            self.scanner.check_reorg()
            chunks = 0
            while max_chunks is None or chunks < max_chunks:
                before = self.last_block
                if self.scanner.next_range(head) is None:
                    break
                with self.db:
                    self.scanner.scan(head, lambda event: self._store(event, confirmed=True))
                chunks += 1
                if self.last_block == before:
                    break  # the chain's head moved back meanwhile: the next sync goes on
            indexed = self.indexed_block
            tail = indexed >= head - self.confirmations
            if tail and head > indexed:
                events = self.scanner.logs(indexed + 1, head)
                with self.db:
                    for event in events:
                        self._store(event, confirmed=False)
            return IndexStatus(block=indexed, head=head, confirmations=self.confirmations, tail=tail)

    @property
    def indexed_block(self) -> int:
        """The last confirmed block processed (the block before the deployment when none is)."""
        last = self.last_block
        return self.registry.start_block - 1 if last is None else last

    def status(self, head: int) -> IndexStatus:
        indexed = self.indexed_block
        return IndexStatus(block=indexed, head=head, confirmations=self.confirmations,
                           tail=indexed >= head - self.confirmations)  # fmt: skip

    def _store(self, event: ChainEvent, confirmed: bool) -> None:
        timestamp = event.timestamp
        if timestamp is None:  # a node that leaves blockTimestamp out of its logs
            timestamp = self._block_time(event.block)
        incident = event.args.get("incidentId")
        provider = event.args.get("provider")
        self.db.execute(
            "INSERT OR REPLACE INTO events (block, log_index, tx, time, contract, event, incident, provider, args, "
            "confirmed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (event.block, event.log_index, event.tx_hash, timestamp, event.contract, event.name,
             "0x" + bytes(incident).hex() if isinstance(incident, bytes | bytearray) else None,
             provider.lower() if isinstance(provider, str) else None,
             json.dumps(json_value(event.args)), int(confirmed)),
        )  # fmt: skip

    def _block_time(self, number: int) -> int:
        row = self.db.execute("SELECT time FROM events WHERE block = ? AND time IS NOT NULL LIMIT 1", (number,)).fetchone()
        return row[0] if row else self.w3.eth.get_block(number)["timestamp"]

    # -- queries ----------------------------------------------------------------------------------

    def events(self, contract: str | Iterable[str] | None = None, names: Iterable[str] | None = None, *,
               incident: str | None = None, provider: str | None = None, until: int | None = None) -> list[dict[str, Any]]:  # fmt: skip
        """Indexed events, oldest first, as web3.py's decoded logs (``event``, ``args``, ``blockNumber``,
        ``logIndex``, ``transactionHash``) plus ``contract`` and ``blockTimestamp``; filtered by
        contract name(s), event names, incident id, provider address and last block."""
        where, values = [], []
        if contract is not None:
            contracts = [contract] if isinstance(contract, str) else list(contract)
            where.append(f"contract IN ({','.join('?' * len(contracts))})")
            values += contracts
        if names is not None:
            wanted = list(names)
            where.append(f"event IN ({','.join('?' * len(wanted))})")
            values += wanted
        if incident is not None:
            where.append("incident = ?")
            values.append(incident.lower())
        if provider is not None:
            where.append("provider = ?")
            values.append(provider.lower())
        if until is not None:
            where.append("block <= ?")
            values.append(until)
        sql = "SELECT block, log_index, tx, time, contract, event, args FROM events"
        sql += (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY block, log_index"
        with self._lock:
            rows = self.db.execute(sql, values).fetchall()
        return [self._log(row) for row in rows]

    def _log(self, row: sqlite3.Row) -> dict[str, Any]:
        inputs = self._inputs.get((row["contract"], row["event"]), [])
        stored = json.loads(row["args"])
        args = {i["name"]: _restore(i, stored[i["name"]]) for i in inputs if i["name"] in stored}
        return {
            "event": row["event"], "contract": row["contract"], "args": args, "blockNumber": row["block"],
            "logIndex": row["log_index"], "transactionHash": bytes.fromhex(row["tx"][2:]), "blockTimestamp": row["time"],
        }  # fmt: skip

    def providers(self, until: int | None = None) -> list[str]:
        """Every provider registered (``ProviderRegistered``), in order of registration."""
        sql = "SELECT args FROM events WHERE contract = 'StakeManager' AND event = 'ProviderRegistered'"
        values: list[Any] = []
        if until is not None:
            sql += " AND block <= ?"
            values.append(until)
        with self._lock:
            rows = self.db.execute(sql + " ORDER BY block, log_index", values).fetchall()
        return list(dict.fromkeys(json.loads(row[0])["provider"] for row in rows))

    def latest(self, contract: str, names: Iterable[str], field: str, until: int | None = None,
               provider: str | None = None) -> dict[str, Any]:  # fmt: skip
        """The newest value of argument ``field`` per provider over the events ``names`` of ``contract``
        (e.g. each provider's metadata URI), keyed by the provider's address as the events give it."""
        wanted = list(names)
        sql = (f"SELECT args FROM events WHERE contract = ? AND event IN ({','.join('?' * len(wanted))})"
               " AND provider IS NOT NULL")  # fmt: skip
        values: list[Any] = [contract, *wanted]
        if provider is not None:
            sql += " AND provider = ?"
            values.append(provider.lower())
        if until is not None:
            sql += " AND block <= ?"
            values.append(until)
        found: dict[str, Any] = {}
        with self._lock:
            for row in self.db.execute(sql + " ORDER BY block, log_index", values):
                args = json.loads(row[0])
                found[args["provider"]] = args.get(field)
        return found

    def count(self) -> int:
        with self._lock:
            return self.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
