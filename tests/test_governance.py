"""Governance: only the timelock changes parameters, the committee, the matrix and the roles of every
contract; the deployer keeps nothing; the setters keep unbonding longer than every slashable window."""

import pytest
from eth_utils import keccak
from helpers import DEFAULT_ADMIN_ROLE, ZERO_ADDRESS, emitted, reverts
from system_checks import SLASHABLE_WINDOW, appeal, execute_verdict, governed_revert, incident, resolve
from system_fixtures import SYSTEM_LIMITS, SYSTEM_RECOVERY, SYSTEM_UNBONDING, SYSTEM_WINDOWS, TOKEN

from swarm_stake.deploy import GOVERNED_CONTRACTS, PenaltyRowParams
from swarm_stake.models import Level, Phase, ViolationClass
from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

pytestmark = pytest.mark.integration

ROLES = {
    "StakeManager": ["SLASHER_ROLE", "RETURNER_ROLE", "UNFREEZER_ROLE"],
    "OracleCommittee": ["PENALIZER_ROLE"],
    "RecoveryEscrow": ["VERDICT_ROLE"],
    "VerdictManager": ["APPEALS_ROLE", "GUARDIAN_ROLE", "ESCROW_ROLE"],
    "AppealCourt": ["ARBITER_ROLE"],
}


def windows(**changes) -> tuple:
    return SYSTEM_WINDOWS.model_copy(update=changes).as_tuple()


def limits(**changes) -> tuple:
    return SYSTEM_LIMITS.model_copy(update=changes).as_tuple()


def row(**changes) -> tuple:
    base = PenaltyRowParams(slash_bps=200, recoverable_bps=5_000, jail=3_600)
    return base.model_copy(update=changes).as_tuple()


def test_the_timelock_alone_administers_every_contract(system):
    deployer, timelock = system.gov, system.SwarmTimelock
    for name in GOVERNED_CONTRACTS:
        contract = getattr(system, name)
        assert contract.hasRole(DEFAULT_ADMIN_ROLE, timelock), name
        assert not contract.hasRole(DEFAULT_ADMIN_ROLE, deployer), name
        for role_name in ROLES[name]:
            assert not contract.hasRole(keccak(text=role_name), deployer), f"{name}.{role_name}"
    assert timelock.hasRole(DEFAULT_ADMIN_ROLE, timelock)
    assert not timelock.hasRole(DEFAULT_ADMIN_ROLE, deployer)


# (contract, method, arguments built from the system): every parameter and role setter.
SETTERS = [
    ("StakeManager", "setUnbondingPeriod", lambda s: (30 * 86400,)),
    ("StakeManager", "setMinSelfStake", lambda s: (1,)),
    ("StakeManager", "setSlashableWindowSource", lambda s: (ZERO_ADDRESS,)),
    ("StakeManager", "grantRole", lambda s: (keccak(text="SLASHER_ROLE"), s.gov.address)),
    ("OracleCommittee", "setCommittee", lambda s: ([o.address for o in s.oracles], 1)),
    ("OracleCommittee", "setMinBond", lambda s: (0,)),
    ("OracleCommittee", "setLockSource", lambda s: (s.gov.address,)),
    ("OracleCommittee", "grantRole", lambda s: (keccak(text="PENALIZER_ROLE"), s.gov.address)),
    ("RecoveryEscrow", "spendInsurance", lambda s: (s.gov.address, 1)),
    ("RecoveryEscrow", "grantRole", lambda s: (keccak(text="VERDICT_ROLE"), s.gov.address)),
    ("VerdictManager", "setWindows", lambda s: (windows(appeal_window=3_600),)),
    ("VerdictManager", "setLimits", lambda s: (limits(rate_cap_bps=10_000),)),
    ("VerdictManager", "setPenaltyRow", lambda s: (0, 1, row(slash_bps=0))),
    ("VerdictManager", "grantRole", lambda s: (keccak(text="GUARDIAN_ROLE"), s.gov.address)),
    ("VerdictManager", "revokeRole", lambda s: (keccak(text="GUARDIAN_ROLE"), s.guardian.address)),
    ("AppealCourt", "grantRole", lambda s: (keccak(text="ARBITER_ROLE"), s.gov.address)),
    ("AppealCourt", "revokeRole", lambda s: (keccak(text="ARBITER_ROLE"), s.arbiter.address)),
]


@pytest.mark.parametrize("name,method,args", SETTERS, ids=[f"{c}.{m}" for c, m, _ in SETTERS])
def test_the_deployer_cannot_govern(system, name, method, args):
    contract = getattr(system, name)
    with reverts(contract.AccessControlUnauthorizedAccount, account=system.gov, neededRole=DEFAULT_ADMIN_ROLE):
        getattr(contract, method)(*args(system), sender=system.gov)


@pytest.mark.parametrize("caller", ["arbiter", "guardian", "outsider"])
def test_role_holders_and_outsiders_cannot_govern(system, caller):
    account = getattr(system, caller)
    vm = system.VerdictManager
    with reverts(vm.AccessControlUnauthorizedAccount, account=account, neededRole=DEFAULT_ADMIN_ROLE):
        vm.setWindows(windows(appeal_window=3_600), sender=account)
    court = system.AppealCourt
    with reverts(court.AccessControlUnauthorizedAccount, account=account, neededRole=DEFAULT_ADMIN_ROLE):
        court.grantRole(court.ARBITER_ROLE(), account, sender=account)


def test_the_timelock_sets_the_windows(system):
    vm = system.VerdictManager
    new = windows(appeal_window=2 * 86400, lookback=86400)

    tx = system.govern(vm, "setWindows", new)

    assert [(name, tuple(args["windows"])) for name, args in emitted(tx, vm)] == [("WindowsSet", new)]
    assert tuple(vm.windows()) == new
    assert vm.slashableWindow() == SLASHABLE_WINDOW + 86400


def test_the_timelock_sets_the_limits(system):
    vm = system.VerdictManager
    new = limits(appeal_bond=7 * TOKEN, rate_cap_bps=10_000, provider_cap_bps=10_000)

    tx = system.govern(vm, "setLimits", new)

    assert [(name, tuple(args["limits"])) for name, args in emitted(tx, vm)] == [("LimitsSet", new)]
    assert tuple(vm.limits()) == new


def test_the_timelock_sets_a_penalty_row(system):
    vm = system.VerdictManager
    new = row(recovery_path=3)

    tx = system.govern(vm, "setPenaltyRow", ViolationClass.PROTOCOL_VIOLATION, Level.PENALTY, new)

    assert [(name, args["violationClass"], args["level"], tuple(args["row"])) for name, args in emitted(tx, vm)] == [
        ("PenaltyRowSet", ViolationClass.PROTOCOL_VIOLATION, Level.PENALTY, new)
    ]
    assert tuple(vm.penaltyRow(ViolationClass.PROTOCOL_VIOLATION, Level.PENALTY)) == new


def test_the_timelock_sets_the_unbonding_period(system):
    manager = system.StakeManager

    tx = system.govern(manager, "setUnbondingPeriod", 14 * 86400)

    assert emitted(tx, manager) == [("UnbondingPeriodSet", {"period": 14 * 86400})]
    assert manager.unbondingPeriod() == 14 * 86400


def test_the_timelock_appoints_and_removes_arbiters(system):
    court, new_arbiter = system.AppealCourt, system.outsider
    system.govern(court, "grantRole", court.ARBITER_ROLE(), new_arbiter.address)
    system.govern(court, "revokeRole", court.ARBITER_ROLE(), system.arbiter.address)
    verdict, _ = execute_verdict(system)
    appeal(system, verdict)

    with reverts(court.AccessControlUnauthorizedAccount, account=system.arbiter, neededRole=court.ARBITER_ROLE()):
        resolve(system, verdict, True)
    resolve(system, verdict, True, sender=new_arbiter)

    assert system.SwarmLens.stateOf(verdict.incident_id) == Phase.OVERTURNED


def test_windows_that_reach_the_unbonding_period(system):
    # maxVerdictAge + executionGrace + maxPause + appealWindow == 7 days == the unbonding period.
    appeal_window = SYSTEM_UNBONDING - (SLASHABLE_WINDOW - SYSTEM_WINDOWS.appeal_window)
    governed_revert(
        system, system.VerdictManager, "setWindows", (windows(appeal_window=appeal_window),), "UnbondingTooShort",
        unbonding=SYSTEM_UNBONDING, window=SYSTEM_UNBONDING,
    )


def test_windows_one_second_inside_the_unbonding_period(system):
    appeal_window = SYSTEM_UNBONDING - (SLASHABLE_WINDOW - SYSTEM_WINDOWS.appeal_window) - 1
    system.govern(system.VerdictManager, "setWindows", windows(appeal_window=appeal_window))
    assert system.VerdictManager.slashableWindow() == SYSTEM_UNBONDING - 1


def test_a_max_pause_that_reaches_the_unbonding_period(system):
    max_pause = SYSTEM_UNBONDING - (SLASHABLE_WINDOW - SYSTEM_WINDOWS.max_pause)
    new = windows(max_pause=max_pause, pause_cooldown=2**32 - 1)
    governed_revert(
        system, system.VerdictManager, "setWindows", (new,), "UnbondingTooShort",
        unbonding=SYSTEM_UNBONDING, window=SYSTEM_UNBONDING,
    )


def test_an_unbonding_period_equal_to_the_slashable_window(system):
    manager = system.StakeManager
    assert system.VerdictManager.slashableWindow() == SLASHABLE_WINDOW
    governed_revert(
        system, manager, "setUnbondingPeriod", (SLASHABLE_WINDOW,), "UnbondingTooShort",
        unbonding=SLASHABLE_WINDOW, window=SLASHABLE_WINDOW,
    )


def test_an_unbonding_period_one_second_longer_than_the_slashable_window(system):
    system.govern(system.StakeManager, "setUnbondingPeriod", SLASHABLE_WINDOW + 1)
    assert system.StakeManager.unbondingPeriod() == SLASHABLE_WINDOW + 1


def test_the_shortest_unbonding_period_then_bounds_the_windows(system):
    system.govern(system.StakeManager, "setUnbondingPeriod", SLASHABLE_WINDOW + 1)
    new = windows(appeal_window=SYSTEM_WINDOWS.appeal_window + 1)
    governed_revert(
        system, system.VerdictManager, "setWindows", (new,), "UnbondingTooShort",
        unbonding=SLASHABLE_WINDOW + 1, window=SLASHABLE_WINDOW + 1,
    )


INVALID_WINDOWS = [
    ("maxVerdictAge", {"max_verdict_age": 0}),
    ("appealWindow", {"appeal_window": 0}),
    ("appealResolution", {"appeal_resolution": 0}),
    ("bucketLength", {"bucket_length": 0}),
    ("maxPause", {"max_pause": 0}),
    # A verdict's life (age + grace + one pause = 7,800 s) must fit between two pauses.
    ("pauseCooldown", {"pause_cooldown": 7_799}),
]


@pytest.mark.parametrize("name,changes", INVALID_WINDOWS, ids=[n for n, _ in INVALID_WINDOWS])
def test_invalid_windows(system, name, changes):
    governed_revert(
        system, system.VerdictManager, "setWindows", (windows(**changes),), "InvalidParameter", name=name,
    )


def test_the_shortest_pause_cooldown(system):
    system.govern(system.VerdictManager, "setWindows", windows(pause_cooldown=7_800))
    assert system.VerdictManager.windows().pauseCooldown == 7_800


INVALID_LIMITS = [
    ("rateCapBps", {"rate_cap_bps": 0}),
    ("rateCapBps", {"rate_cap_bps": 10_001}),
    ("providerCapBps", {"provider_cap_bps": 0}),
    ("providerCapBps", {"provider_cap_bps": 10_001}),
    ("capWindow", {"cap_window": 0}),
]


@pytest.mark.parametrize("name,changes", INVALID_LIMITS, ids=[f"{n}={list(c.values())[0]}" for n, c in INVALID_LIMITS])
def test_invalid_limits(system, name, changes):
    governed_revert(
        system, system.VerdictManager, "setLimits", (limits(**changes),), "InvalidParameter", name=name,
    )


INVALID_ROWS = [
    ("bps", Level.PENALTY, {"slash_bps": 10_001}),
    ("bps", Level.PENALTY, {"recoverable_bps": 10_001}),
    ("recoveryPath", Level.PENALTY, {"recovery_path": 4}),
    ("warning", Level.WARNING, {"slash_bps": 1, "jail": 0}),
    ("warning", Level.WARNING, {"slash_bps": 0, "tombstone": True}),
    ("jailDuration", Level.SEVERE, {"jail": 0}),
]


@pytest.mark.parametrize(
    "name,level,changes", INVALID_ROWS, ids=[f"{n}-{'-'.join(c)}" for n, _, c in INVALID_ROWS]
)
def test_invalid_penalty_rows(system, name, level, changes):
    governed_revert(
        system, system.VerdictManager, "setPenaltyRow", (0, level, row(**changes)), "InvalidParameter", name=name,
    )


def test_a_penalty_row_outside_the_matrix(system):
    vm = system.VerdictManager
    governed_revert(
        system, vm, "setPenaltyRow", (3, 0, row(slash_bps=0)), "SeverityNotApplicable",
        violationClass=3, severity=0,
    )
    governed_revert(
        system, vm, "setPenaltyRow", (0, 3, row()), "SeverityNotApplicable", violationClass=0, severity=3,
    )


def test_a_disabled_row_needs_no_jail(system):
    system.govern(system.VerdictManager, "setPenaltyRow", 1, Level.PENALTY, row(jail=0, enabled=False))
    assert not system.VerdictManager.penaltyRow(1, Level.PENALTY).enabled


def test_a_window_change_does_not_rewrite_an_executed_incident(system, chain):
    verdict, _ = execute_verdict(system)
    system.govern(system.VerdictManager, "setWindows", windows(appeal_window=600, appeal_resolution=600))
    executed = incident(system, verdict)
    assert (executed.appealWindow, executed.appealResolution) == (
        SYSTEM_WINDOWS.appeal_window, SYSTEM_WINDOWS.appeal_resolution
    )
    chain.pending_timestamp = executed.executedAt + SYSTEM_WINDOWS.appeal_window

    appeal(system, verdict)

    assert system.AppealCourt.deadlineOf(verdict.incident_id) == (
        chain.blocks.head.timestamp + SYSTEM_WINDOWS.appeal_resolution
    )


def test_windows_whose_appeals_outlast_the_escrow_lifetime(system):
    """The escrow's maximum lifetime must cover the appeal window, its resolution and one pause beyond
    the recovery path: a longer appeal window would let an escrow be closed while appealable."""
    escrow, w = system.RecoveryEscrow, SYSTEM_WINDOWS
    needed = w.appeal_window + w.appeal_resolution + w.max_pause
    shortest = SYSTEM_RECOVERY.max_lifetime - escrow.lifetimeSlack() + needed
    system.govern(escrow, "setRecoveryParams", SYSTEM_RECOVERY.model_copy(update={"max_lifetime": shortest}).as_tuple())
    assert escrow.lifetimeSlack() == needed
    governed_revert(
        system, system.VerdictManager, "setWindows", (windows(appeal_window=w.appeal_window + 1),), "LifetimeTooShort",
        slack=needed, needed=needed + 1,
    )
