"""Deploy swarm-stake to any network with Ape, from a per-network parameter file.

    ape run deploy --network ethereum:sepolia:node --account deployer
    ape run deploy --network ethereum:local:foundry --account TEST::0

Parameters come from deployments/params/<network>.json (or --params); the address registry is
written to deployments/<network>.json (or --registry). The steps are swarm_stake.deploy.plan,
the same plan the devnet runs with web3.py.
"""

from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, account_option, network_option

from swarm_stake.deploy import ApeExecutor, DeployParams, Registry, execute, plan
from swarm_stake.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


@click.command(cls=ConnectedProviderCommand)
@network_option()
@account_option()
@click.option("--params", "params_path", type=click.Path(dir_okay=False, path_type=Path),
              help="parameter file (default deployments/params/<network>.json)")
@click.option("--registry", "registry_path", type=click.Path(dir_okay=False, path_type=Path),
              help="registry to write (default deployments/<network>.json)")
def cli(ecosystem, network, provider, account, params_path, registry_path):
    from ape import chain, project

    name = network.name
    params_path = params_path or ROOT / "deployments" / "params" / f"{name}.json"
    registry_path = registry_path or ROOT / "deployments" / f"{name}.json"
    try:
        params = DeployParams.from_file(params_path)
        steps = plan(params, account.address)  # refuses parameters the governance would not hold
    except ConfigError as exc:
        raise click.ClickException(f"{params_path}: {exc}") from exc

    start_block = chain.blocks.head.number + 1
    addresses = execute(steps, ApeExecutor(project, account, log=click.echo))
    registry = Registry(
        network=f"{ecosystem.name}:{name}", chain_id=chain.chain_id, start_block=start_block,
        contracts=addresses, params=params,
    )
    registry.save(registry_path)
    click.echo(f"wrote {registry_path}")
