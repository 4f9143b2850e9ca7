"""Measure gas per staking operation on an embedded devnet and print a table.

Each figure is the gasUsed of one real transaction on anvil, sent through the swarm-stake
client with an exact token approval beforehand (as the CLI does). `gas.stake_first` is a
provider's registration with its first self-stake: it creates the provider record, the pool and
the position (three new storage slots). Results are merged into
bench-results.json (figure name -> number).
"""

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from swarm_stake.devnet import Devnet

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench-results.json"
TOKEN = 10**18

#: Reference points for each figure: (what, gas).
ANCHORS = {
    "gas.stake_first": "floor 68.6k (lean OZ ERC-20 pool, no guards); Symbiotic deposit ~326k",
    "gas.stake_topup": "floor 51.5k",
    "gas.delegate": "floor 70.8k (first delegation into a share pool)",
    "gas.request_unstake": "-",
    "gas.withdraw": "floor 43.9k; Symbiotic withdrawal ~264k",
}


def measure() -> dict[str, int]:
    with Devnet() as devnet:
        registry = devnet.deploy()
        manager_address, token_address = registry.address("StakeManager"), registry.address("SwarmToken")
        provider, delegator = devnet.client(1), devnet.client(5)
        operator = devnet.accounts[2].address

        def send(client, function, *args):
            manager = client.contract("StakeManager", manager_address)
            return client.send(getattr(manager.functions, function)(*args))["gasUsed"]

        def approve(client, amount):
            client.send(client.contract("SwarmToken", token_address).functions.approve(manager_address, amount))

        # Another provider registers first, so that no figure pays for the contract's first token
        # balance and total-stake slots (a once-per-deployment cost, not a per-operation one).
        warm_up = devnet.client(3)
        approve(warm_up, 2_000 * TOKEN)
        send(warm_up, "registerProvider", devnet.accounts[4].address, 2_000 * TOKEN, "http://node-b/health")

        figures = {}
        approve(provider, 2_000 * TOKEN)
        figures["gas.stake_first"] = send(provider, "registerProvider", operator, 2_000 * TOKEN, "http://node/health")
        approve(provider, 500 * TOKEN)
        figures["gas.stake_topup"] = send(provider, "stake", provider.account.address, 500 * TOKEN)
        approve(delegator, 1_000 * TOKEN)
        figures["gas.delegate"] = send(delegator, "stake", provider.account.address, 1_000 * TOKEN)
        shares = devnet.client(0).contract("StakeManager", manager_address).functions.getPosition(
            provider.account.address, delegator.account.address
        ).call()[0]
        figures["gas.request_unstake"] = send(delegator, "requestUnstake", provider.account.address, shares)
        devnet.increase_time(registry.params.unbonding_period)
        figures["gas.withdraw"] = send(delegator, "withdraw", provider.account.address)
        return figures


def main() -> None:
    figures = measure()
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update(figures)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")

    table = Table(title="swarm-stake gas per operation (anvil, one transaction each)")
    table.add_column("figure")
    table.add_column("gas", justify="right")
    table.add_column("anchor")
    for name, value in figures.items():
        table.add_row(name, f"{value:,}", ANCHORS.get(name, "-"))
    Console().print(table)
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
