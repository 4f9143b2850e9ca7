"""Strict assertion helpers and an independent Python model of the StakeManager share pools.

`ape.reverts(Error)` passes when the revert could not be decoded into a custom error at all, and
its `**inputs` check skips names the error does not have; `reverts` below closes both holes.
Ape's mock logs compare only the arguments given; `emitted` compares whole event lists.
Inside `reverts`, ape-foundry's printing of the call trace of every reverted transaction (a trace
fetch and a render, most of the cost of a revert test) is switched off: the revert is expected.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from unittest import mock

import ape
from ape_ethereum.trace import Trace
from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address

from conftest import MIN_SELF_STAKE, TOKEN, UNBONDING

ZERO_ADDRESS = "0x" + "00" * 20
DEFAULT_ADMIN_ROLE = b"\x00" * 32

# contracts/libraries/SharesMath.sol, restated independently.
VIRTUAL_SHARES = 10**3
VIRTUAL_ASSETS = 1


def to_shares(assets: int, pool_assets: int, pool_shares: int) -> int:
    """Shares minted for `assets`, rounded down."""
    return assets * (pool_shares + VIRTUAL_SHARES) // (pool_assets + VIRTUAL_ASSETS)


def to_assets(shares: int, pool_assets: int, pool_shares: int) -> int:
    """Tokens paid for `shares`, rounded down."""
    return shares * (pool_assets + VIRTUAL_ASSETS) // (pool_shares + VIRTUAL_SHARES)


def addr(value) -> str:
    """An account, a contract or an address string, as a checksummed address string."""
    return value.address if hasattr(value, "address") else value


def _normalize(value):
    if hasattr(value, "address"):
        return value.address
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, list | tuple):  # a struct argument: its fields in order
        return [_normalize(v) for v in value]
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return to_checksum_address(value)
    return value


def _no_show(self, *args, **kwargs) -> None:
    pass


@contextmanager
def reverts(error, **inputs):
    """Expects a revert with exactly the custom error `error` (a class taken from the contract that
    defines it, e.g. `stake_manager.ZeroAmount`) and, when inputs are given, all of its arguments."""
    with mock.patch.object(Trace, "show", _no_show), ape.reverts(error) as info:
        yield info
    raised = info.value
    assert isinstance(raised, error), f"expected {error.__name__}, got {type(raised).__name__}: {raised}"
    if inputs:
        actual = {name: _normalize(value) for name, value in raised.inputs.items()}
        expected = {name: _normalize(value) for name, value in inputs.items()}
        assert actual == expected, f"{error.__name__} arguments: expected {expected}, got {actual}"


@contextmanager
def deploy_reverts(container, name: str, **inputs):
    """Like `reverts`, for a deployment: Ape does not decode custom errors raised by a constructor,
    so the revert data is matched against the error of that name in `container`'s ABI here."""
    (abi,) = [e for e in container.contract_type.errors if e.name == name]
    with mock.patch.object(Trace, "show", _no_show), ape.reverts() as info:
        yield info
    data = bytes.fromhex(info.value.revert_message.removeprefix("0x"))
    types = [i.canonical_type for i in abi.inputs]
    assert data[:4] == keccak(text=f"{name}({','.join(types)})")[:4], f"expected {name}, got 0x{data.hex()}"
    decoded = dict(zip([i.name for i in abi.inputs], abi_decode(types, data[4:]), strict=True))
    if inputs:
        decoded = {k: v.lower() if isinstance(v, str) else v for k, v in decoded.items()}
        expected = {k: addr(v).lower() if isinstance(addr(v), str) else v for k, v in inputs.items()}
        assert decoded == expected, f"{name} arguments: expected {expected}, got {decoded}"


def emitted(tx, *contracts) -> list[tuple[str, dict]]:
    """Every event that `contracts` emitted in `tx`, in the order emitted, as (name, arguments)."""
    addresses = {addr(contract) for contract in contracts}
    return [
        (log.event_name, {name: _normalize(value) for name, value in log.event_arguments.items()})
        for log in tx.events
        if log.contract_address in addresses
    ]


def transfers(tx, token) -> list[tuple[str, str, int]]:
    """The (from, to, value) of every Transfer of `token` in `tx`."""
    return [(args["from"], args["to"], args["value"]) for name, args in emitted(tx, token) if name == "Transfer"]


def position(manager, provider, staker) -> tuple[int, int, int]:
    """(bonded shares, unbonding shares, unbonding end) of `staker` in the pool of `provider`."""
    p = manager.getPosition(provider, staker)
    return (p.shares, p.unbondingShares, p.unbondingEnd)


def pool(manager, provider) -> tuple[int, int]:
    """(assets, shares) of the pool of `provider`."""
    p = manager.getPool(provider)
    return (p.assets, p.shares)


@dataclass
class PoolModel:
    """Python model of one pool: the same numbers the contract must reach, computed apart."""

    assets: int = 0
    shares: int = 0
    bonded: dict[str, int] = field(default_factory=dict)
    unbonding: dict[str, int] = field(default_factory=dict)

    def stake(self, staker, amount: int) -> int:
        minted = to_shares(amount, self.assets, self.shares)
        self.assets += amount
        self.shares += minted
        self.bonded[addr(staker)] = self.bonded.get(addr(staker), 0) + minted
        return minted

    def request_unstake(self, staker, shares: int) -> None:
        self.bonded[addr(staker)] -= shares
        self.unbonding[addr(staker)] = self.unbonding.get(addr(staker), 0) + shares

    def withdraw(self, staker) -> tuple[int, int]:
        shares = self.unbonding.pop(addr(staker))
        paid = to_assets(shares, self.assets, self.shares)
        self.assets -= paid
        self.shares -= shares
        return shares, paid

    def slash(self, amount: int) -> None:
        self.assets -= amount

    def return_stake(self, amount: int) -> None:
        self.assets += amount

    def value(self, staker) -> int:
        """Tokens that all shares of `staker` (bonded and unbonding) are worth now."""
        held = self.bonded.get(addr(staker), 0) + self.unbonding.get(addr(staker), 0)
        return to_assets(held, self.assets, self.shares)

    def check(self, manager, provider) -> None:
        """The contract's pool and positions equal the model's."""
        assert pool(manager, provider) == (self.assets, self.shares)
        for staker in set(self.bonded) | set(self.unbonding):
            p = manager.getPosition(provider, staker)
            assert (p.shares, p.unbondingShares) == (self.bonded.get(staker, 0), self.unbonding.get(staker, 0))


# Delegations of the shared pool scenario: three delegators with unlike, not round, amounts.
DELEGATIONS = (2_500 * TOKEN, 777 * TOKEN + 333_333, 12_345 * TOKEN + 7)


def build_pool(manager, provider, delegators, top_up: int = 500 * TOKEN + 3) -> PoolModel:
    """The `registered` provider (minimum self-stake), a top-up of its own and three delegations;
    returns the model of the pool, checked against the contract."""
    model = PoolModel()
    model.stake(provider, MIN_SELF_STAKE)
    manager.stake(provider, top_up, sender=provider)
    model.stake(provider, top_up)
    for delegator, amount in zip(delegators, DELEGATIONS, strict=True):
        manager.stake(provider, amount, sender=delegator)
        model.stake(delegator, amount)
    model.check(manager, provider)
    return model


def deploy_manager(project, token, admin, unbonding: int = UNBONDING, min_self_stake: int = MIN_SELF_STAKE):
    """A second StakeManager, e.g. on a test token."""
    return project.StakeManager.deploy(token, admin, unbonding, min_self_stake, sender=admin)


def fund(token, holder, manager, accounts, amount: int) -> None:
    """Gives each of `accounts` `amount` of `token` from `holder` and approves `manager` for all of it."""
    for account in accounts:
        token.transfer(account, amount, sender=holder)
        token.approve(manager, 2**256 - 1, sender=account)


#: Cap parameters for direct StakeManager calls (rateCapBps, providerCapBps, window, since): caps that
#: never bind, so that a test of the StakeManager alone sees whole amounts move.
CAPS = (10_000, 10_000, 86_400, 0)


def standing(jail_end: int, *, tag: bytes | None = None, at: int = 0, level: int = 1, violation_class: int = 0):
    """An IStakeManager.Standing entry for StakeManager.penalize: an incident (`tag`, by default a fresh one)
    executed at `at` whose jail ends at `jail_end` (0: a warning, no jail or freeze)."""
    import os

    return (tag or os.urandom(20), at, jail_end, level, violation_class)


def penalize(stake_manager, provider, amount, escrow, slasher, jail_for: int = 3_600):
    """The response to an executed verdict (StakeManager.penalize): one more open incident, a jail of
    `jail_for` seconds and a slash of `amount` into `escrow`."""
    import ape

    now = max(ape.chain.pending_timestamp, ape.chain.blocks.head.timestamp + 1)
    return stake_manager.penalize(provider, amount, escrow, standing(now + jail_for), CAPS, sender=slasher)


def slash_and_settle(stake_manager, provider, amount, escrow, slasher, restorer):
    """A slash whose incident has ended: penalize with a one-minute jail, then the pool unfrozen (the
    escrow's end) and the jail past. What a pool looks like after a forfeited incident."""
    import ape

    tx = penalize(stake_manager, provider, amount, escrow, slasher, jail_for=60)
    stake_manager.unfreeze(provider, sender=restorer)
    ape.chain.mine(timestamp=max(stake_manager.getProvider(provider).jailedUntil, ape.chain.blocks.head.timestamp + 1))
    return tx


def jail(stake_manager, provider, until, escrow, slasher, restorer):
    """A jail until `until` whose incident has already ended (penalized, then unfrozen): the provider is
    jailed, its pool is not frozen."""
    tx = stake_manager.penalize(provider, 0, escrow, standing(until), CAPS, sender=slasher)
    stake_manager.unfreeze(provider, sender=restorer)
    return tx
