"""`swarm-stake provider` and `swarm-stake delegator`: staking through the StakeManager."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import click

from .runtime import ADDRESS, METADATA_URI, TOKEN_AMOUNT, Runtime, json_option, pass_runtime, to_base_units


def _staking(rt: Runtime, signer: bool = False) -> Any:
    from ..staking import Staking

    return Staking(rt.client(signer), rt.registry)


def _fmt(staking: Any, amount: int) -> str:
    from ..units import format_amount

    return f"{format_amount(amount, staking.decimals, 4)} SWARM"


def _when(timestamp: int) -> str:
    if not timestamp:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))


def _unstake(rt: Runtime, provider: str, amount: Decimal | None, all_: bool, what: str) -> None:
    from ..errors import ConfigError

    if (amount is None) == (not all_):
        raise ConfigError("give an AMOUNT of tokens or --all, not both and not neither")
    staking = _staking(rt, signer=True)
    me = staking.client.require_account().address
    held = staking.manager.functions.getPosition(provider, me).call()[0]
    if held == 0:
        raise ConfigError(f"{me} holds no bonded stake in the pool of {provider}; check the provider address "
                          "and the keystore (`swarm-stake delegator positions ADDRESS`)")  # fmt: skip
    if all_:
        shares = held
    else:
        wanted = to_base_units(amount, staking.decimals)
        held_assets = staking.manager.functions.convertToAssets(provider, held).call()
        if wanted > held_assets + 2:  # never turn a typo into a full exit (2 base units absorb share rounding)
            raise ConfigError(f"{me} holds {_fmt(staking, held_assets)} bonded in the pool of {provider}, less than "
                              f"{amount} SWARM; unstake at most that, or pass --all")  # fmt: skip
        shares = staking.shares_for(provider, wanted)
    with rt.progress("waiting for the receipt"):
        receipt = staking.request_unstake(provider, shares)
    end = staking.manager.functions.getPosition(provider, me).call()[2]
    worth = staking.manager.functions.convertToAssets(provider, shares).call()
    rt.done(f"{what}: {_fmt(staking, worth)} unbonding until {_when(end)}; then run withdraw", receipt)


def _withdraw(rt: Runtime, provider: str) -> None:
    from web3.logs import DISCARD

    staking = _staking(rt, signer=True)
    with rt.progress("waiting for the receipt"):
        receipt = staking.withdraw(provider)
    paid = staking.manager.events.Withdrawn().process_receipt(receipt, errors=DISCARD)[0]["args"]["assets"]
    rt.done(f"withdrew {_fmt(staking, paid)}", receipt)


# -- provider ----------------------------------------------------------------------------------


@click.group()
def provider() -> None:
    """Register as a provider, manage its self-stake, read its status."""


@provider.command("register")
@click.option("--operator", type=ADDRESS, required=True, help="operator key: runs the node, appeals, files claims")
@click.option("--stake", "amount", type=TOKEN_AMOUNT, required=True, help="self-stake in tokens (at least the minimum)")
@click.option("--metadata-uri", type=METADATA_URI, required=True,
              help="the node's health endpoint, e.g. http://node:9000/health (visible ASCII, at most 256 bytes)")
@pass_runtime
def provider_register(rt: Runtime, operator: str, amount: Decimal, metadata_uri: str) -> None:
    """Register the keystore's address as a provider with its first self-stake."""
    staking = _staking(rt, signer=True)
    with rt.progress("approving and registering"):
        receipt = staking.register(operator, to_base_units(amount, staking.decimals), metadata_uri)
    rt.done(f"registered {staking.client.require_account().address} with {amount} SWARM", receipt)


@provider.command("stake")
@click.argument("amount", type=TOKEN_AMOUNT)
@pass_runtime
def provider_stake(rt: Runtime, amount: Decimal) -> None:
    """Add AMOUNT tokens to your own self-stake."""
    staking = _staking(rt, signer=True)
    me = staking.client.require_account().address
    with rt.progress("approving and staking"):
        receipt = staking.stake(me, to_base_units(amount, staking.decimals))
    rt.done(f"added {amount} SWARM to the self-stake of {me}", receipt)


provider.add_command(provider_stake, "add")


@provider.command("unstake")
@click.argument("amount", type=TOKEN_AMOUNT, required=False)
@click.option("--all", "all_", is_flag=True, help="unstake all of the self-stake")
@pass_runtime
def provider_unstake(rt: Runtime, amount: Decimal | None, all_: bool) -> None:
    """Start unbonding AMOUNT tokens of your self-stake (or --all)."""
    staking = _staking(rt, signer=True)
    _unstake(rt, staking.client.require_account().address, amount, all_, "self-stake")


@provider.command("withdraw")
@pass_runtime
def provider_withdraw(rt: Runtime) -> None:
    """Withdraw your unbonded self-stake once the unbonding period has ended."""
    _withdraw(rt, _staking(rt, signer=True).client.require_account().address)


@provider.command("status")
@click.argument("address", type=ADDRESS)
@click.option("--block", type=click.IntRange(0), help="read at this block (default: latest)")
@json_option
@pass_runtime
def provider_status(rt: Runtime, address: str, block: int | None) -> None:
    """Status, pool and self-stake of the provider ADDRESS."""
    from ..errors import ConfigError
    from ..models import ProviderStatus

    staking = _staking(rt)
    view = staking.provider(address, "latest" if block is None else block, index=rt.index())
    if view.status == ProviderStatus.NONE:
        raise ConfigError(f"no provider is registered at {address} (at block {view.block}); check the address")

    def human() -> None:
        from rich.table import Table

        table = Table(title=f"provider {address} at block {view.block}", show_header=False)
        table.add_row("status", view.status.name.lower().replace("_", " "))
        table.add_row("operator", view.operator)
        table.add_row("jailed until", _when(view.jailed_until))
        table.add_row("open incidents", str(view.open_incidents) + (" (pool frozen)" if view.open_incidents else ""))
        table.add_row("pool", _fmt(staking, view.pool_assets))
        table.add_row("self-stake", _fmt(staking, view.self_stake))
        table.add_row("delegated", _fmt(staking, view.pool_assets - view.self_stake))
        table.add_row("metadata URI", view.metadata_uri or "-")
        rt.print_table(table)

    rt.output(view.model_dump(mode="json"), human)


# -- delegator ---------------------------------------------------------------------------------


@click.group()
def delegator() -> None:
    """Stake with providers, unstake, withdraw, list positions."""


@delegator.command("delegate")
@click.argument("provider_address", metavar="PROVIDER", type=ADDRESS)
@click.argument("amount", type=TOKEN_AMOUNT)
@pass_runtime
def delegator_delegate(rt: Runtime, provider_address: str, amount: Decimal) -> None:
    """Stake AMOUNT tokens into the pool of PROVIDER."""
    staking = _staking(rt, signer=True)
    with rt.progress("approving and staking"):
        receipt = staking.stake(provider_address, to_base_units(amount, staking.decimals))
    rt.done(f"delegated {amount} SWARM to {provider_address}", receipt)


@delegator.command("undelegate")
@click.argument("provider_address", metavar="PROVIDER", type=ADDRESS)
@click.argument("amount", type=TOKEN_AMOUNT, required=False)
@click.option("--all", "all_", is_flag=True, help="unstake the whole position")
@pass_runtime
def delegator_undelegate(rt: Runtime, provider_address: str, amount: Decimal | None, all_: bool) -> None:
    """Start unbonding AMOUNT tokens (or --all) of your stake with PROVIDER."""
    _unstake(rt, provider_address, amount, all_, "delegation")


@delegator.command("withdraw")
@click.argument("provider_address", metavar="PROVIDER", type=ADDRESS)
@pass_runtime
def delegator_withdraw(rt: Runtime, provider_address: str) -> None:
    """Withdraw your unbonded stake from PROVIDER once the unbonding period has ended."""
    _withdraw(rt, provider_address)


@delegator.command("positions")
@click.argument("address", type=ADDRESS)
@json_option
@pass_runtime
def delegator_positions(rt: Runtime, address: str) -> None:
    """Positions of the staker ADDRESS in every pool."""
    staking = _staking(rt)
    views = staking.positions(address)

    def human() -> None:
        from rich.table import Table

        if not views:
            click.echo(f"{address} has no stake in any pool")
            return
        table = Table(title=f"positions of {address}")
        for column in ("provider", "bonded", "unbonding", "unbonding ends"):
            table.add_column(column)
        for v in views:
            table.add_row(v.provider, _fmt(staking, v.assets), _fmt(staking, v.unbonding_assets), _when(v.unbonding_end))
        rt.print_table(table)

    rt.output([v.model_dump(mode="json") for v in views], human)


COMMANDS = [provider, delegator]
