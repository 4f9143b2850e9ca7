"""`swarm-stake recovery` (providers) and `swarm-stake auditor` (auditors)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from .runtime import BYTES32, Runtime, json_option, pass_runtime


def _when(timestamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp)) if timestamp else "-"


@click.group()
def recovery() -> None:
    """Recover slashed stake: prepare the audit bundle, file the claim, follow it, release."""


@recovery.command("prepare")
@click.argument("incident_id", metavar="INCIDENT", type=BYTES32)
@click.option("--logs", "log_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="directory of the node's log files (every line becomes a Merkle leaf)")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), required=True, help="the audit report")
@click.option("--remediation", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="what was fixed (configuration, image, procedure)")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="bundle file to write")
@pass_runtime
def recovery_prepare(rt: Runtime, incident_id: str, log_dir: Path, report: Path, remediation: Path, out: Path) -> None:
    """Build the audit bundle of INCIDENT for the auditor: Merkle root of the logs, report and remediation hashes."""
    from ..audit import prepare, write_json
    from ..incidents import Incidents

    view = Incidents(rt.client(), rt.registry).get(incident_id)
    bundle = prepare(incident_id, view.provider, log_dir, report, remediation)
    write_json(out, bundle)
    lines = sum(f.lines for f in bundle.log_files)
    rt.done(f"wrote {out}: {lines} log lines in {len(bundle.log_files)} files, root {bundle.logs_root}")


@recovery.command("claim")
@click.argument("incident_id", metavar="INCIDENT", type=BYTES32)
@click.option("--proof", "proof_path", type=click.Path(dir_okay=False, path_type=Path),
              help="audit proof file signed by an auditor (needed for security review and compliance paths)")
@pass_runtime
def recovery_claim(rt: Runtime, incident_id: str, proof_path: Path | None) -> None:
    """File the recovery claim of INCIDENT (the provider's operator keystore); observation starts."""
    from ..audit import load_proof
    from ..errors import ConfigError
    from ..incidents import Incidents
    from ..models import RecoveryPath
    from ..recovery import RecoveryDesk

    proof_file = load_proof(proof_path) if proof_path else None  # checked before connecting
    verdict = Incidents(rt.client(), rt.registry).verdict(incident_id)
    desk = RecoveryDesk(rt.client(signer=True), rt.registry)
    path = RecoveryPath(desk.escrow.functions.escrowOf(incident_id).call()[2])
    if path in (RecoveryPath.SECURITY_REVIEW, RecoveryPath.COMPLIANCE_VERIFICATION) and proof_file is None:
        raise ConfigError(f"the recovery path of this incident is {path.name.lower()}: pass --proof FILE signed by an auditor")
    if proof_file is not None:
        rt.check_signed_for(proof_path, "audit proof", proof_file.chain_id, proof_file.escrow, "RecoveryEscrow",
                            f"ask the auditor to sign it for escrow {desk.escrow.address}")
        if proof_file.proof.incident_id != incident_id:
            raise ConfigError(f"{proof_path} is an audit proof for incident {proof_file.proof.incident_id}, not {incident_id}")
    with rt.progress("filing the claim"):
        receipt = desk.file_claim(verdict, proof_file.proof if proof_file else None,
                                  proof_file.signature_bytes if proof_file else b"")  # fmt: skip
    params = desk.params(incident_id)
    rt.done(f"claim filed for {incident_id}: {params['epochs_required']} observation epochs of "
            f"{params['epoch_length']} s start now", receipt)  # fmt: skip


@recovery.command("status")
@click.argument("incident_id", metavar="INCIDENT", type=BYTES32)
@json_option
@pass_runtime
def recovery_status(rt: Runtime, incident_id: str) -> None:
    """Where the recovery of INCIDENT stands: escrow state, epochs, vested and released stake, deadlines."""
    from ..models import EscrowState, RecoveryPath
    from ..recovery import RecoveryDesk
    from ..units import format_amount

    desk = RecoveryDesk(rt.client(), rt.registry)
    escrow = desk.escrow.functions
    amount, recoverable_bps, path, _, _, _, evaluated, _ = escrow.escrowOf(incident_id).call()
    state = EscrowState(escrow.stateOf(incident_id).call())
    if state == EscrowState.NONE:
        from ..errors import ConfigError

        raise ConfigError(f"no escrow for incident {incident_id} (a warning, or not executed); check the id")
    filed_at, _, next_epoch, vested_epochs, released, _ = escrow.claimOf(incident_id).call()
    params = desk.params(incident_id)
    schedule = desk.schedule(incident_id)
    data = {
        "incident_id": incident_id, "state": state.name.lower(), "recovery_path": RecoveryPath(path).name.lower(),
        "escrowed": amount, "recoverable": amount * recoverable_bps // 10_000, "vested": escrow.vestedOf(incident_id).call(),
        "released": released, "claim_filed_at": filed_at, "next_epoch": next_epoch, "vested_epochs": vested_epochs,
        "epochs_required": params["epochs_required"], "evaluated": evaluated,
        **schedule,
    }  # fmt: skip

    def human() -> None:
        from rich.table import Table

        table = Table(title=f"recovery of {incident_id}", show_header=False)
        table.add_row("state", data["state"])
        table.add_row("recovery path", data["recovery_path"].replace("_", " "))
        for key in ("escrowed", "recoverable", "vested", "released"):
            table.add_row(key, f"{format_amount(data[key], places=4)} SWARM")
        table.add_row("epochs", f"{vested_epochs} of {params['epochs_required']} passed in a row (next: {next_epoch})")
        table.add_row("evaluation", "recorded" if evaluated else "not yet")
        table.add_row("claim deadline", _when(data["claim_deadline"]))
        table.add_row("payable from", _when(data["payable_from"] or 0))
        rt.print_table(table)

    rt.output(data, human)


@recovery.command("release")
@click.argument("incident_id", metavar="INCIDENT", type=BYTES32)
@pass_runtime
def recovery_release(rt: Runtime, incident_id: str) -> None:
    """Pay the vested stake of INCIDENT back into the provider's pool (anyone may send this)."""
    from ..incidents import Incidents
    from ..recovery import RecoveryDesk
    from ..units import format_amount

    verdict = Incidents(rt.client(), rt.registry).verdict(incident_id)
    desk = RecoveryDesk(rt.client(signer=True), rt.registry)
    with rt.progress("releasing"):
        receipt = desk.release(verdict)
    paid = desk.events(receipt, "TrancheReleased")[0]["args"]["amount"]
    done = desk.events(receipt, "RecoveryCompleted")
    tail = "; recovery complete, pool unfrozen" if done else ""
    rt.done(f"released {format_amount(paid, places=4)} SWARM to the pool of {verdict.provider}{tail}", receipt)


@click.group()
def auditor() -> None:
    """Sign an audit bundle into an audit proof; verify a proof file."""


@auditor.command("sign")
@click.argument("bundle_path", metavar="BUNDLE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--valid-for", default="14 days", show_default=True, help="how long the proof may be used")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="proof file to write")
@pass_runtime
def auditor_sign(rt: Runtime, bundle_path: Path, valid_for: str, out: Path) -> None:
    """Sign BUNDLE with the auditor's keystore for this deployment's RecoveryEscrow."""
    from ..audit import load_bundle, sign_bundle, write_json
    from ..errors import ConfigError
    from ..units import parse_duration

    bundle = load_bundle(bundle_path)
    client = rt.client(signer=True)
    escrow = rt.contract("RecoveryEscrow")
    me = client.require_account().address
    if not escrow.functions.isAuditor(me).call():
        raise ConfigError(f"{me} is not a registered auditor of this deployment; governance registers auditors")
    now = client.w3.eth.get_block("latest")["timestamp"]
    proof = sign_bundle(bundle, client.require_account(), rt.registry.chain_id, escrow.address, now,
                        now + parse_duration(valid_for))  # fmt: skip
    write_json(out, proof)
    rt.done(f"wrote {out}: audit proof for {bundle.incident_id} by {me}, valid until {_when(proof.proof.expiry)}")


@auditor.command("verify")
@click.argument("proof_path", metavar="PROOF", type=click.Path(dir_okay=False, path_type=Path))
@json_option
@pass_runtime
def auditor_verify(rt: Runtime, proof_path: Path) -> None:
    """Check PROOF: signature, auditor still registered, not expired, incident and provider match."""
    from ..audit import load_proof
    from ..incidents import Incidents

    proof_file = load_proof(proof_path)  # signature checked here
    escrow = rt.contract("RecoveryEscrow")
    now = rt.client().w3.eth.get_block("latest")["timestamp"]
    proof = proof_file.proof
    checks = {
        "signature by the named auditor": True,
        "signed for this deployment": (proof_file.chain_id, proof_file.escrow) == (rt.registry.chain_id, escrow.address),
        "auditor registered": escrow.functions.isAuditor(proof_file.auditor).call(),
        "not expired": proof.issued_at <= now <= proof.expiry,
    }
    try:
        view = Incidents(rt.client(), rt.registry).get(proof.incident_id)
        checks["incident executed, provider matches"] = view.provider == proof.provider
    except Exception:  # noqa: BLE001 - reported as a failed check
        checks["incident executed, provider matches"] = False
    valid = all(checks.values())

    def human() -> None:
        for name, ok in checks.items():
            click.echo(f"{'ok  ' if ok else 'FAIL'} {name}")
        click.echo("the proof is valid" if valid else "the proof is NOT valid")

    rt.output({"valid": valid, "checks": checks, "auditor": proof_file.auditor}, human)
    if not valid:
        from ..errors import ConfigError

        failed = "; ".join(name for name, ok in checks.items() if not ok)
        raise ConfigError(f"the audit proof {proof_path} is not valid (failed: {failed}); do not file a claim "
                          "with it: ask a registered auditor of this deployment to sign the bundle again")  # fmt: skip


COMMANDS = [recovery, auditor]
