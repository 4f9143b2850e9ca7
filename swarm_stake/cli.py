"""The `swarm-stake` command line.

Only click is imported at start-up; each command imports what it needs when it runs, so that
`swarm-stake --help` stays fast.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from . import __version__


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _run_guarded(func: Any, *args: Any, **kwargs: Any) -> Any:
    """Run ``func`` and turn swarm-stake errors into a one-line message and exit code 1."""
    from .errors import SwarmStakeError

    try:
        return func(*args, **kwargs)
    except SwarmStakeError as exc:
        _fail(str(exc))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="swarm-stake")
def main() -> None:
    """Staking, slashing and stake recovery for decentralized compute networks."""


@main.group()
def devnet() -> None:
    """A local development chain with swarm-stake deployed."""


@devnet.command("up")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 picks a free port")
@click.option("--registry", "registry_path", type=click.Path(dir_okay=False, path_type=Path),
              help="also write the address registry (JSON) to this file")
@click.option("--json", "as_json", is_flag=True, help="print the RPC URL and addresses as JSON")
def devnet_up(port: int, registry_path: Path | None, as_json: bool) -> None:
    """Start anvil, deploy swarm-stake, fund the dev accounts, and keep running until Ctrl-C."""
    from .devnet import DEV_MNEMONIC, Devnet

    chain = Devnet(port=port)
    _run_guarded(chain.start)
    try:
        registry = _run_guarded(chain.deploy)
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


@main.command()
def demo() -> None:
    """Run the end-to-end demo on an embedded devnet and check every step on chain."""
    from .demo import run

    sys.exit(_run_guarded(run))


if __name__ == "__main__":
    main()
