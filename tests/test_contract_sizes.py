"""Every shipped contract fits the EIP-170 limit with at least 2,048 bytes to spare, so it deploys on any
EVM network, not only on anvil, and a fix of the next finding still fits."""

import pytest

from swarm_stake.abis import SHIPPED_CONTRACTS

EIP170_LIMIT = 24_576
HEADROOM = 2_048


@pytest.mark.parametrize("name", SHIPPED_CONTRACTS)
def test_runtime_code_fits_eip170_with_headroom(project, name):
    runtime = getattr(project, name).contract_type.runtime_bytecode.bytecode
    size = len(bytes.fromhex(runtime.removeprefix("0x")))
    assert 0 < size <= EIP170_LIMIT - HEADROOM, (
        f"{name} is {size} bytes: {EIP170_LIMIT - size} under the EIP-170 limit, {HEADROOM} wanted"
    )
