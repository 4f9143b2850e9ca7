"""Reading the chain for the daemon: confirmed events in bounded chunks, and reorgs noticed.

Only blocks at least ``confirmations`` deep are processed. The hash of every processed block is
kept; when the chain no longer has one of them, the scan rewinds to the newest block that still
matches and the events after it are read again (handlers are idempotent).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_utils import event_abi_to_log_topic
from web3.exceptions import BlockNotFound

if TYPE_CHECKING:
    from web3 import Web3
    from web3.contract import Contract

    from .store import Store

#: The events the daemon follows, by contract.
WATCHED: dict[str, tuple[str, ...]] = {
    "StakeManager": ("ProviderRegistered", "MetadataURIChanged"),
    "VerdictManager": (
        "VerdictApproved", "VerdictExecuted", "VerdictOverturned", "IncidentClosed", "IncidentTombstoned",
        "IncidentAppealed", "VerdictUpheld", "RemainderOwed", "RemainderCollected", "RemainderCleared",
    ),
    "RecoveryEscrow": ("ClaimFiled", "EpochAttested", "ClaimRejected", "RecoveryCompleted", "EscrowForfeited",
                       "EscrowRefunded"),
}  # fmt: skip


@dataclass(frozen=True)
class ChainEvent:
    name: str
    args: dict[str, Any]
    block: int
    tx_hash: str
    log_index: int


class ChainWatcher:
    def __init__(self, w3: Web3, contracts: dict[str, Contract], store: Store, confirmations: int, chunk: int,
                 start_block: int):  # fmt: skip
        self.w3 = w3
        self.store = store
        self.confirmations = confirmations
        self.chunk = chunk
        self.start_block = start_block
        self.addresses = [contracts[name].address for name in WATCHED]
        self._decoders: dict[tuple[str, bytes], Any] = {}
        for name, events in WATCHED.items():
            contract = contracts[name]
            for item in contract.abi:
                if item["type"] == "event" and item["name"] in events:
                    key = (contract.address.lower(), event_abi_to_log_topic(item))
                    self._decoders[key] = getattr(contract.events, item["name"])()

    def check_reorg(self) -> int | None:
        """The block to rewind to if processed blocks were replaced, else None."""
        history = self.store.processed_hashes()
        if not history:
            return None
        newest, newest_hash = history[0]
        if self._hash(newest) == newest_hash:
            return None
        for number, block_hash in history[1:]:
            if self._hash(number) == block_hash:
                self.store.rewind(number)
                return number
        fallback = max(self.start_block - 1, history[-1][0] - 1)
        self.store.rewind(fallback)
        return fallback

    def _hash(self, number: int) -> str | None:
        try:
            return "0x" + bytes(self.w3.eth.get_block(number)["hash"]).hex()
        except BlockNotFound:
            return None

    def scan(self, head: int, apply: Callable[[ChainEvent], None]) -> int:
        """Apply the events of the next confirmed chunk (at most ``chunk`` blocks), oldest first, then
        mark the chunk processed; returns how many events were applied. A kill in between applies
        them again after the restart (the handlers are idempotent), so none is lost."""
        safe = head - self.confirmations
        last = self.store.last_block
        start = self.start_block if last is None else last + 1
        if start > safe:
            return 0
        end = min(safe, start + self.chunk - 1)
        block_hash = "0x" + bytes(self.w3.eth.get_block(end)["hash"]).hex()
        events = self.logs(start, end)
        for event in events:
            apply(event)
        self.store.mark_processed(end, block_hash)
        return len(events)

    def logs(self, start: int, end: int) -> list[ChainEvent]:
        """Decoded events of the watched contracts in blocks ``start..end`` (confirmed or not)."""
        raw = self.w3.eth.get_logs({"fromBlock": start, "toBlock": end, "address": self.addresses})
        events = []
        for log in raw:
            if not log["topics"]:
                continue
            decoder = self._decoders.get((log["address"].lower(), bytes(log["topics"][0])))
            if decoder is None:
                continue
            decoded = decoder.process_log(log)
            events.append(ChainEvent(
                name=decoded["event"], args=dict(decoded["args"]), block=log["blockNumber"],
                tx_hash="0x" + bytes(log["transactionHash"]).hex(), log_index=log["logIndex"],
            ))  # fmt: skip
        events.sort(key=lambda e: (e.block, e.log_index))
        return events
