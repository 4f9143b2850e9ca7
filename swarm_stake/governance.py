"""Governance through the timelock: schedule a call, wait out the delay, execute it."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from web3.contract.contract import ContractFunction
    from web3.types import TxReceipt

    from .chain import Client

ZERO32 = b"\x00" * 32


def timelock_execute(
    client: Client, timelock_address: str, call: ContractFunction, *, wait: bool = True, salt: bytes | None = None
) -> TxReceipt:
    """Schedule ``call`` on the timelock, wait for its delay (on the chain's clock) and execute it.

    ``client`` must hold the timelock's proposer and executor roles (the devnet deployer does).
    """
    timelock = client.contract("SwarmTimelock", timelock_address)
    target = call.address
    data = call._encode_transaction_data()
    salt = salt or os.urandom(32)
    delay = timelock.functions.getMinDelay().call()
    client.send(timelock.functions.schedule(target, 0, data, ZERO32, salt, delay))
    if delay and wait:
        _wait_until(client, timelock.functions.getTimestamp(timelock.functions.hashOperation(
            target, 0, data, ZERO32, salt).call()).call())
    return client.send(timelock.functions.execute(target, 0, data, ZERO32, salt))


def _wait_until(client: Client, timestamp: int, poll: float = 0.5) -> None:
    while client.w3.eth.get_block("latest")["timestamp"] < timestamp:
        time.sleep(poll)


def calldata(fn: ContractFunction) -> Any:
    """The ABI-encoded calldata of a bound contract function."""
    return fn._encode_transaction_data()
