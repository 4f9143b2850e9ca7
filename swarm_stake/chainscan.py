"""Following the chain's events: confirmed blocks in bounded chunks, and reorgs noticed.

A :class:`ChainScanner` reads the events of a set of contracts, one ``eth_getLogs`` per chunk of
at most ``chunk`` blocks over all of their addresses, and only blocks at least ``confirmations``
deep. Where it stands is kept by a :class:`ScanState` (the oracle daemon's store, the event index):
the last processed block and the hashes of the processed blocks. When the chain no longer has one
of those hashes, the scan rewinds to the newest block that still matches and the events after it
are read again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from eth_utils import event_abi_to_log_topic
from web3.datastructures import AttributeDict
from web3.exceptions import BlockNotFound

from .abis import decode_values

if TYPE_CHECKING:
    from web3 import Web3
    from web3.contract import Contract


@dataclass(frozen=True)
class ChainEvent:
    name: str
    args: dict[str, Any]
    block: int
    tx_hash: str
    log_index: int
    #: The name of the contract that emitted it.
    contract: str = ""
    #: The block's timestamp, when the node puts it in the log (``blockTimestamp``).
    timestamp: int | None = None


class ScanState(Protocol):
    """Where a scan stands, kept durably: a ``rewind`` is final once it returns, a ``mark_processed``
    once the :meth:`ChainScanner.scan` that made it returns (with what its events wrote, when the
    state's owner wraps the scan in one transaction)."""

    @property
    def last_block(self) -> int | None: ...

    def processed_hashes(self) -> list[tuple[int, str]]:
        """Processed blocks whose hashes are kept, newest first."""
        ...

    def mark_processed(self, number: int, block_hash: str) -> None: ...

    def rewind(self, number: int) -> None:
        """Forget blocks after ``number`` and what was read from them."""
        ...


class EventDecoder:
    """Decodes the raw logs of one event as web3.py's ``process_log`` does (checksummed addresses,
    structs as AttributeDicts, the topic itself for an indexed value of a dynamic type), without its
    per-log machinery: a sync can meet thousands of logs."""

    _DYNAMIC = ("string", "bytes", "tuple")

    def __init__(self, abi: dict[str, Any]):
        self.name = abi["name"]
        self.inputs = abi["inputs"]
        self.indexed = [i for i in self.inputs if i.get("indexed")]
        self.plain = [i for i in self.inputs if not i.get("indexed")]

    def _topic(self, param: dict[str, Any], topic: bytes) -> Any:
        kind = param["type"]
        if kind in self._DYNAMIC or kind.endswith("]") or kind.startswith("tuple"):
            return topic
        return decode_values([param], topic)[0]

    def decode(self, topics: list[bytes], data: bytes) -> dict[str, Any] | None:
        """The event's arguments in ABI order; None when the log does not fit the event."""
        if len(topics) != len(self.indexed) + 1:
            return None
        values = {p["name"]: self._topic(p, t) for p, t in zip(self.indexed, topics[1:], strict=True)}
        plain = decode_values(self.plain, data, AttributeDict)
        values |= {p["name"]: v for p, v in zip(self.plain, plain, strict=True)}
        return {i["name"]: values[i["name"]] for i in self.inputs}


def block_hash(w3: Web3, number: int) -> str | None:
    """The hash of block ``number`` as ``0x`` hex, None when the chain has no such block."""
    try:
        return "0x" + bytes(w3.eth.get_block(number)["hash"]).hex()
    except BlockNotFound:
        return None


class ChainScanner:
    """Reads the events of ``contracts`` (name -> web3 contract): those named in ``events`` (name ->
    event names), or every event of each contract's ABI when ``events`` is None."""

    def __init__(self, w3: Web3, contracts: dict[str, Contract], state: ScanState, confirmations: int, chunk: int,
                 start_block: int, events: dict[str, Iterable[str]] | None = None, rescan_unmatched: bool = False):  # fmt: skip
        if chunk < 1:
            raise ValueError(f"the chunk of blocks per eth_getLogs must be at least 1, not {chunk}")
        self.w3 = w3
        self.state = state
        self.confirmations = confirmations
        self.chunk = chunk
        self.start_block = start_block
        #: When no kept hash matches any more: read everything again from ``start_block`` (True), or only
        #: from the oldest kept block (False: a reorg deeper than the kept history is not followed).
        self.rescan_unmatched = rescan_unmatched
        names = list(contracts) if events is None else [name for name in events if name in contracts]
        self.addresses = [contracts[name].address for name in names]
        self._decoders: dict[tuple[str, bytes], tuple[str, EventDecoder]] = {}
        for name in names:
            contract = contracts[name]
            wanted = None if events is None else set(events[name])
            for item in contract.abi:
                if item["type"] != "event" or item.get("anonymous") or (wanted is not None and item["name"] not in wanted):
                    continue
                key = (contract.address.lower(), event_abi_to_log_topic(item))
                self._decoders[key] = (name, EventDecoder(item))

    def check_reorg(self) -> int | None:
        """The block to rewind to if processed blocks were replaced (the state is rewound), else None."""
        history = self.state.processed_hashes()
        if not history:
            return None
        newest, newest_hash = history[0]
        if block_hash(self.w3, newest) == newest_hash:
            return None
        for number, kept in history[1:]:
            if block_hash(self.w3, number) == kept:
                self.state.rewind(number)
                return number
        fallback = self.start_block - 1 if self.rescan_unmatched else max(self.start_block - 1, history[-1][0] - 1)
        self.state.rewind(fallback)
        return fallback

    def next_range(self, head: int) -> tuple[int, int] | None:
        """The blocks the next :meth:`scan` reads: confirmed at ``head``, at most ``chunk`` of them."""
        last = self.state.last_block
        start = self.start_block if last is None else last + 1
        end = min(head - self.confirmations, start + self.chunk - 1)
        return (start, end) if start <= end else None

    def scan(self, head: int, apply: Callable[[ChainEvent], None]) -> int:
        """Apply the events of the next confirmed chunk (at most ``chunk`` blocks), oldest first, then
        mark the chunk processed; returns how many events were applied. A kill in between applies
        them again after the restart (so handlers must be idempotent, or write in the same
        transaction as ``mark_processed``), so none is lost."""
        blocks = self.next_range(head)
        if blocks is None:
            return 0
        start, end = blocks
        end_hash = block_hash(self.w3, end)
        if end_hash is None:  # the node's head moved back since ``head`` was read: next time
            return 0
        events = self.logs(start, end)
        for event in events:
            apply(event)
        self.state.mark_processed(end, end_hash)
        return len(events)

    def logs(self, start: int, end: int) -> list[ChainEvent]:
        """Decoded events of the contracts in blocks ``start..end`` (confirmed or not), oldest first."""
        # The node's answer as it is (hex strings): web3.py's formatting of thousands of logs costs more
        # than reading them.
        answer = self.w3.provider.make_request("eth_getLogs", [  # type: ignore[arg-type]
            {"fromBlock": hex(start), "toBlock": hex(end), "address": self.addresses}
        ])  # fmt: skip
        if "error" in answer:
            raise ValueError(answer["error"])
        events = []
        for log in answer["result"]:
            if not log["topics"] or log.get("removed"):
                continue
            topics = [bytes.fromhex(t[2:]) for t in log["topics"]]
            found = self._decoders.get((log["address"].lower(), topics[0]))
            if found is None:
                continue
            contract, decoder = found
            args = decoder.decode(topics, bytes.fromhex(log["data"][2:]))
            if args is None:
                continue
            stamp = log.get("blockTimestamp")
            events.append(ChainEvent(
                name=decoder.name, args=args, block=int(log["blockNumber"], 16), tx_hash=log["transactionHash"],
                log_index=int(log["logIndex"], 16), contract=contract, timestamp=None if stamp is None else int(stamp, 16),
            ))  # fmt: skip
        events.sort(key=lambda e: (e.block, e.log_index))
        return events
