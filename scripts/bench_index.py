"""What one status-page snapshot costs once the event index has caught up (``make bench``'s
dashboard figures): seconds and JSON-RPC requests at 500, 1,000 and 2,000 providers with one
incident per ten providers (200 at 2,000), and what the index's first catch-up costs.

An embedded devnet (anvil, Multicall3 installed at its canonical address) with a 3-of-5 committee.
Providers are fresh addresses that anvil impersonates, funded and registered in JSON-RPC batches
(``Devnet.register_providers``); incidents are real verdicts (``Devnet.open_incidents``: poor
performance, penalty: slash into escrow, jail, freeze), three signatures each, submitted 20 to a
transaction through the VerdictBatcher. At each size a ``StatusReader`` is built on a fresh in-memory index; its first
snapshot catches up (``dashboard.catchup_*``); then, five times, a block is mined and a snapshot
taken: the median time of a reader connected straight to anvil, and the requests of a second
reader behind a counting JSON-RPC relay (``tests/rpc_proxy.py``), every call of a batch counted.
That is done twice: while the newest registrations and verdicts are still in the unconfirmed
blocks that every snapshot reads again (``dashboard.tail_*``), and once they are confirmed, in the
index (``dashboard.snapshot_*``, the steady state). ``python scripts/bench.py --dashboard-only`` runs only this part.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

from swarm_stake.chain import Client
from swarm_stake.dashboard import StatusReader
from swarm_stake.devnet import ORACLE_ACCOUNTS, Devnet, devnet_params

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from rpc_proxy import RpcProxy  # noqa: E402

SIZES = (500, 1_000, 2_000)
INCIDENTS_PER_PROVIDER = 0.1
RUNS = 5


def measure_size(devnet: Devnet, proxy: RpcProxy) -> dict[str, Any]:
    """Catch-up and steady-state snapshot figures of the devnet as it is."""
    registry = devnet.registry
    direct = StatusReader(Client.connect(devnet.rpc_url), registry)
    counted = StatusReader(Client.connect(proxy.url), registry)
    started = time.perf_counter()
    direct.snapshot()
    catchup_s = time.perf_counter() - started
    proxy.reset()
    first = counted.snapshot()
    catchup_rpc, catchup_logs = proxy.requests, proxy.methods["eth_getLogs"]

    def runs() -> tuple[float, int, int, dict[str, Any]]:
        times, requests, calls = [], [], []
        for _ in range(RUNS):
            devnet.rpc([("evm_mine", [])])
            started = time.perf_counter()
            direct.snapshot()
            times.append(time.perf_counter() - started)
            proxy.reset()
            status = counted.snapshot()
            requests.append(proxy.requests)
            calls.append(proxy.methods["eth_call"])
        assert not status["index"]["stale"] and len(status["providers"]) == len(first["providers"])
        return round(statistics.median(times), 3), max(requests), max(calls), status

    # The newest registrations and verdicts are still unconfirmed: each snapshot reads them again.
    tail_s, tail_rpc, _, _ = runs()
    # Once they are confirmed (in the index): the steady state.
    devnet.rpc([("evm_mine", [])] * direct.index.confirmations)
    snapshot_s, snapshot_rpc, snapshot_calls, status = runs()
    return {
        "providers": len(status["providers"]), "incidents": len(status["incidents"]),
        "escrows": len(status["escrows"]), "snapshot_s": snapshot_s, "snapshot_rpc": snapshot_rpc,
        "snapshot_calls": snapshot_calls, "tail_s": tail_s, "tail_rpc": tail_rpc, "catchup_s": round(catchup_s, 3),
        "catchup_rpc": catchup_rpc, "catchup_logs": catchup_logs, "methods": dict(proxy.methods),
    }  # fmt: skip


def dashboard_figures() -> dict[str, float | int]:
    params = devnet_params()
    params = params.model_copy(update={"limits": params.limits.model_copy(update={"rate_cap_bps": 10_000})})
    figures: dict[str, float | int] = {}
    with Devnet() as devnet:
        devnet.deploy(params, committee=ORACLE_ACCOUNTS, threshold=3)
        proxy = RpcProxy(devnet.rpc_url)
        registered: list[str] = []
        incidents = 0
        try:
            for size in SIZES:
                registered += devnet.register_providers(size - len(registered), first=len(registered))
                wanted = int(size * INCIDENTS_PER_PROVIDER)
                devnet.open_incidents(registered[incidents:wanted])
                incidents = wanted
                result = measure_size(devnet, proxy)
                print(f"{size} providers: {result}", flush=True)
                suffix = "" if size == SIZES[-1] else f"_{size}"
                for key in ("snapshot_s", "snapshot_rpc", "snapshot_calls", "tail_s", "tail_rpc", "catchup_s", "catchup_rpc"):
                    figures[f"dashboard.{key}{suffix}"] = result[key]
        finally:
            proxy.close()
    return figures
