"""`swarm-stake governance`: every change of docs/operator.md as a timelock operation.

`governance schedule CHANGE ...` builds the call (the current value of anything not given is kept),
checks it as the timelock would make it now, and schedules it; `governance status [ID]` shows an
operation's state (unset, waiting, ready, done) and when it is ready; `governance execute ID` runs it
once ready. With `--calldata-only` nothing is sent: the transaction is printed for a proposer or an
executor that is a multisig.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import click

from .roles import sent
from .runtime import ADDRESS, BYTES32, TOKEN_AMOUNT, Runtime, json_option, pass_runtime, to_base_units

CLASSES = ("poor-performance", "security-breach", "protocol-violation")
LEVELS = ("warning", "penalty", "severe")
RECOVERY_PATHS = ("none", "service-improvement", "security-review", "compliance-verification")


class DurationType(click.ParamType):
    """Seconds, or a duration such as "3 days", "90s", "2h"."""

    name = "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        from ..errors import ConfigError
        from ..units import parse_duration

        if isinstance(value, int):
            return value
        try:
            seconds = parse_duration(str(value))
        except ConfigError as exc:
            self.fail(str(exc), param, ctx)
        if seconds >= 2**32:
            self.fail(f"{value!r} is longer than the contracts store (about 136 years)", param, ctx)
        return seconds


DURATION = DurationType()
BPS = click.IntRange(0, 10_000)


def _enum_name(text: str) -> str:
    return text.upper().replace("-", "_")


def _base_units(rt: Runtime, amount: Decimal | None) -> int | None:
    if amount is None:
        return None
    from ..tokens import staking_token

    return to_base_units(amount, staking_token(rt.client(), rt.registry).functions.decimals().call())


def _read(rt: Runtime, contract: str, function: str, *args: Any) -> Any:
    return rt.contract(contract).get_function_by_name(function)(*args).call()


# -- the groups ------------------------------------------------------------------------------


@click.group()
def governance() -> None:
    """Change parameters, the matrix, the committee, auditors, roles and insurance through the timelock."""


@governance.group("schedule")
def schedule() -> None:
    """Schedule a change on the timelock; `governance execute ID` runs it once its delay has passed.

    Options left out keep their current on-chain value. The call is first tried as the timelock would
    make it now, and refused if it would revert (--no-simulate skips that).
    """


def operation(name: str) -> Callable[[Callable[..., Any]], click.Command]:
    """A `governance schedule NAME` command: the decorated function builds the GovernanceCall."""

    def decorate(build: Callable[..., Any]) -> click.Command:
        @click.option("--salt", type=BYTES32, help="the operation's salt (default: random)")
        @click.option("--calldata-only", is_flag=True,
                      help="send nothing: print the schedule transaction for a proposer that is a multisig")
        @click.option("--no-simulate", is_flag=True, help="schedule even if the call would revert today")
        @json_option
        @pass_runtime
        @functools.wraps(build)
        def command(rt: Runtime, salt: str | None, calldata_only: bool, no_simulate: bool, **kwargs: Any) -> None:
            _schedule(rt, build(rt, **kwargs), salt, calldata_only, simulate=not no_simulate)

        return schedule.command(name)(command)

    return decorate


def _schedule(rt: Runtime, call: Any, salt: str | None, calldata_only: bool, simulate: bool) -> None:
    from ..appeals import utc
    from ..governance import Timelock

    salt_bytes = bytes.fromhex(salt[2:]) if salt else os.urandom(32)
    if calldata_only:
        timelock = Timelock(rt.client(), rt.registry)
        if simulate:
            timelock.simulate(call)
        fn, operation_id = timelock.schedule_function(call, salt_bytes)
        timelock.check_schedulable(operation_id, None)
        target, data = timelock.encode(call)
        _print_transaction(rt, "schedule", timelock.address, fn._encode_transaction_data(), {
            "operation_id": operation_id, "call": timelock.describe(target, data), "salt": "0x" + salt_bytes.hex(),
            "delay": timelock.min_delay()})  # fmt: skip
        return
    timelock = Timelock(rt.client(signer=True), rt.registry)
    with rt.progress("scheduling"):
        receipt, operation_id = timelock.schedule(call, salt_bytes, simulate=simulate)
    op = timelock.get(operation_id)
    sent(rt, f"scheduled {operation_id}: {op.call}; ready at {utc(op.ready_at)}; then run "
             f"`swarm-stake governance execute {operation_id}`", receipt, op.as_json())  # fmt: skip


def _print_transaction(rt: Runtime, what: str, to: str, data: str, extra: dict[str, Any]) -> None:
    document = {"to": to, "value": 0, "data": data, **extra}

    def human() -> None:
        click.echo(f"Nothing was sent. Have the {'proposer' if what == 'schedule' else 'executor'} send this "
                   f"transaction ({what} on the timelock):")  # fmt: skip
        for key, value in document.items():
            click.echo(f"  {key}: {value}")
        click.echo(f"Then follow it with `swarm-stake governance status {extra['operation_id']}`.")

    rt.output(document, human)


# -- the changes -----------------------------------------------------------------------------


def _duration_options(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        for name in reversed(names):
            func = click.option("--" + name.replace("_", "-"), name, type=DURATION)(func)
        return func

    return decorate


@operation("windows")
@_duration_options("max_verdict_age", "execution_grace", "appeal_window", "appeal_resolution", "lookback",
                   "bucket_length", "max_pause", "pause_cooldown")  # fmt: skip
def schedule_windows(rt: Runtime, **changes: int | None) -> Any:
    """Set the verdict, appeal, escalation and pause windows (VerdictManager.setWindows)."""
    from ..deploy import WindowParams
    from ..governance import GovernanceCall, updated

    current = _read(rt, "VerdictManager", "windows")
    return GovernanceCall("VerdictManager", "setWindows", (updated(WindowParams, current, changes),))


@operation("limits")
@click.option("--appeal-bond", type=TOKEN_AMOUNT, help="tokens posted with an appeal of a slashing verdict")
@click.option("--oracle-penalty", type=TOKEN_AMOUNT, help="tokens taken from each signer of an overturned verdict")
@click.option("--rate-cap-bps", type=BPS, help="system slashing cap per cap window, basis points of all stake")
@click.option("--provider-cap-bps", type=BPS, help="slashing cap per provider per cap window, basis points of its pool")
@click.option("--cap-window", type=DURATION, help="length of the rolling cap window")
def schedule_limits(rt: Runtime, appeal_bond: Decimal | None, oracle_penalty: Decimal | None, **changes: Any) -> Any:
    """Set the appeal bond, the oracle penalty and the slash-rate caps (VerdictManager.setLimits)."""
    from ..deploy import LimitParams
    from ..governance import GovernanceCall, updated

    changes |= {"appeal_bond": _base_units(rt, appeal_bond), "oracle_penalty": _base_units(rt, oracle_penalty)}
    current = _read(rt, "VerdictManager", "limits")
    return GovernanceCall("VerdictManager", "setLimits", (updated(LimitParams, current, changes),))


@operation("penalty-row")
@click.argument("violation_class", metavar="CLASS", type=click.Choice(CLASSES))
@click.argument("level", type=click.Choice(LEVELS))
@click.option("--slash-bps", type=BPS, help="share of the pool slashed into escrow")
@click.option("--recoverable-bps", type=BPS, help="share of the escrow the provider can recover")
@click.option("--jail", type=DURATION, help="jail time")
@click.option("--recovery-path", type=click.Choice(RECOVERY_PATHS))
@click.option("--tombstone/--no-tombstone", default=None, help="tombstone once the appeal window has passed")
@click.option("--enabled/--disabled", default=None, help="whether verdicts may carry this class and level")
def schedule_penalty_row(rt: Runtime, violation_class: str, level: str, recovery_path: str | None,
                         **changes: Any) -> Any:  # fmt: skip
    """Set the row of CLASS at LEVEL in the slashing matrix (VerdictManager.setPenaltyRow)."""
    from ..deploy import PenaltyRowParams
    from ..governance import GovernanceCall, updated
    from ..models import Level, RecoveryPath, ViolationClass

    class_id, level_id = ViolationClass[_enum_name(violation_class)], Level[_enum_name(level)]
    changes["recovery_path"] = RecoveryPath[_enum_name(recovery_path)] if recovery_path else None
    current = _read(rt, "VerdictManager", "penaltyRow", class_id, level_id)
    row = updated(PenaltyRowParams, current, changes)
    return GovernanceCall("VerdictManager", "setPenaltyRow", (int(class_id), int(level_id), row))


@operation("recovery-params")
@_duration_options("claim_window", "epoch_length", "challenge_window", "max_lifetime")
@click.option("--epochs-required", type=click.IntRange(1, 255), help="passing epochs in a row to recover everything")
@click.option("--graduated/--all-at-once", default=None, help="vest per passing epoch, or all with the last one")
def schedule_recovery_params(rt: Runtime, **changes: Any) -> Any:
    """Set the recovery parameters (RecoveryEscrow.setRecoveryParams).

    They make a new version, used by escrows opened from then on; open escrows keep theirs.
    """
    from ..deploy import RecoveryParamsModel
    from ..governance import GovernanceCall, updated

    version = _read(rt, "RecoveryEscrow", "currentParamsVersion")
    current = _read(rt, "RecoveryEscrow", "recoveryParams", version)
    return GovernanceCall("RecoveryEscrow", "setRecoveryParams", (updated(RecoveryParamsModel, current, changes),))


@operation("unbonding-period")
@click.argument("period", type=DURATION)
def schedule_unbonding_period(rt: Runtime, period: int) -> Any:
    """Set the unbonding period to PERIOD, e.g. "21 days" (StakeManager.setUnbondingPeriod)."""
    from ..governance import GovernanceCall

    return GovernanceCall("StakeManager", "setUnbondingPeriod", (period,))


@operation("min-self-stake")
@click.argument("amount", type=TOKEN_AMOUNT)
def schedule_min_self_stake(rt: Runtime, amount: Decimal) -> Any:
    """Set the minimum self-stake to AMOUNT tokens (StakeManager.setMinSelfStake)."""
    from ..governance import GovernanceCall

    return GovernanceCall("StakeManager", "setMinSelfStake", (_base_units(rt, amount),))


@operation("committee")
@click.argument("members", metavar="MEMBER...", type=ADDRESS, nargs=-1, required=True)
@click.option("--threshold", type=click.IntRange(1), required=True, help="approvals a verdict needs")
def schedule_committee(rt: Runtime, members: tuple[str, ...], threshold: int) -> Any:
    """Seat the oracle committee (OracleCommittee.setCommittee).

    Each MEMBER must have bonded at least the minimum bond (`oracle bond`) by the time it executes;
    the change starts a new committee epoch.
    """
    from ..governance import GovernanceCall

    return GovernanceCall("OracleCommittee", "setCommittee", (list(members), threshold))


@operation("min-bond")
@click.argument("amount", type=TOKEN_AMOUNT)
def schedule_min_bond(rt: Runtime, amount: Decimal) -> Any:
    """Set the minimum oracle bond to AMOUNT tokens (OracleCommittee.setMinBond)."""
    from ..governance import GovernanceCall

    return GovernanceCall("OracleCommittee", "setMinBond", (_base_units(rt, amount),))


@operation("add-auditor")
@click.argument("auditor", type=ADDRESS)
def schedule_add_auditor(rt: Runtime, auditor: str) -> Any:
    """Register AUDITOR (RecoveryEscrow.setAuditor)."""
    from ..governance import GovernanceCall

    return GovernanceCall("RecoveryEscrow", "setAuditor", (auditor, True))


@operation("remove-auditor")
@click.argument("auditor", type=ADDRESS)
def schedule_remove_auditor(rt: Runtime, auditor: str) -> Any:
    """Remove AUDITOR (RecoveryEscrow.setAuditor)."""
    from ..governance import GovernanceCall

    return GovernanceCall("RecoveryEscrow", "setAuditor", (auditor, False))


@operation("grant-role")
@click.argument("role_name", metavar="ROLE", type=click.Choice(("arbiter", "guardian")))
@click.argument("account", type=ADDRESS)
def schedule_grant_role(rt: Runtime, role_name: str, account: str) -> Any:
    """Grant ROLE to ACCOUNT (grantRole of the AppealCourt or the VerdictManager)."""
    from ..governance import role_call

    return role_call(rt.registry, True, role_name, account)


@operation("revoke-role")
@click.argument("role_name", metavar="ROLE", type=click.Choice(("arbiter", "guardian")))
@click.argument("account", type=ADDRESS)
def schedule_revoke_role(rt: Runtime, role_name: str, account: str) -> Any:
    """Revoke ROLE from ACCOUNT (revokeRole of the AppealCourt or the VerdictManager)."""
    from ..governance import role_call

    return role_call(rt.registry, False, role_name, account)


@operation("spend-insurance")
@click.argument("to", type=ADDRESS)
@click.argument("amount", type=TOKEN_AMOUNT)
def schedule_spend_insurance(rt: Runtime, to: str, amount: Decimal) -> Any:
    """Pay AMOUNT tokens of the insurance pool to TO, e.g. SLA credits (RecoveryEscrow.spendInsurance)."""
    from ..governance import GovernanceCall

    return GovernanceCall("RecoveryEscrow", "spendInsurance", (to, _base_units(rt, amount)))


# -- following and executing -----------------------------------------------------------------


def _state_text(op: Any, now: int, hint: bool = True) -> str:
    from ..appeals import utc
    from ..governance import OperationState

    if op.state == OperationState.WAITING:
        return f"waiting: ready at {utc(op.ready_at)} (in {op.ready_at - now} s)"
    if op.state == OperationState.READY:
        run = f": run `swarm-stake governance execute {op.operation_id}`" if hint else ""
        return f"ready since {utc(op.ready_at)}{run}"
    if op.state == OperationState.DONE:
        return "done (executed)"
    return "unset (cancelled)"


@governance.command("status")
@click.argument("operation_id", metavar="[ID]", type=BYTES32, required=False)
@json_option
@pass_runtime
def governance_status(rt: Runtime, operation_id: str | None) -> None:
    """One operation (ID), or every operation scheduled: its call, state and when it is ready."""
    from ..governance import Timelock

    timelock = Timelock(rt.client(), rt.registry)
    now = timelock.now()
    if operation_id:
        op = timelock.get(operation_id)

        def one() -> None:
            click.echo(f"operation {op.operation_id}")
            click.echo(f"  call   {op.call}")
            click.echo(f"  state  {_state_text(op, now)}")
            click.echo(f"  salt   {op.salt}")

        rt.output(op.as_json(), one)
        return
    ops = timelock.operations()

    def every() -> None:
        from rich.table import Table

        if not ops:
            click.echo(f"no operation was scheduled on the timelock {timelock.address}")
            return
        table = Table(title=f"timelock {timelock.address} (delay {timelock.min_delay()} s)")
        for column in ("operation", "state", "call"):
            table.add_column(column)
        for op in ops:
            table.add_row(op.operation_id, _state_text(op, now, hint=False), op.call)
        rt.print_table(table)

    rt.output([op.as_json() for op in ops], every)


@governance.command("execute")
@click.argument("operation_id", metavar="ID", type=BYTES32)
@click.option("--calldata-only", is_flag=True,
              help="send nothing: print the execute transaction for an executor that is a multisig")
@json_option
@pass_runtime
def governance_execute(rt: Runtime, operation_id: str, calldata_only: bool) -> None:
    """Execute the scheduled operation ID once it is ready (anyone, unless executors are restricted)."""
    from ..governance import OperationState, Timelock

    if calldata_only:
        timelock = Timelock(rt.client(), rt.registry)
        op = timelock.get(operation_id)
        if op.state in (OperationState.DONE, OperationState.UNSET):
            timelock.check_executable(op, None)
        data = timelock.execute_function(op)._encode_transaction_data()
        _print_transaction(rt, "execute", timelock.address, data, {
            "operation_id": operation_id, "call": op.call, "ready_at": op.ready_at})  # fmt: skip
        return
    timelock = Timelock(rt.client(signer=True), rt.registry)
    with rt.progress("executing"):
        receipt, op = timelock.execute(operation_id)
    sent(rt, f"executed {operation_id}: {op.call}", receipt, {**op.as_json(), "state": "done"})


COMMANDS = [governance]
