"""`swarm-stake devnet up`, `deploy`, `demo`: chains and deployments."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import click

from .runtime import Runtime, pass_runtime


@click.group()
def devnet() -> None:
    """A local development chain with swarm-stake deployed."""


@devnet.command("up")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 picks a free port")
@click.option("--registry", "registry_path", type=click.Path(dir_okay=False, path_type=Path),
              help="also write the address registry (JSON) to this file")
@click.option("--json", "as_json", is_flag=True, help="print the RPC URL and addresses as JSON")
def devnet_up(port: int, registry_path: Path | None, as_json: bool) -> None:
    """Start anvil, deploy swarm-stake, fund the dev accounts, and keep running until Ctrl-C."""
    from ..devnet import DEV_MNEMONIC, Devnet

    chain = Devnet(port=port, block_time=1)
    chain.start()
    try:
        registry = chain.deploy()
        if registry_path:
            registry.save(registry_path)
        if as_json:
            click.echo(json.dumps({"rpc_url": chain.rpc_url, **registry.model_dump(mode="json")}))
        else:
            from rich.console import Console
            from rich.table import Table

            table = Table(title=f"swarm-stake devnet (chain {registry.chain_id})", show_header=False)
            table.add_row("RPC URL", chain.rpc_url)
            for name, address in registry.contracts.items():
                table.add_row(name, address)
            table.add_row("dev accounts", f"anvil's test mnemonic: {DEV_MNEMONIC!r}")
            Console().print(table)
            click.echo("Press Ctrl-C to stop.")
        sys.stdout.flush()
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
    finally:
        chain.stop()


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
    client = Client.connect(rt.settings.rpc_url, account, confirmations=rt.settings.confirmations)
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


COMMANDS = [devnet, deploy, demo]
