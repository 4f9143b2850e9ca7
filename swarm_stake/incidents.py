"""Incidents as stakeholders follow them: from events alone, plus the derived phase on chain.

Every executed verdict is in a `VerdictExecuted` event with all of its fields, so the verdict
that later steps take (appeal, claim, release) can be rebuilt from the chain and checked
against the digest the VerdictManager stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, field_serializer

from .errors import ConfigError
from .models import EscrowState, Level, Phase, Verdict, ViolationClass

if TYPE_CHECKING:
    from .chain import Client
    from .deploy import Registry


class TimelineEntry(BaseModel):
    block: int
    log_index: int
    transaction: str
    contract: str
    event: str
    detail: dict[str, Any]


class IncidentView(BaseModel):
    model_config = ConfigDict(use_enum_values=False)

    incident_id: str
    provider: str
    violation_class: ViolationClass
    severity: Level
    level: Level
    amount: int
    #: Still owed: the part of the slash the rolling caps cut short (`swarm-stake incidents collect`).
    remainder: int = 0
    jailed_until: int
    evidence_hash: str
    digest: str
    phase: Phase
    escrow_state: EscrowState
    executed_block: int
    verdict: Verdict

    @field_serializer("violation_class", "severity", "level", "phase", "escrow_state", when_used="json")
    def _enum_name(self, value: Any) -> str:
        return value.name.lower()


def _hex(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, Mapping):
        return {k: _hex(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_hex(v) for v in value]
    return value


class Incidents:
    """Reads incidents of one deployment."""

    def __init__(self, client: Client, registry: Registry):
        self.client = client
        self.registry = registry
        self.verdicts = client.contract("VerdictManager", registry.address("VerdictManager"))
        self.lens = client.contract("SwarmLens", registry.address("SwarmLens"))
        self.escrow = client.contract("RecoveryEscrow", registry.address("RecoveryEscrow"))
        self.court = client.contract("AppealCourt", registry.address("AppealCourt"))

    def _executed_logs(self, incident_id: str | None = None, provider: str | None = None) -> list[Any]:
        filters: dict[str, Any] = {}
        if incident_id:
            filters["incidentId"] = incident_id
        if provider:
            filters["provider"] = provider
        return list(
            self.verdicts.events.VerdictExecuted().get_logs(
                from_block=self.registry.start_block, argument_filters=filters
            )
        )

    def _view(self, log: Any) -> IncidentView:
        args = log["args"]
        fields = args["verdict"]
        if not isinstance(fields, Mapping):  # a plain tuple, in struct order
            fields = dict(zip(("incidentId", "provider", "violationClass", "severity", "evidenceHash", "observedAt",
                               "deadline", "committeeEpoch"), fields, strict=True))  # fmt: skip
        verdict = Verdict(
            incident_id=fields["incidentId"],
            provider=fields["provider"],
            violation_class=fields["violationClass"],
            severity=fields["severity"],
            evidence_hash=fields["evidenceHash"],
            observed_at=fields["observedAt"],
            deadline=fields["deadline"],
            committee_epoch=fields["committeeEpoch"],
        )
        return IncidentView(
            incident_id=verdict.incident_id,
            provider=verdict.provider,
            violation_class=verdict.violation_class,
            severity=verdict.severity,
            level=args["level"],
            amount=args["amount"],
            remainder=self.verdicts.functions.remainderOf(verdict.incident_id).call(),
            jailed_until=args["jailedUntil"],
            evidence_hash=verdict.evidence_hash,
            digest="0x" + bytes(args["digest"]).hex(),
            phase=Phase(self.lens.functions.stateOf(verdict.incident_id).call()),
            escrow_state=EscrowState(self.escrow.functions.stateOf(verdict.incident_id).call()),
            executed_block=log["blockNumber"],
            verdict=verdict,
        )

    def list(self, provider: str | None = None) -> list[IncidentView]:
        return [self._view(log) for log in self._executed_logs(provider=provider)]

    def get(self, incident_id: str) -> IncidentView:
        logs = self._executed_logs(incident_id=incident_id)
        if not logs:
            phase = Phase(self.lens.functions.stateOf(incident_id).call())
            hint = " (it has approvals but has not executed)" if phase == Phase.DETECTED else ""
            raise ConfigError(f"no executed incident {incident_id} in this deployment{hint}; check the id")
        return self._view(logs[-1])

    def executed(self, incident_id: str) -> list[IncidentView]:
        """Every executed verdict of ``incident_id``, oldest first: the first execution, then each
        upgrade (one `VerdictExecuted` event each)."""
        views = [self._view(log) for log in self._executed_logs(incident_id=incident_id)]
        if not views:
            self.get(incident_id)  # raises with the reason
        return views

    def signers(self, digest: str) -> list[str]:
        """The committee members that approved the verdict ``digest``, in the order of their approvals."""
        logs = self.verdicts.events.VerdictApproved().get_logs(
            from_block=self.registry.start_block, argument_filters={"digest": digest}
        )
        ordered = sorted(logs, key=lambda log: (log["blockNumber"], log["logIndex"]))
        return list(dict.fromkeys(log["args"]["signer"] for log in ordered))

    def verdict(self, incident_id: str) -> Verdict:
        """The executed verdict of ``incident_id``, rebuilt from its event."""
        return self.get(incident_id).verdict

    def timeline(self, incident_id: str) -> list[TimelineEntry]:
        """Every event about ``incident_id`` across the VerdictManager, AppealCourt and RecoveryEscrow."""
        entries: list[TimelineEntry] = []
        for name, contract in (("VerdictManager", self.verdicts), ("AppealCourt", self.court),
                               ("RecoveryEscrow", self.escrow)):  # fmt: skip
            for event in contract.events:
                inputs = [i for i in event.abi["inputs"] if i["name"] == "incidentId" and i.get("indexed")]
                if not inputs:
                    continue
                for log in event().get_logs(
                    from_block=self.registry.start_block, argument_filters={"incidentId": incident_id}
                ):
                    detail = {k: _hex(v) for k, v in log["args"].items() if k != "incidentId"}
                    entries.append(TimelineEntry(
                        block=log["blockNumber"], log_index=log["logIndex"],
                        transaction="0x" + bytes(log["transactionHash"]).hex(),
                        contract=name, event=log["event"], detail=detail,
                    ))  # fmt: skip
        entries.sort(key=lambda e: (e.block, e.log_index))
        return entries
