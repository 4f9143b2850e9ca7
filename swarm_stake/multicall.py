"""Many contract views in one ``eth_call``: Multicall3's ``aggregate3`` at its canonical address.

    reads = Multicall(client.w3)
    status, pool = reads.call([view(manager, "statusOf", a), view(manager, "getPool", a)], block)

Each result is what ``fn.call()`` of web3.py would return (a single output alone, several as a
list, structs as tuples, addresses checksummed). :func:`view` encodes a call without web3.py's
contract-function machinery (thousands of calls per status snapshot); a web3.py contract function
is taken as well. Calls go out in batches of at most ``batch_size``; a chain without Multicall3
at its address (it is on every public network; the devnet installs it) is read one call at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector

from .abis import abi_type, checksum, decode_values
from .errors import TransactionFailed

if TYPE_CHECKING:
    from web3 import Web3
    from web3.contract import Contract

#: Where Multicall3 lives on public networks (the same address on every chain).
MULTICALL3_ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11"
#: Calls per ``aggregate3`` request at most: the views read here cost up to about 10k gas each, so
#: a batch stays under the 30M gas that nodes allow an ``eth_call`` by default.
DEFAULT_BATCH = 2_500
_AGGREGATE3 = function_signature_to_4byte_selector("aggregate3((address,bool,bytes)[])")


@dataclass(frozen=True)
class Call:
    """One encoded view call: the contract, the calldata, the function's outputs (ABI) and name."""

    target: str
    data: bytes
    outputs: tuple[dict[str, Any], ...]
    name: str

    def decode(self, returned: bytes) -> Any:
        results = decode_values(list(self.outputs), returned)
        return results[0] if len(results) == 1 else results


_SPECS: dict[tuple[int, str, int], tuple[list[dict[str, Any]], bytes, list[str], tuple[dict[str, Any], ...]]] = {}


def view(contract: Contract, name: str, *args: Any) -> Call:
    """The call of the view ``name`` of ``contract`` with ``args`` (bytes32 arguments may be 0x hex)."""
    key = (id(contract.abi), name, len(args))
    spec = _SPECS.get(key)
    if spec is None or spec[0] is not contract.abi:
        matches = [item for item in contract.abi
                   if item["type"] == "function" and item["name"] == name and len(item["inputs"]) == len(args)]  # fmt: skip
        if len(matches) != 1:
            raise ValueError(f"{len(matches)} functions {name} with {len(args)} arguments in this ABI")
        types = [abi_type(i) for i in matches[0]["inputs"]]
        selector = function_signature_to_4byte_selector(f"{name}({','.join(types)})")
        spec = _SPECS[key] = (contract.abi, selector, types, tuple(matches[0].get("outputs", [])))
    _abi, selector, types, outputs = spec
    values = [bytes.fromhex(a.removeprefix("0x")) if t.startswith("bytes") and isinstance(a, str) else a
              for t, a in zip(types, args, strict=True)]  # fmt: skip
    words = [_word(t, v) for t, v in zip(types, values, strict=True)]
    data = b"".join(words) if None not in words else abi_encode(types, values)  # type: ignore[arg-type]
    return Call(contract.address, selector + data, outputs, name)


def _word(kind: str, value: Any) -> bytes | None:
    """The one-word encoding of an address, bytes32 or uint256 argument (None: let eth-abi encode it)."""
    if kind == "address" and isinstance(value, str) and len(value) == 42:
        return bytes(12) + bytes.fromhex(value[2:])
    if kind == "bytes32" and isinstance(value, bytes) and len(value) == 32:
        return value
    if kind == "uint256" and isinstance(value, int) and 0 <= value < 2**256:
        return value.to_bytes(32, "big")
    return None


def encode_aggregate3(calls: list[Call]) -> bytes:
    """The calldata of ``aggregate3(calls)``, every call allowed to fail (the ABI encoding, written out:
    eth-abi takes longer than the node to run a batch of thousands)."""
    offsets, tails, offset = [], [], 32 * len(calls)
    for call in calls:
        data = call.data + bytes(-len(call.data) % 32)
        tail = (bytes(12) + bytes.fromhex(call.target[2:]) + (1).to_bytes(32, "big") + (96).to_bytes(32, "big")
                + len(call.data).to_bytes(32, "big") + data)  # fmt: skip
        offsets.append(offset.to_bytes(32, "big"))
        tails.append(tail)
        offset += len(tail)
    return _AGGREGATE3 + (32).to_bytes(32, "big") + len(calls).to_bytes(32, "big") + b"".join(offsets + tails)


def decode_aggregate3(raw: bytes) -> list[tuple[bool, bytes]]:
    """The ``(success, returnData)[]`` that ``aggregate3`` returns (the ABI decoding, written out)."""

    def number(at: int) -> int:
        return int.from_bytes(raw[at : at + 32], "big")

    base = number(0)
    count, start = number(base), base + 32
    results = []
    for n in range(count):
        item = start + number(start + 32 * n)
        data = item + number(item + 32)
        results.append((raw[item + 31] != 0, raw[data + 32 : data + 32 + number(data)]))
    return results


def _as_call(fn: Any) -> Call:
    if isinstance(fn, Call):
        return fn
    data = bytes.fromhex(fn._encode_transaction_data().removeprefix("0x"))
    return Call(fn.address, data, tuple(fn.abi.get("outputs", [])), fn.fn_name)


class Multicall:
    """Batched reads through Multicall3 on ``w3``'s chain; ``requests`` counts the ``eth_call``s made."""

    def __init__(self, w3: Web3, address: str = MULTICALL3_ADDRESS, batch_size: int = DEFAULT_BATCH):
        if batch_size < 1:
            raise ValueError(f"a batch holds at least one call, not {batch_size}")
        self.w3 = w3
        self.address = checksum(address)
        self.batch_size = batch_size
        self.requests = 0

    @cached_property
    def available(self) -> bool:
        """Whether the chain has code at the Multicall3 address (asked once)."""
        return len(bytes(self.w3.eth.get_code(self.address))) > 0

    def call(self, calls: list[Any], block: int | str = "latest", batches: int = 1) -> list[Any]:
        """The results of ``calls`` (:class:`Call` or web3.py contract functions), in order, all read at
        ``block``: in ``batches`` ``eth_call``s or more (as many as ``batch_size`` needs), of about equal
        size. A view that reverts raises."""
        encoded = [_as_call(c) for c in calls]
        if not encoded:
            return []
        if not self.available:
            return [self._single(c, block) for c in encoded]
        count = max(batches, -(-len(encoded) // self.batch_size))
        size = -(-len(encoded) // count)
        results: list[Any] = []
        for first in range(0, len(encoded), size):
            results += self._batch(encoded[first : first + size], block)
        return results

    def _single(self, call: Call, block: int | str) -> Any:
        from web3.exceptions import ContractCustomError, ContractLogicError

        self.requests += 1
        try:
            returned = self.w3.eth.call({"to": call.target, "data": call.data}, block_identifier=block)
        except (ContractCustomError, ContractLogicError) as exc:
            raise self._reverted(call, block, getattr(exc, "data", None)) from exc
        return call.decode(bytes(returned))

    def _batch(self, calls: list[Call], block: int | str) -> list[Any]:
        self.requests += 1
        raw = self.w3.eth.call({"to": self.address, "data": encode_aggregate3(calls)}, block_identifier=block)
        answers = decode_aggregate3(bytes(raw))
        results = []
        for call, (success, returned) in zip(calls, answers, strict=True):
            if not success:
                raise self._reverted(call, block, returned)
            results.append(call.decode(bytes(returned)))
        return results

    @staticmethod
    def _reverted(call: Call, block: int | str, data: Any) -> Exception:
        from .chain import decode_revert

        decoded = decode_revert(data) if isinstance(data, str | bytes) else None
        return decoded or TransactionFailed(f"the view {call.name} at {call.target} reverted (at block {block})")


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
