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


class ContractError(SwarmStakeError, ValueError):
    """A contract call reverted with a custom error of the swarm-stake contracts.

    ``name`` is the Solidity error name and ``args`` its decoded arguments.
    """

    def __init__(self, name: str, args: dict[str, Any], explanation: str | None = None):
        self.name = name
        self.args_by_name = args
        details = ", ".join(f"{key}={_show(key, value)}" for key, value in args.items())
        message = f"{name}({details})"
        if explanation:
            message = f"{explanation} [{message}]"
        super().__init__(message)


_TIME_NAMES = ("time", "end", "at", "until", "deadline", "from", "expiry")


def _show(name: str, value: Any) -> str:
    """An error argument for people: bytes as hex, Unix times with their UTC date."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if (
        isinstance(value, int)
        and 1_000_000_000 <= value < 10_000_000_000
        and name.lower().endswith(_TIME_NAMES)
    ):
        import time

        return f"{value} ({time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(value))})"
    return str(value)
