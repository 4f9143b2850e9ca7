"""Pytest plugin: records what the contracts execute on anvil, for scripts/contract_coverage.py.

Opt-in twice over: it is loaded only with `-p contract_coverage_plugin` (scripts/ on PYTHONPATH)
and records only when SWARM_STAKE_CONTRACT_COVERAGE names the output file; `make test` does
neither. `make coverage-contracts` does both.

Every JSON-RPC request that goes through web3's HTTPProvider in the test process is watched:
- eth_sendRawTransaction / eth_sendTransaction: once the transaction is mined it is replayed
  with debug_traceTransaction;
- eth_call / eth_estimateGas: the same call is replayed with debug_traceCall (a transaction that
  would revert is often only ever estimated or simulated).
Both use a JavaScript tracer (below) that keeps, per executing bytecode, the set of executed
program counters and, per JUMPI, whether it was seen falling through and/or jumping. Runtime
code is identified by the code at the executing address; a constructor's init code by the
creating transaction's or CREATE's input. Traces are taken at once, inside the test's chain
snapshot, because Ape reverts every test's blocks afterwards.

Output (JSON): {"codes": {sha256: {"kind": "runtime"|"init", "code": hex, "pcs": [...],
"jumps": {pc: bits}}}, "stats": {...}}; bits: 1 = fell through, 2 = jumped.
"""

import hashlib
import json
import os
import time

OUTPUT_ENV = "SWARM_STAKE_CONTRACT_COVERAGE"

TRACER = """{
  cov: {}, codes: {}, init: {}, depth: -1, key: null, top: null, prevPc: -1, prevJumpi: false,
  step: function(log, db) {
    var d = log.getDepth();
    if (d !== this.depth) {
      var a = log.contract.getAddress();
      var h = toHex(a);
      var code = db.getCode(a);
      var key = h;
      if (code.length === 0) { key = 'init:' + h; }
      else if (!(h in this.codes)) { this.codes[h] = toHex(code); }
      if (!(key in this.cov)) { this.cov[key] = {p: {}, j: {}}; }
      this.key = key; this.depth = d; this.prevJumpi = false;
      if (d === 1 && this.top === null) { this.top = h; }
    }
    var c = this.cov[this.key];
    var pc = log.getPC();
    if (this.prevJumpi) {
      var bit = (pc === this.prevPc + 1) ? 1 : 2;
      c.j[this.prevPc] = (c.j[this.prevPc] || 0) | bit;
    }
    c.p[pc] = 1;
    this.prevJumpi = (log.op.toNumber() === 0x57);
    this.prevPc = pc;
  },
  enter: function(frame) {
    var t = frame.getType();
    if (t === 'CREATE' || t === 'CREATE2') {
      try { this.init[toHex(frame.getTo())] = toHex(frame.getInput()); } catch (e) {}
    }
  },
  exit: function(res) {},
  fault: function(log, db) {},
  result: function(ctx, db) {
    // A reverted creation has no address in ctx: its init code ran in the top frame.
    if ((ctx.type === 'CREATE' || ctx.type === 'CREATE2') && this.top !== null) { this.init[this.top] = toHex(ctx.input); }
    var out = {};
    for (var k in this.cov) {
      var e = this.cov[k];
      var code = null;
      if (k.indexOf('init:') === 0) { code = this.init[k.slice(5)] || null; }
      else { code = this.codes[k]; }
      out[k] = {code: code, kind: k.indexOf('init:') === 0 ? 'init' : 'runtime',
                pcs: Object.keys(e.p), jumps: e.j};
    }
    return out;
  }
}"""


class Recorder:
    def __init__(self, path: str):
        self.path = path
        self.codes: dict[str, dict] = {}
        self.stats = {"transactions": 0, "calls": 0, "trace_errors": 0, "trace_seconds": 0.0}
        self.busy = False

    def merge(self, result: dict) -> None:
        for entry in result.values():
            code = entry.get("code")
            if not code or code == "0x":
                continue
            digest = hashlib.sha256(code.encode()).hexdigest()
            slot = self.codes.setdefault(digest, {"kind": entry["kind"], "code": code, "pcs": set(), "jumps": {}})
            slot["pcs"].update(int(pc) for pc in entry["pcs"])
            for pc, bits in entry["jumps"].items():
                slot["jumps"][int(pc)] = slot["jumps"].get(int(pc), 0) | int(bits)

    def trace(self, provider, original, method: str, params) -> None:
        started = time.perf_counter()
        self.busy = True
        try:
            if method in ("eth_sendRawTransaction", "eth_sendTransaction"):
                response = None
                for _ in range(50):
                    response = original(provider, "debug_traceTransaction", [params, {"tracer": TRACER}])
                    if "result" in response:
                        break
                    time.sleep(0.05)
                self.stats["transactions"] += 1
            else:
                call = dict(params[0])
                block = params[1] if len(params) > 1 else "latest"
                response = original(provider, "debug_traceCall", [call, block, {"tracer": TRACER}])
                self.stats["calls"] += 1
            if response and "result" in response:
                self.merge(response["result"])
            else:
                self.stats["trace_errors"] += 1
        except Exception:  # a failed trace costs coverage, never the test
            self.stats["trace_errors"] += 1
        finally:
            self.busy = False
            self.stats["trace_seconds"] += time.perf_counter() - started

    def write(self) -> None:
        data = {
            "codes": {
                digest: {"kind": slot["kind"], "code": slot["code"], "pcs": sorted(slot["pcs"]),
                         "jumps": {str(pc): bits for pc, bits in sorted(slot["jumps"].items())}}
                for digest, slot in self.codes.items()
            },
            "stats": {**self.stats, "trace_seconds": round(self.stats["trace_seconds"], 1)},
        }
        with open(self.path, "w") as fh:
            json.dump(data, fh)


RECORDER: Recorder | None = None


def _install(recorder: Recorder) -> None:
    from web3.providers.rpc import HTTPProvider

    original = HTTPProvider.make_request

    def make_request(self, method, params):
        response = original(self, method, params)
        if recorder.busy or not isinstance(response, dict):
            return response
        if method in ("eth_sendRawTransaction", "eth_sendTransaction"):
            if "result" in response:  # a rejected transaction ran nothing
                recorder.trace(self, original, method, response["result"])
        elif method in ("eth_call", "eth_estimateGas") and params:  # reverting ones too
            recorder.trace(self, original, method, list(params))
        return response

    HTTPProvider.make_request = make_request


def pytest_configure(config) -> None:
    global RECORDER
    path = os.environ.get(OUTPUT_ENV)
    if path and RECORDER is None:
        RECORDER = Recorder(path)
        _install(RECORDER)


def pytest_sessionfinish(session, exitstatus) -> None:
    if RECORDER is not None:
        RECORDER.write()
