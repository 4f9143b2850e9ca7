"""OracleCommittee.penalize: only the appeal court (PENALIZER_ROLE), on an overturn, into the wronged
pool; never more than the bond; a pending withdrawal can only pay out what is left."""

import pytest
from helpers import DEFAULT_ADMIN_ROLE, emitted, reverts, transfers
from system_checks import appeal, assert_conserved, execute_verdict, impersonate, resolve, set_limits
from system_fixtures import SYSTEM_MIN_BOND, TOKEN
from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

pytestmark = pytest.mark.integration


def overturned(system, provider=None):
    """A penalty verdict signed by oracles 0-2, appealed and overturned; returns the resolving tx."""
    verdict, _ = execute_verdict(system, provider)
    appeal(system, verdict)
    return verdict, resolve(system, verdict, True)


def test_only_the_appeal_court_holds_the_penalizer_role(system):
    committee = system.OracleCommittee
    role = committee.PENALIZER_ROLE()
    assert committee.hasRole(role, system.AppealCourt)
    for other in (system.gov, system.SwarmTimelock, system.VerdictManager, system.arbiter, system.oracles[0]):
        assert not committee.hasRole(role, other)
    assert not committee.hasRole(DEFAULT_ADMIN_ROLE, system.gov)


def test_penalize_refuses_anyone_but_the_penalizer(system):
    committee = system.OracleCommittee
    for caller in (system.gov, system.outsider, system.arbiter, system.oracles[3], system.provider_a):
        with reverts(committee.AccessControlUnauthorizedAccount, account=caller, neededRole=committee.PENALIZER_ROLE()):
            committee.penalize(system.oracles[0], caller, 50 * TOKEN, True, sender=caller)
    for contract in (system.SwarmTimelock, system.VerdictManager):
        with reverts(committee.AccessControlUnauthorizedAccount, account=contract,
                     neededRole=committee.PENALIZER_ROLE()):
            committee.penalize(system.oracles[0], system.provider_a, 50 * TOKEN, True, sender=impersonate(system, contract))
    assert committee.bondOf(system.oracles[0]).amount == SYSTEM_MIN_BOND


def test_penalize_moves_the_bond_into_the_pool(system):
    committee, manager = system.OracleCommittee, system.StakeManager
    pool = manager.getPool(system.provider_b).assets
    member = system.oracles[3]

    tx = committee.penalize(member, system.provider_b, 70 * TOKEN, True, sender=impersonate(system, system.AppealCourt))

    assert emitted(tx, committee) == [
        ("BondPenalized", {"member": member.address, "provider": system.provider_b.address, "amount": 70 * TOKEN, "toPool": True})
    ]
    assert transfers(tx, system.SwarmToken) == [(committee.address, manager.address, 70 * TOKEN)]
    assert committee.bondOf(member).amount == SYSTEM_MIN_BOND - 70 * TOKEN
    assert manager.getPool(system.provider_b).assets == pool + 70 * TOKEN
    assert_conserved(system)


def test_penalize_returns_what_it_took_capped_at_the_bond(system):
    committee, court = system.OracleCommittee, impersonate(system, system.AppealCourt)
    member = system.oracles[3]
    assert committee.penalize.call(member, system.provider_b, 5_000 * TOKEN, True, sender=court) == SYSTEM_MIN_BOND
    assert committee.penalize.call(member, system.provider_b, 7 * TOKEN, True, sender=court) == 7 * TOKEN
    assert committee.penalize.call(system.outsider, system.provider_b, 7 * TOKEN, True, sender=court) == 0


def test_an_overturn_takes_at_most_the_bond(system):
    set_limits(system, oracle_penalty=1_500 * TOKEN)
    pool = system.StakeManager.getPool(system.provider_a).assets

    verdict, tx = overturned(system)

    o, a = system.oracles, system.provider_a.address
    assert emitted(tx, system.OracleCommittee) == [
        ("BondPenalized", {"member": o[i].address, "provider": a, "amount": SYSTEM_MIN_BOND, "toPool": True}) for i in range(3)
    ]
    assert emitted(tx, system.AppealCourt)[0][1]["penalties"] == 3 * SYSTEM_MIN_BOND
    assert [system.OracleCommittee.bondOf(m).amount for m in o] == [0, 0, 0, SYSTEM_MIN_BOND, SYSTEM_MIN_BOND]
    assert system.StakeManager.getPool(system.provider_a).assets == pool + 3 * SYSTEM_MIN_BOND
    assert_conserved(system)


def test_an_overturn_signed_by_emptied_bonds_still_goes_through(system):
    # Both verdicts are signed while the bonds are full; the first overturn empties them.
    set_limits(system, oracle_penalty=SYSTEM_MIN_BOND)
    first, _ = execute_verdict(system)
    second, _ = execute_verdict(system, system.provider_b)
    appeal(system, first)
    appeal(system, second)
    resolve(system, first, True)
    pool = system.StakeManager.getPool(system.provider_b).assets

    tx = resolve(system, second, True)

    assert emitted(tx, system.OracleCommittee) == []
    slashed = 5_000 * TOKEN // 100
    assert emitted(tx, system.AppealCourt) == [("AppealOverturned", {
        "incidentId": bytes.fromhex(second.incident_id[2:]), "bondReturned": 100 * TOKEN, "returned": slashed,
        "penalties": 0,
    })]
    assert system.StakeManager.getPool(system.provider_b).assets == pool + slashed
    assert_conserved(system)


def test_a_pending_withdrawal_shrinks_to_what_the_penalty_left(system, chain):
    committee, member = system.OracleCommittee, system.oracles[0]
    committee.postBond(300 * TOKEN, sender=member)
    committee.requestBondWithdrawal(300 * TOKEN, sender=member)
    unlock = committee.bondOf(member).withdrawableAt
    set_limits(system, oracle_penalty=1_200 * TOKEN)

    verdict, _ = overturned(system)

    assert tuple(committee.bondOf(member)) == (100 * TOKEN, 100 * TOKEN, unlock)
    chain.pending_timestamp = unlock
    tx = committee.withdrawBond(sender=member)
    assert emitted(tx, committee) == [("BondWithdrawn", {"member": member.address, "amount": 100 * TOKEN})]
    assert tuple(committee.bondOf(member)) == (0, 0, 0)
    assert_conserved(system)


def test_a_pending_withdrawal_the_bond_still_covers_is_kept(system):
    committee, member = system.OracleCommittee, system.oracles[0]
    committee.postBond(300 * TOKEN, sender=member)
    committee.requestBondWithdrawal(300 * TOKEN, sender=member)
    unlock = committee.bondOf(member).withdrawableAt

    overturned(system)

    assert tuple(committee.bondOf(member)) == (1_250 * TOKEN, 300 * TOKEN, unlock)


def test_penalize_outside_the_pool_pays_the_owner_key(system):
    """An overturned warning froze nothing: its penalties go to the provider's owner key, not the pool."""
    committee, manager, token = system.OracleCommittee, system.StakeManager, system.SwarmToken
    owner, member = system.provider_b, system.oracles[3]
    pool, balance = manager.getPool(owner).assets, token.balanceOf(owner)

    tx = committee.penalize(member, owner, 70 * TOKEN, False, sender=impersonate(system, system.AppealCourt))

    assert emitted(tx, committee) == [
        ("BondPenalized", {"member": member.address, "provider": owner.address, "amount": 70 * TOKEN, "toPool": False})
    ]
    assert transfers(tx, token) == [(committee.address, owner.address, 70 * TOKEN)]
    assert (manager.getPool(owner).assets, token.balanceOf(owner)) == (pool, balance + 70 * TOKEN)
