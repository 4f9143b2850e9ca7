"""RecoveryEscrow.approveEvaluation: the committee (quorum, each member once) records the evaluation
report of an open escrow, once; the final release needs it (see test_recovery_release.py)."""

import pytest
from helpers import emitted, reverts
from recovery_support import (
    CLAIM_WINDOW,
    REPORT,
    assert_conserved,
    conserved,  # noqa: F401 (autouse: the conservation check after each test)
    decision_events,
    evaluate,
    file_claim,
    iid,
    recover,
    reject,
    slash,
)

from swarm_stake.models import Level, ViolationClass

pytestmark = pytest.mark.integration


def approve(system, verdict, member, report=REPORT):
    return system.RecoveryEscrow.approveEvaluation(verdict.as_tuple(), report, sender=member)


def test_the_committee_records_the_evaluation_at_quorum(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system, ViolationClass.SECURITY_BREACH)
    file_claim(system, verdict)
    txs = []
    for member in system.oracles[:3]:
        assert not escrow.escrowOf(verdict.incident_id).evaluated
        txs.append(approve(system, verdict, member))
    events = decision_events("evaluate", verdict, system.oracles[:3], REPORT)
    assert [emitted(tx, escrow) for tx in txs] == [
        [events[0]],
        [events[1]],
        [events[2], ("EvaluationRecorded", {"incidentId": iid(verdict), "reportHash": REPORT})],
    ]
    assert escrow.escrowOf(verdict.incident_id).evaluated
    assert escrow.approvalsOf(events[2][1]["decision"]) == 0b111
    assert_conserved(system)


def test_an_evaluation_before_any_claim(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    txs = evaluate(system, verdict)
    assert emitted(txs[-1], escrow)[-1] == ("EvaluationRecorded", {"incidentId": iid(verdict), "reportHash": REPORT})
    assert escrow.escrowOf(verdict.incident_id).evaluated


def test_an_evaluation_survives_a_rejection(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    file_claim(system, verdict)
    evaluate(system, verdict)
    reject(system, verdict)
    assert escrow.escrowOf(verdict.incident_id).evaluated
    with reverts(escrow.EvaluationAlreadyRecorded, incidentId=iid(verdict)):
        approve(system, verdict, system.oracles[0])


def test_an_evaluation_already_recorded(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    evaluate(system, verdict)
    for member, report in ((system.oracles[3], REPORT), (system.oracles[0], b"\x99" * 32)):
        with reverts(escrow.EvaluationAlreadyRecorded, incidentId=iid(verdict)):
            approve(system, verdict, member, report)


def test_approvals_of_different_reports_do_not_add_up(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    other = b"\x99" * 32
    approve(system, verdict, system.oracles[0])
    approve(system, verdict, system.oracles[1])
    tx = approve(system, verdict, system.oracles[2], other)
    assert emitted(tx, escrow) == decision_events("evaluate", verdict, [system.oracles[2]], other)
    assert not escrow.escrowOf(verdict.incident_id).evaluated
    tx = approve(system, verdict, system.oracles[3])
    assert emitted(tx, escrow)[-1] == ("EvaluationRecorded", {"incidentId": iid(verdict), "reportHash": REPORT})


def test_a_member_approving_an_evaluation_twice(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    approve(system, verdict, system.oracles[0])
    with reverts(escrow.DuplicateSigner, signer=system.oracles[0]):
        approve(system, verdict, system.oracles[0])
    assert not escrow.escrowOf(verdict.incident_id).evaluated


def test_an_evaluation_by_a_non_member(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    for stranger in (system.outsider, system.operator_a, system.auditor):
        with reverts(escrow.NotCommitteeMember, signer=stranger, epoch=1):
            approve(system, verdict, stranger)


def test_an_evaluation_of_an_ended_escrow(system, chain):
    escrow = system.RecoveryEscrow
    warning = slash(system, severity=Level.WARNING)  # no escrow at all
    with reverts(escrow.EscrowNotOpen, incidentId=iid(warning)):
        approve(system, warning, system.oracles[0])
    chain.pending_timestamp += 3600  # the next incident-id bucket
    released = slash(system)
    recover(system, released)
    with reverts(escrow.EscrowNotOpen, incidentId=iid(released)):
        approve(system, released, system.oracles[3])
    forfeited = slash(system, provider=system.provider_b)
    chain.pending_timestamp = escrow.escrowOf(forfeited.incident_id).openedAt + CLAIM_WINDOW + 1
    escrow.close(forfeited.as_tuple(), sender=system.outsider)
    with reverts(escrow.EscrowNotOpen, incidentId=iid(forfeited)):
        approve(system, forfeited, system.oracles[0])


def test_an_evaluation_of_a_tampered_verdict(system):
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    tampered = verdict.model_copy(update={"committee_epoch": 2})
    with reverts(escrow.VerdictMismatch, incidentId=iid(verdict)):
        approve(system, tampered, system.oracles[0])
