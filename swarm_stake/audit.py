"""Audit bundles and audit proof files.

A provider prepares an *audit bundle* from its log directory, audit report and remediation:
the Merkle root of every log line and the keccak256 of both documents. An auditor signs the
bundle into an *audit proof file* (the EIP-712 ``AuditProof`` plus the signature and the
domain it was signed for), which the provider's operator attaches to its recovery claim.
"""

from __future__ import annotations

import json
from pathlib import Path

from eth_utils import keccak
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError
from .merkle import MerkleTree
from .models import Address, AuditProof, Bytes32
from .signing import recover, sign


class LogFile(BaseModel):
    name: str
    lines: int


class AuditBundle(BaseModel):
    """What the auditor reviews and signs."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(default="swarm-stake/audit-bundle", pattern="^swarm-stake/audit-bundle$")
    incident_id: Bytes32
    provider: Address
    audit_report_hash: Bytes32
    remediation_hash: Bytes32
    logs_root: Bytes32
    log_files: list[LogFile]


class ProofFile(BaseModel):
    """A signed audit proof and the EIP-712 domain it was signed for."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(default="swarm-stake/audit-proof", pattern="^swarm-stake/audit-proof$")
    proof: AuditProof
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$")
    auditor: Address
    chain_id: int = Field(gt=0, lt=2**256)
    escrow: Address

    @property
    def signature_bytes(self) -> bytes:
        return bytes.fromhex(self.signature[2:])

    def signer(self) -> str:
        """The address that really signed (it must equal ``auditor``)."""
        return recover(self.proof, self.chain_id, self.escrow, self.signature_bytes)


def log_lines(directory: Path) -> tuple[list[bytes], list[LogFile]]:
    """Every line of every regular file under ``directory`` (sorted by path), without line endings."""
    if not directory.is_dir():
        raise ConfigError(f"log directory not found: {directory}")
    lines: list[bytes] = []
    files: list[LogFile] = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        content = path.read_bytes().splitlines()
        lines.extend(content)
        files.append(LogFile(name=str(path.relative_to(directory)), lines=len(content)))
    if not lines:
        raise ConfigError(f"no log lines under {directory}")
    return lines, files


def prepare(incident_id: str, provider: str, log_dir: Path, report: Path, remediation: Path) -> AuditBundle:
    for path, what in ((report, "audit report"), (remediation, "remediation file")):
        if not path.is_file():
            raise ConfigError(f"{what} not found: {path}")
    lines, files = log_lines(log_dir)
    return AuditBundle(
        incident_id=incident_id,
        provider=provider,
        audit_report_hash="0x" + keccak(report.read_bytes()).hex(),
        remediation_hash="0x" + keccak(remediation.read_bytes()).hex(),
        logs_root="0x" + MerkleTree(lines).root.hex(),
        log_files=files,
    )


def sign_bundle(bundle: AuditBundle, account, chain_id: int, escrow: str, issued_at: int, expiry: int) -> ProofFile:  # noqa: ANN001
    proof = AuditProof(
        incident_id=bundle.incident_id,
        provider=bundle.provider,
        audit_report_hash=bundle.audit_report_hash,
        remediation_hash=bundle.remediation_hash,
        logs_root=bundle.logs_root,
        issued_at=issued_at,
        expiry=expiry,
    )
    signature = sign(proof, chain_id, escrow, account)
    return ProofFile(proof=proof, signature="0x" + signature.hex(), auditor=account.address, chain_id=chain_id,
                     escrow=escrow)  # fmt: skip


def _load(model: type[BaseModel], path: Path, what: str) -> BaseModel:
    try:
        text = Path(path).read_text()
    except FileNotFoundError as exc:
        raise ConfigError(f"{what} not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc}") from exc
    try:
        return model.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{what} {path} is not valid JSON ({exc.msg}); was it truncated or edited?") from exc
    except RecursionError as exc:
        raise ConfigError(f"{what} {path} is nested too deeply to read") from exc
    except ValidationError as exc:
        fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise ConfigError(f"{what} {path} is malformed: {fields}") from exc
    except ValueError as exc:  # an integer of thousands of digits
        raise ConfigError(f"{what} {path} is not usable JSON ({str(exc).split(';')[0]})") from exc


def load_bundle(path: Path) -> AuditBundle:
    return _load(AuditBundle, path, "audit bundle")  # type: ignore[return-value]


def load_proof(path: Path) -> ProofFile:
    proof = _load(ProofFile, path, "audit proof file")
    try:
        signer = proof.signer()  # type: ignore[attr-defined]
    except Exception as exc:  # a corrupted signature does not even recover
        raise ConfigError(f"the signature in {path} is not a valid signature; the file was altered") from exc
    if signer != proof.auditor:  # type: ignore[attr-defined]
        raise ConfigError(
            f"the audit proof in {path} was altered or re-signed: its signature is by {signer}, "
            f"not by the auditor {proof.auditor} it names"  # type: ignore[attr-defined]
        )
    return proof  # type: ignore[return-value]


def write_json(path: Path, model: BaseModel) -> None:
    if path.exists():
        raise ConfigError(f"{path} exists; choose another --out (files are never overwritten)")
    path.write_text(model.model_dump_json(indent=2) + "\n")
