"""Stake recovery against a deployed RecoveryEscrow: audit proofs, claims, attestations, release."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from web3.logs import DISCARD

from .models import AuditProof, RestorationAttestation, Verdict
from .signing import sign

if TYPE_CHECKING:
    from web3.types import TxReceipt

    from .chain import Client
    from .deploy import Registry


#: IRecoveryEscrow.EscrowStatus.Claimed: a claim is filed (the maximum lifetime applies).
ESCROW_CLAIMED = 2


def attestable_epoch(filed_at: int, next_epoch: int, epoch_length: int, grace: int, now: int) -> int | None:
    """The observation epoch of a claim filed at ``filed_at`` that can be attested at ``now``.

    Epochs lie on a fixed grid from the filing time. The one that ended last can be attested until its
    end plus the attestation grace; an epoch past its grace is missed (the escrow skips it). None when
    no epoch is attestable now, or the last ended one is already attested.
    """
    if now < filed_at + epoch_length:
        return None
    epoch = (now - filed_at) // epoch_length - 1  # the last epoch that has ended
    end = filed_at + (epoch + 1) * epoch_length
    if epoch < next_epoch or now > end + grace:
        return None
    return epoch


class RecoveryDesk:
    """Builds and signs recovery messages and sends the recovery transactions from one client."""

    def __init__(self, client: Client, registry: Registry):
        self.client = client
        self.escrow = client.contract("RecoveryEscrow", registry.address("RecoveryEscrow"))
        self.committee = client.contract("OracleCommittee", registry.address("OracleCommittee"))
        self.verdicts = client.contract("VerdictManager", registry.address("VerdictManager"))
        self.chain_id = registry.chain_id

    # messages
    def sign(self, message: AuditProof | RestorationAttestation, account: Any) -> bytes:
        """Sign an audit proof or an attestation for this escrow (EIP-712)."""
        return sign(message, self.chain_id, self.escrow.address, account)

    def params(self, incident_id: str) -> dict[str, int]:
        """The recovery parameters the escrow of ``incident_id`` was opened under."""
        version = self.escrow.functions.escrowOf(incident_id).call()[5]
        claim_window, epoch_length, epochs, challenge, lifetime, graduated, grace = (
            self.escrow.functions.recoveryParams(version).call()
        )
        return {
            "claim_window": claim_window, "epoch_length": epoch_length, "epochs_required": epochs,
            "challenge_window": challenge, "max_lifetime": lifetime, "graduated": graduated,
            "attestation_grace": grace,
        }  # fmt: skip

    def schedule(self, incident_id: str) -> dict[str, int | None]:
        """Wall-clock deadlines of the escrow of ``incident_id``, with every guardian pause so far.

        The claim, challenge and lifetime windows run on the pause-free clock (a pause extends them),
        so a pause that starts later moves these times further out. ``payable_from`` is None before a
        tranche vests; ``closable_at`` is the end of the claim window until a claim is filed, then
        the end of the maximum lifetime (that too while a remainder is owed: it is written off only
        then)."""
        escrow = self.escrow.functions
        status, opened_clock = (lambda e: (e[3], e[7]))(escrow.escrowOf(incident_id).call())
        last_vested_at, vested_clock = (lambda c: (c[1], c[5]))(escrow.claimOf(incident_id).call())
        params = self.params(incident_id)
        paused = self.verdicts.functions.pausedTotal().call()
        lifetime = status == ESCROW_CLAIMED or self.verdicts.functions.remainderOf(incident_id).call() != 0
        return {
            "claim_deadline": opened_clock + params["claim_window"] + paused,
            "payable_from": vested_clock + params["challenge_window"] + paused if last_vested_at else None,
            "closable_at": opened_clock + params["max_lifetime" if lifetime else "claim_window"] + paused,
        }

    def attestable_epoch(self, incident_id: str, now: int) -> int | None:
        """The observation epoch an attestation can close at ``now`` (ended, inside its grace, not yet
        attested or missed), or None."""
        filed_at, _, next_epoch = self.escrow.functions.claimOf(incident_id).call()[:3]
        params = self.params(incident_id)
        return attestable_epoch(filed_at, next_epoch, params["epoch_length"], params["attestation_grace"], now)

    def attestation(
        self, incident_id: str, epoch: int, healthy: bool, data_intact: bool, observed_at: int | None = None
    ) -> RestorationAttestation:
        """The attestation of observation ``epoch`` of the current claim (observed inside the epoch)."""
        filed_at = self.escrow.functions.claimOf(incident_id).call()[0]
        start = filed_at + epoch * self.params(incident_id)["epoch_length"]
        return RestorationAttestation(
            incident_id=incident_id,
            observation_epoch=epoch,
            committee_epoch=self.committee.functions.epoch().call(),
            healthy=healthy,
            data_intact=data_intact,
            observed_at=start if observed_at is None else observed_at,
        )

    # transactions
    def file_claim(self, verdict: Verdict, proof: AuditProof | None, signature: bytes = b"") -> TxReceipt:
        """File the claim (the client must be the provider's operator key)."""
        # Paths without an audit proof take an empty proof and an empty signature.
        proof_tuple = proof.as_tuple() if proof else (bytes(32), verdict.provider, bytes(32), bytes(32), bytes(32), 0, 0)
        return self.client.send(self.escrow.functions.fileClaim(verdict.as_tuple(), proof_tuple, signature))

    def attest(self, attestation: RestorationAttestation, signatures: list[bytes]) -> TxReceipt:
        return self.client.send(self.escrow.functions.attest(attestation.as_tuple(), signatures))

    def approve_evaluation(self, verdict: Verdict, report_hash: str) -> TxReceipt:
        return self.client.send(self.escrow.functions.approveEvaluation(verdict.as_tuple(), report_hash))

    def release(self, verdict: Verdict) -> TxReceipt:
        return self.client.send(self.escrow.functions.release(verdict.as_tuple()))

    def events(self, receipt: TxReceipt, name: str) -> list[Any]:
        return list(getattr(self.escrow.events, name)().process_receipt(receipt, errors=DISCARD))
