"""RecoveryEscrow.attest: k-of-n signatures of the current committee epoch's members, one attestation per
observation epoch on a fixed grid from the filing time, between the epoch's end and the end of its
attestation grace, observed inside it; a failing epoch resets the vesting, a missed one (no quorum
within its grace) neither vests nor resets."""

import pytest
from helpers import emitted, reverts
from recovery_support import (
    EPOCH,
    EPOCHS,
    GRACE,
    Status,
    assert_conserved,
    attest,
    attestation,
    conserved,  # noqa: F401 (autouse: the conservation check after each test)
    epoch_bounds,
    file_claim,
    iid,
    pass_epochs,
    reject,
    slash,
    wait_until,
)
from system_fixtures import SYSTEM_MIN_BOND
from verdict_support import high_s

from swarm_stake.models import EscrowState, ViolationClass
from swarm_stake.signing import digest

pytestmark = pytest.mark.integration


def relay(system, att, signatures):
    return system.RecoveryEscrow.attest(att.as_tuple(), signatures, sender=system.outsider)


def claimed(system, violation_class=ViolationClass.POOR_PERFORMANCE):
    verdict = slash(system, violation_class)
    file_claim(system, verdict)
    return verdict


def epoch_0_over(system, verdict):
    """The attestation of epoch 0, at the end of the epoch."""
    wait_until(system, epoch_bounds(system, verdict, 0)[1])
    return attestation(system, verdict, 0)


def test_approvals_add_up_across_calls_until_quorum(system):
    escrow = system.RecoveryEscrow
    verdict = claimed(system)
    att = epoch_0_over(system, verdict)
    key = digest(att, system.chain.chain_id, escrow.address)
    assert escrow.hashAttestation(att.as_tuple()) == key
    o = system.oracles

    tx = relay(system, att, system.sign_attestation(att, o[:2]))
    assert emitted(tx, escrow) == []
    assert escrow.approvalsOf(key) == 0b11
    assert escrow.claimOf(verdict.incident_id).nextEpoch == 0

    # A signature recorded before may come again; the third member makes the quorum.
    tx = relay(system, att, system.sign_attestation(att, [o[0], o[3]]))
    assert emitted(tx, escrow) == [
        ("EpochAttested", {"incidentId": iid(verdict), "epoch": 0, "passed": True, "vestedEpochs": 1})
    ]
    # Applied: its approvals are not kept (the claim moved on, nothing can apply it again).
    assert escrow.approvalsOf(key) == 0b11
    claim = escrow.claimOf(verdict.incident_id)
    assert (claim.nextEpoch, claim.vestedEpochs, claim.lastVestedAt) == (1, 1, tx.timestamp)
    assert_conserved(system)


def test_all_five_members_sign_at_once(system):
    escrow = system.RecoveryEscrow
    verdict = claimed(system)
    att = epoch_0_over(system, verdict)
    tx = relay(system, att, system.sign_attestation(att, system.oracles))
    assert [name for name, _ in emitted(tx, escrow)] == ["EpochAttested"]
    assert escrow.claimOf(verdict.incident_id).vestedEpochs == 1


@pytest.mark.parametrize(("healthy", "data_intact"), [(False, True), (True, False), (False, False)])
def test_a_failing_epoch_resets_the_vesting(system, healthy, data_intact):
    escrow = system.RecoveryEscrow
    verdict = claimed(system)
    recoverable = escrow.escrowOf(verdict.incident_id).amount
    txs = pass_epochs(system, verdict, range(2))
    assert escrow.vestedOf(verdict.incident_id) == recoverable * 2 // EPOCHS

    tx = attest(system, verdict, 2, healthy=healthy, data_intact=data_intact)

    assert emitted(tx, escrow) == [
        ("EpochAttested", {"incidentId": iid(verdict), "epoch": 2, "passed": False, "vestedEpochs": 0})
    ]
    claim = escrow.claimOf(verdict.incident_id)
    # The next epoch is counted on; the challenge window still starts at the last passing epoch.
    assert (claim.nextEpoch, claim.vestedEpochs, claim.lastVestedAt) == (3, 0, txs[-1].timestamp)
    assert escrow.vestedOf(verdict.incident_id) == 0
    assert escrow.stateOf(verdict.incident_id) == EscrowState.OBSERVING


def test_an_attestation_signed_by_a_non_member(system):
    escrow = system.RecoveryEscrow
    verdict = claimed(system)
    att = epoch_0_over(system, verdict)
    for stranger in (system.outsider, system.auditor, system.provider_a):
        signatures = system.sign_attestation(att, [*system.oracles[:2], stranger])
        with reverts(escrow.NotCommitteeMember, signer=stranger, epoch=1):
            relay(system, att, signatures)
    assert escrow.approvalsOf(escrow.hashAttestation(att.as_tuple())) == 0


def test_an_attestation_after_a_committee_change(system):
    """Oracle 0 leaves the committee (epoch 2): it cannot sign for epoch 2, and epoch-1 attestations
    are stale; the new committee's members attest."""
    escrow, committee = system.RecoveryEscrow, system.OracleCommittee
    verdict = claimed(system)
    att_1 = epoch_0_over(system, verdict)
    relay(system, att_1, system.sign_attestation(att_1, system.oracles[:2]))  # two approvals in epoch 1
    committee.postBond(SYSTEM_MIN_BOND, sender=system.outsider)
    members = [*system.oracles[1:], system.outsider]
    system.govern(committee, "setCommittee", [m.address for m in members], 3)
    assert committee.epoch() == 2

    with reverts(escrow.StaleCommitteeEpoch, given=1, current=2):
        relay(system, att_1, system.sign_attestation(att_1, system.oracles[2:3]))
    att_2 = attestation(system, verdict, 0, committee_epoch=2)
    with reverts(escrow.NotCommitteeMember, signer=system.oracles[0], epoch=2):
        relay(system, att_2, system.sign_attestation(att_2, system.oracles[:3]))
    tx = relay(system, att_2, system.sign_attestation(att_2, [system.outsider, *system.oracles[3:5]]))
    assert emitted(tx, escrow) == [
        ("EpochAttested", {"incidentId": iid(verdict), "epoch": 0, "passed": True, "vestedEpochs": 1})
    ]


def test_an_attestation_for_a_future_committee_epoch(system):
    escrow = system.RecoveryEscrow
    verdict = claimed(system)
    wait_until(system, epoch_bounds(system, verdict, 0)[1])
    att = attestation(system, verdict, 0, committee_epoch=2)
    with reverts(escrow.StaleCommitteeEpoch, given=2, current=1):
        relay(system, att, system.sign_attestation(att))


def test_the_same_signer_twice_in_one_call(system):
    escrow = system.RecoveryEscrow
    verdict = claimed(system)
    att = epoch_0_over(system, verdict)
    first, second = system.sign_attestation(att, system.oracles[:2])
    with reverts(escrow.DuplicateSigner, signer=system.oracles[0]):
        relay(system, att, [first, second, first])
    with reverts(escrow.DuplicateSigner, signer=system.oracles[1]):
        relay(system, att, [second, first, second])
    assert escrow.claimOf(verdict.incident_id).nextEpoch == 0


def test_a_malformed_attestation_signature(system):
    escrow = system.RecoveryEscrow
    verdict = claimed(system)
    att = epoch_0_over(system, verdict)
    good = system.sign_attestation(att)
    for index, bad in ((0, b"\x02" * 64), (1, high_s(good[1])), (2, good[2][:64] + bytes([1]))):
        signatures = list(good)
        signatures[index] = bad
        with reverts(escrow.InvalidSignature, index=index):
            relay(system, att, signatures)
    relay(system, att, good)
    assert escrow.claimOf(verdict.incident_id).vestedEpochs == 1


def test_no_attestation_before_a_claim(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    att = system.attestation(verdict, 0, observed_at=system.chain.pending_timestamp)
    with reverts(escrow.NotObserving, incidentId=iid(verdict)):
        relay(system, att, system.sign_attestation(att))
    unknown = att.model_copy(update={"incident_id": "0x" + "77" * 32})
    with reverts(escrow.NotObserving, incidentId=b"\x77" * 32):
        relay(system, unknown, system.sign_attestation(unknown))


def test_no_attestation_once_every_epoch_passed(system):
    escrow = system.RecoveryEscrow
    verdict = claimed(system)
    pass_epochs(system, verdict, range(EPOCHS))
    assert escrow.stateOf(verdict.incident_id) == EscrowState.ATTESTED
    with reverts(escrow.NotObserving, incidentId=iid(verdict)):
        attest(system, verdict, EPOCHS)


def test_no_attestation_on_the_compliance_path(system):
    # Compliance verification vests on the audit proof alone: there is nothing to observe.
    escrow = system.RecoveryEscrow
    verdict = claimed(system, ViolationClass.PROTOCOL_VIOLATION)
    with reverts(escrow.NotObserving, incidentId=iid(verdict)):
        attest(system, verdict, 0)


def test_no_attestation_after_a_rejection(system):
    escrow = system.RecoveryEscrow
    verdict = claimed(system)
    attest(system, verdict, 0)
    reject(system, verdict)
    with reverts(escrow.NotObserving, incidentId=iid(verdict)):
        attest(system, verdict, 1)
    assert escrow.escrowOf(verdict.incident_id).status == Status.REJECTED


def test_an_epoch_is_attested_in_the_last_second_of_its_grace(system, chain):
    verdict = claimed(system)
    _, end = epoch_bounds(system, verdict, 0)
    att = attestation(system, verdict, 0)
    chain.pending_timestamp = end + GRACE
    assert relay(system, att, system.sign_attestation(att)).timestamp == end + GRACE


def test_an_epoch_past_its_grace_is_missed(system, chain):
    escrow = system.RecoveryEscrow
    verdict = claimed(system)
    _, end = epoch_bounds(system, verdict, 0)
    att = attestation(system, verdict, 0)
    chain.pending_timestamp = end + GRACE + 1
    with reverts(escrow.EpochMissed, epoch=0, lastChance=end + GRACE, nowTime=end + GRACE + 1):
        relay(system, att, system.sign_attestation(att))


def test_a_missed_epoch_stalls_nothing(system):
    """Attack (hole: a missed epoch stalled a claim forever): the committee is down at the end of
    epoch 0, so epoch 0 never reaches quorum. Before, the escrow accepted epochs only in order, each
    only inside its window, and the claim stayed in observation until forfeited at its maximum
    lifetime. Now epoch 1 is attested on its own grid slot and epoch 0 is recorded as missed."""
    escrow = system.RecoveryEscrow
    verdict = claimed(system)
    tx = attest(system, verdict, 1)
    assert emitted(tx, escrow) == [
        ("EpochsMissed", {"incidentId": iid(verdict), "firstMissed": 0, "count": 1}),
        ("EpochAttested", {"incidentId": iid(verdict), "epoch": 1, "passed": True, "vestedEpochs": 1}),
    ]
    claim = escrow.claimOf(verdict.incident_id)
    assert (claim.nextEpoch, claim.vestedEpochs) == (2, 1)
    pass_epochs(system, verdict, range(2, EPOCHS + 1))
    assert escrow.stateOf(verdict.incident_id) == EscrowState.ATTESTED


def test_a_missed_epoch_neither_vests_nor_resets(system):
    escrow = system.RecoveryEscrow
    verdict = claimed(system)
    attest(system, verdict, 0)
    attest(system, verdict, 2)  # epoch 1 missed
    claim = escrow.claimOf(verdict.incident_id)
    assert (claim.nextEpoch, claim.vestedEpochs) == (3, 2)
    attest(system, verdict, 5, healthy=False)  # epochs 3 and 4 missed, then a failing epoch resets
    assert escrow.claimOf(verdict.incident_id).vestedEpochs == 0


def test_an_epoch_before_the_next_is_refused(system):
    escrow = system.RecoveryEscrow
    verdict = claimed(system)
    attest(system, verdict, 1)
    with reverts(escrow.WrongObservationEpoch, given=0, expected=2):
        relay(system, attestation(system, verdict, 0), system.sign_attestation(attestation(system, verdict, 0)))


def test_repeating_an_epoch(system):
    escrow = system.RecoveryEscrow
    verdict = claimed(system)
    attest(system, verdict, 0)
    # Another attestation of epoch 0 (a different observation, so a different digest).
    with reverts(escrow.WrongObservationEpoch, given=0, expected=1):
        attest(system, verdict, 0, observed_at=epoch_bounds(system, verdict, 0)[0] + 2)
    with reverts(escrow.WrongObservationEpoch, given=0, expected=1):
        attest(system, verdict, 0)
    assert escrow.claimOf(verdict.incident_id).vestedEpochs == 1


def test_an_epoch_that_is_not_over(system, chain):
    escrow = system.RecoveryEscrow
    verdict = claimed(system)
    _, end = epoch_bounds(system, verdict, 0)
    att = attestation(system, verdict, 0)
    chain.pending_timestamp = end - 1
    with reverts(escrow.ObservationEpochNotOver, epoch=0, endsAt=end, nowTime=end - 1):
        relay(system, att, system.sign_attestation(att))
    chain.pending_timestamp = end
    tx = relay(system, att, system.sign_attestation(att))
    assert tx.timestamp == end
    assert escrow.claimOf(verdict.incident_id).nextEpoch == 1
    _, end_1 = epoch_bounds(system, verdict, 1)
    assert end_1 == end + EPOCH
    att_1 = attestation(system, verdict, 1)
    with reverts(escrow.ObservationEpochNotOver) as info:
        relay(system, att_1, system.sign_attestation(att_1))
    # nowTime is whenever the block lands (wall clock); the epoch and its end are exact.
    assert (info.value.inputs["epoch"], info.value.inputs["endsAt"]) == (1, end_1)
    assert end <= info.value.inputs["nowTime"] < end_1


def test_an_observation_outside_its_epoch(system):
    escrow = system.RecoveryEscrow
    verdict = claimed(system)
    start, end = epoch_bounds(system, verdict, 0)
    for observed_at in (start - 1, end, end + EPOCH):
        with reverts(escrow.ObservationOutsideEpoch, observedAt=observed_at):
            attest(system, verdict, 0, observed_at=observed_at)
    attest(system, verdict, 0, observed_at=start)
    start_1, end_1 = epoch_bounds(system, verdict, 1)
    with reverts(escrow.ObservationOutsideEpoch, observedAt=start_1 - 1):
        attest(system, verdict, 1, observed_at=start_1 - 1)
    attest(system, verdict, 1, observed_at=end_1 - 1)
    assert escrow.claimOf(verdict.incident_id).vestedEpochs == 2
