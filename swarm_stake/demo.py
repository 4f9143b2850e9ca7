"""The end-to-end demo on an embedded devnet (anvil, a block a second), in real time.

Providers register with node simulators (real HTTP servers on loopback) as their endpoints and
stake, delegators join one pool, one delegator exits after the unbonding period. Three oracle
daemons (`swarm-stake oracle run` processes, a 2-of-3 committee) measure the nodes. A failure
is injected into provider A's node; the daemons detect it, one proposes a verdict, another
confirms it with its own measurements and co-signs: A is slashed into escrow and jailed.
Provider B, wrongly accused by two misconfigured oracles, appeals and the arbiter overturns.
A fixes its node, an auditor signs the audit proof, the daemons attest restoration epoch by
epoch while they measure, the evaluation is recorded, the challenge window passes, the
escrow pays back pro rata and A is active again. Every step is checked on chain;
:func:`run` raises :class:`DemoCheckFailed` at the first mismatch.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from .appeals import utc
from .errors import ContractError, SwarmStakeError
from .evidence import evidence_hash
from .devnet import AUDITOR_ACCOUNT
from .merkle import MerkleTree
from .models import AuditProof, EscrowState, Level, Phase, ProviderStatus, Verdict, ViolationClass
from .recovery import RecoveryDesk
from .units import format_amount, format_duration
from .verdicts import VerdictDesk

if TYPE_CHECKING:
    from web3.types import TxReceipt

    from .chain import Client
    from .deploy import Registry
    from .devnet import Devnet

TOKEN = 10**18
STATUS_NAMES = ("none", "active", "jailed", "tombstoned", "below minimum")


class DemoCheckFailed(SwarmStakeError, AssertionError):
    """A demo step did not leave the chain in the state it promised."""


@dataclass
class Timeline:
    """One line per step: what happened, in which block and transaction, and the amounts."""

    console: Console
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)

    def phase(self, name: str, what: str) -> None:
        """A heading: the phase of the recovery framework (or the set-up) that the next steps belong to."""
        self.console.print()
        self.console.print(f"[bold cyan]{name}[/]: {what}", soft_wrap=True)

    def record(self, step: str, receipt: TxReceipt | None, detail: str) -> None:
        block = str(receipt["blockNumber"]) if receipt else "-"
        tx = receipt["transactionHash"].hex()[:12] + "…" if receipt else "-"
        self.rows.append((step, block, tx, detail))
        self.console.print(f"[bold green]✓[/] {step:<32} block {block:>4}  tx {tx:<14} {detail}", soft_wrap=True)

    @staticmethod
    def check(condition: bool, message: str) -> None:
        if not condition:
            raise DemoCheckFailed(message)


@dataclass
class Actors:
    """Dev accounts by role, each with its own client."""

    devnet: Devnet
    names: dict[str, int] = field(
        default_factory=lambda: {
            "admin": 0, "provider-a": 1, "operator-a": 2, "provider-b": 3, "operator-b": 4,
            "delegator-1": 5, "delegator-2": 6, "oracle-1": 10, "oracle-2": 11, "oracle-3": 12,
        }
    )  # fmt: skip
    _clients: dict[str, Client] = field(default_factory=dict)

    def address(self, name: str) -> str:
        return self.devnet.accounts[self.names[name]].address

    def client(self, name: str) -> Client:
        if name not in self._clients:
            self._clients[name] = self.devnet.client(self.names[name])
        return self._clients[name]


def run(console: Console | None = None, dashboard_port: int = 0) -> int:
    """Run the demo on a fresh devnet with three oracle daemons and the status page; return 0 when
    every check passed."""
    from .dashboard import Dashboard, StatusReader
    from .oracle.localnet import DEV_SOFTWARE_HASH, LocalSwarm, ProviderNode
    from .oracle.nodesim import NodeSimulator

    console = console or Console(width=None if sys.stdout.isatty() else 120)
    started = time.monotonic()
    with LocalSwarm(providers=()) as swarm:
        devnet, registry = swarm.devnet, swarm.registry
        console.print(f"[bold]swarm-stake demo[/] on anvil at {devnet.rpc_url} (chain {registry.chain_id}, a block a second)")
        console.print(f"  StakeManager {registry.address('StakeManager')}  token {registry.address('SwarmToken')}")
        dashboard = Dashboard(StatusReader(devnet.client(0), registry), port=dashboard_port).start()
        console.print(f"  status page: {dashboard.url} (live while the demo runs)")
        timeline = Timeline(console)
        actors = Actors(devnet)
        for name, owner, operator in (("provider-a", 1, 2), ("provider-b", 3, 4)):
            swarm.nodes[name] = ProviderNode(name, owner, operator, NodeSimulator(DEV_SOFTWARE_HASH).start())
        _staking_story(actors, registry.contracts, timeline, {n: p.url for n, p in swarm.nodes.items()})
        daemons = _start_daemons(swarm, timeline)
        try:
            incidents = _response_story(actors, swarm, timeline, daemons)
            _recovery_story(actors, swarm, timeline, incidents[0][1])
        except DemoCheckFailed:
            for handle in daemons:  # what the daemons saw, for the failure report
                console.print(f"[bold]oracle-{handle.index + 1} log (last lines)[/]")
                console.print(swarm.log_tail(handle, 25), soft_wrap=True, markup=False, highlight=False)
            raise
        _print_status(console, actors, registry.contracts)
        _print_incidents(console, actors, registry.contracts, incidents)
        _print_daemons(console, swarm, daemons)
        dashboard.stop()
    console.print(f"[bold green]demo finished[/] in {time.monotonic() - started:.1f} s, every step checked on chain")
    return 0


def _start_daemons(swarm: Any, timeline: Timeline) -> list[Any]:
    """Three `swarm-stake oracle run` processes (keystores, config files, SQLite state), warmed up."""
    import requests

    timeline.phase("Detection", "monitoring flags an anomaly in real time: the oracle daemons measure, detect and sign")
    daemons = [swarm.spawn_daemon(i) for i in range(3)]
    for handle in daemons:
        swarm.wait_healthy(handle)
    # Let every daemon fill its windows with a few seconds of measurements of both nodes.
    def warmed() -> bool:
        return all(requests.get(f"{h.url}/health", timeout=2).json()["cycles"] >= 8 for h in daemons)

    _wait(warmed, 30, "the daemons did not start measuring")
    timeline.record("3 oracle daemons measuring", None,
                    "2-of-3 committee; health, metrics and data-integrity probes of both nodes twice a second")  # fmt: skip
    return daemons


def _wait(predicate: Any, timeout: float, failure: str) -> Any:
    from .oracle.localnet import wait_for

    try:
        return wait_for(predicate, timeout)
    except TimeoutError as exc:
        raise DemoCheckFailed(f"{failure} (waited {timeout:.0f} s)") from exc


def _contracts(client: Client, addresses: dict[str, str]) -> tuple[Any, Any]:
    return client.contract("StakeManager", addresses["StakeManager"]), client.contract(
        "SwarmToken", addresses["SwarmToken"]
    )


def _approve(client: Client, addresses: dict[str, str], amount: int) -> None:
    _, token = _contracts(client, addresses)
    client.send(token.functions.approve(addresses["StakeManager"], amount))


def _staking_story(actors: Actors, addresses: dict[str, str], timeline: Timeline, endpoints: dict[str, str]) -> None:
    timeline.phase("Staking", "providers post their performance bonds, delegators join a pool, one leaves")
    reader = actors.client("admin")
    manager, token = _contracts(reader, addresses)
    minimum = manager.functions.minSelfStake().call()

    for name, operator, amount in (("provider-a", "operator-a", 5_000), ("provider-b", "operator-b", 2_000)):
        client = actors.client(name)
        _approve(client, addresses, amount * TOKEN)
        receipt = client.send(
            _contracts(client, addresses)[0].functions.registerProvider(
                actors.address(operator), amount * TOKEN, endpoints[name]
            )
        )
        self_stake = manager.functions.selfStakeOf(actors.address(name)).call()
        timeline.check(self_stake == amount * TOKEN, f"{name} self-stake is {self_stake}, expected {amount} tokens")
        timeline.check(manager.functions.statusOf(actors.address(name)).call() == 1, f"{name} is not active")
        timeline.record(f"{name} registers", receipt, f"self-stake {amount:,} SWARM (minimum {minimum // TOKEN:,})")

    provider = actors.address("provider-a")
    for name, amount in (("delegator-1", 3_000), ("delegator-2", 1_500)):
        client = actors.client(name)
        _approve(client, addresses, amount * TOKEN)
        receipt = client.send(_contracts(client, addresses)[0].functions.stake(provider, amount * TOKEN))
        shares = manager.functions.getPosition(provider, actors.address(name)).call()[0]
        value = manager.functions.convertToAssets(provider, shares).call()
        # Rounding favours the pool: the position is worth the deposit, less at most one base unit.
        timeline.check(amount * TOKEN - 1 <= value <= amount * TOKEN, f"{name} position worth {value}")
        pool_shares = manager.functions.getPool(provider).call()[1]
        timeline.record(f"{name} delegates to A", receipt, f"{amount:,} SWARM, {shares / pool_shares:.2%} of pool A")

    pool_assets = manager.functions.getPool(provider).call()[0]
    timeline.check(pool_assets == 9_500 * TOKEN, f"pool A holds {pool_assets}, expected 9,500 tokens")

    leaver = actors.client("delegator-2")
    leaver_manager = _contracts(leaver, addresses)[0]
    shares = manager.functions.getPosition(provider, leaver.account.address).call()[0]
    receipt = leaver.send(leaver_manager.functions.requestUnstake(provider, shares))
    unbonding_end = manager.functions.getPosition(provider, leaver.account.address).call()[2]
    timeline.record("delegator-2 requests unstake", receipt, f"all its shares, unbonding until {utc(unbonding_end)}")

    try:
        leaver.send(leaver_manager.functions.withdraw(provider))
    except ContractError as refused:
        timeline.check(refused.name == "UnbondingNotFinished", f"early withdrawal refused with {refused.name}")
        timeline.record("early withdrawal refused", None, "UnbondingNotFinished, as the protocol promises")
    else:
        raise DemoCheckFailed("a withdrawal before the end of unbonding went through")

    period = manager.functions.unbondingPeriod().call()
    now = actors.devnet.increase_time(period)
    timeline.check(now >= unbonding_end, "the clock did not reach the end of unbonding")
    expected = manager.functions.convertToAssets(provider, shares).call()
    balance_before = token.functions.balanceOf(leaver.account.address).call()
    receipt = leaver.send(leaver_manager.functions.withdraw(provider))
    received = token.functions.balanceOf(leaver.account.address).call() - balance_before
    timeline.check(received == expected, f"delegator-2 received {received}, expected {expected}")
    timeline.record(
        "delegator-2 withdraws", receipt,
        f"{format_amount(received, places=2)} SWARM after {format_duration(period)} of unbonding",
    )

    held = token.functions.balanceOf(addresses["StakeManager"]).call()
    total = manager.functions.totalStake().call()
    timeline.check(held == total, f"StakeManager holds {held} tokens but accounts for {total}")


def _response_story(actors: Actors, swarm: Any, timeline: Timeline, daemons: list[Any]) -> list[tuple[str, Verdict]]:
    """Detection to response: the daemons slash provider A; provider B, wrongly accused, appeals and wins."""
    from .incidents import Incidents

    registry = swarm.registry
    addresses = registry.contracts
    reader = actors.client("admin")
    manager, token = _contracts(reader, addresses)
    escrow = reader.contract("RecoveryEscrow", addresses["RecoveryEscrow"])
    committee = reader.contract("OracleCommittee", addresses["OracleCommittee"])
    verdicts = reader.contract("VerdictManager", addresses["VerdictManager"])
    lens = reader.contract("SwarmLens", addresses["SwarmLens"])
    desk = {name: VerdictDesk(actors.client(name), registry) for name in ("oracle-1", "oracle-2", "oracle-3")}
    provider_a, provider_b = actors.address("provider-a"), actors.address("provider-b")
    oracle_names = {actors.address(n): n for n in ("oracle-1", "oracle-2", "oracle-3")}

    # Provider A's node starts reporting software whose hash is not the registered build.
    pool_before = manager.functions.getPool(provider_a).call()[0]
    head = reader.w3.eth.block_number
    injected = time.monotonic()
    swarm.nodes["provider-a"].node.set_mode("bad-software")
    timeline.record("failure injected into node A", None, "it now reports an unregistered software hash")
    _wait(lambda: manager.functions.statusOf(provider_a).call() == ProviderStatus.JAILED, 60,
          "the daemons did not jail provider A")  # fmt: skip
    detect_to_jail = time.monotonic() - injected
    approvals = verdicts.events.VerdictApproved().get_logs(from_block=head + 1)
    executed = verdicts.events.VerdictExecuted().get_logs(from_block=head + 1)
    timeline.check(len(executed) == 1 and executed[0]["args"]["provider"] == provider_a, "one verdict on A executed")
    timeline.check(len(approvals) == 2, f"{len(approvals)} approvals, expected exactly the quorum of 2")
    incident_a = "0x" + bytes(executed[0]["args"]["incidentId"]).hex()
    verdict_a = Incidents(reader, registry).verdict(incident_a)
    timeline.check(verdict_a.violation_class == ViolationClass.SECURITY_BREACH, "A's verdict is not a security breach")
    proposer, cosigner = (oracle_names[a["args"]["signer"]] for a in approvals)
    receipt = reader.w3.eth.get_transaction_receipt(approvals[0]["transactionHash"])
    timeline.record(f"{proposer} detects and proposes", receipt,
                    f"software-hash rule, evidence {verdict_a.evidence_hash[:10]}… served at /evidence")  # fmt: skip
    timeline.phase("Response", "automatic containment: a verdict with quorum slashes into escrow and jails; "
                   "a wrongly accused provider appeals")
    receipt = reader.w3.eth.get_transaction_receipt(executed[0]["transactionHash"])
    slashed = executed[0]["args"]["amount"]
    timeline.check(slashed == pool_before * 1_000 // 10_000, f"A was slashed {slashed}, expected 10% of {pool_before}")
    timeline.check(escrow.functions.escrowOf(incident_a).call()[0] == slashed, "escrow of A is wrong")
    timeline.check(manager.functions.getProvider(provider_a).call()[2] == 1, "pool A is not frozen")
    timeline.record(
        f"{cosigner} confirms and co-signs", receipt,
        f"quorum: A slashed {format_amount(slashed, places=2)} SWARM into escrow, jailed, pool frozen "
        f"({detect_to_jail:.1f} s after the failure)",
    )  # fmt: skip
    verdict_a = verdict_a  # the executed verdict, as later steps take it

    # Provider B is accused of poor uptime by two oracles' operators signing by hand (their probe
    # path was misconfigured); the signatures arrive in one relayed transaction. B's node is fine.
    now = reader.w3.eth.get_block("latest")["timestamp"]
    bundle_b = {"provider": provider_b, "rule": "uptime", "window_s": 60, "sla": 0.99, "uptime": 0.2, "observed_at": now - 3}
    verdict_b = desk["oracle-1"].build(
        provider_b, ViolationClass.POOR_PERFORMANCE, Level.PENALTY, evidence_hash(bundle_b), now - 3
    )
    pool_b_before = manager.functions.getPool(provider_b).call()[0]
    signatures = [desk[n].sign(verdict_b, actors.client(n).account) for n in ("oracle-1", "oracle-3")]
    relayer = VerdictDesk(actors.client("admin"), registry)  # anyone may relay signatures
    receipt = relayer.submit(verdict_b, signatures)
    slashed_b = relayer.events(receipt, "VerdictExecuted")[0]["args"]["amount"]
    timeline.check(slashed_b == pool_b_before * 100 // 10_000, "B was not slashed 1%")
    timeline.record("verdict on B relayed (2 of 3)", receipt, f"B slashed {format_amount(slashed_b, places=2)} SWARM")

    court_address = addresses["AppealCourt"]
    operator_b = actors.client("operator-b")
    bond = verdicts.functions.limits().call()[0]
    operator_token = operator_b.contract("SwarmToken", addresses["SwarmToken"])
    operator_b.send(operator_token.functions.approve(court_address, bond))
    court = operator_b.contract("AppealCourt", court_address)
    receipt = operator_b.send(court.functions.appeal(verdict_b.as_tuple()))
    timeline.check(lens.functions.stateOf(verdict_b.incident_id).call() == Phase.APPEALED, "B's appeal not recorded")
    timeline.record("operator-b appeals", receipt, f"bond {format_amount(bond, places=2)} SWARM")

    bonds_before = [committee.functions.bondOf(actors.address(n)).call()[0] for n in ("oracle-1", "oracle-3")]
    arbiter = actors.client("admin")
    receipt = arbiter.send(arbiter.contract("AppealCourt", court_address).functions.resolveAppeal(verdict_b.as_tuple(), True))
    penalty = verdicts.functions.limits().call()[1]
    pool_b_after = manager.functions.getPool(provider_b).call()[0]
    timeline.check(pool_b_after == pool_b_before + 2 * penalty, f"B's pool is {pool_b_after} after the overturn")
    timeline.check(manager.functions.statusOf(provider_b).call() == 1, "provider B is not active again")
    timeline.check(
        lens.functions.stateOf(verdict_b.incident_id).call() == Phase.OVERTURNED, "B's incident is not overturned"
    )
    for name, before in zip(("oracle-1", "oracle-3"), bonds_before, strict=True):
        timeline.check(committee.functions.bondOf(actors.address(name)).call()[0] == before - penalty, f"{name} not penalized")
    timeline.record(
        "arbiter overturns B's verdict", receipt,
        f"escrow back, jail lifted, bond back, oracle-1 and oracle-3 pay {format_amount(penalty, places=0)} each to B",
    )  # fmt: skip

    held = token.functions.balanceOf(addresses["StakeManager"]).call()
    timeline.check(held == manager.functions.totalStake().call(), "StakeManager tokens differ from its pools")
    escrowed = token.functions.balanceOf(addresses["RecoveryEscrow"]).call()
    accounted = escrow.functions.totalEscrowed().call() + escrow.functions.insuranceBalance().call()
    timeline.check(escrowed == accounted, "escrow tokens differ from escrows plus insurance")
    return [("provider-a", verdict_a), ("provider-b", verdict_b)]


def _recovery_story(actors: Actors, swarm: Any, timeline: Timeline, verdict: Verdict) -> None:
    """Service restoration to restoration: A fixes its node, an auditor signs, the committee attests
    each observation epoch, records the evaluation, and the escrow pays back the recoverable share."""
    registry = swarm.registry
    addresses = registry.contracts
    reader = actors.client("admin")
    manager = reader.contract("StakeManager", addresses["StakeManager"])
    escrow = reader.contract("RecoveryEscrow", addresses["RecoveryEscrow"])
    verdicts = reader.contract("VerdictManager", addresses["VerdictManager"])
    lens = reader.contract("SwarmLens", addresses["SwarmLens"])
    provider = verdict.provider
    incident = verdict.incident_id

    # The provider rebuilds its node from the registered image; the auditor reviews the fix and
    # signs an audit proof over the node's logs.
    timeline.phase("Service restoration", "the provider fixes its node; an auditor reviews the fix")
    swarm.nodes["provider-a"].node.set_mode("healthy")
    timeline.record("provider A fixes its node", None, "rebuilt from the registered image, keys rotated")
    logs = [
        b"2026-11-27T10:00:01Z node-a software 0x66..66 detected by oracle",
        b"2026-11-27T10:02:10Z node-a rebuilt from signed image 0x11..11",
        b"2026-11-27T10:03:00Z node-a keys rotated; access from 10.0.0.0/8 only",
        b"2026-11-27T10:05:42Z node-a health OK, integrity challenge OK",
    ]
    tree = MerkleTree(logs)
    now = reader.w3.eth.get_block("latest")["timestamp"]
    proof = AuditProof(
        incident_id=incident, provider=provider,
        audit_report_hash=evidence_hash({"audit": "node-a rebuild", "findings": 0}),
        remediation_hash=evidence_hash({"image": "0x" + "11" * 32, "keys": "rotated"}),
        logs_root="0x" + tree.root.hex(), issued_at=now, expiry=now + 3600,
    )  # fmt: skip
    auditor = actors.devnet.accounts[AUDITOR_ACCOUNT]
    operator = RecoveryDesk(actors.client("operator-a"), registry)
    signature = operator.sign(proof, auditor)
    timeline.record("auditor signs audit proof", None, f"{len(logs)} log lines under root {proof.logs_root[:10]}…")
    timeline.phase("Stake recovery", "the provider claims its stake back with the audit proof; each observation "
                   "epoch the committee attests healthy vests a tranche")
    receipt = operator.file_claim(verdict, proof, signature)
    timeline.check(escrow.functions.stateOf(incident).call() == EscrowState.OBSERVING, "A's claim is not observing")
    timeline.check(lens.functions.stateOf(incident).call() == Phase.RESTORING, "A's incident is not RESTORING")
    timeline.check(
        escrow.functions.verifyLogLine(incident, logs[1], tree.proof(1)).call(), "a log line fails its Merkle proof"
    )
    timeline.record("operator-a files recovery claim", receipt, "audit proof checked on chain; observation starts")

    params = operator.params(incident)
    _wait(lambda: escrow.functions.stateOf(incident).call() == EscrowState.ATTESTED,
          params["epochs_required"] * params["epoch_length"] + 45, "the daemons did not attest the observation epochs")
    for event in escrow.events.EpochAttested().get_logs(from_block=receipt["blockNumber"]):
        timeline.check(event["args"]["passed"], f"epoch {event['args']['epoch']} failed")
        vested = event["args"]["vestedEpochs"]
        timeline.record(
            f"epoch {event['args']['epoch']} attested by the daemons",
            reader.w3.eth.get_transaction_receipt(event["transactionHash"]),
            f"healthy and data intact (2 of 3 measured it); {vested} of {params['epochs_required']} epochs vested",
        )  # fmt: skip

    timeline.phase("Evaluation", "the post-incident root-cause analysis is recorded on chain")
    report = evidence_hash({"root_cause": "unsigned image deployed", "actions": ["signed images only"]})
    for name in ("oracle-1", "oracle-2"):  # fresh clients: the daemons send from these keys too
        receipt = RecoveryDesk(actors.devnet.client(actors.names[name]), registry).approve_evaluation(verdict, report)
    timeline.check(lens.functions.stateOf(incident).call() == Phase.EVALUATED, "A's incident is not EVALUATED")
    timeline.record("evaluation report recorded", receipt, f"root-cause analysis {report[:10]}…")

    timeline.phase("Restoration", "full recovery verified: the escrow pays back, the incident closes, the provider "
                   "serves again")
    last_vested = escrow.functions.claimOf(incident).call()[1]
    _wait(lambda: reader.w3.eth.get_block("latest")["timestamp"] >= last_vested + params["challenge_window"],
          params["challenge_window"] + 10, "the challenge window did not pass")
    amount, recoverable_bps = escrow.functions.escrowOf(incident).call()[:2]
    pool_before = manager.functions.getPool(provider).call()[0]
    insurance_before = escrow.functions.insuranceBalance().call()
    receipt = RecoveryDesk(actors.client("delegator-1"), registry).release(verdict)
    recoverable = amount * recoverable_bps // 10_000
    timeline.check(manager.functions.getPool(provider).call()[0] == pool_before + recoverable, "pool A not refilled")
    timeline.check(
        escrow.functions.insuranceBalance().call() == insurance_before + amount - recoverable, "insurance not credited"
    )
    timeline.check(manager.functions.getProvider(provider).call()[2] == 0, "pool A is still frozen")
    timeline.check(lens.functions.stateOf(incident).call() == Phase.CLOSED, "A's incident is not closed")
    timeline.record(
        "escrow released after challenge", receipt,
        f"{format_amount(recoverable, places=2)} back to pool A pro rata, "
        f"{format_amount(amount - recoverable, places=2)} to insurance",
    )  # fmt: skip

    jailed_until = manager.functions.getProvider(provider).call()[1]
    now = reader.w3.eth.get_block("latest")["timestamp"]
    approvals_before = len(verdicts.events.VerdictApproved().get_logs(from_block=0))
    if jailed_until > now:
        # The jail of a security breach lasts minutes even on the devnet: the chain's clock moves on.
        actors.devnet.increase_time(jailed_until - now + 1)
    timeline.check(manager.functions.statusOf(provider).call() == ProviderStatus.ACTIVE, "provider A is not active")
    time.sleep(3)  # the daemons keep measuring through the clock jump ...
    timeline.check(len(verdicts.events.VerdictApproved().get_logs(from_block=0)) == approvals_before,
                   "a daemon took the chain's clock jump for an outage")  # ... and accuse no one
    timeline.record("provider A active again", None,
                    f"jail served (chain clock moved {format_duration(max(0, jailed_until - now))}; "
                    "no daemon mistook it for an outage)")


def _print_incidents(console: Console, actors: Actors, addresses: dict[str, str], incidents: list[tuple[str, Verdict]]) -> None:
    reader = actors.client("admin")
    verdicts = reader.contract("VerdictManager", addresses["VerdictManager"])
    lens = reader.contract("SwarmLens", addresses["SwarmLens"])
    escrow = reader.contract("RecoveryEscrow", addresses["RecoveryEscrow"])
    table = Table(title="Incidents")
    for column in ("incident", "provider", "class", "level", "slashed (SWARM)", "phase"):
        table.add_column(column)
    for name, verdict in incidents:
        stored, _ = verdicts.functions.getIncident(verdict.incident_id).call()
        amount = escrow.functions.escrowOf(verdict.incident_id).call()[0]
        table.add_row(
            verdict.incident_id[:10] + "…",
            name,
            verdict.violation_class.name.lower().replace("_", " "),
            Level(stored[3]).name.lower(),
            format_amount(amount, places=2),
            Phase(lens.functions.stateOf(verdict.incident_id).call()).name.lower(),
        )
    console.print(table)
    console.print(f"insurance pool: {format_amount(escrow.functions.insuranceBalance().call(), places=2)} SWARM")


def _print_status(console: Console, actors: Actors, addresses: dict[str, str]) -> None:
    manager, token = _contracts(actors.client("admin"), addresses)
    table = Table(title="Pools after the demo")
    for column in ("provider", "status", "pool (SWARM)", "self-stake (SWARM)", "delegated (SWARM)"):
        table.add_column(column, justify="right" if column != "provider" else "left")
    for name in ("provider-a", "provider-b"):
        address = actors.address(name)
        assets = manager.functions.getPool(address).call()[0]
        self_stake = manager.functions.selfStakeOf(address).call()
        table.add_row(
            f"{name} {address[:8]}…",
            STATUS_NAMES[manager.functions.statusOf(address).call()],
            format_amount(assets, places=2),
            format_amount(self_stake, places=2),
            format_amount(assets - self_stake, places=2),
        )
    console.print(table)

    positions = Table(title="Stakers")
    for column in ("staker", "pool", "bonded (SWARM)", "unbonding (SWARM)", "wallet (SWARM)"):
        positions.add_column(column, justify="right" if column not in ("staker", "pool") else "left")
    pool = actors.address("provider-a")
    for name in ("provider-a", "delegator-1", "delegator-2"):
        address = actors.address(name)
        bonded, unbonding, _ = manager.functions.getPosition(pool, address).call()
        positions.add_row(
            name,
            "provider-a",
            format_amount(manager.functions.convertToAssets(pool, bonded).call(), places=2),
            format_amount(manager.functions.convertToAssets(pool, unbonding).call(), places=2),
            format_amount(token.functions.balanceOf(address).call(), places=2),
        )
    console.print(positions)


def _print_daemons(console: Console, swarm: Any, daemons: list[Any]) -> None:
    """What each daemon did, from its own SQLite state."""
    import sqlite3

    table = Table(title="Oracle daemons")
    for column in ("oracle", "detections", "verdicts signed", "attestations signed", "transactions", "evidence kept"):
        table.add_column(column, justify="left" if column == "oracle" else "right")
    for handle in daemons:
        db = sqlite3.connect(f"file:{handle.config.db_path}?mode=ro", uri=True)
        count = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
        table.add_row(
            f"oracle-{handle.index + 1}",
            str(count("SELECT COUNT(*) FROM detections")),
            str(count("SELECT COUNT(*) FROM signatures WHERE kind = 'verdict'")),
            str(count("SELECT COUNT(*) FROM signatures WHERE kind = 'attestation'")),
            str(count("SELECT COUNT(*) FROM txs WHERE status = 'mined'")),
            str(len(list(handle.config.evidence_dir.glob("0x*.json")))),
        )
        db.close()
    console.print(table)
