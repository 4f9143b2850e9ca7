"""Shared steps and checks of the RecoveryEscrow tests (tests/test_recovery_*.py) on the `system` fixture.

Expected values are computed here apart from the contract: slash amounts and recoverable shares from
the deployed matrix (swarm_stake.deploy.DEFAULT_MATRIX), vesting from SYSTEM_RECOVERY, decision ids
from their ABI encoding, EIP-712 digests with swarm_stake.signing. `governed_reverts` is the strict
`reverts` of helpers.py for a call made through the timelock: Ape may decode a revert bubbled up by
`SwarmTimelock.execute` with the ABI of another contract, so the error is matched by selector, name
and arguments against the target's ABI.

Time: `chain.pending_timestamp = t` makes the next transaction (and a reverting one, whose `nowTime`
argument is then `t`) run at `t`; views read the last mined block, so `mine_at` mines one first.
"""

from contextlib import contextmanager
from enum import IntEnum
from unittest import mock

import ape
import pytest
from ape.exceptions import CustomError
from ape_ethereum.trace import Trace
from eth_abi import decode as abi_decode
from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from helpers import ZERO_ADDRESS, _normalize, emitted
from swarm_stake.deploy import DEFAULT_MATRIX
from swarm_stake.models import AuditProof, Level, RecoveryPath, ViolationClass
from swarm_stake.signing import digest
from system_fixtures import SYSTEM_RECOVERY

BPS = 10_000
EPOCH = SYSTEM_RECOVERY.epoch_length
EPOCHS = SYSTEM_RECOVERY.epochs_required
CHALLENGE = SYSTEM_RECOVERY.challenge_window
CLAIM_WINDOW = SYSTEM_RECOVERY.claim_window
MAX_LIFETIME = SYSTEM_RECOVERY.max_lifetime
ZERO32 = b"\x00" * 32
REPORT = keccak(text="root-cause analysis v1")
EVIDENCE = keccak(text="the node still drops chunks")
#: The proof argument of a claim on the service-improvement path (no audit proof).
NO_PROOF = (ZERO32, ZERO_ADDRESS, ZERO32, ZERO32, ZERO32, 0, 0)
GRACE = SYSTEM_RECOVERY.attestation_grace
#: The system's parameters with a one-hour challenge window.
HOUR_PARAMS_CHALLENGE = SYSTEM_RECOVERY.model_copy(update={"challenge_window": 3600})
AUDITED = (RecoveryPath.SECURITY_REVIEW, RecoveryPath.COMPLIANCE_VERIFICATION)


class Status(IntEnum):
    """Mirror of IRecoveryEscrow.EscrowStatus."""

    NONE = 0
    ESCROWED = 1
    CLAIMED = 2
    REJECTED = 3
    RELEASED = 4
    FORFEITED = 5
    REFUNDED = 6


def row(violation_class: ViolationClass, level: Level):
    """The deployed matrix row (the default matrix: the system fixture does not override it)."""
    return DEFAULT_MATRIX[violation_class.name.lower()][int(level)]


def b32(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def iid(verdict) -> bytes:
    """The incident id of `verdict` as the bytes that decoded events and errors carry."""
    return b32(verdict.incident_id)


def operator_of(system, verdict):
    return system.operator_a if verdict.provider == system.provider_a.address else system.operator_b


def slash(system, violation_class=ViolationClass.POOR_PERFORMANCE, severity=Level.PENALTY, provider=None):
    """A verdict signed by a quorum, submitted and executed at once; returns it."""
    verdict = system.verdict(provider, violation_class, severity)
    tx = system.submit(verdict)
    assert "VerdictExecuted" in [name for name, _ in emitted(tx, system.VerdictManager)]
    return verdict


def expected_slash(pool_assets: int, violation_class: ViolationClass, level: Level = Level.PENALTY) -> tuple[int, int]:
    """(amount escrowed, recoverable share) of a slash of a pool of `pool_assets`."""
    r = row(violation_class, level)
    amount = pool_assets * r.slash_bps // BPS
    return amount, amount * r.recoverable_bps // BPS


def recoverable_of(system, verdict) -> int:
    e = system.RecoveryEscrow.escrowOf(verdict.incident_id)
    return e.amount * e.recoverableBps // BPS


def audit_proof(system, verdict, **fields) -> AuditProof:
    """An audit proof of `verdict`'s incident issued when its escrow opened (valid for a week from
    now) unless `issued_at` is given."""
    fields.setdefault("issued_at", system.RecoveryEscrow.escrowOf(verdict.incident_id).openedAt)
    return system.audit_proof(verdict, **fields)


def file_claim(system, verdict, proof: AuditProof | None = None, signature: bytes | None = None, sender=None):
    """Files the claim of `verdict` by its operator; an audited path gets a fresh proof signed by the
    registered auditor unless `proof` / `signature` are given."""
    path = system.RecoveryEscrow.escrowOf(verdict.incident_id).recoveryPath
    if proof is None and path in AUDITED:
        proof = audit_proof(system, verdict)
    if signature is None:
        signature = system.sign_proof(proof) if proof is not None else b""
    return system.RecoveryEscrow.fileClaim(
        verdict.as_tuple(),
        proof.as_tuple() if proof is not None else NO_PROOF,
        signature,
        sender=sender or operator_of(system, verdict),
    )


def wait_until(system, t: int) -> None:
    """The next transaction runs at `t` at the earliest."""
    if system.chain.pending_timestamp < t:
        system.chain.pending_timestamp = t


def mine_at(system, t: int) -> None:
    """Mines a block at `t` so that views see that time."""
    system.chain.mine(timestamp=t)


def epoch_bounds(system, verdict, epoch: int, epoch_length: int = EPOCH) -> tuple[int, int]:
    """[start, end) of observation epoch `epoch` of the current claim."""
    start = system.RecoveryEscrow.claimOf(verdict.incident_id).filedAt + epoch * epoch_length
    return start, start + epoch_length


def attestation(system, verdict, epoch: int, *, epoch_length: int = EPOCH, **fields):
    """The attestation of `epoch`, observed one second into it (unless `observed_at` is given)."""
    start, _ = epoch_bounds(system, verdict, epoch, epoch_length)
    fields.setdefault("observed_at", start + 1)
    return system.attestation(verdict, epoch, **fields)


def attest(system, verdict, epoch: int, *, signers=None, epoch_length: int = EPOCH, **fields):
    """Waits for the end of observation epoch `epoch` and relays its attestation signed by `signers`
    (the first three oracles, a quorum, by default)."""
    wait_until(system, epoch_bounds(system, verdict, epoch, epoch_length)[1])
    att = attestation(system, verdict, epoch, epoch_length=epoch_length, **fields)
    return system.RecoveryEscrow.attest(att.as_tuple(), system.sign_attestation(att, signers), sender=system.outsider)


def upcoming_epoch(system, verdict, epoch_length: int = EPOCH) -> int:
    """The first observation epoch of the current claim, not yet attested, that has not ended before
    the next block."""
    claim = system.RecoveryEscrow.claimOf(verdict.incident_id)
    return max(claim.nextEpoch, -(-(system.chain.pending_timestamp - claim.filedAt) // epoch_length) - 1)


def attest_next(system, verdict, **fields):
    """Attests the upcoming observation epoch at its end (the epochs before it are missed)."""
    return attest(system, verdict, upcoming_epoch(system, verdict), **fields)


def pass_epochs(system, verdict, epochs, epoch_length: int = EPOCH) -> list:
    return [attest(system, verdict, epoch, epoch_length=epoch_length) for epoch in epochs]


def evaluate(system, verdict, report: bytes = REPORT) -> list:
    """The first three oracles (a quorum) approve `report` as the evaluation."""
    return [
        system.RecoveryEscrow.approveEvaluation(verdict.as_tuple(), report, sender=oracle)
        for oracle in system.oracles[:3]
    ]


def reject(system, verdict, evidence: bytes = EVIDENCE) -> list:
    """The first three oracles (a quorum) approve rejecting the current claim."""
    return [
        system.RecoveryEscrow.approveRejection(verdict.as_tuple(), evidence, sender=oracle)
        for oracle in system.oracles[:3]
    ]


def payable_from(system, verdict, challenge: int = CHALLENGE) -> int:
    """When the last vested tranche becomes payable (no pause in between)."""
    return system.RecoveryEscrow.claimOf(verdict.incident_id).lastVestedAt + challenge


def appeal_window_end(system, verdict) -> int:
    """The last second at which `verdict`'s incident can be appealed (its own copied window)."""
    incident = system.VerdictManager.getIncident(verdict.incident_id)[0]
    return incident[1] + incident[6]  # executedAt + the appeal window copied at execution


def releasable_from(system, verdict, challenge: int = CHALLENGE) -> int:
    """When a release can pay the last vested tranche: after its challenge window and the appeal window."""
    return max(payable_from(system, verdict, challenge), appeal_window_end(system, verdict) + 1)


def release(system, verdict):
    return system.RecoveryEscrow.release(verdict.as_tuple(), sender=system.outsider)


def recover(system, verdict):
    """The whole recovery of `verdict`: claim, every epoch (on paths that observe), evaluation, the
    challenge window, one release paying everything; returns the release transaction."""
    file_claim(system, verdict)
    if system.RecoveryEscrow.escrowOf(verdict.incident_id).recoveryPath != RecoveryPath.COMPLIANCE_VERIFICATION:
        pass_epochs(system, verdict, range(EPOCHS))
    evaluate(system, verdict)
    wait_until(system, releasable_from(system, verdict))
    return release(system, verdict)


def proof_digest(system, proof: AuditProof) -> bytes:
    return digest(proof, system.chain.chain_id, system.RecoveryEscrow.address)


def decision_id(kind: str, incident: bytes, *fields, committee_epoch: int = 1) -> bytes:
    """The approval key of a committee decision: keccak256(abi.encode(keccak256(abi.encode(kind, incident,
    ...)), committeeEpoch)); a rejection adds (filedAt, evidenceHash), an evaluation (reportHash)."""
    if kind == "reject":
        inner = encode(["string", "bytes32", "uint40", "bytes32"], [kind, incident, *fields])
    else:
        inner = encode(["string", "bytes32", "bytes32"], [kind, incident, *fields])
    return keccak(encode(["bytes32", "uint64"], [keccak(inner), committee_epoch]))


def decision_events(kind: str, verdict, members, *fields, committee_epoch: int = 1) -> list:
    key = decision_id(kind, iid(verdict), *fields, committee_epoch=committee_epoch)
    return [
        ("DecisionApproved", {"incidentId": iid(verdict), "decision": key, "member": m.address, "approvals": i + 1})
        for i, m in enumerate(members)
    ]


def assert_conserved(system) -> None:
    """Tokens held equal the books: the StakeManager holds totalStake(), the escrow its open escrows
    plus the insurance pool."""
    token, escrow = system.SwarmToken, system.RecoveryEscrow
    assert token.balanceOf(system.StakeManager) == system.StakeManager.totalStake()
    assert token.balanceOf(escrow) == escrow.totalEscrowed() + escrow.insuranceBalance()


@pytest.fixture(autouse=True)
def conserved(system):
    """Imported by every tests/test_recovery_*.py module: the conservation check after each test."""
    yield
    assert_conserved(system)


def _no_show(self, *args, **kwargs) -> None:
    pass


@contextmanager
def governed_reverts(target, error: str, /, **inputs):
    """Expects a call through the timelock to revert with the custom error `name` of `target`'s ABI
    and, when inputs are given, exactly these arguments."""
    name = error
    (abi,) = [e for e in target.contract_type.errors if e.name == name]
    types = [i.canonical_type for i in abi.inputs]
    selector = keccak(text=f"{name}({','.join(types)})")[:4]
    with mock.patch.object(Trace, "show", _no_show), ape.reverts() as info:
        yield info
    raised = info.value
    if isinstance(raised, CustomError):
        raised_types = ",".join(i.canonical_type for i in raised.abi.inputs)
        assert raised.abi.name == name and keccak(text=f"{raised.abi.name}({raised_types})")[:4] == selector, (
            f"expected {name}, got {raised.abi.signature}"
        )
        actual = {k: _normalize(v) for k, v in raised.inputs.items()}
    else:
        data = bytes.fromhex(str(raised.revert_message).removeprefix("0x"))
        assert data[:4] == selector, f"expected {name}, got 0x{data.hex()}"
        actual = {
            i.name: to_checksum_address(v) if i.canonical_type == "address" else _normalize(v)
            for i, v in zip(abi.inputs, abi_decode(types, data[4:]), strict=True)
        }
    if inputs:
        expected = {k: _normalize(v) for k, v in inputs.items()}
        assert actual == expected, f"{name} arguments: expected {expected}, got {actual}"
