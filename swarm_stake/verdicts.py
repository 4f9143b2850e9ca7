"""Building, signing and submitting verdicts against a deployed VerdictManager."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from web3.logs import DISCARD as _DISCARD

from .models import Level, Verdict, ViolationClass, incident_id
from .signing import sign

if TYPE_CHECKING:
    from web3.types import TxReceipt

    from .chain import Client
    from .deploy import Registry


class VerdictDesk:
    """Reads what a verdict needs from the chain (windows, committee epoch) and signs and relays it."""

    def __init__(self, client: Client, registry: Registry):
        self.client = client
        self.manager = client.contract("VerdictManager", registry.address("VerdictManager"))
        self.committee = client.contract("OracleCommittee", registry.address("OracleCommittee"))
        self.chain_id = registry.chain_id

    def build(
        self,
        provider: str,
        violation_class: ViolationClass,
        severity: Level,
        evidence_hash: str,
        observed_at: int,
        deadline: int | None = None,
    ) -> Verdict:
        """The verdict for a failure of ``provider`` observed at ``observed_at`` (deadline: the latest allowed)."""
        max_age, _, _, _, _, bucket_length, *_ = self.manager.functions.windows().call()
        return Verdict(
            incident_id=incident_id(provider, violation_class, observed_at, bucket_length),
            provider=provider,
            violation_class=violation_class,
            severity=severity,
            evidence_hash=evidence_hash,
            observed_at=observed_at,
            deadline=observed_at + max_age if deadline is None else deadline,
            committee_epoch=self.committee.functions.epoch().call(),
        )

    def sign(self, verdict: Verdict, account: Any) -> bytes:
        return sign(verdict, self.chain_id, self.manager.address, account)

    def submit(self, verdict: Verdict, signatures: list[bytes]) -> TxReceipt:
        """Relay ``signatures`` (simulated first; a revert raises ContractError before sending)."""
        return self.client.send(self.manager.functions.submit(verdict.as_tuple(), signatures))

    def approve(self, verdict: Verdict) -> TxReceipt:
        """Approve ``verdict`` as the client's own account (a committee member)."""
        return self.client.send(self.manager.functions.approve(verdict.as_tuple()))

    def events(self, receipt: TxReceipt, name: str) -> list[Any]:
        """Decoded ``name`` events of the VerdictManager in ``receipt``."""
        return list(getattr(self.manager.events, name)().process_receipt(receipt, errors=_DISCARD))

