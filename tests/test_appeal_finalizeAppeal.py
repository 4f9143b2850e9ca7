"""AppealCourt.finalizeAppeal: an appeal the arbiter left unresolved counts as upheld, bond returned."""

import pytest
from helpers import emitted, reverts, transfers
from system_checks import APPEAL_BOND, appeal, assert_conserved, execute_verdict, iid, incident, resolve
from system_fixtures import SYSTEM_WINDOWS

from swarm_stake.models import Level, Phase
from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

pytestmark = pytest.mark.integration


@pytest.fixture
def appealed(system):
    verdict, _ = execute_verdict(system)
    appeal(system, verdict)
    deadline = system.AppealCourt.deadlineOf(verdict.incident_id)
    assert deadline == system.chain.blocks.head.timestamp + SYSTEM_WINDOWS.appeal_resolution
    return verdict, deadline


def finalize(system, verdict, sender=None):
    return system.AppealCourt.finalizeAppeal(verdict.as_tuple(), sender=sender or system.outsider)


def test_finalize_before_the_deadline(system, chain, appealed):
    verdict, deadline = appealed
    chain.pending_timestamp = deadline - 100
    with reverts(system.AppealCourt.ResolutionDeadlineNotReached, deadline=deadline, nowTime=deadline - 100):
        finalize(system, verdict)


def test_finalize_exactly_at_the_deadline(system, chain, appealed):
    # The arbiter may still resolve at the deadline, so the appeal cannot expire then.
    verdict, deadline = appealed
    chain.pending_timestamp = deadline
    with reverts(system.AppealCourt.ResolutionDeadlineNotReached, deadline=deadline, nowTime=deadline):
        finalize(system, verdict)


def test_an_expired_appeal_is_upheld_with_the_bond_returned(system, chain, appealed):
    verdict, deadline = appealed
    court, token, operator = system.AppealCourt, system.SwarmToken, system.operator_a
    balance = token.balanceOf(operator)
    chain.pending_timestamp = deadline + 1

    tx = finalize(system, verdict)

    assert emitted(tx, court) == [("AppealExpired", {"incidentId": iid(verdict), "bondReturned": APPEAL_BOND})]
    assert emitted(tx, system.VerdictManager) == [
        ("VerdictUpheld", {"incidentId": iid(verdict), "provider": system.provider_a.address})
    ]
    assert transfers(tx, token) == [(court.address, operator.address, APPEAL_BOND)]
    assert emitted(tx, system.RecoveryEscrow) == []
    assert token.balanceOf(operator) == balance + APPEAL_BOND
    assert system.RecoveryEscrow.insuranceBalance() == 0
    vm = system.VerdictManager
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.RESPONDED
    assert not system.SwarmLens.appealPending(verdict.incident_id)
    # Nothing is lifted: the jail (one day, over by now) keeps its end and the pool stays frozen.
    executed_at = incident(system, verdict).executedAt
    assert system.StakeManager.getProvider(system.provider_a).jailedUntil == executed_at + 86400
    assert system.StakeManager.getProvider(system.provider_a).openIncidents == 1
    assert_conserved(system)


def test_the_arbiter_cannot_resolve_an_expired_appeal_after_it_was_finalized(system, chain, appealed):
    verdict, deadline = appealed
    chain.pending_timestamp = deadline + 1
    finalize(system, verdict)
    with reverts(system.AppealCourt.NoPendingAppeal, incidentId=iid(verdict)):
        resolve(system, verdict, True)


def test_finalize_twice(system, chain, appealed):
    verdict, deadline = appealed
    chain.pending_timestamp = deadline + 1
    finalize(system, verdict)
    with reverts(system.AppealCourt.NoPendingAppeal, incidentId=iid(verdict)):
        finalize(system, verdict)


def test_finalize_a_resolved_appeal(system, chain, appealed):
    verdict, deadline = appealed
    resolve(system, verdict, False)
    chain.pending_timestamp = deadline + 1
    with reverts(system.AppealCourt.NoPendingAppeal, incidentId=iid(verdict)):
        finalize(system, verdict)


def test_finalize_an_incident_never_appealed(system):
    verdict, _ = execute_verdict(system)
    with reverts(system.AppealCourt.NoPendingAppeal, incidentId=iid(verdict)):
        finalize(system, verdict)


def test_an_expired_warning_appeal_returns_no_bond(system, chain):
    verdict, _ = execute_verdict(system, severity=Level.WARNING)
    appeal(system, verdict)
    chain.pending_timestamp = system.AppealCourt.deadlineOf(verdict.incident_id) + 1

    tx = finalize(system, verdict)

    assert emitted(tx, system.AppealCourt) == [("AppealExpired", {"incidentId": iid(verdict), "bondReturned": 0})]
    assert transfers(tx, system.SwarmToken) == []
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.CLOSED  # a warning past its window
    assert_conserved(system)
