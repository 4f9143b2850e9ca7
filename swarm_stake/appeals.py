"""Appeals through the AppealCourt."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ContractError
from .models import Level, Verdict
from .tokens import approve_exact, staking_token

if TYPE_CHECKING:
    from web3.types import TxReceipt

    from .chain import Client
    from .deploy import Registry


#: VerdictManager.FLAG_CLOSED: the incident ended (released, forfeited, refunded or tombstoned).
FLAG_CLOSED = 4


def appeal(client: Client, registry: Registry, verdict: Verdict) -> tuple[TxReceipt, int]:
    """Appeal ``verdict`` from the client's account (the provider's operator key), approving the bond."""
    court = client.contract("AppealCourt", registry.address("AppealCourt"))
    verdicts = client.contract("VerdictManager", registry.address("VerdictManager"))
    incident, _ = verdicts.functions.getIncident(verdict.incident_id).call()
    executed_at, appealed_at, level, flags, window = incident[1], incident[2], incident[3], incident[5], incident[6]
    me = client.require_account().address
    operator = client.contract("StakeManager", registry.address("StakeManager")).functions.getProvider(
        verdict.provider).call()[0]  # fmt: skip
    now = client.w3.eth.get_block("latest")["timestamp"]
    if me != operator:
        raise ContractError("NotProviderOperator", {"caller": me},
                            f"only the provider's operator key ({operator}) may appeal; use its keystore")  # fmt: skip
    if appealed_at:
        raise ContractError("AlreadyAppealed", {"incidentId": verdict.incident_id},
                            "the verdict was already appealed; follow it with `swarm-stake incidents show INCIDENT`")
    if now > executed_at + window or flags & FLAG_CLOSED:
        raise ContractError("AppealWindowClosed", {"windowEnd": executed_at + window, "nowTime": now},
                            "the appeal window has closed (or the incident is closed) and the verdict can no "
                            "longer be appealed; see `swarm-stake incidents show INCIDENT`")  # fmt: skip
    bond = 0 if level == Level.WARNING else verdicts.functions.limits().call()[0]
    if bond:
        approve_exact(client, staking_token(client, registry), court.address, bond, "the appeal bond")
    return client.send(court.functions.appeal(verdict.as_tuple())), bond
