"""RecoveryEscrow.open: only the verdict contract (VERDICT_ROLE) records an escrow, once per incident."""

import pytest
from helpers import emitted, reverts
from system_checks import ESCROW_ESCROWED, assert_conserved, execute_verdict, iid, impersonate
from system_fixtures import TOKEN

from swarm_stake.models import EscrowState, RecoveryPath
from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

pytestmark = pytest.mark.integration


def test_an_executed_verdict_opens_the_escrow(system, chain):
    escrow = system.RecoveryEscrow

    verdict, tx = execute_verdict(system)
    now = chain.blocks[tx.block_number].timestamp

    amount = 160 * TOKEN  # 1% of provider A's 16,000-token pool
    assert emitted(tx, escrow) == [
        ("EscrowOpened", {"incidentId": iid(verdict), "provider": system.provider_a.address, "amount": amount,
                          "recoverableBps": 10_000, "recoveryPath": RecoveryPath.SERVICE_IMPROVEMENT})
    ]
    record = escrow.escrowOf(verdict.incident_id)
    assert (record.amount, record.recoverableBps, record.recoveryPath, record.status, record.openedAt) == (
        amount, 10_000, RecoveryPath.SERVICE_IMPROVEMENT, ESCROW_ESCROWED, now
    )
    assert escrow.totalEscrowed() == amount
    assert system.SwarmToken.balanceOf(escrow) == amount
    assert_conserved(system)


def test_only_the_verdict_manager_holds_the_verdict_role(system):
    escrow = system.RecoveryEscrow
    role = escrow.VERDICT_ROLE()
    assert escrow.hasRole(role, system.VerdictManager)
    for other in (system.gov, system.SwarmTimelock, system.AppealCourt, system.OracleCommittee, system.arbiter):
        assert not escrow.hasRole(role, other)


def test_open_refuses_anyone_but_the_verdict_manager(system):
    escrow = system.RecoveryEscrow
    role = escrow.VERDICT_ROLE()
    callers = [system.gov, system.outsider, system.arbiter, system.provider_a]
    callers += [impersonate(system, c) for c in (system.SwarmTimelock, system.AppealCourt)]
    for caller in callers:
        with reverts(escrow.AccessControlUnauthorizedAccount, account=caller, neededRole=role):
            escrow.open(b"\x01" * 32, system.provider_a, TOKEN, 10_000, 1, sender=caller)
    assert escrow.escrowOf(b"\x01" * 32).status == 0


def test_an_incident_has_one_escrow(system):
    verdict, _ = execute_verdict(system)
    escrow = system.RecoveryEscrow
    with reverts(escrow.EscrowExists, incidentId=iid(verdict)):
        escrow.open(verdict.incident_id, system.provider_a, TOKEN, 10_000, 1,
                    sender=impersonate(system, system.VerdictManager))


def test_an_incident_without_an_escrow_is_in_state_none(system):
    escrow = system.RecoveryEscrow
    verdict, _ = execute_verdict(system)
    unknown = bytes(31) + b"\x01"
    assert unknown != verdict.incident_id

    assert escrow.stateOf(unknown) == EscrowState.NONE
    assert escrow.stateOf(verdict.incident_id) == EscrowState.ESCROWED
    assert escrow.escrowOf(unknown).status == 0
