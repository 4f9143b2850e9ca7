"""Every shipped contract fits the EIP-170 limit, so it deploys on any EVM network, not only on anvil."""

import pytest

from swarm_stake.abis import SHIPPED_CONTRACTS

EIP170_LIMIT = 24_576


@pytest.mark.parametrize("name", SHIPPED_CONTRACTS)
def test_runtime_code_fits_eip170(project, name):
    runtime = getattr(project, name).contract_type.runtime_bytecode.bytecode
    size = len(bytes.fromhex(runtime.removeprefix("0x")))
    assert 0 < size <= EIP170_LIMIT, f"{name} is {size} bytes; the limit is {EIP170_LIMIT}"
