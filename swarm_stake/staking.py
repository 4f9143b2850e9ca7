"""Staking through the StakeManager: register, stake, unstake, withdraw, and typed views.

    from swarm_stake.chain import Client
    from swarm_stake.deploy import Registry
    from swarm_stake.staking import Staking

    staking = Staking(Client.connect(rpc_url, account), Registry.load("deployments/devnet.json"))
    staking.register(operator, 1_000 * 10**18, "http://node:9000/health")
    print(staking.provider(account.address).status)
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from .errors import ContractError
from .models import ProviderStatus
from .tokens import approve_exact

if TYPE_CHECKING:
    from web3.types import TxReceipt

    from .chain import Client
    from .deploy import Registry
    from .index import EventIndex

#: The events that set a provider's metadata URI (the newest one holds it).
METADATA_EVENTS = ("ProviderRegistered", "MetadataURIChanged")


class PositionView(BaseModel):
    provider: str
    staker: str
    shares: int
    assets: int
    unbonding_shares: int
    unbonding_assets: int
    unbonding_end: int


class ProviderView(BaseModel):
    address: str
    status: ProviderStatus
    operator: str
    jailed_until: int
    open_incidents: int
    pool_assets: int
    pool_shares: int
    self_stake: int
    metadata_uri: str | None
    block: int


class Staking:
    """Staking operations for the client's account, and views at a chosen block."""

    def __init__(self, client: Client, registry: Registry):
        self.client = client
        self.registry = registry
        self.manager = client.contract("StakeManager", registry.address("StakeManager"))

    @cached_property
    def token(self) -> Any:
        return self.client.contract("SwarmToken", self.manager.functions.token().call())

    @cached_property
    def decimals(self) -> int:
        return self.token.functions.decimals().call()

    # -- transactions ------------------------------------------------------------------------

    def _approve(self, amount: int) -> None:
        approve_exact(self.client, self.token, self.manager.address, amount, "this amount")

    def register(self, operator: str, self_stake: int, metadata_uri: str) -> TxReceipt:
        me = self.client.require_account().address
        if int(operator, 16) == 0:
            raise ContractError("ZeroAddress", {}, "the operator is the zero address; give the operator key's address")
        if self.manager.functions.getProvider(me).call()[3]:
            raise ContractError("ProviderAlreadyRegistered", {"provider": me},
                                "this key is already registered; add stake with `swarm-stake provider stake`")  # fmt: skip
        minimum = self.manager.functions.minSelfStake().call()
        if self_stake < minimum:
            raise ContractError("SelfStakeBelowMinimum", {"selfStake": self_stake, "minimum": minimum},
                                "the self-stake is below the minimum; stake at least the minimum")  # fmt: skip
        self._approve(self_stake)
        return self.client.send(self.manager.functions.registerProvider(operator, self_stake, metadata_uri))

    def stake(self, provider: str, amount: int) -> TxReceipt:
        self._precheck_stake(provider)
        self._approve(amount)
        return self.client.send(self.manager.functions.stake(provider, amount))

    def _precheck_stake(self, provider: str) -> None:
        """Refuse before approving anything when the stake would revert (so no transaction is sent)."""
        from .chain import EXPLANATIONS

        view = self.provider(provider)
        me = self.client.require_account().address
        problem: tuple[str, dict[str, Any]] | None = None
        if view.status == ProviderStatus.NONE:
            problem = ("ProviderNotRegistered", {"provider": provider})
        elif view.status == ProviderStatus.TOMBSTONED:
            problem = ("ProviderTombstoned", {"provider": provider})
        elif view.open_incidents:
            problem = ("PoolFrozen", {"provider": provider, "openIncidents": view.open_incidents})
        elif me != provider and view.status != ProviderStatus.ACTIVE:
            problem = ("ProviderNotActive", {"provider": provider})
        if problem:
            raise ContractError(problem[0], problem[1], EXPLANATIONS.get(problem[0]))

    def shares_for(self, provider: str, amount: int) -> int:
        """Bonded shares of the caller worth at least ``amount`` (capped at what it holds)."""
        staker = self.client.require_account().address
        held = self.manager.functions.getPosition(provider, staker).call()[0]
        assets, shares = self.manager.functions.getPool(provider).call()
        needed = -(-amount * (shares + 1_000) // (assets + 1))  # round up: at least the amount asked
        return min(needed, held)

    def request_unstake(self, provider: str, shares: int) -> TxReceipt:
        return self.client.send(self.manager.functions.requestUnstake(provider, shares))

    def withdraw(self, provider: str) -> TxReceipt:
        return self.client.send(self.manager.functions.withdraw(provider))

    # -- views -------------------------------------------------------------------------------

    def provider(self, address: str, block: int | str = "latest", index: EventIndex | None = None) -> ProviderView:
        """The provider at ``block``: its state in one batched read, its metadata URI from ``index``
        (synced by the caller) or, without one, from its events on chain."""
        from web3.exceptions import BlockNotFound

        from .errors import ConfigError
        from .multicall import Multicall

        try:
            number = self.client.w3.eth.get_block(block)["number"]
        except BlockNotFound as exc:
            latest = self.client.w3.eth.block_number
            raise ConfigError(f"block {block} does not exist yet (the latest is {latest}); give an earlier --block") from exc
        live = Multicall(self.client.w3).call(self.provider_calls(address), number)
        registered = live[0][3]
        return self.provider_view(address, live, self.metadata_uri(address, number, index) if registered else None, number)

    def provider_calls(self, address: str) -> list[Any]:
        """The views of a provider's state, in the order :meth:`provider_view` takes their results."""
        from .multicall import view

        manager = self.manager
        return [view(manager, "getProvider", address), view(manager, "getPool", address),
                view(manager, "statusOf", address), view(manager, "selfStakeOf", address)]  # fmt: skip

    @staticmethod
    def provider_view(address: str, live: list[Any], metadata_uri: str | None, block: int) -> ProviderView:
        """The provider ``address`` from the results of its :meth:`provider_calls` at ``block``."""
        (operator, jailed_until, open_incidents, _registered, _), (assets, shares), status, self_stake = live
        return ProviderView(
            address=address,
            status=ProviderStatus(status),
            operator=operator,
            jailed_until=jailed_until,
            open_incidents=open_incidents,
            pool_assets=assets,
            pool_shares=shares,
            self_stake=self_stake,
            metadata_uri=metadata_uri,
            block=block,
        )

    def metadata_uri(self, provider: str, block: int, index: EventIndex | None = None) -> str | None:
        """The latest metadata URI of ``provider`` (from its registration and update events)."""
        if index is not None:
            found = index.latest("StakeManager", METADATA_EVENTS, "metadataURI", until=block, provider=provider)
            return next(iter(found.values()), None)
        latest: tuple[int, int, str] | None = None
        for event in (self.manager.events.ProviderRegistered, self.manager.events.MetadataURIChanged):
            for log in event().get_logs(
                from_block=self.registry.start_block, to_block=block, argument_filters={"provider": provider}
            ):
                key = (log["blockNumber"], log["logIndex"], log["args"]["metadataURI"])
                if latest is None or key[:2] > latest[:2]:
                    latest = key
        return latest[2] if latest else None

    def position(self, provider: str, staker: str, block: int | str = "latest") -> PositionView:
        fn = self.manager.functions
        shares, unbonding, end = fn.getPosition(provider, staker).call(block_identifier=block)
        return PositionView(
            provider=provider,
            staker=staker,
            shares=shares,
            assets=fn.convertToAssets(provider, shares).call(block_identifier=block),
            unbonding_shares=unbonding,
            unbonding_assets=fn.convertToAssets(provider, unbonding).call(block_identifier=block),
            unbonding_end=end,
        )

    def positions(self, staker: str) -> list[PositionView]:
        """Every pool ``staker`` staked into (from its Staked events), with the current position."""
        providers: dict[str, None] = {}
        for log in self.manager.events.Staked().get_logs(
            from_block=self.registry.start_block, argument_filters={"staker": staker}
        ):
            providers[log["args"]["provider"]] = None
        for log in self.manager.events.ProviderRegistered().get_logs(
            from_block=self.registry.start_block, argument_filters={"provider": staker}
        ):
            providers[staker] = None
        views = [self.position(provider, staker) for provider in providers]
        return [v for v in views if v.shares or v.unbonding_shares]
