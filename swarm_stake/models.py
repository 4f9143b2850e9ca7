"""Pydantic models of everything that crosses a boundary: signed messages, protocol enums.

The enums mirror the Solidity enums of ``IVerdictManager``; field names are snake_case in
Python and camelCase in the EIP-712 messages (see :mod:`swarm_stake.signing`).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any

from eth_utils import is_hex, keccak, to_checksum_address
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field


class ViolationClass(IntEnum):
    POOR_PERFORMANCE = 0
    SECURITY_BREACH = 1
    PROTOCOL_VIOLATION = 2


class Level(IntEnum):
    WARNING = 0
    PENALTY = 1
    SEVERE = 2


class RecoveryPath(IntEnum):
    NONE = 0
    SERVICE_IMPROVEMENT = 1
    SECURITY_REVIEW = 2
    COMPLIANCE_VERIFICATION = 3


class Phase(IntEnum):
    NONE = 0
    DETECTED = 1
    RESPONDED = 2
    APPEALED = 3
    RESTORING = 4
    EVALUATED = 5
    CLOSED = 6
    OVERTURNED = 7


class ProviderStatus(IntEnum):
    NONE = 0
    ACTIVE = 1
    JAILED = 2
    TOMBSTONED = 3
    BELOW_MINIMUM = 4


def _to_bytes32(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        value = "0x" + bytes(value).hex()
    if not isinstance(value, str) or not is_hex(value) or len(value.removeprefix("0x")) != 64:
        raise ValueError("expected 32 bytes as 0x-prefixed hex")
    return "0x" + value.removeprefix("0x").lower()


def _to_address(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a 0x-prefixed address")
    try:
        return to_checksum_address(value)
    except ValueError as exc:
        raise ValueError(f"not an address: {value!r}") from exc


Bytes32 = Annotated[str, BeforeValidator(_to_bytes32)]
Address = Annotated[str, BeforeValidator(_to_address)]
Uint64 = Annotated[int, Field(ge=0, lt=2**64)]


def _positive(value: int) -> int:
    if value <= 0:
        raise ValueError("must be positive")
    return value


class Verdict(BaseModel):
    """A verdict of the oracle committee (EIP-712 type ``Verdict``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    incident_id: Bytes32
    provider: Address
    violation_class: ViolationClass
    severity: Level
    evidence_hash: Bytes32
    observed_at: Uint64
    deadline: Uint64
    committee_epoch: Annotated[Uint64, AfterValidator(_positive)]

    def as_tuple(self) -> tuple[Any, ...]:
        """The verdict as the contracts take it (a Solidity struct)."""
        return (
            bytes.fromhex(self.incident_id[2:]),
            self.provider,
            int(self.violation_class),
            int(self.severity),
            bytes.fromhex(self.evidence_hash[2:]),
            self.observed_at,
            self.deadline,
            self.committee_epoch,
        )


def incident_id(provider: str, violation_class: int, observed_at: int, bucket_length: int) -> str:
    """The incident id the contracts derive: keccak256(abi.encode(provider, class, observedAt / bucket))."""
    from eth_abi import encode

    encoded = encode(["address", "uint8", "uint64"], [provider, int(violation_class), observed_at // bucket_length])
    return "0x" + keccak(encoded).hex()


class AuditProof(BaseModel):
    """An auditor's signed statement that a provider remediated an incident (EIP-712 type ``AuditProof``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    incident_id: Bytes32
    provider: Address
    audit_report_hash: Bytes32
    remediation_hash: Bytes32
    logs_root: Bytes32
    issued_at: Uint64
    expiry: Uint64

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            bytes.fromhex(self.incident_id[2:]),
            self.provider,
            bytes.fromhex(self.audit_report_hash[2:]),
            bytes.fromhex(self.remediation_hash[2:]),
            bytes.fromhex(self.logs_root[2:]),
            self.issued_at,
            self.expiry,
        )


class RestorationAttestation(BaseModel):
    """The committee's attestation of one observation epoch (EIP-712 type ``RestorationAttestation``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    incident_id: Bytes32
    observation_epoch: Annotated[int, Field(ge=0, lt=2**32)]
    committee_epoch: Annotated[Uint64, AfterValidator(_positive)]
    healthy: bool
    data_intact: bool
    observed_at: Uint64

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            bytes.fromhex(self.incident_id[2:]),
            self.observation_epoch,
            self.committee_epoch,
            self.healthy,
            self.data_intact,
            self.observed_at,
        )


class EscrowState(IntEnum):
    """Mirror of IRecoveryEscrow.EscrowState."""

    NONE = 0
    ESCROWED = 1
    OBSERVING = 2
    ATTESTED = 3
    REJECTED = 4
    RELEASED = 5
    FORFEITED = 6
    REFUNDED = 7


#: Longest metadata URI a provider may register, in bytes: the StakeManager's `MAX_METADATA_URI_BYTES`,
#: which it enforces (the CLI refuses longer ones before sending anything).
MAX_METADATA_URI_BYTES = 256
#: Longest evidence server URL a committee member may announce, in bytes: the OracleCommittee's
#: `MAX_EVIDENCE_URL_BYTES`, which it enforces together with visible ASCII only.
MAX_EVIDENCE_URL_BYTES = 256


def evidence_url_problem(url: str) -> str | None:
    """Why the OracleCommittee would refuse ``url`` as an evidence server URL, or None: it must be
    1 to :data:`MAX_EVIDENCE_URL_BYTES` bytes of visible ASCII, and an http(s) URL to be of use."""
    size = len(url.encode("utf-8", "surrogatepass"))
    if not 0 < size <= MAX_EVIDENCE_URL_BYTES:
        return f"the evidence server URL is {size} bytes long; 1 to {MAX_EVIDENCE_URL_BYTES} bytes are allowed"
    bad = next((char for char in url if not "!" <= char <= "~"), None)
    if bad is not None:
        return (f"the evidence server URL holds {ascii(bad)} at position {url.index(bad)}; only visible ASCII "
                "characters are allowed")  # fmt: skip
    if not url.lower().startswith(("http://", "https://")):
        return "the evidence server URL must start with http:// or https://"
    return None


def metadata_uri_problem(uri: str) -> str | None:
    """Why ``uri`` cannot be a provider's metadata URI, or None: it must be non-empty, at most
    :data:`MAX_METADATA_URI_BYTES` bytes, and visible ASCII only (no spaces or control characters;
    percent-encode anything else)."""
    if not uri:
        return "the metadata URI is empty; give the node's health endpoint, e.g. http://node:9000/health"
    size = len(uri.encode("utf-8", "surrogatepass"))
    if size > MAX_METADATA_URI_BYTES:
        return f"the metadata URI is {size} bytes long; at most {MAX_METADATA_URI_BYTES} bytes are allowed"
    bad = next((char for char in uri if not "!" <= char <= "~"), None)
    if bad is not None:
        return (f"the metadata URI holds {ascii(bad)} at position {uri.index(bad)}; only visible ASCII characters "
                "are allowed (no spaces or control characters; percent-encode anything else)")  # fmt: skip
    return None
