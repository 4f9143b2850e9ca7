"""The end-to-end demo on an embedded devnet.

Providers register and stake, delegators join one pool, one delegator exits after the
unbonding period (the chain's clock is moved forward), and a status table is printed. Every
step is checked on chain; :func:`run` raises :class:`DemoCheckFailed` at the first mismatch.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from .errors import ContractError, SwarmStakeError
from .units import format_amount

if TYPE_CHECKING:
    from web3.types import TxReceipt

    from .chain import Client
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

    def record(self, step: str, receipt: TxReceipt | None, detail: str) -> None:
        block = str(receipt["blockNumber"]) if receipt else "-"
        tx = receipt["transactionHash"].hex()[:12] + "…" if receipt else "-"
        self.rows.append((step, block, tx, detail))
        self.console.print(f"[bold green]✓[/] {step:<28} block {block:>4}  tx {tx:<14} {detail}")

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
            "delegator-1": 5, "delegator-2": 6,
        }
    )  # fmt: skip
    _clients: dict[str, Client] = field(default_factory=dict)

    def address(self, name: str) -> str:
        return self.devnet.accounts[self.names[name]].address

    def client(self, name: str) -> Client:
        if name not in self._clients:
            self._clients[name] = self.devnet.client(self.names[name])
        return self._clients[name]


def run(console: Console | None = None) -> int:
    """Run the demo on a fresh devnet; return 0 when every check passed."""
    from .devnet import Devnet

    console = console or Console(width=None if sys.stdout.isatty() else 110)
    started = time.monotonic()
    with Devnet() as devnet:
        registry = devnet.deploy()
        console.print(f"[bold]swarm-stake demo[/] on anvil at {devnet.rpc_url} (chain {registry.chain_id})")
        console.print(f"  StakeManager {registry.address('StakeManager')}  token {registry.address('SwarmToken')}")
        timeline = Timeline(console)
        actors = Actors(devnet)
        _staking_story(actors, registry.contracts, timeline)
        _print_status(console, actors, registry.contracts)
    console.print(f"[bold green]demo finished[/] in {time.monotonic() - started:.1f} s, every step checked on chain")
    return 0


def _contracts(client: Client, addresses: dict[str, str]) -> tuple[Any, Any]:
    return client.contract("StakeManager", addresses["StakeManager"]), client.contract(
        "SwarmToken", addresses["SwarmToken"]
    )


def _approve(client: Client, addresses: dict[str, str], amount: int) -> None:
    _, token = _contracts(client, addresses)
    client.send(token.functions.approve(addresses["StakeManager"], amount))


def _staking_story(actors: Actors, addresses: dict[str, str], timeline: Timeline) -> None:
    reader = actors.client("admin")
    manager, token = _contracts(reader, addresses)
    minimum = manager.functions.minSelfStake().call()

    for name, operator, amount in (("provider-a", "operator-a", 5_000), ("provider-b", "operator-b", 2_000)):
        client = actors.client(name)
        _approve(client, addresses, amount * TOKEN)
        receipt = client.send(
            _contracts(client, addresses)[0].functions.registerProvider(
                actors.address(operator), amount * TOKEN, f"http://127.0.0.1:0/{name}/health"
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
    timeline.record("delegator-2 requests unstake", receipt, f"all its shares, unbonding until t={unbonding_end}")

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
        "delegator-2 withdraws", receipt, f"{format_amount(received, places=2)} SWARM after {period} s of unbonding"
    )

    held = token.functions.balanceOf(addresses["StakeManager"]).call()
    total = manager.functions.totalStake().call()
    timeline.check(held == total, f"StakeManager holds {held} tokens but accounts for {total}")


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
