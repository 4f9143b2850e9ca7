"""Many contract views in one ``eth_call``: Multicall3's ``aggregate3`` at its canonical address.

    reads = Multicall(client.w3)
    status, pool = reads.call([manager.functions.statusOf(a), manager.functions.getPool(a)], block)

Each result is what ``fn.call()`` would return (a single output alone, several as a tuple, addresses
checksummed). Calls go out in batches of at most ``batch_size``; a chain without Multicall3 at its
address (it is on every public network; the devnet installs it) is read one call at a time.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from .errors import TransactionFailed

if TYPE_CHECKING:
    from web3 import Web3
    from web3.contract.contract import ContractFunction

#: Where Multicall3 lives on public networks (the same address on every chain).
MULTICALL3_ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11"
#: Calls per ``aggregate3`` request: the views read here cost up to about 8k gas each, so a batch
#: stays well under the 30M gas that nodes allow an ``eth_call`` by default.
DEFAULT_BATCH = 2_500
_AGGREGATE3 = function_signature_to_4byte_selector("aggregate3((address,bool,bytes)[])")


def _abi_type(param: dict[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return param["type"]


def _normalise(param: dict[str, Any], value: Any) -> Any:
    """A decoded value as web3.py returns it: checksummed addresses, structs as tuples."""
    kind = param["type"]
    if kind.endswith("]"):
        inner = {**param, "type": kind[: kind.rindex("[")]}
        return [_normalise(inner, v) for v in value]
    if kind == "tuple":
        return tuple(_normalise(c, v) for c, v in zip(param["components"], value, strict=True))
    if kind == "address":
        return to_checksum_address(value)
    return value


class Multicall:
    """Batched reads through Multicall3 on ``w3``'s chain; ``requests`` counts the ``eth_call``s made."""

    def __init__(self, w3: Web3, address: str = MULTICALL3_ADDRESS, batch_size: int = DEFAULT_BATCH):
        if batch_size < 1:
            raise ValueError(f"a batch holds at least one call, not {batch_size}")
        self.w3 = w3
        self.address = to_checksum_address(address)
        self.batch_size = batch_size
        self.requests = 0

    @cached_property
    def available(self) -> bool:
        """Whether the chain has code at the Multicall3 address (asked once)."""
        return len(bytes(self.w3.eth.get_code(self.address))) > 0

    def call(self, fns: list[ContractFunction], block: int | str = "latest", batches: int = 1) -> list[Any]:
        """The results of ``fns``, in order, all read at ``block``: in ``batches`` ``eth_call``s or more
        (as many as ``batch_size`` needs), of about equal size. A view that reverts raises."""
        if not fns:
            return []
        if not self.available:
            return [fn.call(block_identifier=block) for fn in fns]
        count = max(batches, -(-len(fns) // self.batch_size))
        size = -(-len(fns) // count)
        results: list[Any] = []
        for first in range(0, len(fns), size):
            results += self._batch(fns[first : first + size], block)
        return results

    def _batch(self, fns: list[ContractFunction], block: int | str) -> list[Any]:
        calls = [(fn.address, True, bytes.fromhex(fn._encode_transaction_data()[2:])) for fn in fns]
        data = _AGGREGATE3 + abi_encode(["(address,bool,bytes)[]"], [calls])
        self.requests += 1
        raw = self.w3.eth.call({"to": self.address, "data": data}, block_identifier=block)
        (answers,) = abi_decode(["(bool,bytes)[]"], bytes(raw))
        results = []
        for fn, (success, returned) in zip(fns, answers, strict=True):
            if not success:
                from .chain import decode_revert

                raise decode_revert(returned) or TransactionFailed(
                    f"the view {fn.fn_name} at {fn.address} reverted (at block {block})"
                )
            outputs = fn.abi.get("outputs", [])
            values = abi_decode([_abi_type(o) for o in outputs], bytes(returned))
            normalised = tuple(_normalise(o, v) for o, v in zip(outputs, values, strict=True))
            results.append(normalised[0] if len(normalised) == 1 else list(normalised))
        return results


def install_multicall3(w3: Web3) -> bool:
    """Put Multicall3's runtime code at its canonical address on a devnet (``anvil_setCode``), unless
    code is already there; returns whether it installed it."""
    from .abis import load_artifact

    if bytes(w3.eth.get_code(MULTICALL3_ADDRESS)):
        return False
    code = load_artifact("Multicall3")["runtimeBytecode"]
    w3.provider.make_request("anvil_setCode", [MULTICALL3_ADDRESS, code])
    if not bytes(w3.eth.get_code(MULTICALL3_ADDRESS)):
        raise TransactionFailed("the node did not take Multicall3's code (anvil_setCode); is it anvil?")
    return True
