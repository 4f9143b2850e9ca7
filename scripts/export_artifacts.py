"""Write the ABI and bytecode of each shipped contract into swarm_stake/artifacts/ (and the runtime
code of each vendored one, which the devnet installs).

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
    for name in SHIPPED_CONTRACTS + VENDORED_CONTRACTS:
        contract_type = manifest["contractTypes"][name]
        artifact = {
            "contractName": name,
            "abi": contract_type["abi"],
            "bytecode": contract_type["deploymentBytecode"]["bytecode"],
        }
        if name in VENDORED_CONTRACTS:
            artifact["runtimeBytecode"] = contract_type["runtimeBytecode"]["bytecode"]
        (out_dir / f"{name}.json").write_text(json.dumps(artifact, indent=1, sort_keys=True) + "\n")
        print(f"wrote swarm_stake/artifacts/{name}.json")


if __name__ == "__main__":
    main()
