"""Shared checks and steps for the committee, appeal, escrow and governance tests on the `system` fixture.

`assert_conserved` is the token conservation law of the whole system: what the four token-holding
contracts hold equals what they owe, contract by contract and in total; a module that imports
`conserved_after_each_test` (autouse) checks it at the end of every test. `governed_revert` is the
strict `reverts` of helpers.py for a call made through the timelock: Ape decodes a revert bubbled up
by `SwarmTimelock.execute` with the ABI of whatever contract the trace touched last (for
`VerdictManager.setWindows` that is the StakeManager, whose `UnbondingTooShort` has the same
selector), so the revert data is matched by selector, name and arguments against the target's ABI.
"""

import os
from collections import namedtuple

import pytest
from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address
from web3.exceptions import ContractLogicError

from helpers import _normalize, addr, emitted
from system_fixtures import SYSTEM_LIMITS, SYSTEM_WINDOWS, ZERO32
from swarm_stake.models import Level, ViolationClass

APPEAL_BOND = SYSTEM_LIMITS.appeal_bond
ORACLE_PENALTY = SYSTEM_LIMITS.oracle_penalty
BOND_LOCK = (
    SYSTEM_WINDOWS.max_verdict_age
    + SYSTEM_WINDOWS.execution_grace
    + SYSTEM_WINDOWS.max_pause
    + SYSTEM_WINDOWS.appeal_window
    + SYSTEM_WINDOWS.appeal_resolution
)
SLASHABLE_WINDOW = BOND_LOCK - SYSTEM_WINDOWS.appeal_resolution
BPS = 10_000
FLAG_TOMBSTONE = 8  # VerdictManager.FLAG_TOMBSTONE
# IRecoveryEscrow.EscrowStatus
ESCROW_ESCROWED = 1
ESCROW_FORFEITED = 5
ESCROW_REFUNDED = 6

APPEALED_TOPIC = "0x" + keccak(text="Appealed(bytes32,address,address,uint256,uint256)").hex()
BOND_POSTED_TOPIC = "0x" + keccak(text="BondPosted(address,uint256,uint256)").hex()


def _topics(system, contract, topic0) -> list[bytes]:
    """The first indexed argument of every `topic0` event `contract` emitted on this chain so far."""
    logs = system.chain.provider.web3.eth.get_logs(
        {"address": contract.address, "topics": [topic0], "fromBlock": 0, "toBlock": "latest"}
    )
    return [bytes(log["topics"][1]) for log in logs]


def bonds_total(system) -> int:
    """Every operator bond held by the committee: bonds only come from postBond, so its members are all."""
    members = {to_checksum_address(topic[12:]) for topic in _topics(system, system.OracleCommittee, BOND_POSTED_TOPIC)}
    return sum(system.OracleCommittee.bondOf(member).amount for member in members)


def pending_appeal_bonds(system) -> int:
    """The bonds of every appeal made on this chain that is still waiting for the arbiter."""
    total = 0
    for incident_id in set(_topics(system, system.AppealCourt, APPEALED_TOPIC)):
        if system.SwarmLens.appealPending(incident_id):
            total += system.AppealCourt.appealOf(incident_id).bond
    return total


def assert_conserved(system) -> None:
    """Token balances of StakeManager, RecoveryEscrow, OracleCommittee and AppealCourt equal
    totalStake + totalEscrowed + insuranceBalance + oracle bonds + pending appeal bonds, per contract
    and in total."""
    token, escrow = system.SwarmToken, system.RecoveryEscrow
    held = [
        token.balanceOf(system.StakeManager),
        token.balanceOf(escrow),
        token.balanceOf(system.OracleCommittee),
        token.balanceOf(system.AppealCourt),
    ]
    owed = [
        system.StakeManager.totalStake(),
        escrow.totalEscrowed() + escrow.insuranceBalance(),
        bonds_total(system),
        pending_appeal_bonds(system),
    ]
    assert sum(held) == sum(owed), f"held {held} != owed {owed}"
    assert held == owed


@pytest.fixture(autouse=True)
def conserved_after_each_test(system, _function_isolation):
    """Checks the conservation law at the end of every test of a module that imports this fixture
    (before Ape reverts the test's snapshot)."""
    yield
    assert_conserved(system)


def operator_of(system, provider):
    return system.operator_a if addr(provider) == system.provider_a.address else system.operator_b


def execute_verdict(system, provider=None, violation_class=ViolationClass.POOR_PERFORMANCE, severity=Level.PENALTY):
    """A verdict signed by the first three oracles, submitted and executed at once."""
    verdict = system.verdict(provider, violation_class, severity)
    tx = system.submit(verdict)
    assert any(name == "VerdictExecuted" for name, _ in emitted(tx, system.VerdictManager))
    return verdict, tx


def severe_breach(system, provider=None):
    """A severe security-breach verdict (the tombstone row) against provider B by default: 30% of
    its 5,000-token pool stays inside the 10% system rate cap."""
    return execute_verdict(system, provider or system.provider_b, ViolationClass.SECURITY_BREACH, Level.SEVERE)


def appeal(system, verdict, sender=None):
    return system.AppealCourt.appeal(verdict.as_tuple(), sender=sender or operator_of(system, verdict.provider))


def resolve(system, verdict, overturn: bool, sender=None):
    return system.AppealCourt.resolveAppeal(verdict.as_tuple(), overturn, sender=sender or system.arbiter)


Incident = namedtuple(
    "Incident",
    "detectedAt executedAt appealedAt level violationClass flags appealWindow appealResolution approvals severity"
    " slashBps",
)


def incident(system, verdict) -> Incident:
    """The stored incident of `verdict` (Ape returns the struct inside getIncident's pair as a plain tuple)."""
    return Incident(*system.VerdictManager.getIncident(verdict.incident_id)[0])


def appeal_window_end(system, verdict) -> int:
    inc = incident(system, verdict)
    return inc.executedAt + inc.appealWindow


def impersonate(system, contract):
    """The contract's own address as a sender (anvil impersonation), funded for gas."""
    system.chain.set_balance(contract.address, 10**20)
    return system.accounts[contract.address]


def set_limits(system, **changes) -> None:
    limits = SYSTEM_LIMITS.model_copy(update=changes)
    system.govern(system.VerdictManager, "setLimits", limits.as_tuple())


def governed_revert(system, target, method: str, args: tuple, error_name: str, /, **inputs) -> None:
    """Schedules `target.method(*args)` on the timelock (delay 0) and checks that executing it reverts
    with the custom error `error_name` of `target`'s ABI and, when inputs are given, exactly these
    arguments. The execution is simulated (eth_call) and its revert data decoded here against the
    target's ABI, without the trace Ape would fetch to guess which contract the error came from."""
    (abi,) = [e for e in target.contract_type.errors if e.name == error_name]
    types = [i.canonical_type for i in abi.inputs]
    selector = keccak(text=f"{error_name}({','.join(types)})")[:4]
    timelock, data, salt = system.SwarmTimelock, getattr(target, method).encode_input(*args), os.urandom(32)
    timelock.schedule(target.address, 0, data, ZERO32, salt, 0, sender=system.gov)
    execute = timelock.execute.encode_input(target.address, 0, data, ZERO32, salt)
    try:
        system.chain.provider.web3.eth.call({"from": system.gov.address, "to": timelock.address, "data": execute})
    except ContractLogicError as error:
        revert = bytes.fromhex(str(error.data).removeprefix("0x"))
    else:
        raise AssertionError(f"{method} through the timelock did not revert")
    assert revert[:4] == selector, f"expected {error_name}, got 0x{revert.hex()}"
    decoded = abi_decode(types, revert[4:])
    actual = {
        i.name: to_checksum_address(v) if i.canonical_type == "address" else _normalize(v)
        for i, v in zip(abi.inputs, decoded, strict=True)
    }
    if inputs:
        expected = {k: _normalize(v) for k, v in inputs.items()}
        assert actual == expected, f"{error_name} arguments: expected {expected}, got {actual}"


def iid(verdict) -> bytes:
    """The incident id of `verdict` as the bytes that decoded events and errors carry."""
    return bytes.fromhex(verdict.incident_id[2:])
