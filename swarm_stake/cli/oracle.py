"""`swarm-stake oracle`: sign, co-sign and submit verdicts and restoration attestations by hand.

The oracle daemon does this automatically; these commands are the manual-intervention path.
A signed message travels as a JSON file that each co-signer adds its signature to.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .runtime import ADDRESS, BYTES32, TOKEN_AMOUNT, Runtime, pass_runtime, to_base_units

if TYPE_CHECKING:
    from ..signed_files import SignedMessageFile

CLASSES = ("poor-performance", "security-breach", "protocol-violation")
SEVERITIES = ("warning", "penalty", "severe")


def _load(path: Path) -> SignedMessageFile:
    from pydantic import ValidationError

    from ..signed_files import SignedMessageFile

    from ..errors import ConfigError
    from ..signing import recover
    from .runtime import read_json_file

    try:
        document = SignedMessageFile.model_validate(read_json_file(path, "signed message file"))
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ConfigError(f"{path} is not a signed message file: {'.'.join(map(str, error['loc']))}: {error['msg']}") from exc
    # The whole file is checked before anything connects or signs: the message, then every signature.
    try:
        message = document.model()
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ConfigError(f"{path} holds a malformed {document.type}: {'.'.join(map(str, error['loc']))}: "
                          f"{error['msg']}") from exc  # fmt: skip
    for entry in document.signatures:
        try:
            signer = recover(message, document.chain_id, document.verifying_contract, bytes.fromhex(entry.signature[2:]))
        except ValueError as exc:
            raise ConfigError(f"the file {path} was altered: the signature of {entry.signer} is not valid ({exc})") from exc
        if signer != entry.signer:
            raise ConfigError(f"the file {path} was altered: a signature names {entry.signer} but recovers to {signer}")
    return document


def _sign_into(rt: Runtime, document: SignedMessageFile) -> Any:
    from ..errors import ConfigError
    from ..signed_files import SignedEntry
    from ..signing import sign

    message = document.model()  # every signature already recovers to its signer (checked by _load)
    account = rt.client(signer=True).require_account()
    if any(entry.signer == account.address for entry in document.signatures):
        raise ConfigError(f"{account.address} already signed this message")
    signature = sign(message, document.chain_id, document.verifying_contract, account)
    entry = SignedEntry(signer=account.address, signature="0x" + signature.hex())
    document.signatures.append(entry)
    return entry


def _write(path: Path, document: SignedMessageFile, overwrite: bool = False) -> None:
    from ..errors import ConfigError

    if path.exists() and not overwrite:
        raise ConfigError(f"{path} exists; choose another --out (files are never overwritten)")
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(document.model_dump_json(indent=2) + "\n")
    tmp.replace(path)


@click.group()
def oracle() -> None:
    """Sign, co-sign and submit verdicts and attestations by hand (the daemon does it automatically)."""


@oracle.command("verdict")
@click.option("--provider", "provider_address", type=ADDRESS, required=True)
@click.option("--class", "violation_class", type=click.Choice(CLASSES), required=True)
@click.option("--severity", type=click.Choice(SEVERITIES), required=True)
@click.option("--evidence", "evidence_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="evidence bundle (JSON); its canonical keccak256 goes into the verdict")
@click.option("--observed-at", type=click.IntRange(0), help="unix time of the observation (default: chain time)")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_runtime
def oracle_verdict(rt: Runtime, provider_address: str, violation_class: str, severity: str, evidence_path: Path,
                   observed_at: int | None, out: Path) -> None:  # fmt: skip
    """Build a verdict, sign it with the keystore (a committee member) and write it to OUT for co-signers."""
    from ..models import Level, ViolationClass
    from ..signed_files import SignedMessageFile
    from ..verdicts import VerdictDesk
    from .runtime import hash_json_file

    digest = hash_json_file(evidence_path, "evidence bundle")
    client = rt.client(signer=True)
    desk = VerdictDesk(client, rt.registry)
    when = observed_at if observed_at is not None else client.w3.eth.get_block("latest")["timestamp"]
    verdict = desk.build(provider_address, ViolationClass[violation_class.upper().replace("-", "_")],
                         Level[severity.upper()], digest, when)  # fmt: skip
    document = SignedMessageFile(type="Verdict", message=verdict.model_dump(mode="json"),
                                 chain_id=rt.registry.chain_id, verifying_contract=desk.manager.address)  # fmt: skip
    _sign_into(rt, document)
    _write(out, document)
    rt.done(f"wrote {out}: verdict on incident {verdict.incident_id}, signed by {document.signatures[0].signer}")


@oracle.command("attest")
@click.argument("incident_id", metavar="INCIDENT", type=BYTES32)
@click.option("--epoch", type=click.IntRange(0), required=True, help="observation epoch (0-based)")
@click.option("--unhealthy", is_flag=True, help="the node failed its health checks in the epoch")
@click.option("--data-corrupt", is_flag=True, help="the node failed its data-integrity challenges in the epoch")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_runtime
def oracle_attest(rt: Runtime, incident_id: str, epoch: int, unhealthy: bool, data_corrupt: bool, out: Path) -> None:
    """Build the attestation of an observation epoch, sign it and write it to OUT for co-signers."""
    from ..recovery import RecoveryDesk
    from ..signed_files import SignedMessageFile

    desk = RecoveryDesk(rt.client(signer=True), rt.registry)
    attestation = desk.attestation(incident_id, epoch, healthy=not unhealthy, data_intact=not data_corrupt)
    document = SignedMessageFile(type="RestorationAttestation", message=attestation.model_dump(mode="json"),
                                 chain_id=rt.registry.chain_id, verifying_contract=desk.escrow.address)  # fmt: skip
    _sign_into(rt, document)
    _write(out, document)
    rt.done(f"wrote {out}: attestation of epoch {epoch} of {incident_id}")


@oracle.command("cosign")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@pass_runtime
def oracle_cosign(rt: Runtime, path: Path) -> None:
    """Add the keystore's signature to the signed message in FILE (sign only what you checked)."""
    document = _load(path)
    name = "VerdictManager" if document.type == "Verdict" else "RecoveryEscrow"
    rt.check_signed_for(path, document.type, document.chain_id, document.verifying_contract, name)
    entry = _sign_into(rt, document)
    _write(path, document, overwrite=True)
    rt.done(f"{entry.signer} co-signed {path}; {len(document.signatures)} signatures")


@oracle.command("submit")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@pass_runtime
def oracle_submit(rt: Runtime, path: Path) -> None:
    """Submit the signatures in FILE on chain (any keystore pays the gas)."""
    document = _load(path)
    message = document.model()
    signatures = [bytes.fromhex(e.signature[2:]) for e in document.signatures]
    client = rt.client(signer=True)
    name = "VerdictManager" if document.type == "Verdict" else "RecoveryEscrow"
    contract = rt.contract(name, signer=True)
    rt.check_signed_for(path, document.type, document.chain_id, document.verifying_contract, name)
    fn = contract.functions.submit if document.type == "Verdict" else contract.functions.attest
    with rt.progress("submitting"):
        receipt = client.send(fn(message.as_tuple(), signatures))
    event = "VerdictExecuted" if document.type == "Verdict" else "EpochAttested"
    from web3.logs import DISCARD

    applied = getattr(contract.events, event)().process_receipt(receipt, errors=DISCARD)
    outcome = "quorum reached and applied" if applied else "approvals recorded, quorum not yet reached"
    rt.done(f"submitted {len(signatures)} signatures: {outcome}", receipt)


def _decide(rt: Runtime, incident_id: str, document_path: Path, kind: str) -> None:
    from web3.logs import DISCARD

    from ..incidents import Incidents
    from .runtime import hash_json_file

    digest = hash_json_file(document_path, f"{kind} document")
    verdict = Incidents(rt.client(), rt.registry).verdict(incident_id)
    escrow = rt.contract("RecoveryEscrow", signer=True)
    fn = escrow.functions.approveEvaluation if kind == "evaluation" else escrow.functions.approveRejection
    with rt.progress("sending the approval"):
        receipt = rt.client(signer=True).send(fn(verdict.as_tuple(), digest))
    event = escrow.events.EvaluationRecorded if kind == "evaluation" else escrow.events.ClaimRejected
    done = event().process_receipt(receipt, errors=DISCARD)
    outcome = "quorum reached: recorded" if done else "approval recorded, quorum not yet reached"
    rt.done(f"{kind} {digest} of {incident_id}: {outcome}", receipt)


@oracle.command("evaluate")
@click.argument("incident_id", metavar="INCIDENT", type=BYTES32)
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="the evaluation report (JSON root-cause analysis); its canonical keccak256 is recorded")
@pass_runtime
def oracle_evaluate(rt: Runtime, incident_id: str, report_path: Path) -> None:
    """Approve recording the evaluation report of INCIDENT (a committee member; recorded at quorum)."""
    _decide(rt, incident_id, report_path, "evaluation")


@oracle.command("reject")
@click.argument("incident_id", metavar="INCIDENT", type=BYTES32)
@click.option("--evidence", "evidence_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="why the claim fails (JSON evidence bundle); its canonical keccak256 is recorded")
@pass_runtime
def oracle_reject(rt: Runtime, incident_id: str, evidence_path: Path) -> None:
    """Approve rejecting the recovery claim of INCIDENT during its challenge window (rejected at quorum)."""
    _decide(rt, incident_id, evidence_path, "rejection")


@oracle.command("bond")
@click.argument("amount", type=TOKEN_AMOUNT)
@pass_runtime
def oracle_bond(rt: Runtime, amount: Decimal) -> None:
    """Post AMOUNT tokens as the keystore's operator bond (needed before governance seats it)."""
    from ..tokens import approve_exact, staking_token
    from ..units import format_amount

    client = rt.client(signer=True)
    committee = rt.contract("OracleCommittee", signer=True)
    token = staking_token(client, rt.registry)
    base = to_base_units(amount, token.functions.decimals().call())
    me = client.require_account().address
    with rt.progress("approving and bonding"):
        approve_exact(client, token, committee.address, base, "this bond")
        receipt = client.send(committee.functions.postBond(base))
    total = committee.functions.bondOf(me).call()[0]
    rt.done(f"bonded {amount} SWARM; the bond of {me} is now {format_amount(total, places=4)} SWARM", receipt)



@oracle.command("run")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path),
              help="SQLite state and evidence directory [oracle.state_dir; default ~/.swarm-stake/oracle]")
@click.option("--listen", metavar="HOST:PORT", help="evidence, /metrics and /health [oracle.listen_*; default 127.0.0.1:9464]")
@click.option("--interval", type=click.FloatRange(0.05, 60), help="seconds between cycles [oracle.interval; default 1]")
@click.option("--text-logs", is_flag=True, help="human-readable logs instead of JSON lines")
@pass_runtime
def oracle_run(rt: Runtime, state_dir: Path | None, listen: str | None, interval: float | None, text_logs: bool) -> None:
    """Run the oracle daemon: measure providers, post verdicts and attestations (until SIGTERM/Ctrl-C).

    Settings come from the [oracle] table of the config file and SWARM_STAKE_ORACLE_* variables;
    the keystore must be a committee member's (it signs and pays gas).
    """
    import signal

    from ..errors import ConfigError
    from ..oracle.config import load_daemon_config
    from ..oracle.daemon import OracleDaemon
    from ..oracle.logs import configure

    overrides: dict[str, Any] = {"state_dir": state_dir, "interval": interval}
    if listen is not None:
        host, _, port = listen.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(f"--listen {listen!r}: expected HOST:PORT, e.g. 127.0.0.1:9464")
        overrides.update(listen_host=host, listen_port=int(port))
    config_file = rt.settings.config or (Path("swarm-stake.toml") if Path("swarm-stake.toml").is_file() else None)
    config = load_daemon_config(config_file, **overrides)
    configure(json_lines=config.log_json and not text_logs)
    client = rt.client(signer=True)
    daemon = OracleDaemon(config, client.w3, rt.registry, client.require_account())
    url = daemon.start_server()
    click.echo(f"oracle {daemon.address} serving {url}/metrics, /health and /evidence; state in {config.state_dir}",
               err=True)  # fmt: skip

    def _stop(signum: int, _frame: Any) -> None:
        daemon.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    daemon.run()


@oracle.command("replay")
@click.argument("feed", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--software-hash", help="the registered build the samples are checked against")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@pass_runtime
def oracle_replay(rt: Runtime, feed: Path, software_hash: str | None, as_json: bool) -> None:
    """Run the detectors over a JSONL feed of samples (offline analysis; nothing is signed or sent)."""
    import json as _json

    from ..errors import ConfigError
    from ..oracle.collectors import JsonlFeed
    from ..oracle.config import load_daemon_config

    if not feed.is_file():
        raise ConfigError(f"feed not found: {feed}")
    config_file = rt.settings.config or (Path("swarm-stake.toml") if Path("swarm-stake.toml").is_file() else None)
    config = load_daemon_config(config_file, software_hash=software_hash)
    from ..oracle.detectors import DetectorSet

    detectors = DetectorSet(config.detectors, config.software_hash)
    source = JsonlFeed(feed)
    read = 0
    detections = []
    try:
        for sample in source:
            read += 1
            detections.extend(detectors.observe(sample))
    except OSError as exc:
        raise ConfigError(f"cannot read the feed {feed}: {exc}") from exc
    rows = [{"at": d.at, "provider": d.provider, "rule": d.rule, "class": d.violation_class.name.lower(),
             "severity": d.severity.name.lower(), "value": d.value} for d in detections]  # fmt: skip
    if as_json or rt.as_json:
        click.echo(_json.dumps({"samples": read, "skipped": source.skipped, "detections": rows}, indent=2))
        return
    for row in rows:
        click.echo(f"{row['at']:.3f}  {row['provider']}  {row['rule']:<14} {row['class']:<18} {row['severity']:<8} {row['value']}")
    click.echo(f"{read} samples, {source.skipped} corrupt lines skipped, {len(rows)} detections")

COMMANDS = [oracle]
