"""Run slither on contracts/ and fail on every finding that slither.triage.json does not explain.

Slither's settings (the project's `solc` command, the OpenZeppelin remapping, the excluded paths and
detectors) are in slither.config.json, which slither reads by itself. Each entry of
slither.triage.json explains one accepted finding: its detector, the finding as slither describes
it without source locations (so that moving code does not reopen it) and the reason it is accepted.
Run through `make slither`; the triage is explained in docs/slither-triage.md.
"""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRIAGE_FILE = ROOT / "slither.triage.json"
TARGET = "contracts"

# " (contracts/Foo.sol#12-14)" in slither's descriptions.
_LOCATION = re.compile(r"\s*\([^()\s]+\.sol#\d+(?:-\d+)?\)")


def normalize(description: str) -> str:
    """Slither's description of a finding without source locations, on one line."""
    return " ".join(_LOCATION.sub("", description).split())


def run_slither() -> list[dict]:
    # solc-select (imported by crytic-compile) keeps its state under $VIRTUAL_ENV, else in HOME.
    env = {**os.environ, "VIRTUAL_ENV": sys.prefix}
    proc = subprocess.run(
        ["slither", TARGET, "--json", "-"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    try:
        output = json.loads(proc.stdout)
    except json.JSONDecodeError:
        output = None
    if not output or not output.get("success"):
        sys.stderr.write(proc.stderr)
        if output and output.get("error"):
            sys.stderr.write(f"{output['error']}\n")
        sys.exit(f"slither failed (exit code {proc.returncode})")
    return output.get("results", {}).get("detectors", [])


def main() -> int:
    started = time.monotonic()
    findings = run_slither()
    triage = json.loads(TRIAGE_FILE.read_text())
    unexplained = [entry for entry in triage if len(entry.get("reason", "").strip(" .")) < 10]
    if unexplained:
        sys.exit(f"{TRIAGE_FILE.name}: every entry needs its reason; missing for {unexplained}")
    explained = {(entry["detector"], entry["finding"]) for entry in triage}

    seen = set()
    new = []
    for finding in findings:
        key = (finding["check"], normalize(finding["description"]))
        seen.add(key)
        if key not in explained:
            new.append((finding, key))

    for detector, text in sorted(explained - seen):
        print(f"slither: triaged finding no longer reported (remove it from {TRIAGE_FILE.name}): "
              f"[{detector}] {text}")

    elapsed = time.monotonic() - started
    if new:
        print(f"slither: {len(new)} finding(s) neither fixed nor explained in {TRIAGE_FILE.name}:\n")
        for finding, (detector, text) in new:
            print(f"[{detector}] impact {finding['impact']}, confidence {finding['confidence']}")
            print(finding["description"].rstrip())
            print("  triage entry, if the finding is accepted:")
            print("  " + json.dumps({"detector": detector, "finding": text, "reason": "..."}) + "\n")
        print(f"slither: failed in {elapsed:.1f} s")
        return 1
    print(f"slither: {len(findings)} finding(s), each explained in {TRIAGE_FILE.name}; "
          f"no new finding ({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
