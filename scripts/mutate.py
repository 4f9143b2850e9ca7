"""Mutation campaign over the contracts with slither-mutate (make mutate).

slither-mutate edits the contract under test in place while it runs each mutant's tests, so the
campaign never runs in the project itself: the contracts, tests and Ape configuration are copied
into a scratch directory (node_modules linked, the compile cache copied) and slither-mutate runs
there. The project's contracts/ is only read.

Each contract is mutated against the tests of its entry points (CONTRACT_TESTS below), run on
anvil with -x so that a killed mutant stops at its first failing test. A mutant is killed when the
test command fails or exceeds the timeout; mutants that do not compile are not counted.

Usage:
  python scripts/mutate.py [--contracts StakeManager,RecoveryEscrow] [--mutators ROR,LOR,...]
                           [--functions 'stake(address,uint256),...'] [--timeout SECONDS]
                           [--json FILE] [--keep]

Prints killed/total per contract and mutator, and every surviving mutant (line, old ==> new).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CONTRACT_TESTS = {
    "StakeManager": ["tests/test_stake_manager_*.py"],
    "OracleCommittee": ["tests/test_committee_*.py"],
    "VerdictManager": ["tests/test_verdicts_*.py"],
    "AppealCourt": ["tests/test_appeal_*.py"],
    "RecoveryEscrow": ["tests/test_recovery_*.py", "tests/test_escrow_*.py"],
}
REMAPPING = "@openzeppelin/contracts=node_modules/@openzeppelin/contracts"
RESULT_LINE = re.compile(r"\[(?P<mutator>[A-Z]+)\] Line (?P<line>\d+): '(?P<old>.*?)' ==> '(?P<new>.*?)' --> "
                         r"(?P<result>CAUGHT|UNCAUGHT|COMPILATION FAILURE)", re.S)


def make_workdir(base: Path) -> Path:
    """A copy of what the contract tests need; mutants are written only here."""
    work = base / "project"
    work.mkdir(parents=True)
    for name in ("contracts", "tests", ".build"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, work / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "mutation_campaign"))
    for name in ("ape-config.yaml", "pyproject.toml"):
        shutil.copy2(ROOT / name, work / name)
    (work / "node_modules").symlink_to(ROOT / "node_modules")
    return work


def test_command(contract: str, work: Path) -> str:
    files = sorted(str(p.relative_to(work)) for pattern in CONTRACT_TESTS[contract] for p in work.glob(pattern))
    return "ape test " + " ".join(files) + " --network ethereum:local:foundry -x -q -p no:cacheprovider"


def run_contract(contract: str, work: Path, mutators: str | None, functions: str | None, timeout: int,
                 log_dir: Path) -> dict:
    source = f"contracts/{contract}.sol"
    cmd = ["slither-mutate", source, "--test-cmd", test_command(contract, work), "--timeout", str(timeout),
           "--solc", "solc", "--solc-remaps", REMAPPING, "--output-dir", str(log_dir / f"campaign-{contract}"), "-v"]
    if mutators:
        cmd += ["--mutators-to-run", mutators]
    if functions:
        cmd += ["--target-functions", functions]
    started = time.time()
    log_path = log_dir / f"{contract}.log"
    with log_path.open("w") as log:
        proc = subprocess.run(cmd, cwd=work, stdout=log, stderr=subprocess.STDOUT, check=False)
    elapsed = time.time() - started
    text = re.sub(r"\x1b\[[0-9;]*m", "", log_path.read_text())
    mutants = [{k: " ".join(v.split()) for k, v in m.groupdict().items()} for m in RESULT_LINE.finditer(text)]
    if proc.returncode != 0 or "Test suite fails" in text:
        print(text[-3000:], file=sys.stderr)
    return {"contract": contract, "mutators": mutators or "all", "functions": functions or "all",
            "test_command": test_command(contract, work),
            "seconds": round(elapsed), "mutants": mutants, "returncode": proc.returncode}


def summarize(results: list[dict]) -> None:
    print(f"{'contract':<16} {'mutator':<6} {'killed':>6} {'total':>6} {'share':>7}")
    for res in results:
        by_mutator = defaultdict(lambda: [0, 0])
        for m in res["mutants"]:
            if m["result"] == "COMPILATION FAILURE":
                continue
            by_mutator[m["mutator"]][1] += 1
            by_mutator[m["mutator"]][0] += m["result"] == "CAUGHT"
        killed = sum(v[0] for v in by_mutator.values())
        total = sum(v[1] for v in by_mutator.values())
        for name, (k, t) in sorted(by_mutator.items()):
            print(f"{res['contract']:<16} {name:<6} {k:>6} {t:>6} {100 * k / t:>6.1f}%")
        share = f"{100 * killed / total:.1f}%" if total else "-"
        print(f"{res['contract']:<16} {'all':<6} {killed:>6} {total:>6} {share:>7}   ({res['seconds']} s)")
    print("\nsurviving mutants:")
    for res in results:
        for m in res["mutants"]:
            if m["result"] == "UNCAUGHT":
                print(f"  {res['contract']}.sol:{m['line']} [{m['mutator']}] {m['old']!r} ==> {m['new']!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", default=",".join(CONTRACT_TESTS))
    parser.add_argument("--mutators", default=None, help="comma-separated slither-mutate mutators (default: all)")
    parser.add_argument("--functions", default=None,
                        help="only these functions (slither-mutate --target-functions: signatures or selectors)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per mutant's test run")
    parser.add_argument("--json", default=None, help="write the raw results here")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="swarm-stake-mutate-"))
    results = []
    try:
        work = make_workdir(base)
        for contract in args.contracts.split(","):
            if contract not in CONTRACT_TESTS:
                parser.error(f"unknown contract {contract}; one of {', '.join(CONTRACT_TESTS)}")
            print(f"mutating {contract} ...", flush=True)
            results.append(run_contract(contract, work, args.mutators, args.functions, args.timeout, base))
            if args.json:
                Path(args.json).write_text(json.dumps(results, indent=1))
    finally:
        if args.keep:
            print(f"scratch directory kept: {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    summarize(results)
    return 0 if all(r["returncode"] == 0 and r["mutants"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
