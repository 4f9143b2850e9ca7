"""The commands of the arbiter and the guardian, the provider's key changes, and the steps anyone may
take once a window has made them final or the caps allow them (`incidents finalize-appeal`,
`incidents finalize-tombstone`, `incidents collect`, `recovery close`).

Each reads the chain first and refuses, with the reason, what the contract would refuse: nothing is
sent then.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from .incidents import incidents
from .recovery import recovery
from .runtime import ADDRESS, BYTES32, METADATA_URI, Runtime, json_option, pass_runtime
from .staking import provider


def sent(rt: Runtime, message: str, receipt: Any, data: dict[str, Any]) -> None:
    """The result of a transaction: one line for people, or ``data`` with the transaction as JSON."""
    if rt.as_json:
        tx = {"transaction": "0x" + bytes(receipt["transactionHash"]).hex(), "block": receipt["blockNumber"]}
        click.echo(json.dumps({**data, **tx}, indent=2, default=str))
    rt.done(message, receipt)


def incident_command(group: click.Group, name: str, **attrs: Any) -> Callable[[Callable[..., Any]], click.Command]:
    """A `GROUP NAME INCIDENT [--json]` command; the function takes the runtime and the incident id."""

    def decorate(func: Callable[..., Any]) -> click.Command:
        argument = click.argument("incident_id", metavar="INCIDENT", type=BYTES32)
        return group.command(name, **attrs)(argument(json_option(pass_runtime(func))))

    return decorate


def _verdict(rt: Runtime, incident_id: str, upgrade: bool = False) -> Any:
    """The executed verdict of the incident, or (``upgrade``) its latest upgrade."""
    from ..incidents import Incidents

    found = Incidents(rt.client(), rt.registry)
    return found.upgrade_verdict(incident_id) if upgrade else found.verdict(incident_id)


#: The option of the commands that act on an appeal: the incident's latest upgrade instead of its verdict.
UPGRADE = click.option("--upgrade", is_flag=True, help="the appeal of the incident's latest upgrade, not its verdict")


def _tokens(amount: int) -> str:
    from ..units import format_amount

    return f"{format_amount(amount, places=4)} SWARM"


# -- arbiter -----------------------------------------------------------------------------------


@click.group()
def arbiter() -> None:
    """Resolve appeals: uphold or overturn a verdict before the appeal's deadline."""


def _resolve(rt: Runtime, incident_id: str, overturn: bool, upgrade: bool) -> None:
    from web3.logs import DISCARD

    from ..appeals import resolve

    verdict = _verdict(rt, incident_id, upgrade)
    with rt.progress("resolving the appeal"):
        receipt, status = resolve(rt.client(signer=True), rt.registry, verdict, overturn, upgrade)
    court = rt.contract("AppealCourt")
    if overturn:
        args = court.events.AppealOverturned().process_receipt(receipt, errors=DISCARD)[0]["args"]
        message = (f"overturned {incident_id}: {_tokens(args['returned'])} back to the pool of {verdict.provider}, "
                   f"{_tokens(args['penalties'])} taken from the signers' bonds, bond of {_tokens(status.bond)} "
                   f"returned to {status.appellant}")  # fmt: skip
        data = {"incident_id": incident_id, "outcome": "overturned", "returned": args["returned"],
                "penalties": args["penalties"], "bond_returned": status.bond}  # fmt: skip
    else:
        message = f"upheld {incident_id}: the appeal bond of {_tokens(status.bond)} goes to the insurance pool"
        data = {"incident_id": incident_id, "outcome": "upheld", "bond_forfeited": status.bond}
    sent(rt, message, receipt, data)


def _resolution(name: str, overturn: bool, help_text: str) -> click.Command:
    @incident_command(arbiter, name, help=help_text)
    @UPGRADE
    def command(rt: Runtime, incident_id: str, upgrade: bool) -> None:
        _resolve(rt, incident_id, overturn, upgrade)

    return command


arbiter_uphold = _resolution("uphold", False, "Uphold the appealed verdict of INCIDENT (its appeal bond goes to the "
                             "insurance pool).")  # fmt: skip
arbiter_overturn = _resolution("overturn", True, "Overturn the appealed verdict of INCIDENT: escrow back to the "
                               "pool, jail lifted, signers penalized (with --upgrade, its latest upgrade: the "
                               "incident as it was before it).")  # fmt: skip


@incident_command(arbiter, "show")
@UPGRADE
def arbiter_show(rt: Runtime, incident_id: str, upgrade: bool) -> None:
    """The appeal of INCIDENT (or of its latest upgrade): appellant, bond, deadline, and whether it is pending."""
    from ..appeals import appeal_status, utc

    _verdict(rt, incident_id)  # an unknown incident is refused with its own message
    status = appeal_status(rt.client(), rt.registry, incident_id, upgrade)
    outcome = ("overturned" if status.overturned else "upheld") if status.resolved else None
    state = outcome or ("pending" if status.appealed_at else "not appealed")
    data = {**status.model_dump(mode="json"), "state": state}

    def human() -> None:
        if not status.appealed_at:
            click.echo(f"{incident_id} was not appealed")
            return
        click.echo(f"appeal of {incident_id}: {state}")
        click.echo(f"  appellant {status.appellant}, bond {_tokens(status.bond)}")
        click.echo(f"  appealed {utc(status.appealed_at)}, to be resolved by {utc(status.deadline)}")

    rt.output(data, human)


# -- anyone, once a window has passed ----------------------------------------------------------


@incident_command(incidents, "finalize-appeal")
@UPGRADE
def incidents_finalize_appeal(rt: Runtime, incident_id: str, upgrade: bool) -> None:
    """End an appeal of INCIDENT (or of its latest upgrade) left unresolved past its deadline: upheld, bond
    returned (anyone)."""
    from ..appeals import finalize_appeal

    verdict = _verdict(rt, incident_id, upgrade)
    with rt.progress("finalizing the appeal"):
        receipt, status = finalize_appeal(rt.client(signer=True), rt.registry, verdict, upgrade)
    sent(rt, f"finalized the unresolved appeal of {incident_id}: upheld, bond of {_tokens(status.bond)} returned to "
             f"{status.appellant}", receipt,
         {"incident_id": incident_id, "outcome": "upheld", "bond_returned": status.bond})  # fmt: skip


@incident_command(incidents, "finalize-tombstone")
def incidents_finalize_tombstone(rt: Runtime, incident_id: str) -> None:
    """Tombstone the provider of INCIDENT once its appeal window passed unappealed (anyone)."""
    from ..appeals import finalize_tombstone

    verdict = _verdict(rt, incident_id)
    escrowed = rt.contract("RecoveryEscrow").functions.escrowOf(incident_id).call()[0]
    with rt.progress("tombstoning"):
        receipt = finalize_tombstone(rt.client(signer=True), rt.registry, verdict)
    sent(rt, f"tombstoned {verdict.provider} for {incident_id}; its escrow of {_tokens(escrowed)} is forfeited",
         receipt, {"incident_id": incident_id, "provider": verdict.provider, "forfeited": escrowed})


@incident_command(incidents, "collect")
def incidents_collect(rt: Runtime, incident_id: str) -> None:
    """Collect what the slashing caps allow of the remainder owed on INCIDENT (anyone)."""
    from web3.logs import DISCARD

    from ..appeals import collect

    verdict = _verdict(rt, incident_id)
    with rt.progress("collecting"):
        receipt = collect(rt.client(signer=True), rt.registry, verdict)
    events = rt.contract("VerdictManager").events
    taken = events.RemainderCollected().process_receipt(receipt, errors=DISCARD)
    if taken:
        args = taken[0]["args"]
        sent(rt, f"collected {_tokens(args['amount'])} of the remainder of {incident_id} into its escrow; "
                 f"{_tokens(args['remainder'])} still owed", receipt,
             {"incident_id": incident_id, "collected": args["amount"], "remainder": args["remainder"]})  # fmt: skip
        return
    cleared = events.RemainderCleared().process_receipt(receipt, errors=DISCARD)[0]["args"]["remainder"]
    sent(rt, f"wrote off the remainder of {_tokens(cleared)} owed on {incident_id}: the incident is past its "
             "maximum lifetime", receipt, {"incident_id": incident_id, "collected": 0, "written_off": cleared})


@incident_command(recovery, "close")
def recovery_close(rt: Runtime, incident_id: str) -> None:
    """Close the escrow of INCIDENT past its claim window (unclaimed) or maximum lifetime (anyone)."""
    from web3.logs import DISCARD

    from ..closing import close

    verdict = _verdict(rt, incident_id)
    with rt.progress("closing"):
        receipt = close(rt.client(signer=True), rt.registry, verdict)
    escrow = rt.contract("RecoveryEscrow")
    forfeited = escrow.events.EscrowForfeited().process_receipt(receipt, errors=DISCARD)[0]["args"]["amount"]
    sent(rt, f"closed {incident_id}: {_tokens(forfeited)} forfeited to the insurance pool, pool of "
             f"{verdict.provider} unfrozen", receipt, {"incident_id": incident_id, "forfeited": forfeited})  # fmt: skip


# -- provider keys -----------------------------------------------------------------------------


def _registered(rt: Runtime, address: str) -> tuple[Any, str]:
    """The StakeManager (signing) and the operator of the registered provider ``address``."""
    from ..errors import ConfigError

    manager = rt.contract("StakeManager", signer=True)
    operator, _, _, registered, _ = manager.functions.getProvider(address).call()
    if not registered:
        raise ConfigError(f"no provider is registered at {address}; check the address or the keystore "
                          "(`swarm-stake provider status ADDRESS`)")  # fmt: skip
    return manager, operator


@provider.command("set-metadata-uri")
@click.argument("uri", type=METADATA_URI)
@click.option("--provider", "provider_address", type=ADDRESS,
              help="the provider, when the keystore is its operator key (default: the keystore's address)")
@json_option
@pass_runtime
def provider_set_metadata_uri(rt: Runtime, uri: str, provider_address: str | None) -> None:
    """Publish URI, the node's health endpoint, as the provider's metadata (owner or operator key)."""
    from ..errors import ConfigError

    me = rt.client(signer=True).require_account().address
    address = provider_address or me
    manager, operator = _registered(rt, address)
    if me not in (address, operator):
        raise ConfigError(f"metadata not changed: {me} is neither the provider {address} nor its operator "
                          f"{operator}; use one of their keystores")  # fmt: skip
    receipt = rt.send(manager.functions.setMetadataURI(address, uri), "publishing")
    sent(rt, f"metadata URI of {address} is now {uri}", receipt, {"provider": address, "metadata_uri": uri})


@provider.command("set-operator")
@click.argument("operator", type=ADDRESS)
@json_option
@pass_runtime
def provider_set_operator(rt: Runtime, operator: str) -> None:
    """Make OPERATOR the provider's operator key (the provider's owner keystore only)."""
    from ..errors import ConfigError

    me = rt.client(signer=True).require_account().address
    manager, current = _registered(rt, me)
    if int(operator, 16) == 0:
        raise ConfigError("operator not changed: the zero address cannot be an operator key")
    if operator == current:
        raise ConfigError(f"operator not changed: {operator} is already the operator of {me}")
    receipt = rt.send(manager.functions.setOperator(operator), "changing the operator key")
    sent(rt, f"operator of {me} is now {operator} (was {current}); the old key can no longer appeal or claim",
         receipt, {"provider": me, "operator": operator, "previous_operator": current})


# -- guardian ----------------------------------------------------------------------------------


@click.group()
def guardian() -> None:
    """Pause verdict execution and escrow releases for a while; show the pause state."""


def _pause_data(state: Any) -> dict[str, Any]:
    return state.model_dump(mode="json")


def _describe_pause(state: Any) -> str:
    from ..appeals import utc

    if state.paused:
        return f"paused until {utc(state.paused_until)} ({state.paused_until - state.now} s from the last block)"
    if state.next_pause_from > state.now:
        return f"not paused; the next pause may start at {utc(state.next_pause_from)}"
    return f"not paused; a pause may start now and lasts at most {state.max_pause} s"


@guardian.command("status")
@json_option
@pass_runtime
def guardian_status(rt: Runtime) -> None:
    """Whether verdict execution is paused, until when, and when the next pause may start."""
    from ..guardian import Guardian

    state = Guardian(rt.client(), rt.registry).state()
    rt.output(_pause_data(state), lambda: click.echo(_describe_pause(state)))


def _guardian_action(name: str, help_text: str) -> click.Command:
    @json_option
    @pass_runtime
    def command(rt: Runtime) -> None:
        from ..guardian import Guardian

        with rt.progress(f"{name}ing"):
            receipt, state = getattr(Guardian(rt.client(signer=True), rt.registry), name)()
        sent(rt, _describe_pause(state), receipt, _pause_data(state))

    return guardian.command(name, help=help_text)(command)


guardian_pause = _guardian_action("pause", "Pause verdict execution and escrow releases for the maximum pause "
                                  "(the guardian's keystore).")  # fmt: skip
guardian_unpause = _guardian_action("unpause", "End the current pause early (the guardian's keystore).")


COMMANDS = [arbiter, guardian]
