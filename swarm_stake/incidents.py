"""Incidents as stakeholders follow them: from events alone, plus the derived phase on chain.

Every executed verdict is in a `VerdictExecuted` event with all of its fields, and every upgrade
of an incident in the AppealCourt's `VerdictUpgraded` event, so the verdict that later steps take
(appeal, claim, release; an upgrade's appeal) can be rebuilt from the chain and checked against
the digest the contracts stored.

With an :class:`~swarm_stake.index.EventIndex` the events come from the index (synced first);
without one they are read from the chain with ``eth_getLogs``. The live state of the incidents
(phase, escrow state, remainder) is read in batches through Multicall3.
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
    from .index import EventIndex

#: The contracts whose events about an incident make up its timeline.
TIMELINE_CONTRACTS = ("VerdictManager", "AppealCourt", "RecoveryEscrow")


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
    #: Whether a later verdict upgraded the incident (`level` is then the level in force).
    upgraded: bool = False

    @field_serializer("violation_class", "severity", "level", "phase", "escrow_state", when_used="json")
    def _enum_name(self, value: Any) -> str:
        return value.name.lower()


#: VerdictManager.FLAG_UPGRADED: a later verdict upgraded the incident.
FLAG_UPGRADED = 16


def verdict_of(log: Any) -> Verdict:
    """The verdict carried by a `VerdictExecuted` or `VerdictUpgraded` event."""
    fields = log["args"]["verdict"]
    if not isinstance(fields, Mapping):  # a plain tuple, in struct order
        fields = dict(zip(("incidentId", "provider", "violationClass", "severity", "evidenceHash", "observedAt",
                           "deadline", "committeeEpoch"), fields, strict=True))  # fmt: skip
    return Verdict(
        incident_id=fields["incidentId"],
        provider=fields["provider"],
        violation_class=fields["violationClass"],
        severity=fields["severity"],
        evidence_hash=fields["evidenceHash"],
        observed_at=fields["observedAt"],
        deadline=fields["deadline"],
        committee_epoch=fields["committeeEpoch"],
    )


def json_value(value: Any) -> Any:
    """A decoded event argument as JSON: bytes as 0x hex, structs and arrays as objects and lists."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, Mapping):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [json_value(v) for v in value]
    return value


class Incidents:
    """Reads incidents of one deployment."""

    def __init__(self, client: Client, registry: Registry, index: EventIndex | None = None):
        from .multicall import Multicall

        self.client = client
        self.registry = registry
        self.index = index
        self.multicall = Multicall(client.w3)
        self.verdicts = client.contract("VerdictManager", registry.address("VerdictManager"))
        self.lens = client.contract("SwarmLens", registry.address("SwarmLens"))
        self.escrow = client.contract("RecoveryEscrow", registry.address("RecoveryEscrow"))
        self.court = client.contract("AppealCourt", registry.address("AppealCourt"))

    def executed_logs(self, incident_id: str | None = None, provider: str | None = None) -> list[Any]:
        if self.index is not None:
            return self.index.events("VerdictManager", ("VerdictExecuted",), incident=incident_id, provider=provider)
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

    def upgrade_logs(self, incident_id: str) -> list[Any]:
        """The `VerdictUpgraded` events of ``incident_id``, oldest first."""
        if self.index is not None:
            logs = self.index.events("AppealCourt", ("VerdictUpgraded",), incident=incident_id)
        else:
            logs = self.court.events.VerdictUpgraded().get_logs(
                from_block=self.registry.start_block, argument_filters={"incidentId": incident_id}
            )
        return sorted(logs, key=lambda log: (log["blockNumber"], log["logIndex"]))

    #: How many results :meth:`view` takes from :meth:`live_calls`.
    LIVE = 4

    def live_calls(self, incident_id: Any) -> list[Any]:
        """The views of an incident's live state, in the order :meth:`view` takes their results."""
        from .multicall import view

        return [view(self.verdicts, "remainderOf", incident_id), view(self.lens, "stateOf", incident_id),
                view(self.escrow, "stateOf", incident_id), view(self.verdicts, "getIncident", incident_id)]  # fmt: skip

    def _views(self, logs: list[Any], block: int | str = "latest") -> list[IncidentView]:
        """The incidents of ``logs`` (`VerdictExecuted`), their live state read in one batch at ``block``."""
        ids = [log["args"]["incidentId"] for log in logs]
        live = self.multicall.call([fn for i in ids for fn in self.live_calls(i)], block)
        n = self.LIVE
        return [self.view(log, live[n * k : n * k + n]) for k, log in enumerate(logs)]

    def view(self, log: Any, live: list[Any]) -> IncidentView:
        """The incident of the `VerdictExecuted` event ``log`` (or of a `VerdictUpgraded` one), with the results
        of its :meth:`live_calls`; for the executed verdict, the level is the one in force (an upgrade's)."""
        remainder, phase, escrow_state, (stored, _digest) = live
        args = log["args"]
        upgraded = bool(stored[5] & FLAG_UPGRADED)
        level = stored[3] if upgraded and log["event"] == "VerdictExecuted" else args["level"]
        verdict = verdict_of(log)
        return IncidentView(
            incident_id=verdict.incident_id,
            provider=verdict.provider,
            violation_class=verdict.violation_class,
            severity=verdict.severity,
            level=level,
            amount=args["amount"],
            remainder=remainder,
            jailed_until=args["jailedUntil"],
            evidence_hash=verdict.evidence_hash,
            digest="0x" + bytes(args["digest"]).hex(),
            phase=Phase(phase),
            escrow_state=EscrowState(escrow_state),
            executed_block=log["blockNumber"],
            verdict=verdict,
            upgraded=upgraded,
        )

    def list(self, provider: str | None = None) -> list[IncidentView]:
        return self._views(self.executed_logs(provider=provider))

    def get(self, incident_id: str) -> IncidentView:
        logs = self.executed_logs(incident_id=incident_id)
        if not logs:
            phase = Phase(self.lens.functions.stateOf(incident_id).call())
            hint = " (it has approvals but has not executed)" if phase == Phase.DETECTED else ""
            raise ConfigError(f"no executed incident {incident_id} in this deployment{hint}; check the id")
        return self._views(logs[-1:])[0]

    def executed(self, incident_id: str) -> list[IncidentView]:
        """Every executed verdict of ``incident_id``, oldest first: the first execution (`VerdictExecuted`),
        then each upgrade (`VerdictUpgraded`), each at its own level."""
        logs = self.executed_logs(incident_id=incident_id)
        if not logs:
            self.get(incident_id)  # raises with the reason
        return self._views(logs + self.upgrade_logs(incident_id))

    def upgrade_verdict(self, incident_id: str) -> Verdict:
        """The latest upgrade of ``incident_id`` (the verdict its appeal takes), rebuilt from its event."""
        logs = self.upgrade_logs(incident_id)
        if not logs:
            self.get(incident_id)  # an unknown incident is refused with its own message
            raise ConfigError(f"incident {incident_id} was never upgraded: its verdict is appealed without --upgrade")
        return verdict_of(logs[-1])

    def signers(self, digest: str) -> list[str]:
        """The committee members that approved the verdict ``digest``, in the order of their approvals."""
        if self.index is not None:
            wanted = bytes.fromhex(digest.removeprefix("0x")) if isinstance(digest, str) else bytes(digest)
            logs = [log for log in self.index.events("VerdictManager", ("VerdictApproved",))
                    if bytes(log["args"]["digest"]) == wanted]  # fmt: skip
        else:
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
        if self.index is not None:
            return [timeline_entry(log) for log in self.index.events(TIMELINE_CONTRACTS, incident=incident_id)]
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
                    entries.append(timeline_entry({**log, "contract": name}))
        entries.sort(key=lambda e: (e.block, e.log_index))
        return entries


def timeline_entry(log: Any) -> TimelineEntry:
    """The timeline entry of a decoded event about an incident (``contract`` names its contract)."""
    return TimelineEntry(
        block=log["blockNumber"], log_index=log["logIndex"], transaction="0x" + bytes(log["transactionHash"]).hex(),
        contract=log["contract"], event=log["event"],
        detail={k: json_value(v) for k, v in log["args"].items() if k != "incidentId"},
    )  # fmt: skip
