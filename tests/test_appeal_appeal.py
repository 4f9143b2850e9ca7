"""AppealCourt.appeal: the operator key, within the appeal window, with the bond (none for a warning)."""

import pytest
from helpers import emitted, reverts, transfers
from system_checks import (
    APPEAL_BOND,
    appeal,
    appeal_window_end,
    assert_conserved,
    execute_verdict,
    iid,
    incident,
)
from system_fixtures import SYSTEM_WINDOWS

from swarm_stake.models import Level, Phase
from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

pytestmark = pytest.mark.integration


def test_operator_appeals_with_the_bond(system, chain):
    court, token, operator = system.AppealCourt, system.SwarmToken, system.operator_a
    verdict, _ = execute_verdict(system)
    balance = token.balanceOf(operator)
    now = chain.pending_timestamp
    chain.pending_timestamp = now  # pin the next block to this second

    tx = appeal(system, verdict)

    deadline = now + SYSTEM_WINDOWS.appeal_resolution
    assert emitted(tx, system.VerdictManager) == [
        ("IncidentAppealed", {"incidentId": iid(verdict), "provider": system.provider_a.address})
    ]
    assert emitted(tx, court) == [
        ("Appealed", {"incidentId": iid(verdict), "provider": system.provider_a.address,
                      "appellant": operator.address, "bond": APPEAL_BOND, "deadline": deadline})
    ]
    assert transfers(tx, token) == [(operator.address, court.address, APPEAL_BOND)]
    assert token.balanceOf(operator) == balance - APPEAL_BOND
    assert token.balanceOf(court) == APPEAL_BOND
    assert tuple(court.appealOf(verdict.incident_id)) == (operator.address, APPEAL_BOND)
    assert court.deadlineOf(verdict.incident_id) == deadline
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.APPEALED
    assert system.SwarmLens.appealPending(verdict.incident_id)
    assert incident(system, verdict).appealedAt == now
    assert_conserved(system)


def test_appeal_in_the_last_second_of_the_window(system, chain):
    verdict, _ = execute_verdict(system)
    chain.pending_timestamp = appeal_window_end(system, verdict)

    appeal(system, verdict)

    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.APPEALED


def test_appeal_after_the_window(system, chain):
    verdict, _ = execute_verdict(system)
    end = appeal_window_end(system, verdict)
    assert end == incident(system, verdict).executedAt + SYSTEM_WINDOWS.appeal_window
    chain.pending_timestamp = end + 1

    with reverts(system.VerdictManager.AppealWindowClosed, windowEnd=end, nowTime=end + 1):
        appeal(system, verdict)
    assert system.SwarmToken.balanceOf(system.AppealCourt) == 0


def test_the_owner_key_cannot_appeal(system):
    verdict, _ = execute_verdict(system)
    with reverts(system.AppealCourt.NotProviderOperator, caller=system.provider_a):
        appeal(system, verdict, sender=system.provider_a)


def test_an_outsider_cannot_appeal(system):
    verdict, _ = execute_verdict(system)
    with reverts(system.AppealCourt.NotProviderOperator, caller=system.outsider):
        appeal(system, verdict, sender=system.outsider)


def test_another_providers_operator_cannot_appeal(system):
    verdict, _ = execute_verdict(system)
    with reverts(system.AppealCourt.NotProviderOperator, caller=system.operator_b):
        appeal(system, verdict, sender=system.operator_b)


def test_the_current_operator_key_appeals_after_a_key_change(system):
    verdict, _ = execute_verdict(system)
    system.StakeManager.setOperator(system.outsider, sender=system.provider_a)

    with reverts(system.AppealCourt.NotProviderOperator, caller=system.operator_a):
        appeal(system, verdict, sender=system.operator_a)
    tx = appeal(system, verdict, sender=system.outsider)

    assert emitted(tx, system.AppealCourt)[0][1]["appellant"] == system.outsider.address


def test_appeal_twice(system):
    verdict, _ = execute_verdict(system)
    appeal(system, verdict)
    with reverts(system.VerdictManager.AlreadyAppealed, incidentId=iid(verdict)):
        appeal(system, verdict)
    assert system.SwarmToken.balanceOf(system.AppealCourt) == APPEAL_BOND


def test_appeal_again_after_the_appeal_was_resolved(system):
    verdict, _ = execute_verdict(system)
    appeal(system, verdict)
    system.AppealCourt.resolveAppeal(verdict.as_tuple(), False, sender=system.arbiter)
    with reverts(system.VerdictManager.AlreadyAppealed, incidentId=iid(verdict)):
        appeal(system, verdict)


def test_a_warning_is_appealed_without_a_bond(system, chain):
    court, token = system.AppealCourt, system.SwarmToken
    verdict, _ = execute_verdict(system, severity=Level.WARNING)
    balance = token.balanceOf(system.operator_a)
    now = chain.pending_timestamp
    chain.pending_timestamp = now  # pin the next block to this second

    tx = appeal(system, verdict)

    assert emitted(tx, court) == [
        ("Appealed", {"incidentId": iid(verdict), "provider": system.provider_a.address,
                      "appellant": system.operator_a.address, "bond": 0,
                      "deadline": now + SYSTEM_WINDOWS.appeal_resolution})
    ]
    assert transfers(tx, token) == []
    assert token.balanceOf(system.operator_a) == balance
    assert token.balanceOf(court) == 0
    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.APPEALED
    assert_conserved(system)


def test_a_warning_past_its_window_cannot_be_appealed(system, chain):
    verdict, _ = execute_verdict(system, severity=Level.WARNING)
    end = appeal_window_end(system, verdict)
    chain.pending_timestamp = end + 1
    with reverts(system.VerdictManager.AppealWindowClosed, windowEnd=end, nowTime=end + 1):
        appeal(system, verdict)


def test_appeal_of_an_incident_never_executed(system):
    verdict = system.verdict()
    with reverts(system.VerdictManager.UnknownIncident, incidentId=iid(verdict)):
        appeal(system, verdict)


def test_appeal_of_an_altered_verdict(system):
    verdict, _ = execute_verdict(system)
    altered = verdict.model_copy(update={"evidence_hash": "0x" + "ab" * 32})
    with reverts(system.VerdictManager.VerdictMismatch, incidentId=iid(verdict)):
        appeal(system, altered)


def test_appeal_without_the_bond_allowance(system):
    verdict, _ = execute_verdict(system)
    system.SwarmToken.approve(system.AppealCourt, APPEAL_BOND - 1, sender=system.operator_a)
    with reverts(system.SwarmToken.ERC20InsufficientAllowance, spender=system.AppealCourt,
                 allowance=APPEAL_BOND - 1, needed=APPEAL_BOND):
        appeal(system, verdict)
    assert not system.SwarmLens.appealPending(verdict.incident_id)


def test_no_resolution_deadline_before_an_appeal(system):
    court = system.AppealCourt
    verdict, _ = execute_verdict(system)

    assert court.deadlineOf(verdict.incident_id) == 0
    assert tuple(court.appealOf(verdict.incident_id)) == ("0x" + "00" * 20, 0)
    assert incident(system, verdict).appealedAt == 0
