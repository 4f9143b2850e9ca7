"""Canonical JSON (RFC 8785) and keccak256 hashing of evidence and audit bundles."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from eth_utils import keccak


def _number(value: float) -> str:
    """ECMAScript's Number-to-string (ECMA-262, Number::toString), as RFC 8785 requires for numbers:
    the shortest digits that round-trip, in plain notation for 1e-7 < |value| < 1e21, else with an exponent."""
    if not math.isfinite(value):
        raise ValueError("canonical JSON has no NaN or Infinity")
    if value == 0:
        return "0"  # -0 as well
    # repr gives the shortest round-trip digits; only their placement differs from ECMAScript.
    _, digits, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    s = "".join(map(str, digits))
    k, n = len(s), exponent + len(s)  # value = 0.s * 10**n
    if k <= n <= 21:
        text = s + "0" * (n - k)
    elif 0 < n <= 21:
        text = s[:n] + "." + s[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + s
    else:
        text = s[0] + ("." + s[1:] if k > 1 else "") + f"e{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"
    return ("-" if value < 0 else "") + text


#: Deepest nesting of arrays and objects that is encoded (far beyond any evidence bundle; the limit
#: keeps the recursion well inside Python's stack, so a deeper document is refused with ValueError).
MAX_DEPTH = 200


def _encode(value: Any, depth: int = 0) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple | dict) and depth >= MAX_DEPTH:
        raise ValueError(f"canonical JSON is limited to {MAX_DEPTH} levels of nesting")
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(item, depth + 1) for item in value) + "]"
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("canonical JSON object keys must be strings")
        # RFC 8785 sorts keys by their UTF-16 code units.
        items = sorted(value.items(), key=lambda item: item[0].encode("utf-16-be"))
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{_encode(v, depth + 1)}" for k, v in items) + "}"
    raise TypeError(f"cannot encode {type(value).__name__} as canonical JSON")


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical form of ``value`` as UTF-8 bytes."""
    try:
        return _encode(value).encode("utf-8")
    except UnicodeEncodeError as exc:  # from the key sort (UTF-16) or the final encoding
        bad = exc.object[exc.start : exc.end]
        raise ValueError(f"canonical JSON needs valid Unicode; a string holds the lone surrogate {bad!r}") from None


def evidence_hash(bundle: Any) -> str:
    """keccak256 over the canonical JSON of ``bundle``, as 0x-prefixed hex."""
    return "0x" + keccak(canonical_json(bundle)).hex()
