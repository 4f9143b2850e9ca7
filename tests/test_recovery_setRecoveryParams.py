"""RecoveryEscrow.setRecoveryParams: only governance (the timelock), every field in range, each change a
new version; an escrow keeps the version in force when it opened."""

import pytest
from helpers import DEFAULT_ADMIN_ROLE, emitted, reverts
from recovery_support import (
    EPOCH,
    EPOCHS,
    assert_conserved,
    attest,
    attest_next,
    conserved,  # noqa: F401 (autouse: the conservation check after each test)
    evaluate,
    file_claim,
    governed_reverts,
    pass_epochs,
    payable_from,
    release,
    slash,
)
from system_fixtures import DAY, HOUR, SYSTEM_RECOVERY, SYSTEM_WINDOWS

from swarm_stake.deploy import RecoveryParamsModel
from swarm_stake.models import EscrowState, Phase

pytestmark = pytest.mark.integration

#: The recovery path: a claim at the deadline, every epoch attested at the end of its grace, the challenge window.
RECOVERY_PATH = (
    SYSTEM_RECOVERY.claim_window
    + SYSTEM_RECOVERY.epoch_length * SYSTEM_RECOVERY.epochs_required
    + SYSTEM_RECOVERY.attestation_grace
    + SYSTEM_RECOVERY.challenge_window
)
#: ... after the verdict contract's appeal window and resolution, with one pause.
LONGEST = RECOVERY_PATH + SYSTEM_WINDOWS.appeal_window + SYSTEM_WINDOWS.appeal_resolution + SYSTEM_WINDOWS.max_pause


def params(**changes) -> RecoveryParamsModel:
    return SYSTEM_RECOVERY.model_copy(update=changes)


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("claimWindow", {"claim_window": 0}),
        ("epochLength", {"epoch_length": 0}),
        ("epochsRequired", {"epochs_required": 0}),
        ("challengeWindow", {"challenge_window": 0}),
        ("attestationGrace", {"attestation_grace": 0}),
        ("attestationGrace", {"attestation_grace": SYSTEM_RECOVERY.epoch_length}),
        ("maxLifetime", {"max_lifetime": LONGEST - 1}),
        # The escrow must outlast the appeal window, its resolution and a pause, not the recovery alone.
        ("maxLifetime", {"max_lifetime": RECOVERY_PATH}),
        ("maxLifetime", {"max_lifetime": 0}),
        # A longer claim window, epoch or challenge window needs a longer lifetime.
        ("maxLifetime", {"claim_window": SYSTEM_RECOVERY.max_lifetime}),
        ("maxLifetime", {"epochs_required": 255, "epoch_length": DAY}),
        ("maxLifetime", {"challenge_window": SYSTEM_RECOVERY.max_lifetime}),
    ],
)
def test_an_out_of_range_parameter(system, field, changes):
    escrow = system.RecoveryEscrow
    with governed_reverts(escrow, "InvalidParameter", name=field):
        system.govern(escrow, "setRecoveryParams", params(**changes).as_tuple())
    assert escrow.currentParamsVersion() == 1


def test_new_parameters_are_a_new_version(system):
    escrow = system.RecoveryEscrow
    new = params(max_lifetime=LONGEST, graduated=False)  # the shortest lifetime allowed
    tx = system.govern(escrow, "setRecoveryParams", new.as_tuple())
    assert emitted(tx, escrow) == [("RecoveryParamsSet", {"version": 2, "params": list(new.as_tuple())})]
    assert escrow.currentParamsVersion() == 2
    assert tuple(escrow.recoveryParams(2)) == new.as_tuple()
    assert tuple(escrow.recoveryParams(1)) == SYSTEM_RECOVERY.as_tuple()
    assert tuple(escrow.recoveryParams(3)) == (0, 0, 0, 0, 0, False, 0)


def test_only_governance_sets_the_parameters(system):
    escrow = system.RecoveryEscrow
    for caller in (system.gov, system.outsider, system.guardian, system.arbiter, system.oracles[0]):
        with reverts(escrow.AccessControlUnauthorizedAccount, account=caller, neededRole=DEFAULT_ADMIN_ROLE):
            escrow.setRecoveryParams(params(epochs_required=1).as_tuple(), sender=caller)
    assert escrow.currentParamsVersion() == 1


def test_an_open_escrow_keeps_its_version(system):
    """Escrow A opens under version 1 (3 one-hour epochs, graduated); version 2 asks for 5 two-hour
    epochs, all vesting with the last: A still recovers by version 1, B (opened later) by version 2."""
    escrow = system.RecoveryEscrow
    old = slash(system)
    v2 = params(epoch_length=2 * HOUR, epochs_required=5, graduated=False)
    system.govern(escrow, "setRecoveryParams", v2.as_tuple())
    new = slash(system, provider=system.provider_b)
    assert (escrow.escrowOf(old.incident_id).paramsVersion, escrow.escrowOf(new.incident_id).paramsVersion) == (1, 2)
    file_claim(system, old)
    file_claim(system, new)

    attest(system, old, 0)
    # B's first epoch is two hours long, and nothing vests before its fifth.
    filed_b = escrow.claimOf(new.incident_id).filedAt
    with reverts(escrow.ObservationEpochNotOver) as info:
        attest(system, new, 0, epoch_length=EPOCH)
    # nowTime depends on when the block lands; the epoch and its end do not.
    assert (info.value.inputs["epoch"], info.value.inputs["endsAt"]) == (0, filed_b + 2 * HOUR)
    attest(system, new, 0, epoch_length=2 * HOUR)
    pass_epochs(system, old, range(1, EPOCHS))
    assert escrow.stateOf(old.incident_id) == EscrowState.ATTESTED
    assert escrow.vestedOf(old.incident_id) == escrow.escrowOf(old.incident_id).amount
    for epoch in range(1, 4):
        attest(system, new, epoch, epoch_length=2 * HOUR)
        assert escrow.vestedOf(new.incident_id) == 0
    assert escrow.stateOf(new.incident_id) == EscrowState.OBSERVING
    attest(system, new, 4, epoch_length=2 * HOUR)
    assert escrow.stateOf(new.incident_id) == EscrowState.ATTESTED
    assert escrow.vestedOf(new.incident_id) == escrow.escrowOf(new.incident_id).amount

    for verdict in (old, new):
        evaluate(system, verdict)
    for verdict in (old, new):
        system.chain.pending_timestamp = max(system.chain.pending_timestamp, payable_from(system, verdict))
        release(system, verdict)
        assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.CLOSED
    assert escrow.totalEscrowed() == 0
    assert_conserved(system)


def test_an_ungraduated_version_vests_everything_with_the_last_epoch(system):
    escrow = system.RecoveryEscrow
    system.govern(escrow, "setRecoveryParams", params(graduated=False).as_tuple())
    verdict = slash(system)
    file_claim(system, verdict)
    pass_epochs(system, verdict, range(EPOCHS - 1))
    assert escrow.vestedOf(verdict.incident_id) == 0
    system.chain.pending_timestamp = payable_from(system, verdict)
    with reverts(escrow.NothingToRelease, vested=0, released=0, payableFrom=payable_from(system, verdict)):
        release(system, verdict)
    attest_next(system, verdict)  # the third passing epoch (those in between were missed: no reset)
    assert escrow.vestedOf(verdict.incident_id) == escrow.escrowOf(verdict.incident_id).amount
