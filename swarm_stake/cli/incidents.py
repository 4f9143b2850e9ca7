"""`swarm-stake incidents`: list, show (phase timeline), evidence (why was I slashed?), appeal."""

from __future__ import annotations

import click

from .runtime import ADDRESS, BYTES32, Runtime, json_option, pass_runtime


def _incidents(rt: Runtime, signer: bool = False, indexed: bool = False):  # noqa: ANN202
    """The deployment's incidents; ``indexed``: read from the event index (synced first), not by scanning logs."""
    from ..incidents import Incidents

    return Incidents(rt.client(signer), rt.registry, rt.index() if indexed else None)


def _name(value) -> str:  # noqa: ANN001
    return value.name.lower().replace("_", " ")


@click.group()
def incidents() -> None:
    """Follow incidents: phase, amounts, timeline, the evidence behind each verdict; appeal a verdict."""


@incidents.command("list")
@click.option("--provider", "provider_address", type=ADDRESS, help="only incidents of this provider")
@json_option
@pass_runtime
def incidents_list(rt: Runtime, provider_address: str | None) -> None:
    """Executed incidents (newest last)."""
    from ..units import format_amount

    views = _incidents(rt, indexed=True).list(provider_address)

    def human() -> None:
        from rich.table import Table

        if not views:
            click.echo("no incidents")
            return
        table = Table(title="incidents")
        for column in ("incident", "provider", "class", "level", "slashed (SWARM)", "phase", "escrow"):
            table.add_column(column)
        for v in views:
            table.add_row(v.incident_id, v.provider, _name(v.violation_class), _name(v.level),
                          format_amount(v.amount, places=2), _name(v.phase), _name(v.escrow_state))
        rt.print_table(table)

    rt.output([v.model_dump(mode="json") for v in views], human)


@incidents.command("show")
@click.argument("incident_id", metavar="INCIDENT", type=BYTES32)
@json_option
@pass_runtime
def incidents_show(rt: Runtime, incident_id: str) -> None:
    """One incident: verdict, amounts, phase, and its timeline of events."""
    reader = _incidents(rt, indexed=True)
    view = reader.get(incident_id)
    timeline = reader.timeline(incident_id)

    def human() -> None:
        from rich.table import Table

        from ..errors import show_value
        from ..units import format_amount

        head = Table(title=f"incident {incident_id}", show_header=False)
        head.add_row("provider", view.provider)
        level = _name(view.level) + (" (upgraded)" if view.upgraded else "")
        head.add_row("class / severity / level", f"{_name(view.violation_class)} / {_name(view.severity)} / {level}")
        head.add_row("slashed into escrow", f"{format_amount(view.amount, places=4)} SWARM")
        if view.remainder:
            head.add_row("still owed (caps)", f"{format_amount(view.remainder, places=4)} SWARM: "
                                              f"`swarm-stake incidents collect {incident_id}`")
        head.add_row("evidence hash", view.evidence_hash)
        head.add_row("phase", _name(view.phase))
        head.add_row("escrow", _name(view.escrow_state))
        rt.print_table(head)
        table = Table(title="timeline")
        for column in ("block", "contract", "event", "details"):
            table.add_column(column)
        for entry in timeline:
            details = ", ".join(f"{k}={show_value(k, v)}" for k, v in entry.detail.items()
                                if k not in ("provider", "digest"))  # fmt: skip
            table.add_row(str(entry.block), entry.contract, entry.event, details)
        rt.print_table(table)

    rt.output({**view.model_dump(mode="json"), "timeline": [e.model_dump(mode="json") for e in timeline]}, human)


def _evidence_url(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from ..models import evidence_url_problem

    problem = None if value is None else evidence_url_problem(value)
    if problem:
        raise click.BadParameter(problem, param=param)
    return value


@incidents.command("evidence")
@click.argument("incident_id", metavar="INCIDENT", type=BYTES32)
@click.option("--from", "from_url", metavar="URL", callback=_evidence_url,
              help="ask this evidence server (an oracle's base URL) instead of the signers' announced ones")
@json_option
@pass_runtime
def incidents_evidence(rt: Runtime, incident_id: str, from_url: str | None) -> None:
    """Why was I slashed? The evidence of each verdict of INCIDENT, verified and re-run.

    Fetches each executed verdict's evidence bundle from the evidence servers its signers announced
    on chain (or from --from URL), refuses a body that does not hash to the verdict's evidence hash,
    shows the rule that fired and its samples, and runs the rule again on those samples with the
    detector settings recorded in the bundle.
    """
    from ..evidence_review import review

    with rt.progress("fetching the evidence from the signers' servers"):
        report = review(rt.client(), rt.registry, incident_id, from_url)

    def human() -> None:
        from .evidence_view import show_review

        show_review(rt, report)

    rt.output(report, human)


@incidents.command("appeal")
@click.argument("incident_id", metavar="INCIDENT", type=BYTES32)
@click.option("--upgrade", is_flag=True, help="appeal the incident's latest upgrade (a step of its own), not its verdict")
@pass_runtime
def incidents_appeal(rt: Runtime, incident_id: str, upgrade: bool) -> None:
    """Appeal the verdict of INCIDENT, or its latest upgrade (the provider's operator keystore; posts the
    appeal bond)."""
    from ..appeals import appeal

    found = _incidents(rt)
    verdict = found.upgrade_verdict(incident_id) if upgrade else found.verdict(incident_id)
    with rt.progress("approving the bond and appealing"):
        receipt, bond = appeal(rt.client(signer=True), rt.registry, verdict, upgrade)
    from ..units import format_amount

    what = "the upgrade of " if upgrade else ""
    rt.done(f"appealed {what}{incident_id} with a bond of {format_amount(bond, places=2)} SWARM", receipt)


COMMANDS = [incidents]
