"""The human rendering of `swarm-stake incidents evidence`: per verdict, where the evidence came from,
the rule that fired, the replay of that rule, and the samples.

Everything in a bundle was reported by a node or an oracle: strings are shown as plain text (no
rich markup) with control characters escaped, so a bundle cannot drive the terminal.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from .runtime import Runtime

#: Sample fields in the order the samples table shows them.
SAMPLE_COLUMNS = ("kind", "up", "latency_ms", "software_hash", "gpu_util", "errors_total", "requests_total",
                  "integrity_ok", "detail")  # fmt: skip


def plain(value: Any) -> Any:
    """``value`` as rich Text that prints exactly as written: no markup, control characters escaped."""
    import unicodedata

    from rich.text import Text

    text = value if isinstance(value, str) else str(value)
    safe = "".join(ascii(c)[1:-1] if unicodedata.category(c).startswith("C") else c for c in text)
    return Text(safe)


def when(at: Any) -> str:
    if isinstance(at, int | float) and 0 <= at < 1e11:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at)) + f".{int(at * 10) % 10} UTC"
    return str(at)


def show_review(rt: Runtime, report: dict[str, Any]) -> None:
    verdicts = report["verdicts"]
    click.echo(f"incident {report['incident_id']} of provider {report['provider']}: {len(verdicts)} executed "
               f"verdict{'s' if len(verdicts) != 1 else ''}")  # fmt: skip
    for number, verdict in enumerate(verdicts, 1):
        click.echo()
        click.echo(f"verdict {number}: {_words(verdict['violation_class'])} / {verdict['severity']} "
                   f"(level {verdict['level']}), executed in block {verdict['executed_block']}, "
                   f"digest {verdict['digest']}")  # fmt: skip
        click.echo(f"  evidence {verdict['evidence_hash']}: verified, {verdict['bundle_bytes']} bytes from "
                   f"{verdict['source']}{_tried(verdict['servers'])}")  # fmt: skip
        _show_bundle(rt, verdict)


def _words(name: str) -> str:
    return name.replace("_", " ")


def _tried(attempts: list[dict[str, Any]]) -> str:
    failed = [a for a in attempts if a["outcome"] != "verified"]
    if not failed:
        return ""
    return " (also tried: " + "; ".join(a["detail"] for a in failed) + ")"


def _show_bundle(rt: Runtime, verdict: dict[str, Any]) -> None:
    bundle, replay = verdict["bundle"], verdict["rerun"]
    if not isinstance(bundle, dict) or "rule" not in bundle:
        rt.print_table(_fields_table("evidence", bundle if isinstance(bundle, dict) else {"body": bundle}))
        click.echo(f"  re-run: not possible: {replay['reason']}")
        return
    head = _fields_table("what fired", {
        "rule": bundle.get("rule"), "measured value": bundle.get("value"), "at": when(bundle.get("at")),
        "signed by oracle": bundle.get("oracle"),
        **{f"parameter {k}": v for k, v in (bundle.get("params") or {}).items()},
    })  # fmt: skip
    rt.print_table(head)
    click.echo(f"  re-run: {_replay_line(replay, len(bundle.get('samples') or []))}")
    rt.print_table(_samples_table(bundle.get("samples") or []))


def _replay_line(replay: dict[str, Any], count: int) -> str:
    if not replay["possible"]:
        return f"not possible: {replay['reason']}"
    if replay["fires"]:
        first = replay["detections"][0]
        line = (f"the rule fires again on the {count} recorded samples with the recorded detector settings "
                f"(first at {when(first['at'])}, value {first['value']})")  # fmt: skip
        line += "; it reproduces the recorded detection exactly" if replay["reproduces"] else \
            "; it does not reproduce the recorded detection (another time or value)"  # fmt: skip
    else:
        line = f"the rule does NOT fire on the {count} recorded samples with the recorded detector settings"
    if not replay["parameters_match"]:
        line += "; the bundle's rule parameters differ from those its detector settings give"
    if replay["note"]:
        line += f" (note: {replay['note']})"
    return line


def _fields_table(title: str, fields: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title=title, show_header=False)
    for key, value in fields.items():
        table.add_row(plain(key), plain(value))
    return table


def _samples_table(samples: list[Any]) -> Any:
    from rich.table import Table

    table = Table(title=f"samples ({len(samples)})")
    # Only the fields the samples carry (a health probe has no GPU utilization).
    columns = [c for c in SAMPLE_COLUMNS if any(isinstance(s, dict) and s.get(c) is not None for s in samples)]
    for column in ("time", *columns):
        table.add_column(column)
    for sample in samples:
        if not isinstance(sample, dict):
            table.add_row(plain(sample))
            continue
        cells = ["" if sample.get(c) is None else sample[c] for c in columns]
        table.add_row(when(sample.get("at")), *map(plain, cells))
    return table
