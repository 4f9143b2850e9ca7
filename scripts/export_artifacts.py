"""Write the ABI and bytecode of each shipped contract into swarm_stake/artifacts/, and the runtime
code of Multicall3 as deployed on public networks (eth-ape ships it), which the devnet installs.

Reads Ape's compiler output (.build/__local__.json); run through `make artifacts`, which
compiles first.
"""

import json
from pathlib import Path

from swarm_stake.abis import SHIPPED_CONTRACTS, VENDORED_CONTRACTS

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    manifest = json.loads((ROOT / ".build" / "__local__.json").read_text())
    out_dir = ROOT / "swarm_stake" / "artifacts"
    artifacts = [
        {
            "contractName": name,
            "abi": manifest["contractTypes"][name]["abi"],
            "bytecode": manifest["contractTypes"][name]["deploymentBytecode"]["bytecode"],
        }
        for name in SHIPPED_CONTRACTS
    ]
    artifacts += [vendored_artifact(name) for name in VENDORED_CONTRACTS]
    for artifact in artifacts:
        name = artifact["contractName"]
        (out_dir / f"{name}.json").write_text(json.dumps(artifact, indent=1, sort_keys=True) + "\n")
        print(f"wrote swarm_stake/artifacts/{name}.json")


def vendored_artifact(name: str) -> dict:
    """A third-party contract as deployed on public networks: its runtime code only."""
    assert name == "Multicall3", name
    from ape_ethereum.multicall.constants import MULTICALL3_ADDRESS, MULTICALL3_CODE

    return {
        "contractName": name,
        "address": MULTICALL3_ADDRESS,
        "runtimeBytecode": "0x" + bytes(MULTICALL3_CODE).hex(),
    }


if __name__ == "__main__":
    main()
