"""Appeals through the AppealCourt."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from pydantic import BaseModel

from .deploy import role
from .errors import ConfigError, ContractError
from .models import Level, Verdict
from .tokens import approve_exact, staking_token

if TYPE_CHECKING:
    from web3.types import TxReceipt

    from .chain import Client
    from .deploy import Registry


#: VerdictManager.FLAG_CLOSED: the incident ended (released, forfeited, refunded or tombstoned).
FLAG_CLOSED = 4


def appeal(client: Client, registry: Registry, verdict: Verdict, upgrade: bool = False) -> tuple[TxReceipt, int]:
    """Appeal ``verdict`` from the client's account (the provider's operator key), approving the bond; with
    ``upgrade``, ``verdict`` is the incident's latest upgrade, appealed as a step of its own."""
    court = client.contract("AppealCourt", registry.address("AppealCourt"))
    verdicts = client.contract("VerdictManager", registry.address("VerdictManager"))
    incident, _ = verdicts.functions.getIncident(verdict.incident_id).call()
    executed_at, appealed_at, level, flags, window = incident[1], incident[2], incident[3], incident[5], incident[6]
    if upgrade:
        step = court.functions.upgradeOf(verdict.incident_id).call()
        executed_at, appealed_at, window = step[1], step[2], step[3]
        if step[6] or flags & FLAG_OVERTURNED:
            raise ContractError("UpgradeNotAppealable", {"incidentId": verdict.incident_id, "windowEnd": step[1] + step[3]},
                                "the upgrade (or the verdict beneath it) was overturned; nothing is left to appeal")
    me = client.require_account().address
    operator = client.contract("StakeManager", registry.address("StakeManager")).functions.getProvider(
        verdict.provider).call()[0]  # fmt: skip
    now = client.w3.eth.get_block("latest")["timestamp"]
    if me != operator:
        raise ContractError("NotProviderOperator", {"caller": me},
                            f"only the provider's operator key ({operator}) may appeal; use its keystore")  # fmt: skip
    what = "upgrade" if upgrade else "verdict"
    if appealed_at:
        raise ContractError("AlreadyAppealed", {"incidentId": verdict.incident_id},
                            f"the {what} was already appealed; follow it with `swarm-stake incidents show INCIDENT`")
    if now > executed_at + window or flags & FLAG_CLOSED:
        raise ContractError("AppealWindowClosed", {"windowEnd": executed_at + window, "nowTime": now},
                            "the appeal window has closed (or the incident is closed) and the verdict can no "
                            "longer be appealed; see `swarm-stake incidents show INCIDENT`")  # fmt: skip
    bond = 0 if level == Level.WARNING else verdicts.functions.limits().call()[0]
    if bond:
        approve_exact(client, staking_token(client, registry), court.address, bond, "the appeal bond")
    return client.send(court.functions.appeal(verdict.as_tuple())), bond


#: VerdictManager flags: the appeal was resolved (upheld or overturned), it was overturned, the verdict tombstones.
FLAG_APPEAL_RESOLVED = 1
FLAG_OVERTURNED = 2
FLAG_TOMBSTONE = 8


class AppealStatus(BaseModel):
    """The appeal of one incident as the AppealCourt and the VerdictManager record it."""

    incident_id: str
    appellant: str | None
    bond: int
    appealed_at: int
    deadline: int
    resolved: bool
    overturned: bool
    now: int

    @property
    def pending(self) -> bool:
        return bool(self.appealed_at) and not self.resolved


def upgrade_key(incident_id: str, prev_severity: int) -> bytes:
    """The AppealCourt's key of the appeal of an upgrade step that started from ``prev_severity``."""
    from eth_abi import encode
    from eth_utils import keccak

    return keccak(encode(["bytes32", "uint8"], [bytes.fromhex(incident_id.removeprefix("0x")), prev_severity]))


def appeal_status(client: Client, registry: Registry, incident_id: str, upgrade: bool = False) -> AppealStatus:
    """The appeal of the incident's verdict, or (``upgrade``) of its latest upgrade."""
    court = client.contract("AppealCourt", registry.address("AppealCourt"))
    verdicts = client.contract("VerdictManager", registry.address("VerdictManager"))
    if upgrade:
        step = court.functions.upgradeOf(incident_id).call()
        if not step[1]:
            raise ConfigError(f"incident {incident_id} was never upgraded: leave out --upgrade")
        appellant, bond = court.functions.appealOf(upgrade_key(incident_id, step[8])).call()
        return AppealStatus(
            incident_id=incident_id, appellant=None if int(appellant, 16) == 0 else appellant, bond=bond,
            appealed_at=step[2], deadline=step[2] + step[4] if step[2] else 0, resolved=bool(step[5]),
            overturned=bool(step[6]), now=client.w3.eth.get_block("latest")["timestamp"],
        )  # fmt: skip
    incident, _ = verdicts.functions.getIncident(incident_id).call()
    appellant, bond = court.functions.appealOf(incident_id).call()
    flags = incident[5]
    return AppealStatus(
        incident_id=incident_id, appellant=None if int(appellant, 16) == 0 else appellant, bond=bond,
        appealed_at=incident[2], deadline=court.functions.deadlineOf(incident_id).call(),
        resolved=bool(flags & FLAG_APPEAL_RESOLVED), overturned=bool(flags & FLAG_OVERTURNED),
        now=client.w3.eth.get_block("latest")["timestamp"],
    )  # fmt: skip


def _require_pending(status: AppealStatus, what: str) -> None:
    if not status.appealed_at:
        raise ConfigError(f"{what}: incident {status.incident_id} was never appealed")
    if status.resolved:
        outcome = "overturned" if status.overturned else "upheld"
        raise ConfigError(f"{what}: the appeal of {status.incident_id} was already resolved ({outcome}); "
                          "see `swarm-stake incidents show INCIDENT`")  # fmt: skip


def resolve(client: Client, registry: Registry, verdict: Verdict, overturn: bool,
            upgrade: bool = False) -> tuple[TxReceipt, AppealStatus]:  # fmt: skip
    """Uphold or overturn the pending appeal of ``verdict`` (with ``upgrade``: the incident's latest upgrade);
    the client must hold ARBITER_ROLE."""
    court = client.contract("AppealCourt", registry.address("AppealCourt"))
    status = appeal_status(client, registry, verdict.incident_id, upgrade)
    me = client.require_account().address
    if not court.functions.hasRole(role("ARBITER_ROLE"), me).call():
        raise ConfigError(f"appeal not resolvable: {me} is not an arbiter of the AppealCourt {court.address}; "
                          "use the arbiter's keystore (governance appoints arbiters)")  # fmt: skip
    _require_pending(status, "appeal not resolvable")
    if status.now >= status.deadline:  # the next block is later still: the contract would refuse
        raise ConfigError(f"appeal not resolvable: its resolution deadline passed at {utc(status.deadline)}; "
                          f"it counts as upheld: anyone may finalize it with `swarm-stake incidents finalize-appeal "
                          f"{verdict.incident_id}`")  # fmt: skip
    return client.send(court.functions.resolveAppeal(verdict.as_tuple(), overturn)), status


def finalize_appeal(client: Client, registry: Registry, verdict: Verdict,
                    upgrade: bool = False) -> tuple[TxReceipt, AppealStatus]:  # fmt: skip
    """End an appeal left unresolved past its deadline: upheld, the bond back to the appellant. Anyone."""
    court = client.contract("AppealCourt", registry.address("AppealCourt"))
    status = appeal_status(client, registry, verdict.incident_id, upgrade)
    _require_pending(status, "appeal not finalizable")
    if status.now < status.deadline:  # the contract needs a block after the deadline
        raise ConfigError(f"appeal not finalizable: the arbiter has until {utc(status.deadline)} "
                          f"({status.deadline - status.now} s from the last block) to resolve it; run this after that")
    return client.send(court.functions.finalizeAppeal(verdict.as_tuple())), status


def finalize_tombstone(client: Client, registry: Registry, verdict: Verdict) -> TxReceipt:
    """Tombstone the provider of an unappealed tombstoning verdict once its appeal window has passed. Anyone."""
    verdicts = client.contract("VerdictManager", registry.address("VerdictManager"))
    incident, _ = verdicts.functions.getIncident(verdict.incident_id).call()
    executed_at, appealed_at, flags, window = incident[1], incident[2], incident[5], incident[6]
    what = f"tombstone not finalizable: incident {verdict.incident_id}"
    if not flags & FLAG_TOMBSTONE:
        raise ConfigError(f"{what} does not tombstone (its row of the slashing matrix has no tombstone); "
                          "its escrow ends by recovery or `swarm-stake recovery close`")  # fmt: skip
    if flags & FLAG_CLOSED:
        raise ConfigError(f"{what} is already closed (the provider is tombstoned or the verdict overturned)")
    if appealed_at:
        raise ConfigError(f"{what} was appealed: the arbiter's decision, or `swarm-stake incidents finalize-appeal` "
                          "after its deadline, ends it")  # fmt: skip
    now = client.w3.eth.get_block("latest")["timestamp"]
    if now < executed_at + window:
        raise ConfigError(f"{what} can still be appealed until {utc(executed_at + window)} "
                          f"({executed_at + window - now} s from the last block); run this after that")
    court = client.contract("AppealCourt", registry.address("AppealCourt"))
    return client.send(court.functions.finalizeTombstone(verdict.as_tuple()))


def collect(client: Client, registry: Registry, verdict: Verdict) -> TxReceipt:
    """Take what the slashing caps allow of the remainder owed on ``verdict``'s incident (or write it off once
    the incident is past its maximum lifetime). Anyone."""
    verdicts = client.contract("VerdictManager", registry.address("VerdictManager"))
    if not verdicts.functions.remainderOf(verdict.incident_id).call():
        raise ConfigError(f"nothing is owed on incident {verdict.incident_id}: its slash was taken whole, or its "
                          "remainder was collected, cancelled by an overturn or written off")  # fmt: skip
    return client.send(verdicts.functions.collect(verdict.as_tuple()))


def utc(timestamp: int) -> str:
    """A Unix time as people read it in messages."""
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))
