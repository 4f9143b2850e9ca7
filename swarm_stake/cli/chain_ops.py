"""`swarm-stake devnet up|fund`, `deploy`, `demo`, `tx`: chains, deployments and transactions."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import click

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .runtime import ADDRESS, BYTES32, Runtime, TokenAmountType, json_option, pass_runtime, to_base_units

if TYPE_CHECKING:
    from ..deploy import Registry
    from ..devnet import Devnet


@click.group()
def devnet() -> None:
    """A local development chain with swarm-stake deployed."""


@devnet.command("up")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 picks a free port")
@click.option("--registry", "registry_path", type=click.Path(dir_okay=False, path_type=Path),
              help="also write the address registry (JSON, with every dev account's roles) to this file")
@click.option("--json", "as_json", is_flag=True, help="print the RPC URL, addresses, roles and dev accounts as JSON")
@pass_runtime
def devnet_up(rt: Runtime, port: int, registry_path: Path | None, as_json: bool) -> None:
    """Start anvil, deploy swarm-stake, fund the dev accounts, print who is who, and keep running until Ctrl-C."""
    from ..devnet import Devnet

    chain = Devnet(port=port, block_time=1)
    chain.start()
    try:
        registry = chain.deploy()
        if registry_path:
            registry.save(registry_path)
        if as_json:
            accounts = [{"index": i, "address": a.address, "private_key": "0x" + bytes(a.key).hex(),
                         "roles": _roles_of(registry, a.address)} for i, a in enumerate(chain.accounts)]  # fmt: skip
            click.echo(json.dumps({"rpc_url": chain.rpc_url, **registry.model_dump(mode="json"), "accounts": accounts}))
        else:
            _print_devnet(rt, chain, registry, registry_path)
        sys.stdout.flush()
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
    finally:
        chain.stop()


def _roles_of(registry: Registry, address: str) -> list[str]:
    return [role for role, holders in registry.roles.items() if address in holders]


def _print_devnet(rt: Runtime, chain: Devnet, registry: Registry, registry_path: Path | None) -> None:
    from rich.table import Table

    from ..devnet import DEV_MNEMONIC, windows_in_force

    contracts = Table(title=f"swarm-stake devnet (chain {registry.chain_id})", show_header=False)
    contracts.add_row("RPC URL", chain.rpc_url)
    for name, address in registry.contracts.items():
        contracts.add_row(name, address)
    rt.print_table(contracts)
    accounts = Table(title="dev accounts", caption=f"mnemonic {DEV_MNEMONIC!r}; private keys: `devnet up --json`")
    for column in ("#", "address", "roles"):
        accounts.add_column(column)
    for index, account in enumerate(chain.accounts):
        roles = _roles_of(registry, account.address)
        accounts.add_row(str(index), account.address, ", ".join(roles) or "-")
    rt.print_table(accounts)
    windows = Table(title="windows in force", show_header=False)
    for name, duration in windows_in_force(registry.params):
        windows.add_row(name, duration)
    rt.print_table(windows)
    registry_option = f"--registry {registry_path}" if registry_path else "--registry FILE"
    click.echo(f"Fund a new key: swarm-stake --rpc-url {chain.rpc_url} {registry_option} devnet fund ADDRESS"
               + ("" if registry_path else " (the registry file is written by `devnet up --registry FILE`)"))
    click.echo("Press Ctrl-C to stop.")


@devnet.command("fund")
@click.argument("address", type=ADDRESS)
@click.option("--eth", type=TokenAmountType(allow_zero=True), default="10", show_default=True,
              help="ether to add to the balance")
@click.option("--tokens", type=TokenAmountType(allow_zero=True), default="10000", show_default=True,
              help="staking tokens to send from the deployer")
@json_option
@pass_runtime
def devnet_fund(rt: Runtime, address: str, eth: Decimal, tokens: Decimal) -> None:
    """The devnet's faucet: give ADDRESS ether and tokens (refused on any chain but a local devnet)."""
    from ..chain import Client
    from ..devnet import DEPLOYER_ACCOUNT, dev_account, require_local_devnet
    from ..tokens import staking_token
    from ..units import format_amount

    require_local_devnet(Client.connect(rt.settings.rpc_url).w3, rt.settings.rpc_url)
    w3 = rt.client().w3
    wei = to_base_units(eth, 18)
    if wei:
        w3.provider.make_request("anvil_setBalance", [address, hex(w3.eth.get_balance(address) + wei)])
    rt.use_account(dev_account(DEPLOYER_ACCOUNT))
    token = staking_token(rt.client(signer=True), rt.registry)
    units = to_base_units(tokens, token.functions.decimals().call())
    receipt = rt.send(token.functions.transfer(address, units), "sending the tokens") if units else None
    balances = {"address": address, "eth": w3.eth.get_balance(address), "tokens": token.functions.balanceOf(address).call()}
    rt.output(balances, lambda: rt.done(
        f"funded {address}: it holds {format_amount(balances['eth'], places=4)} ETH and "
        f"{format_amount(balances['tokens'], places=4)} SWARM", receipt))


@click.command()
@click.option("--params", "params_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="per-network parameter file (see deployments/params/)")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="where to write the address registry")
@click.option("--network", "network_name", default="custom", show_default=True, help="name kept in the registry")
@pass_runtime
def deploy(rt: Runtime, params_path: Path, out_path: Path, network_name: str) -> None:
    """Deploy swarm-stake with the keystore's account (web3.py; the Ape script does the same)."""
    from ..accounts import keystore_path, unlock
    from ..chain import Client
    from ..deploy import DeployParams, deploy_with_client
    from ..errors import ConfigError

    params = DeployParams.from_file(params_path)
    if out_path.exists():
        raise ConfigError(f"{out_path} exists; choose another --out (a registry is never overwritten)")
    if not rt.settings.keystore:
        raise ConfigError("deploying needs a key: pass --keystore NAME")
    account = unlock(keystore_path(rt.settings.keystore_dir, rt.settings.keystore), rt.password("Keystore password"))
    client = rt.adopt(Client.connect(rt.settings.rpc_url, account, confirmations=rt.settings.confirmations))
    with rt.progress("deploying"):
        registry = deploy_with_client(client, params, network=network_name)
    registry.save(out_path)
    rt.done(f"deployed swarm-stake on chain {registry.chain_id}; registry written to {out_path}")


@click.command()
@click.option("--dashboard-port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="port of the live status page served during the demo on 127.0.0.1 (0: any free port)")
def demo(dashboard_port: int) -> None:
    """Run the end-to-end demo on an embedded devnet and check every step on chain.

    The status page (`swarm-stake dashboard`) is served while it runs; its URL is printed first.
    """
    from ..demo import run

    sys.exit(run(dashboard_port=dashboard_port))


@click.command("tx")
@click.argument("tx_hash", metavar="HASH", type=BYTES32)
@json_option
@pass_runtime
def tx(rt: Runtime, tx_hash: str) -> None:
    """Where the transaction HASH stands: pending, mined (succeeded or reverted) or unknown to the node."""
    from ..chain import Client, transaction_status

    status = transaction_status(Client.connect(rt.settings.rpc_url).w3, tx_hash)
    rt.output(status, lambda: click.echo(_describe_status(status, rt.settings.rpc_url)))


def _describe_status(status: dict[str, Any], rpc_url: str) -> str:
    if status["state"] == "unknown":
        return (f"{status['hash']}: unknown to the node at {rpc_url} (never sent, dropped, or on another network); "
                "a transaction sent from the same account with the same nonce may have replaced it")  # fmt: skip
    if status["state"] == "pending":
        return f"{status['hash']}: pending (from {status['from']}, nonce {status['nonce']}); not mined yet"
    return (f"{status['hash']}: {status['state']} in block {status['block']} "
            f"({status['confirmations']} confirmation{'s' if status['confirmations'] != 1 else ''})")


COMMANDS = [devnet, deploy, demo, tx]
