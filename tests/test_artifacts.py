"""The ABIs and bytecode shipped in swarm_stake/artifacts match the contracts as compiled now."""

import pytest
from eth_utils import function_signature_to_4byte_selector

from swarm_stake.abis import SHIPPED_CONTRACTS, VENDORED_CONTRACTS, load_artifact


@pytest.mark.parametrize("name", SHIPPED_CONTRACTS)
def test_shipped_artifact_matches_compiled_contract(project, name):
    contract_type = getattr(project, name).contract_type
    shipped = load_artifact(name)
    compiled_abi = [item.model_dump(mode="json", by_alias=True, exclude_none=True) for item in contract_type.abi]
    shipped_abi = [{k: v for k, v in item.items() if v is not None} for item in shipped["abi"]]
    assert _normalise(shipped_abi) == _normalise(compiled_abi), f"ABI of {name} is stale: run `make artifacts`"
    assert shipped["bytecode"] == contract_type.deployment_bytecode.bytecode, (
        f"bytecode of {name} is stale: run `make artifacts`"
    )


def test_shipped_multicall3_is_the_canonical_deployment():
    """The Multicall3 the devnet installs is byte for byte the runtime code deployed at
    0xcA11bde05977b3631167028862bE2a173976CA11 on public networks (as eth-ape ships it), with the
    `aggregate3((address,bool,bytes)[])` entry point swarm_stake.multicall calls."""
    from ape_ethereum.multicall.constants import MULTICALL3_ADDRESS, MULTICALL3_CODE

    (name,) = VENDORED_CONTRACTS
    shipped = load_artifact(name)
    assert shipped["address"] == MULTICALL3_ADDRESS
    assert bytes.fromhex(shipped["runtimeBytecode"][2:]) == bytes(MULTICALL3_CODE), "stale: run `make artifacts`"
    assert function_signature_to_4byte_selector("aggregate3((address,bool,bytes)[])") in bytes(MULTICALL3_CODE)


def _normalise(value):
    """Drop keys whose value is None, recursively, so the two JSON renderings compare equal."""
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value
