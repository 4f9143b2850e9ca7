"""Closing an escrow by its default outcome (anyone may): unclaimed past its claim window (past its
maximum lifetime while a remainder is owed), or past its maximum lifetime, what was not released is forfeited to the insurance pool and the incident closes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .appeals import FLAG_TOMBSTONE, utc
from .errors import ConfigError
from .models import EscrowState

if TYPE_CHECKING:
    from web3.types import TxReceipt

    from .chain import Client
    from .deploy import Registry
    from .models import Verdict

_OPEN_STATES = (EscrowState.ESCROWED, EscrowState.OBSERVING, EscrowState.ATTESTED, EscrowState.REJECTED)


def closable_at(client: Client, registry: Registry, incident_id: str) -> tuple[EscrowState, int]:
    """The escrow state of ``incident_id`` and the time after which it can be closed."""
    from .recovery import RecoveryDesk

    desk = RecoveryDesk(client, registry)
    state = EscrowState(desk.escrow.functions.stateOf(incident_id).call())
    return state, int(desk.schedule(incident_id)["closable_at"] or 0)


def close(client: Client, registry: Registry, verdict: Verdict) -> TxReceipt:
    """Close the escrow of ``verdict`` by its default outcome, after checking that the escrow would accept it."""
    incident_id = verdict.incident_id
    what = f"escrow not closable: incident {incident_id}"
    state, when = closable_at(client, registry, incident_id)
    if state == EscrowState.NONE:
        raise ConfigError(f"{what} has no escrow (a warning slashes nothing)")
    if state not in _OPEN_STATES:
        raise ConfigError(f"{what} has already ended ({state.name.lower()}); see `swarm-stake recovery status {incident_id}`")
    verdicts = client.contract("VerdictManager", registry.address("VerdictManager"))
    if verdicts.functions.getIncident(incident_id).call()[0][5] & FLAG_TOMBSTONE:
        raise ConfigError(f"{what} tombstones the provider: it ends with `swarm-stake incidents finalize-tombstone "
                          f"{incident_id}` once its appeal window has passed")  # fmt: skip
    now = client.w3.eth.get_block("latest")["timestamp"]
    if now < when:
        lifetime = state != EscrowState.ESCROWED or verdicts.functions.remainderOf(incident_id).call() != 0
        deadline = "its maximum lifetime ends" if lifetime else "its claim window ends"
        raise ConfigError(f"{what} is still running: {deadline} at "
                          f"{utc(when)} ({when - now} s from the last "
                          "block); until then the provider can recover it")  # fmt: skip
    lens = client.contract("SwarmLens", registry.address("SwarmLens"))
    if lens.functions.appealPending(incident_id).call():
        raise ConfigError(f"{what} has a pending appeal: the arbiter may still overturn it and refund the escrow; "
                          "close it after the appeal is resolved")  # fmt: skip
    escrow = client.contract("RecoveryEscrow", registry.address("RecoveryEscrow"))
    return client.send(escrow.functions.close(verdict.as_tuple()))
