"""EIP-712 typed data of swarm-stake, from one definition shared by signing and verification.

The domain is ``{name: "swarm-stake", version: "1", chainId, verifyingContract}``; the verifying
contract is the one that checks the signature on chain: the VerdictManager for verdicts, the
RecoveryEscrow for audit proofs and restoration attestations. A
signature made for another chain or another deployment recovers to another address and is
refused on chain.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils import keccak
from pydantic import BaseModel

from .models import AuditProof, RestorationAttestation, Verdict

DOMAIN_NAME = "swarm-stake"
DOMAIN_VERSION = "1"

#: EIP-712 struct definitions, field for field as in the Solidity interfaces.
TYPES: dict[str, list[dict[str, str]]] = {
    "Verdict": [
        {"name": "incidentId", "type": "bytes32"},
        {"name": "provider", "type": "address"},
        {"name": "violationClass", "type": "uint8"},
        {"name": "severity", "type": "uint8"},
        {"name": "evidenceHash", "type": "bytes32"},
        {"name": "observedAt", "type": "uint64"},
        {"name": "deadline", "type": "uint64"},
        {"name": "committeeEpoch", "type": "uint64"},
    ],
    "AuditProof": [
        {"name": "incidentId", "type": "bytes32"},
        {"name": "provider", "type": "address"},
        {"name": "auditReportHash", "type": "bytes32"},
        {"name": "remediationHash", "type": "bytes32"},
        {"name": "logsRoot", "type": "bytes32"},
        {"name": "issuedAt", "type": "uint64"},
        {"name": "expiry", "type": "uint64"},
    ],
    "RestorationAttestation": [
        {"name": "incidentId", "type": "bytes32"},
        {"name": "observationEpoch", "type": "uint32"},
        {"name": "committeeEpoch", "type": "uint64"},
        {"name": "healthy", "type": "bool"},
        {"name": "dataIntact", "type": "bool"},
        {"name": "observedAt", "type": "uint64"},
    ],
}

_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]

_MODELS: dict[type[BaseModel], str] = {
    Verdict: "Verdict",
    AuditProof: "AuditProof",
    RestorationAttestation: "RestorationAttestation",
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def typed_data(message: BaseModel, chain_id: int, verifying_contract: str) -> dict[str, Any]:
    """The full EIP-712 document of ``message`` (JSON-serialisable, as `eth_signTypedData_v4` takes it)."""
    primary = _MODELS[type(message)]
    fields = {_camel(key): value for key, value in message.model_dump(mode="json").items()}
    return {
        "types": {"EIP712Domain": _DOMAIN_TYPE, primary: TYPES[primary]},
        "primaryType": primary,
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": verifying_contract,
        },
        "message": {item["name"]: fields[item["name"]] for item in TYPES[primary]},
    }


def _signable(message: BaseModel, chain_id: int, verifying_contract: str) -> SignableMessage:
    return encode_typed_data(full_message=typed_data(message, chain_id, verifying_contract))


def digest(message: BaseModel, chain_id: int, verifying_contract: str) -> bytes:
    """The 32-byte EIP-712 digest that is signed (equal to the contract's `hash...` view)."""
    signable = _signable(message, chain_id, verifying_contract)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def sign(message: BaseModel, chain_id: int, verifying_contract: str, account: Any) -> bytes:
    """A 65-byte (r, s, v) signature of ``message`` by a local account (low-s, as the contracts require)."""
    signed = Account.sign_message(_signable(message, chain_id, verifying_contract), account.key)
    return bytes(signed.signature)


#: Order of the secp256k1 group; a signature's s must lie in its lower half.
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def recover(message: BaseModel, chain_id: int, verifying_contract: str, signature: bytes) -> str:
    """The address that signed ``message``, by the rules the contracts apply (OpenZeppelin's
    ``ECDSA.tryRecover``): 65 bytes (r, s, v), v 27 or 28, s in the lower half of the curve order.
    Any other signature raises ValueError, as it reverts on chain (eth-account alone would also
    accept v as 0/1 or an EIP-155 v, and the high-s twin of a signature)."""
    if len(signature) != 65:
        raise ValueError(f"a signature has 65 bytes, not {len(signature)}")
    if signature[64] not in (27, 28):
        raise ValueError(f"a signature's v is 27 or 28, not {signature[64]}")
    if int.from_bytes(signature[32:64], "big") > _SECP256K1_N // 2:
        raise ValueError("a signature's s must be in the lower half of the curve order (malleable signature)")
    return Account.recover_message(_signable(message, chain_id, verifying_contract), signature=signature)
