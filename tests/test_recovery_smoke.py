from swarm_stake.models import EscrowState, Level, Phase, ViolationClass
from system_fixtures import SYSTEM_RECOVERY


def test_security_review_path_end_to_end(system, chain):
    verdict = system.verdict(violation_class=ViolationClass.SECURITY_BREACH, severity=Level.PENALTY)
    system.submit(verdict)
    escrow = system.RecoveryEscrow
    amount = escrow.escrowOf(verdict.incident_id).amount
    chain.pending_timestamp += 60
    proof = system.audit_proof(verdict)
    escrow.fileClaim(verdict.as_tuple(), proof.as_tuple(), system.sign_proof(proof), sender=system.operator_a)
    assert escrow.stateOf(verdict.incident_id) == EscrowState.OBSERVING
    for epoch in range(SYSTEM_RECOVERY.epochs_required):
        chain.pending_timestamp += SYSTEM_RECOVERY.epoch_length
        att = system.attestation(verdict, epoch)
        escrow.attest(att.as_tuple(), system.sign_attestation(att), sender=system.outsider)
    assert escrow.stateOf(verdict.incident_id) == EscrowState.ATTESTED
    for oracle in system.oracles[:3]:
        escrow.approveEvaluation(verdict.as_tuple(), b"\x11" * 32, sender=oracle)
    chain.pending_timestamp += SYSTEM_RECOVERY.challenge_window + 1
    pool_before = system.StakeManager.getPool(system.provider_a).assets
    tx = escrow.release(verdict.as_tuple(), sender=system.outsider)
    recoverable = amount * 5000 // 10000
    assert system.StakeManager.getPool(system.provider_a).assets == pool_before + recoverable
    assert escrow.insuranceBalance() == amount - recoverable
    assert system.VerdictManager.stateOf(verdict.incident_id) == Phase.CLOSED
    assert system.StakeManager.getProvider(system.provider_a).openIncidents == 0
    print(tx.gas_used)
