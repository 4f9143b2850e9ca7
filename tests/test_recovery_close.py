"""RecoveryEscrow.close: anyone ends an escrow by its default outcome, an unclaimed (or rejected) one
after the claim deadline and a claimed one after its maximum lifetime: what was not released is
forfeited to the insurance pool, the pool unfrozen, the incident closed. A tombstoning incident is
not closed here: its end is the tombstone."""

import pytest
from helpers import emitted, reverts
from recovery_support import (
    CLAIM_WINDOW,
    EPOCHS,
    MAX_LIFETIME,
    Status,
    appeal_window_end,
    assert_conserved,
    attest,
    attest_next,
    conserved,  # noqa: F401 (autouse: the conservation check after each test)
    evaluate,
    file_claim,
    iid,
    pass_epochs,
    payable_from,
    recover,
    reject,
    release,
    slash,
    wait_until,
)
from system_fixtures import SYSTEM_RECOVERY

from swarm_stake.models import EscrowState, Level, Phase, ProviderStatus, ViolationClass

pytestmark = pytest.mark.integration


def close(system, verdict):
    return system.RecoveryEscrow.close(verdict.as_tuple(), sender=system.outsider)


def assert_forfeited(system, verdict, pool_assets: int, insurance: int) -> None:
    escrow, manager = system.RecoveryEscrow, system.StakeManager
    assert escrow.stateOf(verdict.incident_id) == EscrowState.FORFEITED
    assert escrow.escrowOf(verdict.incident_id).status == Status.FORFEITED
    assert escrow.insuranceBalance() == insurance
    assert escrow.totalEscrowed() == 0
    assert manager.getPool(verdict.provider).assets == pool_assets
    assert manager.getProvider(verdict.provider).openIncidents == 0
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.CLOSED
    assert_conserved(system)


def test_an_unclaimed_escrow_is_forfeited_after_the_claim_deadline(system, chain):
    escrow, manager, a = system.RecoveryEscrow, system.StakeManager, system.provider_a
    verdict = slash(system)
    e = escrow.escrowOf(verdict.incident_id)
    deadline = e.openedAt + CLAIM_WINDOW
    pool_after_slash = manager.getPool(a).assets
    chain.pending_timestamp = deadline
    with reverts(escrow.NotClosable, closableAt=deadline, nowTime=deadline):
        close(system, verdict)
    chain.pending_timestamp = deadline + 1

    tx = close(system, verdict)

    assert emitted(tx, escrow) == [
        ("EscrowForfeited", {"incidentId": iid(verdict), "provider": a.address, "amount": e.amount})
    ]
    assert emitted(tx, manager) == [("PoolFreezeChanged", {"provider": a.address, "openIncidents": 0})]
    assert emitted(tx, system.VerdictManager) == [
        ("IncidentClosed", {"incidentId": iid(verdict), "provider": a.address})
    ]
    assert system.SwarmToken.balanceOf(escrow) == e.amount  # nothing moved: it changed books
    assert_forfeited(system, verdict, pool_after_slash, e.amount)
    assert manager.statusOf(a) == ProviderStatus.ACTIVE  # the one-day jail is long over
    with reverts(escrow.ClaimNotAllowed, incidentId=iid(verdict), status=Status.FORFEITED):
        file_claim(system, verdict)


def test_a_claimed_escrow_is_closable_only_after_its_maximum_lifetime(system, chain):
    """Past the claim deadline a running claim keeps the escrow open; after the maximum lifetime the
    escrow is forfeited but for the tranche already paid (a vested, unpaid tranche is forfeited too)."""
    escrow, manager, a = system.RecoveryEscrow, system.StakeManager, system.provider_a
    pre_assets = manager.getPool(a).assets
    verdict = slash(system)
    e = escrow.escrowOf(verdict.incident_id)
    third = e.amount // EPOCHS
    file_claim(system, verdict)
    attest(system, verdict, 0)
    wait_until(system, payable_from(system, verdict))
    release(system, verdict)
    attest_next(system, verdict, healthy=False)  # the epochs during the challenge window were missed
    attest_next(system, verdict)  # vested again, never paid

    chain.pending_timestamp = e.openedAt + CLAIM_WINDOW + 1
    with reverts(escrow.NotClosable, closableAt=e.openedAt + MAX_LIFETIME, nowTime=e.openedAt + CLAIM_WINDOW + 1):
        close(system, verdict)
    chain.pending_timestamp = e.openedAt + MAX_LIFETIME
    with reverts(escrow.NotClosable, closableAt=e.openedAt + MAX_LIFETIME, nowTime=e.openedAt + MAX_LIFETIME):
        close(system, verdict)
    chain.pending_timestamp = e.openedAt + MAX_LIFETIME + 1

    tx = close(system, verdict)

    assert emitted(tx, escrow) == [
        ("EscrowForfeited", {"incidentId": iid(verdict), "provider": a.address, "amount": e.amount - third})
    ]
    assert escrow.claimOf(verdict.incident_id).released == third
    assert escrow.vestedOf(verdict.incident_id) == third
    assert_forfeited(system, verdict, pre_assets - e.amount + third, e.amount - third)


def test_a_fully_attested_claim_is_forfeited_after_its_maximum_lifetime(system, chain):
    escrow = system.RecoveryEscrow
    verdict = slash(system, ViolationClass.SECURITY_BREACH)
    e = escrow.escrowOf(verdict.incident_id)
    file_claim(system, verdict)
    pass_epochs(system, verdict, range(EPOCHS))  # attested; no evaluation, never released
    pool_assets = system.StakeManager.getPool(verdict.provider).assets
    chain.pending_timestamp = e.openedAt + MAX_LIFETIME + 1
    tx = close(system, verdict)
    assert emitted(tx, escrow)[0][1]["amount"] == e.amount
    assert_forfeited(system, verdict, pool_assets, e.amount)


def test_a_rejected_claim_is_closable_after_the_claim_deadline(system, chain):
    escrow = system.RecoveryEscrow
    verdict = slash(system, ViolationClass.SECURITY_BREACH)
    e = escrow.escrowOf(verdict.incident_id)
    file_claim(system, verdict)
    reject(system, verdict)
    chain.pending_timestamp = e.openedAt + CLAIM_WINDOW
    with reverts(escrow.NotClosable, closableAt=e.openedAt + CLAIM_WINDOW, nowTime=e.openedAt + CLAIM_WINDOW):
        close(system, verdict)
    chain.pending_timestamp = e.openedAt + CLAIM_WINDOW + 1
    pool_assets = system.StakeManager.getPool(verdict.provider).assets
    close(system, verdict)
    assert_forfeited(system, verdict, pool_assets, e.amount)


def test_a_tombstoning_incident_is_not_closed_by_default(system, chain):
    """Closing the escrow of a tombstoning verdict would close the incident without the tombstone
    (AppealCourt.finalizeTombstone then refuses a closed incident): close refuses it; the tombstone ends it."""
    escrow, manager, b = system.RecoveryEscrow, system.StakeManager, system.provider_b
    verdict = slash(system, ViolationClass.SECURITY_BREACH, Level.SEVERE, b)
    e = escrow.escrowOf(verdict.incident_id)
    chain.pending_timestamp = e.openedAt + MAX_LIFETIME + 1
    with reverts(escrow.NotRecoverable, incidentId=iid(verdict)):
        close(system, verdict)
    assert escrow.escrowOf(verdict.incident_id).status == Status.ESCROWED

    tx = system.AppealCourt.finalizeTombstone(verdict.as_tuple(), sender=system.outsider)
    assert [name for name, _ in emitted(tx, escrow)] == ["EscrowForfeited"]
    assert manager.statusOf(b) == ProviderStatus.TOMBSTONED
    assert manager.getProvider(b).openIncidents == 0
    assert escrow.insuranceBalance() == e.amount
    with reverts(escrow.EscrowNotOpen, incidentId=iid(verdict)):
        close(system, verdict)
    assert_conserved(system)


def test_a_tombstoning_incident_under_appeal(system, chain):
    # An upheld appeal tombstones; the escrow cannot be closed before or after.
    escrow, b = system.RecoveryEscrow, system.provider_b
    verdict = slash(system, ViolationClass.SECURITY_BREACH, Level.SEVERE, b)
    system.AppealCourt.appeal(verdict.as_tuple(), sender=system.operator_b)
    chain.pending_timestamp = escrow.escrowOf(verdict.incident_id).openedAt + CLAIM_WINDOW + 1
    with reverts(escrow.NotRecoverable, incidentId=iid(verdict)):
        close(system, verdict)
    system.AppealCourt.finalizeAppeal(verdict.as_tuple(), sender=system.outsider)
    assert system.StakeManager.statusOf(b) == ProviderStatus.TOMBSTONED
    assert escrow.escrowOf(verdict.incident_id).status == Status.FORFEITED
    assert_conserved(system)


def test_close_of_an_ended_escrow(system, chain):
    escrow = system.RecoveryEscrow
    warning = slash(system, severity=Level.WARNING)
    with reverts(escrow.EscrowNotOpen, incidentId=iid(warning)):
        close(system, warning)
    chain.pending_timestamp += 3600  # the next incident-id bucket
    verdict = slash(system)
    recover(system, verdict)
    chain.pending_timestamp = escrow.escrowOf(verdict.incident_id).openedAt + MAX_LIFETIME + 1
    with reverts(escrow.EscrowNotOpen, incidentId=iid(verdict)):
        close(system, verdict)


def test_close_of_a_tampered_verdict(system, chain):
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    chain.pending_timestamp = escrow.escrowOf(verdict.incident_id).openedAt + CLAIM_WINDOW + 1
    tampered = verdict.model_copy(update={"violation_class": ViolationClass.SECURITY_BREACH})
    with reverts(escrow.VerdictMismatch, incidentId=iid(verdict)):
        close(system, tampered)
    assert escrow.escrowOf(verdict.incident_id).status == Status.ESCROWED


def test_a_pause_cannot_forfeit_vested_stake(system, chain):
    """Attack (hole: a pause could forfeit vested stake): releases were paused but the default close at
    the maximum lifetime was not, and no deadline grew with a pause, so a pause over the end of an
    incident's life let anyone forfeit a fully attested, evaluated escrow. Now the close waits out the
    pause and the lifetime grows by it; the provider releases first."""
    escrow, vm = system.RecoveryEscrow, system.VerdictManager
    verdict = slash(system)
    e = escrow.escrowOf(verdict.incident_id)
    file_claim(system, verdict)
    pass_epochs(system, verdict, range(EPOCHS))
    evaluate(system, verdict)
    end_of_life = e.openedAt + MAX_LIFETIME
    chain.pending_timestamp = end_of_life - 10
    paused_at = vm.pause(sender=system.guardian).timestamp
    until = vm.pausedUntil()
    chain.pending_timestamp = end_of_life + 1
    with reverts(escrow.ReleasesPaused, pausedUntil=until):
        close(system, verdict)
    with reverts(escrow.ReleasesPaused, pausedUntil=until):
        release(system, verdict)

    # After the pause the lifetime has grown by its length: the release comes first.
    pause_length = until - paused_at
    chain.pending_timestamp = until
    with reverts(escrow.NotClosable, closableAt=end_of_life + pause_length, nowTime=until):
        close(system, verdict)
    tx = release(system, verdict)
    assert [name for name, _ in emitted(tx, escrow)] == ["TrancheReleased", "RecoveryCompleted"]
    assert escrow.stateOf(verdict.incident_id) == EscrowState.RELEASED


def test_an_unclaimed_escrow_closes_after_a_pause_extended_claim_window(system, chain):
    escrow, vm = system.RecoveryEscrow, system.VerdictManager
    verdict = slash(system)
    e = escrow.escrowOf(verdict.incident_id)
    started = vm.pause(sender=system.guardian).timestamp
    chain.pending_timestamp = started + 600
    vm.unpause(sender=system.guardian)
    deadline = e.openedAt + CLAIM_WINDOW + 600
    chain.pending_timestamp = deadline
    with reverts(escrow.NotClosable, closableAt=deadline, nowTime=deadline):
        close(system, verdict)
    chain.pending_timestamp = deadline + 1
    close(system, verdict)
    assert escrow.stateOf(verdict.incident_id) == EscrowState.FORFEITED


def test_no_default_close_while_the_incident_can_be_appealed(system, chain):
    """Attack (hole: windows uncoupled): with a claim window shorter than the appeal window, a third party
    closed an unclaimed escrow (forfeiting it and closing the incident) while the provider could still
    appeal. Now the close waits for the incident's own copied appeal window."""
    escrow = system.RecoveryEscrow
    short = SYSTEM_RECOVERY.model_copy(update={"claim_window": 3600})
    system.govern(escrow, "setRecoveryParams", short.as_tuple())
    verdict = slash(system)
    window_end = appeal_window_end(system, verdict)
    opened = escrow.escrowOf(verdict.incident_id).openedAt
    assert opened + 3600 < window_end
    chain.pending_timestamp = opened + 3601
    with reverts(escrow.AppealWindowOpen, windowEnd=window_end, nowTime=opened + 3601):
        close(system, verdict)
    system.AppealCourt.appeal(verdict.as_tuple(), sender=system.operator_a)  # still appealable, and appealed
    assert system.SwarmLens.appealPending(verdict.incident_id)
