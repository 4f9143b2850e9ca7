"""Governance through the SwarmTimelock: build a call, schedule it, follow its state, execute it.

Each change is one OpenZeppelin TimelockController operation: a call of a swarm-stake contract
(value 0, no predecessor) under a salt. Its id is ``hashOperation(target, 0, data, 0, salt)`` and
its state (Unset, Waiting, Ready, Done) is derived by the timelock from one timestamp. The call
data of every scheduled operation is in its ``CallScheduled`` event (the salt in ``CallSalt``), so
an operation can be described and executed from its id alone, whoever scheduled it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from eth_utils import keccak
from pydantic import BaseModel, ValidationError
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError, MismatchedABI, Web3ValidationError

from .appeals import utc
from .errors import ConfigError

if TYPE_CHECKING:
    from web3.contract.contract import ContractFunction
    from web3.types import TxReceipt

    from .chain import Client
    from .deploy import Registry

ZERO32 = b"\x00" * 32
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

#: Roles that governance grants and revokes: name -> (contract, AccessControl role).
ROLES: dict[str, tuple[str, str]] = {
    "arbiter": ("AppealCourt", "ARBITER_ROLE"),
    "guardian": ("VerdictManager", "GUARDIAN_ROLE"),
}
#: Role ids shown by name when an operation is described.
_ROLE_NAMES = {keccak(text=name): name for name in (
    "ARBITER_ROLE", "GUARDIAN_ROLE", "APPEALS_ROLE", "ESCROW_ROLE", "SLASHER_ROLE", "RETURNER_ROLE", "UNFREEZER_ROLE",
    "PENALIZER_ROLE", "VERDICT_ROLE", "PROPOSER_ROLE", "EXECUTOR_ROLE", "CANCELLER_ROLE")} | {
    ZERO32: "DEFAULT_ADMIN_ROLE"}  # fmt: skip


class OperationState(IntEnum):
    """Mirror of TimelockController.OperationState."""

    UNSET = 0
    WAITING = 1
    READY = 2
    DONE = 3


@dataclass(frozen=True)
class GovernanceCall:
    """A call that governance makes through the timelock: ``contract`` is a name in the registry."""

    contract: str
    function: str
    args: tuple[Any, ...]


class Operation(BaseModel):
    """A timelock operation as anyone can read it from the chain."""

    operation_id: str
    state: OperationState
    target: str
    data: str
    salt: str
    call: str
    ready_at: int
    scheduled_block: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {**self.model_dump(mode="json"), "state": self.state.name.lower()}


class Timelock:
    """The SwarmTimelock of one deployment, seen from one client."""

    def __init__(self, client: Client, registry: Registry):
        self.client = client
        self.registry = registry
        self.contract = client.contract("SwarmTimelock", registry.address("SwarmTimelock"))
        self.address = self.contract.address

    # -- building ----------------------------------------------------------------------------

    def bind(self, call: GovernanceCall) -> ContractFunction:
        contract = self.client.contract(call.contract, self.registry.address(call.contract))
        try:
            return contract.get_function_by_name(call.function)(*call.args)
        except (MismatchedABI, Web3ValidationError) as exc:  # a value out of its Solidity type's range
            found = [line.strip() for line in str(exc).splitlines() if line.strip().startswith("Argument")]
            raise ConfigError(f"not scheduled: a value does not fit {call.contract}.{call.function} "
                              f"({found[0] if found else exc}); give a smaller value") from exc

    def encode(self, call: GovernanceCall) -> tuple[str, bytes]:
        """The target address and the calldata of ``call``."""
        fn = self.bind(call)
        return fn.address, bytes.fromhex(fn._encode_transaction_data()[2:])

    def operation_id(self, target: str, data: bytes, salt: bytes) -> str:
        return "0x" + self.contract.functions.hashOperation(target, 0, data, ZERO32, salt).call().hex()

    def describe(self, target: str, data: bytes) -> str:
        """``Contract.function(name=value, ...)`` for a call of a swarm-stake contract."""
        names = {Web3.to_checksum_address(a): n for n, a in self.registry.contracts.items()}
        name = names.get(Web3.to_checksum_address(target))
        if name is None:
            return f"a call of {target} (not a swarm-stake contract) with data 0x{data.hex()}"
        try:
            fn, params = self.client.contract(name, target).decode_function_input(data)
        except ValueError:
            return f"a call of {name} with undecodable data 0x{data.hex()}"
        shown = ", ".join(f"{key.rstrip('_')}={_show(value)}" for key, value in params.items())
        return f"{name}.{fn.fn_name}({shown})"

    def simulate(self, call: GovernanceCall) -> None:
        """Refuse ``call`` if it would revert when the timelock made it now."""
        from .chain import decode_revert

        try:
            self.bind(call).call({"from": self.address})
        except (ContractCustomError, ContractLogicError) as exc:
            data = exc.data if isinstance(exc.data, str) else None
            reason = decode_revert(data) or exc
            raise ConfigError(
                f"not scheduled: {call.contract}.{call.function} would revert if the timelock made it now ({reason}); "
                "fix the arguments, or pass --no-simulate if the chain will have changed by the time it executes"
            ) from exc

    # -- reading -----------------------------------------------------------------------------

    def state(self, operation_id: str) -> OperationState:
        return OperationState(self.contract.functions.getOperationState(operation_id).call())

    def min_delay(self) -> int:
        return self.contract.functions.getMinDelay().call()

    def now(self) -> int:
        return self.client.w3.eth.get_block("latest")["timestamp"]

    def get(self, operation_id: str) -> Operation:
        """The scheduled operation ``operation_id`` (read from its events)."""
        logs = self._scheduled_logs(operation_id)
        if not logs:
            state = self.state(operation_id)
            known = "" if state == OperationState.UNSET else f" since block {self.registry.start_block}"
            raise ConfigError(f"no operation {operation_id} was scheduled on the timelock {self.address}{known}; "
                              "check the id (`swarm-stake governance status` lists every operation)")  # fmt: skip
        if len(logs) > 1:
            raise ConfigError(f"operation {operation_id} is a batch of {len(logs)} calls; swarm-stake handles single "
                              "calls only: execute it with the timelock's executeBatch")  # fmt: skip
        return self._operation(logs[0], self._salts().get(operation_id, ZERO32))

    def operations(self) -> list[Operation]:
        """Every single-call operation scheduled since the deployment, oldest first."""
        salts = self._salts()
        logs = self._scheduled_logs(None)
        batches = {log["args"]["id"] for log in logs if log["args"]["index"] > 0}
        return [self._operation(log, salts.get("0x" + bytes(log["args"]["id"]).hex(), ZERO32))
                for log in logs if log["args"]["id"] not in batches]  # fmt: skip

    def _scheduled_logs(self, operation_id: str | None) -> list[Any]:
        filters = {"id": operation_id} if operation_id else {}
        return list(self.contract.events.CallScheduled().get_logs(
            from_block=self.registry.start_block, argument_filters=filters))  # fmt: skip

    def _salts(self) -> dict[str, bytes]:
        logs = self.contract.events.CallSalt().get_logs(from_block=self.registry.start_block)
        return {"0x" + bytes(log["args"]["id"]).hex(): bytes(log["args"]["salt"]) for log in logs}

    def _operation(self, log: Any, salt: bytes) -> Operation:
        args = log["args"]
        operation_id = "0x" + bytes(args["id"]).hex()
        ready_at = self.contract.functions.getTimestamp(operation_id).call()
        if ready_at <= 1:  # 1: done, 0: cancelled; the event still tells when it was due
            scheduled_at = self.client.w3.eth.get_block(log["blockNumber"])["timestamp"]
            ready_at = scheduled_at + args["delay"]
        data = bytes(args["data"])
        return Operation(
            operation_id=operation_id, state=self.state(operation_id), target=args["target"],
            data="0x" + data.hex(), salt="0x" + salt.hex(), call=self.describe(args["target"], data),
            ready_at=ready_at, scheduled_block=log["blockNumber"],
        )  # fmt: skip

    # -- transactions ------------------------------------------------------------------------

    def schedule_function(self, call: GovernanceCall, salt: bytes) -> tuple[ContractFunction, str]:
        """The timelock's ``schedule`` of ``call`` under ``salt`` (with the minimum delay) and the operation id."""
        target, data = self.encode(call)
        operation_id = self.operation_id(target, data, salt)
        return self.contract.functions.schedule(target, 0, data, ZERO32, salt, self.min_delay()), operation_id

    def execute_function(self, operation: Operation) -> ContractFunction:
        return self.contract.functions.execute(
            operation.target, 0, bytes.fromhex(operation.data[2:]), ZERO32, bytes.fromhex(operation.salt[2:]))  # fmt: skip

    def check_schedulable(self, operation_id: str, sender: str | None) -> None:
        state = self.state(operation_id)
        if state != OperationState.UNSET:
            raise ConfigError(f"not scheduled: the same call under the same salt is already operation {operation_id} "
                              f"({state.name.lower()}); follow it with `swarm-stake governance status {operation_id}` "
                              "or pass another --salt")  # fmt: skip
        if sender is not None and not self._has_role("PROPOSER_ROLE", sender):
            raise ConfigError(f"not scheduled: {sender} is not a proposer of the timelock {self.address}; use a "
                              "proposer's keystore, or --calldata-only to print the transaction for a proposer "
                              "that is a multisig")  # fmt: skip

    def check_executable(self, operation: Operation, sender: str | None) -> None:
        if operation.state == OperationState.WAITING:
            wait = operation.ready_at - self.now()
            raise ConfigError(f"operation {operation.operation_id} is not ready: it is waiting until "
                              f"{utc(operation.ready_at)} ({max(wait, 0)} s from the last block); run execute then")
        if operation.state == OperationState.DONE:
            raise ConfigError(f"operation {operation.operation_id} was already executed: {operation.call}")
        if operation.state == OperationState.UNSET:
            raise ConfigError(f"operation {operation.operation_id} was cancelled and cannot be executed; "
                              "schedule the call again")  # fmt: skip
        if sender is not None and not (self._has_role("EXECUTOR_ROLE", ZERO_ADDRESS)
                                       or self._has_role("EXECUTOR_ROLE", sender)):  # fmt: skip
            raise ConfigError(f"{sender} is not an executor of the timelock {self.address}; use an executor's "
                              "keystore, or --calldata-only to print the transaction for an executor multisig")

    def _has_role(self, role_name: str, account: str) -> bool:
        return self.contract.functions.hasRole(keccak(text=role_name), account).call()

    def schedule(self, call: GovernanceCall, salt: bytes | None = None, simulate: bool = True) -> tuple[TxReceipt, str]:
        """Check and schedule ``call``; return the receipt and the operation id."""
        salt = salt or os.urandom(32)
        if simulate:
            self.simulate(call)
        fn, operation_id = self.schedule_function(call, salt)
        self.check_schedulable(operation_id, self.client.require_account().address)
        return self.client.send(fn), operation_id

    def execute(self, operation_id: str) -> tuple[TxReceipt, Operation]:
        operation = self.get(operation_id)
        self.check_executable(operation, self.client.require_account().address)
        return self.client.send(self.execute_function(operation)), operation


def _show(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return _ROLE_NAMES.get(bytes(value), "0x" + bytes(value).hex())
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(_show, value)) + "]"
    if isinstance(value, dict):  # a struct
        return "(" + ", ".join(f"{key}={_show(item)}" for key, item in value.items()) + ")"
    return str(value)



# -- building the calls of docs/operator.md -----------------------------------------------------


def updated(model: type[BaseModel], current: tuple[Any, ...], changes: dict[str, Any]) -> tuple[Any, ...]:
    """``current`` (a struct read from the chain, in ``model``'s field order) with ``changes`` applied
    and validated by ``model``; ``changes`` of None keep the current value."""
    given = {key: value for key, value in changes.items() if value is not None}
    if not given:
        options = ", ".join("--" + name.replace("_", "-") for name in model.model_fields)
        raise ConfigError(f"nothing to change: give at least one of {options}")
    values = dict(zip(model.model_fields, current, strict=True)) | given
    try:
        return model.model_validate(values).as_tuple()  # type: ignore[attr-defined]
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid value: {problems}") from exc


def role_call(registry: Registry, grant: bool, role_name: str, account: str) -> GovernanceCall:
    from .deploy import role

    contract, role_id = ROLES[role_name]
    registry.address(contract)
    return GovernanceCall(contract, "grantRole" if grant else "revokeRole", (role(role_id), account))


# -- the devnet's shortcut ----------------------------------------------------------------------


def timelock_execute(
    client: Client, timelock_address: str, call: ContractFunction, *, wait: bool = True, salt: bytes | None = None
) -> TxReceipt:
    """Schedule ``call`` on the timelock, wait for its delay (on the chain's clock) and execute it.

    ``client`` must hold the timelock's proposer and executor roles (the devnet deployer does).
    """
    timelock = client.contract("SwarmTimelock", timelock_address)
    target = call.address
    data = call._encode_transaction_data()
    salt = salt or os.urandom(32)
    delay = timelock.functions.getMinDelay().call()
    client.send(timelock.functions.schedule(target, 0, data, ZERO32, salt, delay))
    if delay and wait:
        _wait_until(client, timelock.functions.getTimestamp(timelock.functions.hashOperation(
            target, 0, data, ZERO32, salt).call()).call())
    return client.send(timelock.functions.execute(target, 0, data, ZERO32, salt))


def _wait_until(client: Client, timestamp: int, poll: float = 0.5) -> None:
    while client.w3.eth.get_block("latest")["timestamp"] < timestamp:
        time.sleep(poll)


def calldata(fn: ContractFunction) -> Any:
    """The ABI-encoded calldata of a bound contract function."""
    return fn._encode_transaction_data()
