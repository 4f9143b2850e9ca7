"""The `swarm-stake` command line: providers, delegators, auditors, oracles and operators.

Global options come before the command; each can also be set in the environment
(SWARM_STAKE_RPC_URL, SWARM_STAKE_REGISTRY, SWARM_STAKE_KEYSTORE, ...) or in a TOML config
file (--config, SWARM_STAKE_CONFIG, or ./swarm-stake.toml).
"""

from __future__ import annotations

from pathlib import Path

import click

from .. import __version__
from .runtime import GuardedGroup, Runtime


@click.group(cls=GuardedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="swarm-stake")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), help="TOML config file")
@click.option("--rpc-url", help="JSON-RPC endpoint [env SWARM_STAKE_RPC_URL; default http://127.0.0.1:8545]")
@click.option("--registry", type=click.Path(dir_okay=False, path_type=Path),
              help="deployment registry JSON [env SWARM_STAKE_REGISTRY]")
@click.option("--keystore", help="keystore name or path, for commands that send [env SWARM_STAKE_KEYSTORE]")
@click.option("--keystore-dir", type=click.Path(file_okay=False, path_type=Path),
              help="where named keystores live [default ~/.swarm-stake/keystores]")
@click.option("--password-file", type=click.Path(dir_okay=False, path_type=Path),
              help="file holding the keystore password [env SWARM_STAKE_PASSWORD holds it directly]")
@click.option("--confirmations", type=click.IntRange(0, 64), help="blocks to wait after each receipt")
@click.option("--json", "as_json", is_flag=True, help="print JSON (read commands)")
@click.pass_context
def main(ctx: click.Context, as_json: bool, **overrides: object) -> None:
    """Staking, slashing and stake recovery for decentralized compute networks."""
    ctx.obj = Runtime(overrides=overrides, as_json=as_json)


def _register() -> None:
    from . import accounts, chain_ops, dashboard, governance, incidents, oracle, recovery, roles, staking

    for module in (accounts, staking, incidents, recovery, oracle, roles, governance, chain_ops, dashboard):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
