"""Function and branch coverage of the contracts, from anvil's execution traces (make coverage-contracts).

Input: the JSON written by scripts/contract_coverage_plugin.py during a test run (executed program
counters and JUMPI outcomes per executed bytecode). This script compiles contracts/ once through
the project's `solc` command (standard JSON, the settings of ape-config.yaml: via-IR, optimizer on with
200 runs, EVM prague, the OpenZeppelin remapping), matches every traced bytecode to a compiled
contract (runtime or init code; immutables, constructor arguments and the metadata hash are
ignored in the comparison) and maps executed program counters to source ranges through the
compiler's source maps.

Definitions (per contract of contracts/ and contracts/libraries/; mocks in contracts/test/,
interfaces and OpenZeppelin are not counted):
- function: an implemented FunctionDefinition of the contract (constructors, receive and
  fallback included; public state variable getters are not functions). It is entered when at
  least one executed instruction maps to a source range inside its body (inside the whole
  definition when the body is empty). Internal functions count wherever they were inlined
  or called from, library functions under their library.
- branch: an `if`, a `require(...)`, a ternary `?:`, or a `for`/`while`/`do` loop condition.
  Its decision instructions are the JUMPIs whose source-map entry is exactly the statement or
  expression (solc's code generator tags the conditional jump of each with its node). A branch
  is taken both ways when, over all its decision JUMPIs (a modifier or an inlined function has
  one copy per use), the jump was seen both falling through and jumping. `try`/`catch`
  (no JUMPI decides it) counts as taken both ways when code of the success clause and code of
  a catch clause ran. A branch with no decision JUMPI in any bytecode (folded away by the
  optimizer) is reported as not measurable and left out of the totals.

Usage:
  python scripts/contract_coverage.py TRACE.json [--details] [--markdown]
"""

import argparse
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLC = ROOT / "tools" / "solc.js"
METADATA_PREFIX = bytes.fromhex("a264697066735822")  # CBOR {"ipfs": bytes(34), ...}


# --- compilation --------------------------------------------------------------------------------

def compile_contracts() -> dict:
    sources = {}
    for path in sorted((ROOT / "contracts").rglob("*.sol")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("contracts/.cache/"):
            continue
        sources[rel] = {"content": path.read_text()}
    standard = {
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "optimizer": {"enabled": True, "runs": 200},
            "viaIR": True,
            "evmVersion": "prague",
            "remappings": ["@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/"],
            "outputSelection": {"*": {
                "*": ["evm.bytecode.object", "evm.bytecode.sourceMap", "evm.deployedBytecode.object",
                      "evm.deployedBytecode.sourceMap", "evm.deployedBytecode.immutableReferences"],
                "": ["ast"],
            }},
        },
    }
    proc = subprocess.run(["node", str(SOLC), "--standard-json", "--base-path", str(ROOT)],
                          input=json.dumps(standard), capture_output=True, text=True, check=True, cwd=ROOT)
    output = json.loads(proc.stdout)
    errors = [e for e in output.get("errors", []) if e["severity"] == "error"]
    if errors:
        sys.exit("compilation failed:\n" + "\n".join(e["formattedMessage"] for e in errors))
    return output


def instruction_offsets(code: bytes) -> list[int]:
    """The program counter of every instruction, in order."""
    offsets, pc = [], 0
    while pc < len(code):
        offsets.append(pc)
        op = code[pc]
        pc += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return offsets


def parse_source_map(source_map: str) -> list[tuple[int, int, int, str]]:
    entries, s, l, f, j = [], 0, 0, -1, "-"
    for item in source_map.split(";"):
        fields = item.split(":")
        if len(fields) > 0 and fields[0]:
            s = int(fields[0])
        if len(fields) > 1 and fields[1]:
            l = int(fields[1])
        if len(fields) > 2 and fields[2]:
            f = int(fields[2])
        if len(fields) > 3 and fields[3]:
            j = fields[3]
        entries.append((s, l, f, j))
    return entries


def metadata_mask(code: bytes) -> set[int]:
    """Byte positions of the metadata hashes (they differ with source names, nothing else)."""
    mask = set()
    start = code.find(METADATA_PREFIX)
    while start != -1:
        mask.update(range(start + len(METADATA_PREFIX), start + len(METADATA_PREFIX) + 34))
        start = code.find(METADATA_PREFIX, start + 1)
    return mask


class Artifact:
    def __init__(self, path: str, name: str, kind: str, code_hex: str, source_map: str, immutables: dict):
        self.path, self.name, self.kind = path, name, kind
        self.code = bytes.fromhex(code_hex)
        self.mask = metadata_mask(self.code)
        for refs in immutables.values():
            for ref in refs:
                self.mask.update(range(ref["start"], ref["start"] + ref["length"]))
        entries = parse_source_map(source_map)
        self.pc_source = dict(zip(instruction_offsets(self.code), entries))

    def matches(self, code: bytes) -> bool:
        if self.kind == "runtime" and len(code) != len(self.code):
            return False
        if len(code) < len(self.code):
            return False  # init code: compiled bytecode followed by the constructor arguments
        mask = self.mask
        return all(a == b for i, (a, b) in enumerate(zip(code, self.code)) if i not in mask)


def artifacts_of(output: dict) -> list[Artifact]:
    result = []
    for path, by_name in output["contracts"].items():
        for name, c in by_name.items():
            evm = c["evm"]
            if evm["deployedBytecode"]["object"]:
                result.append(Artifact(path, name, "runtime", evm["deployedBytecode"]["object"],
                                       evm["deployedBytecode"]["sourceMap"],
                                       evm["deployedBytecode"].get("immutableReferences", {})))
            if evm["bytecode"]["object"]:
                result.append(Artifact(path, name, "init", evm["bytecode"]["object"], evm["bytecode"]["sourceMap"], {}))
    return result


# --- AST ----------------------------------------------------------------------------------------

def src_range(src: str) -> tuple[int, int, int]:
    s, l, f = (int(x) for x in src.split(":"))
    return s, l, f


def walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


BRANCH_KINDS = ("IfStatement", "Conditional", "ForStatement", "WhileStatement", "DoWhileStatement")


def branch_label(node) -> str | None:
    kind = node.get("nodeType")
    if kind in BRANCH_KINDS:
        return {"IfStatement": "if", "Conditional": "?:", "ForStatement": "for",
                "WhileStatement": "while", "DoWhileStatement": "do"}[kind]
    if kind == "FunctionCall" and node.get("expression", {}).get("nodeType") == "Identifier" \
            and node["expression"].get("name") == "require":
        return "require"
    if kind == "TryStatement":
        return "try"
    return None


def counted(path: str) -> bool:
    return path.startswith("contracts/") and not path.startswith(("contracts/test/", "contracts/interfaces/", "contracts/.cache/"))


# --- report -------------------------------------------------------------------------------------

def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def analyse(trace: dict, output: dict) -> dict:
    artifacts = artifacts_of(output)
    by_len = defaultdict(list)
    for art in artifacts:
        by_len[art.kind].append(art)

    executed = set()  # (file, start, length)
    jumps = defaultdict(int)  # (file, start, length) -> bits
    matched, unmatched = defaultdict(int), 0
    for blob in trace["codes"].values():
        code = bytes.fromhex(blob["code"][2:])
        art = next((a for a in by_len[blob["kind"]] if a.matches(code)), None)
        if art is None:
            unmatched += 1
            continue
        matched[f"{art.name} ({art.kind})"] += 1
        for pc in blob["pcs"]:
            entry = art.pc_source.get(pc)
            if entry and entry[2] >= 0:
                executed.add(entry[:3])
        for pc, bits in blob["jumps"].items():
            entry = art.pc_source.get(int(pc))
            if entry and entry[2] >= 0:
                jumps[entry[:3]] |= bits

    by_file = defaultdict(list)  # file id -> executed (start, end)
    for s, l, f in executed:
        by_file[f].append((s, s + l))

    def ran_within(f: int, start: int, end: int) -> bool:
        return any(start <= s and e <= end for s, e in by_file.get(f, ()))

    report = {"contracts": [], "matched": dict(matched), "unmatched": unmatched, "stats": trace.get("stats", {})}
    for path, source in sorted(output["sources"].items()):
        if not counted(path):
            continue
        text = (ROOT / path).read_text(encoding="utf8")
        raw = text.encode("utf8")
        for contract in source["ast"]["nodes"]:
            if contract.get("nodeType") != "ContractDefinition" or contract.get("contractKind") == "interface":
                continue
            functions, branches = [], []
            for fn in contract["nodes"]:
                if fn.get("nodeType") != "FunctionDefinition" or not fn.get("implemented"):
                    continue
                body = fn.get("body") or {}
                scope = body if body.get("statements") else fn
                s, l, f = src_range(scope["src"])
                name = fn.get("name") or fn.get("kind")
                functions.append({"name": name, "line": raw[:src_range(fn["src"])[0]].count(b"\n") + 1,
                                  "entered": ran_within(f, s, s + l)})
                for node in walk(body):
                    label = branch_label(node)
                    if label is None:
                        continue
                    s, l, f = src_range(node["src"])
                    line = raw[:s].count(b"\n") + 1
                    snippet = raw[s:s + l].decode("utf8").split("\n")[0][:70]
                    if label == "try":
                        ok = ran_within(f, *_block(node["clauses"][0]["block"]))
                        caught = any(ran_within(f, *_block(c["block"])) for c in node["clauses"][1:])
                        bits = (1 if ok else 0) | (2 if caught else 0)
                        measurable = True
                    else:
                        measurable = (s, l, f) in jumps or _has_jumpi(artifacts, (s, l, f))
                        bits = jumps.get((s, l, f), 0)
                    branches.append({"kind": label, "line": line, "function": name, "code": snippet,
                                     "measurable": measurable, "bits": bits})
            if functions:
                report["contracts"].append({"path": path, "name": contract["name"],
                                            "functions": functions, "branches": branches})
    return report


def _block(block) -> tuple[int, int]:
    s, l, _ = src_range(block["src"])
    return s, s + l


_JUMPI_SOURCES: set | None = None


def _has_jumpi(artifacts: list[Artifact], key) -> bool:
    """Whether any compiled bytecode has a JUMPI tagged with this source range."""
    global _JUMPI_SOURCES
    if _JUMPI_SOURCES is None:
        _JUMPI_SOURCES = set()
        for art in artifacts:
            for pc, entry in art.pc_source.items():
                if art.code[pc] == 0x57:
                    _JUMPI_SOURCES.add(entry[:3])
    return key in _JUMPI_SOURCES


def summary_rows(report: dict) -> list[tuple]:
    rows = []
    for c in report["contracts"]:
        fns = c["functions"]
        measurable = [b for b in c["branches"] if b["measurable"]]
        both = sum(1 for b in measurable if b["bits"] == 3)
        one = sum(1 for b in measurable if b["bits"] in (1, 2))
        rows.append((c["name"], sum(f["entered"] for f in fns), len(fns), both, one, len(measurable),
                     len(c["branches"]) - len(measurable)))
    return rows


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "-"


def print_table(report: dict, markdown: bool) -> None:
    rows = summary_rows(report)
    totals = [sum(r[i] for r in rows) for i in range(1, 7)]
    if markdown:
        print("| contract | functions entered | branches both ways | one way only | not measurable |")
        print("|---|---|---|---|---|")
        for name, fe, ft, bb, bo, bt, nm in rows + [("**total**", *totals)]:
            print(f"| {name} | {fe}/{ft} ({pct(fe, ft)}) | {bb}/{bt} ({pct(bb, bt)}) | {bo} | {nm} |")
        return
    print(f"{'contract':<20} {'functions':>14} {'branches both ways':>22} {'one way':>8} {'n/m':>4}")
    for name, fe, ft, bb, bo, bt, nm in rows + [("total", *totals)]:
        print(f"{name:<20} {f'{fe}/{ft}':>7} {pct(fe, ft):>6} {f'{bb}/{bt}':>14} {pct(bb, bt):>7} {bo:>8} {nm:>4}")


def print_details(report: dict) -> None:
    for c in report["contracts"]:
        missing = [f for f in c["functions"] if not f["entered"]]
        partial = [b for b in c["branches"] if b["measurable"] and b["bits"] != 3]
        unmeasurable = [b for b in c["branches"] if not b["measurable"]]
        if not (missing or partial or unmeasurable):
            continue
        print(f"\n{c['path']} ({c['name']})")
        for f in missing:
            print(f"  function not entered: {f['name']} (line {f['line']})")
        for b in partial:
            seen = {0: "never reached", 1: "fell through only", 2: "jumped only"}[b["bits"]]
            if b["kind"] == "try":
                seen = {0: "never reached", 1: "success only", 2: "catch only"}[b["bits"]]
            print(f"  branch {b['kind']:<7} line {b['line']:>4} in {b['function']}: {seen}: {b['code']}")
        for b in unmeasurable:
            print(f"  branch {b['kind']:<7} line {b['line']:>4} in {b['function']}: no decision JUMPI: {b['code']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace", help="JSON written by contract_coverage_plugin")
    parser.add_argument("--details", action="store_true", help="list functions not entered and branches not taken both ways")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args()
    trace = json.loads(Path(args.trace).read_text())
    report = analyse(trace, compile_contracts())
    print_table(report, args.markdown)
    stats = report["stats"]
    print(f"\ntraced: {stats.get('transactions', 0)} transactions, {stats.get('calls', 0)} calls "
          f"({stats.get('trace_errors', 0)} trace errors); bytecodes matched: "
          + ", ".join(f"{k} x{v}" for k, v in sorted(report["matched"].items()))
          + f"; unmatched: {report['unmatched']}")
    if args.details:
        print_details(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
