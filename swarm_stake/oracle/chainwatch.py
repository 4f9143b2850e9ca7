"""Reading the chain for the daemon: the events it follows, through the shared
:class:`~swarm_stake.chainscan.ChainScanner`.

Only blocks at least ``confirmations`` deep are processed. The hash of every processed block is
kept in the daemon's store; when the chain no longer has one of them, the scan rewinds to the
newest block that still matches and the events after it are read again (handlers are idempotent).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..chainscan import ChainEvent, ChainScanner

if TYPE_CHECKING:
    from web3 import Web3
    from web3.contract import Contract

    from .store import Store

__all__ = ["WATCHED", "ChainEvent", "ChainWatcher"]

#: The events the daemon follows, by contract.
WATCHED: dict[str, tuple[str, ...]] = {
    "StakeManager": ("ProviderRegistered", "MetadataURIChanged"),
    "VerdictManager": (
        "VerdictApproved", "VerdictExecuted", "VerdictOverturned", "IncidentClosed", "IncidentTombstoned",
        "IncidentAppealed", "VerdictUpheld", "RemainderOwed", "RemainderCollected", "RemainderCleared",
    ),
    "RecoveryEscrow": ("ClaimFiled", "EpochAttested", "ClaimRejected", "RecoveryCompleted", "EscrowForfeited",
                       "EscrowRefunded"),
    "AppealCourt": ("VerdictUpgraded",),
}  # fmt: skip


class ChainWatcher(ChainScanner):
    def __init__(self, w3: Web3, contracts: dict[str, Contract], store: Store, confirmations: int, chunk: int,
                 start_block: int):  # fmt: skip
        super().__init__(w3, contracts, store, confirmations, chunk, start_block, events=WATCHED)
        self.store = store
