"""One exception tree for the whole package.

Each class also inherits the builtin it resembles, so callers may catch either.
"""

from __future__ import annotations

from typing import Any


class SwarmStakeError(Exception):
    """Root of every error raised by swarm-stake."""


class ConfigError(SwarmStakeError, ValueError):
    """A setting, parameter file or argument is missing or invalid."""


class ToolNotFoundError(SwarmStakeError, FileNotFoundError):
    """An external tool (anvil) is not installed where swarm-stake looks for it."""


class ChainConnectionError(SwarmStakeError, ConnectionError):
    """The JSON-RPC endpoint cannot be reached or answered badly."""


class TransactionFailed(SwarmStakeError, RuntimeError):
    """A transaction was mined but reverted, or its receipt never came."""


class TransactionPending(SwarmStakeError, RuntimeError):
    """A transaction was handed to the node but its outcome is unknown here: the connection was lost
    or no receipt came in time. It may still be mined; ``tx_hash`` names it."""

    def __init__(self, reason: str, tx_hash: str):
        self.reason = reason
        self.tx_hash = tx_hash
        super().__init__(f"{reason}: transaction {tx_hash} was sent and may still be mined")


class ContractError(SwarmStakeError, ValueError):
    """A contract call reverted with a custom error of the swarm-stake contracts.

    ``name`` is the Solidity error name and ``args`` its decoded arguments.
    """

    def __init__(self, name: str, args: dict[str, Any], explanation: str | None = None):
        self.name = name
        self.args_by_name = args
        details = ", ".join(f"{key}={show_value(key, value)}" for key, value in args.items())
        message = f"{name}({details})"
        if explanation:
            message = f"{explanation} [{message}]"
        super().__init__(message)


_TIME_NAMES = ("time", "end", "at", "until", "deadline", "from", "expiry")

#: Names of the numeric enum arguments of the contracts' errors, by argument name (as the ABI spells it).
ENUM_NAMES: dict[str, tuple[str, ...]] = {
    "violationClass": ("poor performance", "security breach", "protocol violation"),
    "severity": ("warning", "penalty", "severe"),
    "level": ("warning", "penalty", "severe"),
    "recoveryPath": ("none", "service improvement", "security review", "compliance verification"),
    # IRecoveryEscrow.EscrowStatus, as ClaimNotAllowed carries it
    "status": ("none", "escrowed", "claimed", "rejected", "released", "forfeited", "refunded"),
}
#: TimelockController's operation states, bit i of `expectedStates`.
_TIMELOCK_STATES = ("unset", "waiting", "ready", "done")


def show_value(name: str, value: Any) -> str:
    """An error or event argument for people: bytes as hex, enums by name, Unix times with their UTC date."""
    if name == "expectedStates" and isinstance(value, bytes | bytearray | str):
        bits = int(value if isinstance(value, str) else "0x" + bytes(value).hex(), 16)
        return " or ".join(state for i, state in enumerate(_TIMELOCK_STATES) if bits >> i & 1) or "none"
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    names = ENUM_NAMES.get(name)
    if names is not None and isinstance(value, int) and 0 <= value < len(names):
        return names[value]
    if (
        isinstance(value, int)
        and 1_000_000_000 <= value < 10_000_000_000
        and name.lower().endswith(_TIME_NAMES)
    ):
        import time

        return f"{value} ({time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(value))})"
    return str(value)
