"""VerdictManager.approve: a committee member approving by sending the transaction itself."""

import pytest
from helpers import emitted, reverts

from swarm_stake.models import Level, Phase
from system_fixtures import DAY
from verdict_support import (
    approved,
    assert_conserved,
    b32,
    deferred,
    digest_of,
    executed,
    incident,
    pause,
    slash_amount,
)

pytestmark = pytest.mark.integration


def _approve(system, verdict, member):
    return system.VerdictManager.approve(verdict.as_tuple(), sender=member)


def test_members_approving_themselves_reach_quorum_across_three_transactions(system):
    vm, a = system.VerdictManager, system.provider_a
    v = system.verdict()
    o = system.oracles
    for count, member in enumerate(o[:2], start=1):
        tx = _approve(system, v, member)
        assert tx.return_value is False
        assert emitted(tx, vm) == [approved(system, v, member, count)]
        assert emitted(tx, system.StakeManager) == []
    assert vm.approvalsOf(digest_of(system, v)) == 0b11
    assert system.SwarmLens.stateOf(v.incident_id) == Phase.DETECTED
    amount = slash_amount(system, a, v.violation_class, Level.PENALTY)

    tx = _approve(system, v, o[2])

    assert tx.return_value is True
    assert emitted(tx, vm) == [
        approved(system, v, o[2], 3),
        executed(system, v, Level.PENALTY, amount, tx.timestamp + DAY),
    ]
    assert system.StakeManager.getProvider(a).openIncidents == 1
    assert system.SwarmLens.stateOf(v.incident_id) == Phase.RESPONDED
    assert_conserved(system)


def test_own_approval_completes_relayed_signatures(system):
    vm, o = system.VerdictManager, system.oracles
    v = system.verdict()
    system.submit(v, [o[3], o[4]])

    tx = _approve(system, v, o[0])

    assert tx.return_value is True
    assert emitted(tx, vm)[0] == approved(system, v, o[0], 3)
    # The executed verdict's approvals are kept in its incident; the relayed ones stay as recorded.
    assert incident(system, v.incident_id)["approvals"] == 0b11001
    assert vm.approvalsOf(digest_of(system, v)) == 0b11000


def test_approve_reverts_duplicate_signer(system):
    vm, member = system.VerdictManager, system.oracles[0]
    v = system.verdict()
    _approve(system, v, member)
    with reverts(vm.DuplicateSigner, signer=member):
        _approve(system, v, member)
    assert vm.approvalsOf(digest_of(system, v)) == 0b1


def test_approve_reverts_duplicate_of_a_relayed_signature(system):
    member = system.oracles[1]
    v = system.verdict()
    system.submit(v, [member])
    with reverts(system.VerdictManager.DuplicateSigner, signer=member):
        _approve(system, v, member)


@pytest.mark.parametrize("who", ["outsider", "guardian", "provider_a", "gov"])
def test_approve_reverts_not_committee_member(system, who):
    account = getattr(system, who)
    with reverts(system.VerdictManager.NotCommitteeMember, signer=account, epoch=1):
        _approve(system, system.verdict(), account)


def test_approve_reverts_member_removed_in_the_new_epoch(system):
    o = system.oracles
    system.govern(system.OracleCommittee, "setCommittee", [m.address for m in o[:4]], 3)
    with reverts(system.VerdictManager.NotCommitteeMember, signer=o[4], epoch=2):
        _approve(system, system.verdict(epoch=2), o[4])


def test_approve_reverts_stale_committee_epoch(system):
    o = system.oracles
    v = system.verdict()
    _approve(system, v, o[0])
    system.govern(system.OracleCommittee, "setCommittee", [m.address for m in o], 3)  # same members, new epoch
    with reverts(system.VerdictManager.StaleCommitteeEpoch, verdictEpoch=1, currentEpoch=2):
        _approve(system, v, o[1])


def test_approve_reverts_deadline_passed(system):
    now = system.chain.pending_timestamp
    v = system.verdict(observed_at=now - 60, deadline=now + 100)
    system.chain.pending_timestamp = now + 101
    with reverts(system.VerdictManager.VerdictDeadlinePassed, deadline=now + 100, nowTime=now + 101):
        _approve(system, v, system.oracles[0])


def test_approve_reverts_incident_already_executed(system):
    v = system.verdict()
    system.submit(v)
    with reverts(system.VerdictManager.IncidentAlreadyExecuted, incidentId=b32(v.incident_id)):
        _approve(system, v, system.oracles[3])


def test_approve_reaching_quorum_while_paused_is_deferred(system):
    vm, o = system.VerdictManager, system.oracles
    pause(system)
    v = system.verdict()
    system.submit(v, o[:2])

    tx = _approve(system, v, o[2])

    assert tx.return_value is False
    assert emitted(tx, vm) == [approved(system, v, o[2], 3), deferred(system, v, "ExecutionPaused")]
    assert system.StakeManager.getProvider(system.provider_a).openIncidents == 0
