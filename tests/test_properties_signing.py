"""Properties of EIP-712 signing (swarm_stake.signing) on generated Verdicts, AuditProofs and
RestorationAttestations: a signature recovers its signer, and only for the exact message, chain
and verifying contract it was made for."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from swarm_stake.models import AuditProof, Level, RestorationAttestation, Verdict, ViolationClass
from swarm_stake.signing import TYPES, digest, recover, sign, typed_data

pytestmark = pytest.mark.unit

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

BYTES32 = st.binary(min_size=32, max_size=32).map(lambda b: "0x" + b.hex())
ADDRESS = st.binary(min_size=20, max_size=20).map(lambda b: to_checksum_address(b))
UINT64 = st.integers(0, 2**64 - 1)
EPOCH = st.integers(1, 2**64 - 1)
CHAIN_ID = st.integers(1, 2**256 - 1)
KEYS = st.integers(1, SECP256K1_N - 1).map(lambda k: Account.from_key(k.to_bytes(32, "big")))

VERDICTS = st.builds(Verdict, incident_id=BYTES32, provider=ADDRESS, violation_class=st.sampled_from(ViolationClass),
                     severity=st.sampled_from(Level), evidence_hash=BYTES32, observed_at=UINT64, deadline=UINT64,
                     committee_epoch=EPOCH)  # fmt: skip
AUDIT_PROOFS = st.builds(AuditProof, incident_id=BYTES32, provider=ADDRESS, audit_report_hash=BYTES32,
                         remediation_hash=BYTES32, logs_root=BYTES32, issued_at=UINT64, expiry=UINT64)  # fmt: skip
ATTESTATIONS = st.builds(RestorationAttestation, incident_id=BYTES32, observation_epoch=st.integers(0, 2**32 - 1),
                         committee_epoch=EPOCH, healthy=st.booleans(), data_intact=st.booleans(),
                         observed_at=UINT64)  # fmt: skip
MESSAGES = st.one_of(VERDICTS, AUDIT_PROOFS, ATTESTATIONS)

#: A valid value of each field, by model and field name (to tamper with one field at a time).
FIELD_VALUES = {
    "incident_id": BYTES32, "provider": ADDRESS, "violation_class": st.sampled_from(ViolationClass),
    "severity": st.sampled_from(Level), "evidence_hash": BYTES32, "observed_at": UINT64, "deadline": UINT64,
    "committee_epoch": EPOCH, "audit_report_hash": BYTES32, "remediation_hash": BYTES32, "logs_root": BYTES32,
    "issued_at": UINT64, "expiry": UINT64, "observation_epoch": st.integers(0, 2**32 - 1),
    "healthy": st.booleans(), "data_intact": st.booleans(),
}  # fmt: skip


def recovers_other(message, chain_id, contract, signature, signer) -> bool:
    """True when ``signature`` does not recover to ``signer`` (another address, or no address at all)."""
    try:
        return recover(message, chain_id, contract, signature) != signer
    except Exception:  # noqa: BLE001 - an invalid signature does not recover
        return True


def test_every_field_of_every_type_can_be_tampered_with():
    """FIELD_VALUES covers each EIP-712 field (so the tampering property reaches all of them)."""
    fields = {field for model in (Verdict, AuditProof, RestorationAttestation) for field in model.model_fields}
    assert fields == set(FIELD_VALUES)
    assert sum(len(v) for v in TYPES.values()) == sum(len(m.model_fields) for m in (Verdict, AuditProof, RestorationAttestation))


@SETTINGS
@given(MESSAGES, KEYS, CHAIN_ID, ADDRESS)
@example(Verdict(incident_id="0x" + "00" * 32, provider="0x" + "00" * 20, violation_class=0, severity=0,
                 evidence_hash="0x" + "00" * 32, observed_at=0, deadline=0, committee_epoch=1),
         Account.from_key(b"\x00" * 31 + b"\x01"), 1, "0x" + "00" * 20)  # fmt: skip
def test_a_signature_recovers_its_signer(message, account, chain_id, contract):
    signature = sign(message, chain_id, contract, account)
    assert len(signature) == 65
    r, s, v = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big"), signature[64]
    assert 0 < r < SECP256K1_N and 0 < s <= SECP256K1_N // 2  # low s: the contracts refuse the other half
    assert v in (27, 28)
    assert recover(message, chain_id, contract, signature) == account.address
    # The digest is the EIP-712 one: what eth-account signs for this typed data.
    document = typed_data(message, chain_id, contract)
    assert document["primaryType"] == type(message).__name__
    assert Account._recover_hash(digest(message, chain_id, contract), signature=signature) == account.address


@SETTINGS
@given(MESSAGES, KEYS, CHAIN_ID, ADDRESS, st.data())
def test_a_tampered_message_recovers_another_address(message, account, chain_id, contract, data):
    signature = sign(message, chain_id, contract, account)
    field = data.draw(st.sampled_from(sorted(type(message).model_fields)), label="field")
    value = data.draw(FIELD_VALUES[field].filter(lambda v: v != getattr(message, field)), label="value")
    tampered = message.model_copy(update={field: value})
    assert digest(tampered, chain_id, contract) != digest(message, chain_id, contract)
    assert recovers_other(tampered, chain_id, contract, signature, account.address)


@SETTINGS
@given(MESSAGES, KEYS, CHAIN_ID, ADDRESS, st.data())
def test_a_tampered_signature_does_not_recover_the_signer(message, account, chain_id, contract, data):
    signature = sign(message, chain_id, contract, account)
    how = data.draw(st.sampled_from(["bit", "bytes", "truncate", "extend", "random", "high-s"]), label="how")
    if how == "bit":
        bit = data.draw(st.integers(0, 65 * 8 - 1), label="bit")
        tampered = bytearray(signature)
        tampered[bit // 8] ^= 1 << (bit % 8)
    elif how == "bytes":
        start = data.draw(st.integers(0, 64), label="start")
        replacement = data.draw(st.binary(min_size=1, max_size=65 - start), label="replacement")
        tampered = bytearray(signature[:start] + replacement + signature[start + len(replacement):])
    elif how == "truncate":
        tampered = bytearray(signature[: data.draw(st.integers(0, 64), label="length")])
    elif how == "extend":
        tampered = bytearray(signature + data.draw(st.binary(min_size=1, max_size=4), label="tail"))
    elif how == "random":
        tampered = bytearray(data.draw(st.binary(min_size=65, max_size=65), label="random"))
    else:  # the malleable twin (r, n - s, v flipped) is a valid ECDSA signature of the signer, refused as on chain
        s = int.from_bytes(signature[32:64], "big")
        tampered = signature[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - signature[64]])
        assert Account._recover_hash(digest(message, chain_id, contract), signature=tampered) == account.address
        with pytest.raises(ValueError, match="lower half"):
            recover(message, chain_id, contract, tampered)
    if bytes(tampered) == signature:
        return
    assert recovers_other(message, chain_id, contract, bytes(tampered), account.address)


def test_a_recovery_byte_out_of_range_does_not_recover():
    message = AuditProof(incident_id="0x" + "11" * 32, provider="0x" + "22" * 20, audit_report_hash="0x" + "33" * 32,
                         remediation_hash="0x" + "44" * 32, logs_root="0x" + "55" * 32, issued_at=1, expiry=2)  # fmt: skip
    account = Account.from_key(b"\x07" * 32)
    signature = sign(message, 31337, "0x" + "66" * 20, account)
    # 0/1 and EIP-155 values (35 + 2 * chain id + parity) name the same key to eth-account; the
    # contracts take only 27 and 28, and so does recover().
    for v in (0, 1, 26, 29, 35, 36, 255, signature[64] + 32):
        with pytest.raises(ValueError, match="v is 27 or 28"):
            recover(message, 31337, "0x" + "66" * 20, signature[:64] + bytes([v]))
        assert recovers_other(message, 31337, "0x" + "66" * 20, signature[:64] + bytes([v]), account.address)


@SETTINGS
@given(MESSAGES, KEYS, CHAIN_ID, ADDRESS, CHAIN_ID, ADDRESS)
def test_a_signature_for_another_domain_recovers_another_address(message, account, chain_id, contract, other_chain,
                                                                 other_contract):  # fmt: skip
    signature = sign(message, chain_id, contract, account)
    if other_chain != chain_id:
        assert recovers_other(message, other_chain, contract, signature, account.address)
    if other_contract != contract:
        assert recovers_other(message, chain_id, other_contract, signature, account.address)


@SETTINGS
@given(VERDICTS, KEYS, CHAIN_ID, ADDRESS)
def test_a_signature_of_one_type_does_not_pass_for_another(verdict, account, chain_id, contract):
    """The type hash is part of the digest: an attestation with the same leading fields is another message."""
    signature = sign(verdict, chain_id, contract, account)
    proof = AuditProof(incident_id=verdict.incident_id, provider=verdict.provider, audit_report_hash=verdict.evidence_hash,
                       remediation_hash=verdict.evidence_hash, logs_root=verdict.evidence_hash,
                       issued_at=verdict.observed_at, expiry=verdict.deadline)  # fmt: skip
    assert recovers_other(proof, chain_id, contract, signature, account.address)
    assert digest(proof, chain_id, contract) != digest(verdict, chain_id, contract)
    assert keccak(b"") not in (digest(proof, chain_id, contract), digest(verdict, chain_id, contract))
