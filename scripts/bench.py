"""Measure gas per operation on an embedded devnet and print a table.

Each figure is the gasUsed of one real transaction on anvil, sent through the swarm-stake
client. Token approvals are exact (as the CLI makes them). Before each measured operation a
similar one runs on other accounts, so that no figure pays for a contract's first-ever
storage (the escrow's first token balance, the first cap booking): those are once per
deployment, not per operation. Results are merged into bench-results.json.
"""

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench_index import dashboard_figures
from bench_probe import probe_figures
from swarm_stake.devnet import AUDITOR_ACCOUNT, ORACLE_ACCOUNTS, Devnet, devnet_params
from swarm_stake.models import AuditProof, Level, ViolationClass
from swarm_stake.recovery import RecoveryDesk
from swarm_stake.verdicts import VerdictDesk

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench-results.json"
TOKEN = 10**18
EVIDENCE = "0x" + "ab" * 32

#: Reference points for each figure.
ANCHORS = {
    "gas.stake_first": "lean first stake 68.6k (one new slot); Symbiotic deposit ~326k",
    "gas.stake_topup": "lean top-up 51.5k",
    "gas.delegate": "lean first delegation into a share pool 70.8k",
    "gas.request_unstake": "-",
    "gas.withdraw": "lean withdrawal 43.9k; Symbiotic withdrawal ~264k",
    "gas.verdict_3of5_single_tx": "lean 3-sig check ~46k; lean verdict+slash 78k (2 slots) / 122k (4 slots); "
    "Symbiotic request+execute ~498k, instant slash ~271k",
    "gas.verdict_own_approval": "-",
    "gas.verdict_batch20_per_verdict": "lean 4-slot design in a batch of 20 ~95k per verdict",
    "gas.appeal": "-",
    "gas.resolve_appeal": "-",
    "gas.recovery_claim": "-",
    "gas.attestation_3of5": "-",
    "gas.finalize_release": "-",
    "gas.collect_remainder": "-",
    "gas.verdict_upgrade": "-",
    "dashboard.snapshot_s": "2,000 providers, 200 incidents, index caught up, median of 5; was ~60 s; aim <= 1 s",
    "dashboard.snapshot_rpc": "requests of that snapshot (every call of a batch counted); was ~30,000; "
    "aim <= 5 + one batched call per 500 providers",
    "dashboard.snapshot_calls": "eth_calls among them (Multicall3 aggregate3 batches)",
    "dashboard.tail_s": "the same while the 2,000 registrations and 200 verdicts are in the unconfirmed blocks "
    "(read again at every snapshot)",
    "dashboard.tail_rpc": "requests of that snapshot",
    "dashboard.catchup_s": "first snapshot of a fresh index (reads every block since the deployment)",
    "dashboard.catchup_rpc": "requests of that first snapshot",
    "cli.help_s": "median of 7 runs; `ape --help` 1.2-1.45 s, `cast` a few ms; aim < 0.3 s",
    "cli.status_s": "median of 7 runs against a running devnet; aim < 1 s",
    "oracle.detect_samples_per_s": "health samples through every detection rule, one core, 200,000 samples "
    "of 100 providers; aim > 100,000",
    "oracle.detect_to_jailed_s": "median of 3 runs: failing node to provider jailed on chain, three daemons "
    "(2-of-3), 1 s blocks, 0.5 s probes, 1 confirmation; aim < 10 s",
    "oracle.providers_per_cycle": "largest N with a median measure() <= 1 s, every probe answered, every sample "
    "ingested; daemon on one core, node farm on the other; aim >= 5,000 (thread pool: ~400)",
    "oracle.probe_requests_per_s": "requests of those cycles per second of cycle time",
    "oracle.probe_median_cycle_s": "median measure() at providers_per_cycle",
    "oracle.probe_median_cycle_cpu_s": "CPU time of the daemon's process in that cycle (what a busy machine stretches)",
    "oracle.probe_cpu_share": "share of its core the daemon got in those cycles (other work on the machine takes the rest)",
    "oracle.providers_per_cpu_second": "largest N tried whose median cycle took at most 1 s of the daemon's CPU",
    "oracle.probe_target_cpu_share": "share of its core the node farm used meanwhile (not the bottleneck)",
    "oracle.probe_target_ceiling_rps": "the farm's ceiling: bare asyncio client, 256 keep-alive connections",
    "oracle.probe_target_ceiling_cpu_share": "share of its core the farm used at that ceiling (below 1: a lower bound)",
    "oracle.probe_bare_aiohttp_rps": "bare aiohttp GET loop, 256 concurrent, same pinning",
    "oracle.probe_farm_size": "nodes the farm serves (open-file limit): the largest N tried",
}

PROVIDERS = range(15, 41)  # dev accounts that register as providers in the verdict benchmarks


def _send(client, contract, function, *args):
    return client.send(getattr(contract.functions, function)(*args))["gasUsed"]


def staking_figures(devnet, registry) -> dict[str, int]:
    manager_address, token_address = registry.address("StakeManager"), registry.address("SwarmToken")

    def send(index, function, *args):
        client = devnet.client(index)
        return _send(client, client.contract("StakeManager", manager_address), function, *args)

    def approve(index, amount):
        client = devnet.client(index)
        client.send(client.contract("SwarmToken", token_address).functions.approve(manager_address, amount))

    provider, delegator = devnet.accounts[1].address, devnet.accounts[5].address
    approve(3, 2_000 * TOKEN)
    send(3, "registerProvider", devnet.accounts[4].address, 2_000 * TOKEN, "http://node-b/health")  # warm-up
    figures = {}
    approve(1, 2_000 * TOKEN)
    figures["gas.stake_first"] = send(1, "registerProvider", devnet.accounts[2].address, 2_000 * TOKEN, "http://node/health")
    approve(1, 500 * TOKEN)
    figures["gas.stake_topup"] = send(1, "stake", provider, 500 * TOKEN)
    approve(5, 1_000 * TOKEN)
    figures["gas.delegate"] = send(5, "stake", provider, 1_000 * TOKEN)
    manager = devnet.client(0).contract("StakeManager", manager_address)
    shares = manager.functions.getPosition(provider, delegator).call()[0]
    figures["gas.request_unstake"] = send(5, "requestUnstake", provider, shares)
    devnet.increase_time(registry.params.unbonding_period)
    figures["gas.withdraw"] = send(5, "withdraw", provider)
    return figures


def verdict_figures(devnet, registry) -> dict[str, int]:
    admin = devnet.client(0)
    manager_address = registry.address("StakeManager")
    token = admin.contract("SwarmToken", registry.address("SwarmToken"))
    for index in PROVIDERS:
        client = devnet.client(index)
        client.send(client.contract("SwarmToken", token.address).functions.approve(manager_address, 2_000 * TOKEN))
        client.send(client.contract("StakeManager", manager_address).functions.registerProvider(
            devnet.accounts[index].address, 2_000 * TOKEN, "http://node/health"))
    oracles = [devnet.client(i) for i in ORACLE_ACCOUNTS]
    desks = [VerdictDesk(o, registry) for o in oracles]
    relayer = desks[0]

    def verdict(index, violation_class=ViolationClass.POOR_PERFORMANCE):
        now = admin.w3.eth.get_block("latest")["timestamp"]
        return relayer.build(devnet.accounts[index].address, violation_class, Level.PENALTY, EVIDENCE, now)

    def signatures(v, count=3):
        return [desk.sign(v, oracle.account) for desk, oracle in zip(desks[:count], oracles, strict=False)]

    providers = list(PROVIDERS)
    figures = {}
    warm = verdict(providers.pop())
    relayer.submit(warm, signatures(warm))  # warm-up: first escrow balance and cap booking
    v = verdict(providers.pop())
    figures["gas.verdict_3of5_single_tx"] = relayer.submit(v, signatures(v))["gasUsed"]
    v = verdict(providers.pop())
    figures["gas.verdict_own_approval"] = desks[1].approve(v)["gasUsed"]

    batch = [verdict(providers.pop()) for _ in range(20)]
    receipt = relayer.client.send(
        relayer.client.contract("VerdictBatcher", registry.address("VerdictBatcher")).functions.submitBatch(
            [b.as_tuple() for b in batch], [signatures(b) for b in batch]
        )
    )
    executed = relayer.events(receipt, "VerdictExecuted")
    assert len(executed) == 20, f"only {len(executed)} of 20 batched verdicts executed"
    figures["gas.verdict_batch20_per_verdict"] = receipt["gasUsed"] // 20

    # Appeal and overturn of the first batched verdict (the operator key is the provider key here).
    target = batch[0]
    operator = devnet.client(next(p for p in PROVIDERS if devnet.accounts[p].address == target.provider))
    court = operator.contract("AppealCourt", registry.address("AppealCourt"))
    bond = relayer.manager.functions.limits().call()[0]
    operator.send(operator.contract("SwarmToken", token.address).functions.approve(court.address, bond))
    figures["gas.appeal"] = _send(operator, court, "appeal", target.as_tuple())
    figures["gas.resolve_appeal"] = _send(admin, admin.contract("AppealCourt", court.address), "resolveAppeal",
                                          target.as_tuple(), True)
    figures |= recovery_figures(devnet, registry, desks, oracles, providers.pop())
    figures |= collect_figures(devnet, registry, relayer, verdict, signatures, providers.pop())
    # An upgrade: the same failure signed again at the severe row, 3-of-5 in one transaction.
    provider = devnet.accounts[providers.pop()].address
    now = admin.w3.eth.get_block("latest")["timestamp"]
    low = relayer.build(provider, ViolationClass.PROTOCOL_VIOLATION, Level.PENALTY, EVIDENCE, now)
    relayer.submit(low, signatures(low))
    high = relayer.build(provider, ViolationClass.PROTOCOL_VIOLATION, Level.SEVERE, EVIDENCE, now)
    receipt = relayer.submit(high, signatures(high))
    court = admin.contract("AppealCourt", registry.address("AppealCourt"))
    assert court.events.VerdictUpgraded().process_receipt(receipt), "the severe verdict did not upgrade"
    figures["gas.verdict_upgrade"] = receipt["gasUsed"]
    return figures


def collect_figures(devnet, registry, relayer, verdict, signatures, provider_index) -> dict[str, int]:
    """Gas of collecting a remainder: a verdict over the provider cap owes part of its slash; governance
    raises the cap; anyone collects the rest into the escrow."""
    from swarm_stake.governance import timelock_execute

    admin = devnet.client(0)
    vm = admin.contract("VerdictManager", registry.address("VerdictManager"))
    timelock = registry.address("SwarmTimelock")
    limits = list(vm.functions.limits().call())
    tight = limits[:3] + [1] + limits[4:]  # providerCapBps: 0.01% of the pool per window
    timelock_execute(admin, timelock, vm.functions.setLimits(tuple(tight)))
    v = verdict(provider_index)
    relayer.submit(v, signatures(v))
    assert vm.functions.remainderOf(v.incident_id).call() > 0, "the verdict owes nothing: no remainder to collect"
    timelock_execute(admin, timelock, vm.functions.setLimits(tuple(limits)))
    receipt = admin.send(vm.functions.collect(v.as_tuple()))
    assert vm.functions.remainderOf(v.incident_id).call() == 0, "the collect left part of the remainder"
    return {"gas.collect_remainder": receipt["gasUsed"]}


def recovery_figures(devnet, registry, desks, oracles, provider_index) -> dict[str, int]:
    """A security-review recovery: claim with an audit proof, 3-of-5 attestations, final release."""
    relayer = desks[0]
    admin = devnet.client(0)
    now = admin.w3.eth.get_block("latest")["timestamp"]
    provider = devnet.accounts[provider_index].address
    verdict = relayer.build(provider, ViolationClass.SECURITY_BREACH, Level.PENALTY, EVIDENCE, now)
    relayer.submit(verdict, [d.sign(verdict, o.account) for d, o in zip(desks[:3], oracles, strict=False)])

    operator = RecoveryDesk(devnet.client(provider_index), registry)
    now = admin.w3.eth.get_block("latest")["timestamp"]
    proof = AuditProof(
        incident_id=verdict.incident_id, provider=provider, audit_report_hash=EVIDENCE, remediation_hash=EVIDENCE,
        logs_root=EVIDENCE, issued_at=now, expiry=now + 3600,
    )  # fmt: skip
    signature = operator.sign(proof, devnet.accounts[AUDITOR_ACCOUNT])
    figures = {"gas.recovery_claim": operator.file_claim(verdict, proof, signature)["gasUsed"]}

    attester = RecoveryDesk(oracles[0], registry)
    params = attester.params(verdict.incident_id)
    for epoch in range(params["epochs_required"]):
        devnet.increase_time(params["epoch_length"])
        attestation = attester.attestation(verdict.incident_id, epoch, healthy=True, data_intact=True)
        gas = attester.attest(attestation, [attester.sign(attestation, o.account) for o in oracles[:3]])["gasUsed"]
        figures.setdefault("gas.attestation_3of5", gas)  # the first epoch: one attestation, three signatures
    for oracle in oracles[:3]:
        RecoveryDesk(oracle, registry).approve_evaluation(verdict, EVIDENCE)
    devnet.increase_time(params["challenge_window"])
    figures["gas.finalize_release"] = RecoveryDesk(admin, registry).release(verdict)["gasUsed"]
    return figures


def _median_seconds(command: list[str], runs: int = 7, env: dict[str, str] | None = None) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def cli_figures() -> dict[str, float]:
    """Start-up of the CLI: `--help`, and a provider status read against a running devnet."""
    cli = [str(Path(sys.executable).with_name("swarm-stake"))]
    figures = {"cli.help_s": _median_seconds([*cli, "--help"])}
    with Devnet() as devnet, tempfile.TemporaryDirectory() as tmp:
        registry = devnet.deploy(committee=())
        path = Path(tmp) / "registry.json"
        registry.save(path)
        provider = devnet.client(1)
        token = provider.contract("SwarmToken", registry.address("SwarmToken"))
        manager = provider.contract("StakeManager", registry.address("StakeManager"))
        provider.send(token.functions.approve(manager.address, 2_000 * TOKEN))
        provider.send(manager.functions.registerProvider(devnet.accounts[2].address, 2_000 * TOKEN, "http://node/health"))
        status = [*cli, "--rpc-url", devnet.rpc_url, "--registry", str(path), "provider", "status",
                  provider.account.address]  # fmt: skip
        figures["cli.status_s"] = _median_seconds(status)
    return figures


def gas_figures() -> dict[str, int]:
    """Gas of the staking and verdict operations (`--gas-only`)."""
    with Devnet(accounts=40) as devnet:
        registry = devnet.deploy()
        figures = staking_figures(devnet, registry)
    params = devnet_params()
    params = params.model_copy(update={"limits": params.limits.model_copy(update={"rate_cap_bps": 10_000})})
    with Devnet(accounts=41) as devnet:
        registry = devnet.deploy(params, committee=ORACLE_ACCOUNTS, threshold=3)
        figures |= verdict_figures(devnet, registry)
    return figures


def measure() -> dict[str, int]:
    figures = gas_figures()
    figures |= cli_figures()
    figures |= oracle_figures()
    figures |= probe_figures()
    figures |= dashboard_figures()
    return figures


def oracle_figures() -> dict[str, float]:
    """Detector throughput, and the time from a failing node to its provider jailed on chain."""
    from swarm_stake.models import ProviderStatus
    from swarm_stake.oracle.detectors import measure_throughput
    from swarm_stake.oracle.localnet import LocalSwarm, wait_for

    figures = {"oracle.detect_samples_per_s": round(statistics.median(measure_throughput(200_000) for _ in range(3)))}
    times = []
    for _ in range(3):  # a fresh swarm each round (the rolling slash cap would defer a third breach)
        with LocalSwarm() as swarm:
            handles = [swarm.start_daemon_thread(i) for i in range(3)]
            wait_for(lambda: all(h.daemon.cycles >= 8 and len(h.daemon.endpoints()) == 3 for h in handles), 30)
            started = time.monotonic()
            swarm.nodes["provider-a"].node.set_mode("bad-software")
            wait_for(lambda: swarm.status_of("provider-a") == ProviderStatus.JAILED, 60, interval=0.05)
            times.append(time.monotonic() - started)
    figures["oracle.detect_to_jailed_s"] = round(statistics.median(times), 2)
    return figures


def main() -> None:
    args = sys.argv[1:]
    if "--probe-only" in args:
        figures = probe_figures()
    elif "--gas-only" in args:
        figures = gas_figures()
    elif "--dashboard-only" in args:
        figures = dashboard_figures()
    else:
        figures = measure()
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update(figures)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")

    table = Table(title="swarm-stake benchmarks (gas of one anvil transaction each; seconds; samples per second)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("anchor")
    for name, value in figures.items():
        table.add_row(name, f"{value:,}" if isinstance(value, int) else f"{value:.3f}", ANCHORS.get(name, "-"))
    Console(width=140).print(table)
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
