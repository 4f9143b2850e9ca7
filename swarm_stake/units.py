"""Parsing of human-friendly durations and token amounts ("7 days", "1000e18")."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .errors import ConfigError

_DURATION_UNITS = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
}  # fmt: skip
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$")


def parse_duration(value: int | str) -> int:
    """Seconds in ``value``: an integer of seconds or a string such as "90s", "2 days", "1.5h"."""
    if isinstance(value, bool):
        raise ConfigError(f"not a duration: {value!r}")
    if isinstance(value, int):
        seconds = value
    else:
        match = _DURATION.match(str(value).lower())
        if not match or match.group(2) not in _DURATION_UNITS | {"": 1}:
            raise ConfigError(f"not a duration: {value!r} (use seconds or e.g. '7 days', '90s', '2h')")
        seconds_exact = Decimal(match.group(1)) * (_DURATION_UNITS.get(match.group(2), 1))
        if seconds_exact != seconds_exact.to_integral_value():
            raise ConfigError(f"duration {value!r} is not a whole number of seconds")
        seconds = int(seconds_exact)
    if seconds < 0:
        raise ConfigError(f"duration must not be negative: {value!r}")
    return seconds


def parse_amount(value: int | str, decimals: int = 18) -> int:
    """Base units in ``value``: an integer of base units, a string such as "1000e18", or a
    string of whole tokens with a unit, "1000 tokens" / "2.5 SWARM" (``decimals`` places)."""
    if isinstance(value, bool):
        raise ConfigError(f"not an amount: {value!r}")
    if isinstance(value, int):
        amount = Decimal(value)
    else:
        text = str(value).strip()
        scale = 0
        parts = text.split()
        if len(parts) == 2 and parts[1].lower() in {"token", "tokens", "swarm"}:
            text, scale = parts[0], decimals
        try:
            amount = Decimal(text).scaleb(scale)
        except InvalidOperation as exc:
            raise ConfigError(f"not an amount: {value!r} (use base units, '1000e18' or '1000 tokens')") from exc
    if not amount.is_finite() or amount != amount.to_integral_value():
        raise ConfigError(f"amount {value!r} is not a whole number of base units")
    if amount < 0:
        raise ConfigError(f"amount must not be negative: {value!r}")
    return int(amount)


def format_amount(base_units: int, decimals: int = 18, places: int = 4) -> str:
    """Base units as a token figure with ``places`` decimals, e.g. 1234.5000."""
    return f"{Decimal(base_units).scaleb(-decimals):,.{places}f}"


def format_duration(seconds: int) -> str:
    """Seconds as the largest whole unit that divides them: "30 s", "3 min", "2 h", "7 days"."""
    for size, unit in ((86400, " days"), (3600, " h"), (60, " min")):
        if seconds and seconds % size == 0:
            count = seconds // size
            return f"{count}{' day' if unit == ' days' and count == 1 else unit}"
    return f"{seconds} s"
