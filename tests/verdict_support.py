"""Shared helpers of the VerdictManager tests (tests/test_verdicts_*.py) on the `system` fixture.

Expected values are computed here independently of the contract: revert data from the error
signatures, slash amounts from the matrix row and the pool, cap use from the decay rule.
"""

from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

from swarm_stake.models import Verdict
from swarm_stake.signing import digest
from system_fixtures import SYSTEM_LIMITS, SYSTEM_WINDOWS

BPS = 10_000
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

FLAG_APPEAL_RESOLVED, FLAG_OVERTURNED, FLAG_CLOSED, FLAG_TOMBSTONE = 1, 2, 4, 8

INCIDENT_FIELDS = (
    "detectedAt",
    "executedAt",
    "appealedAt",
    "level",
    "violationClass",
    "flags",
    "appealWindow",
    "appealResolution",
    "approvals",
    "severity",
    "slashBps",
)

# Errors of IVerdictManager by canonical signature (for revert data inside events).
ERROR_TYPES = {
    "StaleCommitteeEpoch": ["uint64", "uint64"],
    "NotCommitteeMember": ["address", "uint64"],
    "DuplicateSigner": ["address"],
    "InvalidSignature": ["uint256"],
    "VerdictDeadlinePassed": ["uint256", "uint256"],
    "IncidentIdMismatch": ["bytes32", "bytes32"],
    "SeverityNotApplicable": ["uint8", "uint8"],
    "IncidentAlreadyExecuted": ["bytes32"],
    "SeverityNotAbove": ["bytes32", "uint8", "uint8"],
    "IncidentAlreadyOpen": ["address", "uint8"],
    "ExecutionPaused": ["uint256"],
    "SlashRateCapExceeded": ["uint256", "uint256"],
    "ProviderSlashCapExceeded": ["uint256", "uint256"],
    "ProviderNotSlashable": ["address"],
}


def selector(name: str) -> bytes:
    """The 4-byte selector of the IVerdictManager error `name`."""
    return keccak(text=f"{name}({','.join(ERROR_TYPES[name])})")[:4]


def error_data(name: str, *args) -> bytes:
    """The exact revert data of the IVerdictManager error `name` with `args`."""
    return selector(name) + encode(ERROR_TYPES[name], list(args))


def b32(value: str) -> bytes:
    """A 0x-prefixed 32-byte hex string as bytes."""
    return bytes.fromhex(value.removeprefix("0x"))


def digest_of(system, verdict: Verdict) -> bytes:
    """The EIP-712 digest of `verdict` for the system's VerdictManager, computed in Python."""
    return digest(verdict, system.chain.chain_id, system.VerdictManager.address)


def high_s(signature: bytes) -> bytes:
    """The malleable twin of a low-s signature: s -> n - s, v flipped (recovers the same signer)."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])


def recover_raw(system, verdict: Verdict, signature: bytes) -> str:
    """The address ecrecover yields for `signature` over the digest of `verdict` (no low-s rule)."""
    r, s, v = signature[:32], signature[32:64], signature[64]
    return Account._recover_hash(
        digest_of(system, verdict), vrs=(v, int.from_bytes(r, "big"), int.from_bytes(s, "big"))
    )


def incident(system, incident_id) -> dict:
    """The stored incident as a dict of field name -> value, plus its executed digest."""
    stored, executed_digest = system.VerdictManager.getIncident(incident_id)
    fields = dict(zip(INCIDENT_FIELDS, stored, strict=True))
    fields["digest"] = bytes(executed_digest)
    return fields


def approved(system, verdict: Verdict, signer, approvals: int) -> tuple[str, dict]:
    return (
        "VerdictApproved",
        {
            "digest": digest_of(system, verdict),
            "incidentId": b32(verdict.incident_id),
            "signer": signer.address if hasattr(signer, "address") else signer,
            "approvals": approvals,
        },
    )


def executed(system, verdict: Verdict, level: int, amount: int, jailed_until: int) -> tuple[str, dict]:
    return (
        "VerdictExecuted",
        {
            "incidentId": b32(verdict.incident_id),
            "provider": verdict.provider,
            "digest": digest_of(system, verdict),
            "verdict": [
                b32(verdict.incident_id), verdict.provider, int(verdict.violation_class), int(verdict.severity),
                b32(verdict.evidence_hash), verdict.observed_at, verdict.deadline, verdict.committee_epoch,
            ],
            "level": int(level),
            "amount": amount,
            "jailedUntil": jailed_until,
        },
    )


def deferred(system, verdict: Verdict, reason: str) -> tuple[str, dict]:
    return (
        "VerdictDeferred",
        {"digest": digest_of(system, verdict), "incidentId": b32(verdict.incident_id), "reason": selector(reason)},
    )


def slash_amount(system, provider, violation_class: int, level: int) -> int:
    """What the matrix takes from the pool of `provider` now: pool assets * slashBps / 10000."""
    row = system.VerdictManager.penaltyRow(int(violation_class), int(level))
    return system.StakeManager.getPool(provider).assets * row.slashBps // BPS


def assert_conserved(system) -> None:
    """Tokens held equal what the books say, in the StakeManager and in the RecoveryEscrow."""
    token, escrow = system.SwarmToken, system.RecoveryEscrow
    assert token.balanceOf(system.StakeManager) == system.StakeManager.totalStake()
    assert token.balanceOf(escrow) == escrow.totalEscrowed() + escrow.insuranceBalance()


def set_limits(system, *, rate_cap_bps=None, provider_cap_bps=None, cap_window=None) -> None:
    """Changes the VerdictManager limits through the timelock, keeping the fields not given."""
    limits = SYSTEM_LIMITS.model_copy(
        update={
            k: v
            for k, v in {
                "rate_cap_bps": rate_cap_bps,
                "provider_cap_bps": provider_cap_bps,
                "cap_window": cap_window,
            }.items()
            if v is not None
        }
    )
    system.govern(system.VerdictManager, "setLimits", limits.as_tuple())


def align_to_bucket(system, offset: int) -> int:
    """Sets the next block's time to `offset` seconds into the next incident-id bucket; returns it."""
    bucket = SYSTEM_WINDOWS.bucket_length
    t = (system.chain.pending_timestamp // bucket + 1) * bucket + offset
    system.chain.pending_timestamp = t
    return t


def pause(system) -> int:
    """The guardian pauses; returns the pause end."""
    tx = system.VerdictManager.pause(sender=system.guardian)
    return tx.timestamp + SYSTEM_WINDOWS.max_pause




def escrow_record(system, incident_id) -> tuple[int, int, int, int, int]:
    """(amount, recoverableBps, recoveryPath, status, openedAt) of the incident's escrow."""
    e = system.RecoveryEscrow.escrowOf(incident_id)
    return (e.amount, e.recoverableBps, e.recoveryPath, e.status, e.openedAt)
