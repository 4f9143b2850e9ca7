"""The ABIs and bytecode shipped in swarm_stake/artifacts match the contracts as compiled now."""

import pytest
from eth_utils import function_signature_to_4byte_selector

from swarm_stake.abis import SHIPPED_CONTRACTS, VENDORED_CONTRACTS, abi_type, load_artifact


@pytest.mark.parametrize("name", SHIPPED_CONTRACTS + VENDORED_CONTRACTS)
def test_shipped_artifact_matches_compiled_contract(project, name):
    contract_type = getattr(project, name).contract_type
    shipped = load_artifact(name)
    compiled_abi = [item.model_dump(mode="json", by_alias=True, exclude_none=True) for item in contract_type.abi]
    shipped_abi = [{k: v for k, v in item.items() if v is not None} for item in shipped["abi"]]
    assert _normalise(shipped_abi) == _normalise(compiled_abi), f"ABI of {name} is stale: run `make artifacts`"
    assert shipped["bytecode"] == contract_type.deployment_bytecode.bytecode, (
        f"bytecode of {name} is stale: run `make artifacts`"
    )
    if name in VENDORED_CONTRACTS:
        assert shipped["runtimeBytecode"] == contract_type.runtime_bytecode.bytecode, (
            f"runtime code of {name} is stale: run `make artifacts`"
        )


def test_vendored_multicall3_has_every_entry_point_of_the_canonical_deployment():
    """The vendored Multicall3 is the canonical one: each of its functions' selectors is in the runtime code
    deployed at 0xcA11bde05977b3631167028862bE2a173976CA11 on public networks (as Ape ships it)."""
    from ape_ethereum.multicall.constants import MULTICALL3_CODE

    functions = [item for item in load_artifact("Multicall3")["abi"] if item["type"] == "function"]
    signatures = [f"{f['name']}({','.join(abi_type(i) for i in f['inputs'])})" for f in functions]
    assert len(signatures) == 16 and "aggregate3((address,bool,bytes)[])" in signatures
    missing = [sig for sig in signatures if function_signature_to_4byte_selector(sig) not in bytes(MULTICALL3_CODE)]
    assert not missing


def _normalise(value):
    """Drop keys whose value is None, recursively, so the two JSON renderings compare equal."""
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value
