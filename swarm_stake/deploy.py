"""The deployment plan of swarm-stake, shared by the devnet (web3.py) and the Ape deploy script.

A plan is an ordered list of steps (deploy a contract, call a function) whose arguments may
refer to addresses deployed by earlier steps. Executors carry the steps out: :class:`Web3Executor`
here, and an Ape executor in ``scripts/deploy.py``. The result is a :class:`Registry` of
addresses, written as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError
from .units import parse_amount, parse_duration

if TYPE_CHECKING:
    from .chain import Client

ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"


class DeployParams(BaseModel):
    """Per-network deployment parameters (a JSON parameter file)."""

    model_config = ConfigDict(extra="forbid")

    token: str | None = Field(
        default=None, pattern=ADDRESS_PATTERN, description="staking token; None deploys the devnet SwarmToken"
    )
    token_supply: int = Field(default=1_000_000_000 * 10**18, description="SwarmToken supply (devnet only)")
    admin: str | None = Field(
        default=None, pattern=ADDRESS_PATTERN, description="governance (timelock) address; default the deployer"
    )
    unbonding_period: int = Field(description="seconds; accepts '7 days'")
    min_self_stake: int = Field(description="base units; accepts '1000e18' or '1000 tokens'")

    @field_validator("unbonding_period", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> int:
        return parse_duration(value)

    @field_validator("token_supply", "min_self_stake", mode="before")
    @classmethod
    def _amount(cls, value: Any) -> int:
        return parse_amount(value)

    @classmethod
    def from_file(cls, path: Path) -> DeployParams:
        try:
            return cls.model_validate(json.loads(Path(path).read_text()))
        except FileNotFoundError as exc:
            raise ConfigError(f"parameter file not found: {path}") from exc
        except json.JSONDecodeError as exc:
            raise ConfigError(f"parameter file {path} is not valid JSON: {exc}") from exc
        except ValidationError as exc:
            raise ConfigError(f"parameter file {path} is invalid:\n{exc}") from exc


class Registry(BaseModel):
    """Addresses of one deployment."""

    model_config = ConfigDict(extra="forbid")

    network: str
    chain_id: int
    start_block: int = Field(description="first block of the deployment; event scans start here")
    contracts: dict[str, str]
    params: DeployParams

    def address(self, name: str) -> str:
        try:
            return self.contracts[name]
        except KeyError as exc:
            raise ConfigError(f"the registry has no {name} (it has {', '.join(self.contracts)})") from exc

    def save(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(self.model_dump_json(indent=2) + "\n")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Registry:
        try:
            return cls.model_validate_json(Path(path).read_text())
        except FileNotFoundError as exc:
            raise ConfigError(f"deployment registry not found: {path}") from exc
        except ValidationError as exc:
            raise ConfigError(f"deployment registry {path} is invalid:\n{exc}") from exc


Addresses = dict[str, str]


@dataclass(frozen=True)
class DeployStep:
    """Deploy ``contract`` under ``key`` with arguments computed from the addresses so far."""

    key: str
    contract: str
    args: Callable[[Addresses], tuple[Any, ...]]


@dataclass(frozen=True)
class CallStep:
    """Call ``function`` on the contract deployed under ``key``."""

    key: str
    contract: str
    function: str
    args: Callable[[Addresses], tuple[Any, ...]]


Step = DeployStep | CallStep


def plan(params: DeployParams, deployer: str) -> list[Step]:
    """The ordered steps that deploy swarm-stake with ``params``."""
    admin = params.admin or deployer
    steps: list[Step] = []
    if params.token is None:
        steps.append(DeployStep("SwarmToken", "SwarmToken", lambda _: (deployer, params.token_supply)))
    token = params.token
    steps.append(
        DeployStep(
            "StakeManager",
            "StakeManager",
            lambda a: (token or a["SwarmToken"], admin, params.unbonding_period, params.min_self_stake),
        )
    )
    return steps


class Executor(Protocol):
    def deploy(self, contract: str, args: tuple[Any, ...]) -> str: ...

    def call(self, contract: str, address: str, function: str, args: tuple[Any, ...]) -> None: ...


def execute(steps: list[Step], executor: Executor, known: Addresses | None = None) -> Addresses:
    """Carry out ``steps`` in order; return the addresses deployed (``known`` ones included)."""
    addresses: Addresses = dict(known or {})
    for step in steps:
        if isinstance(step, DeployStep):
            addresses[step.key] = executor.deploy(step.contract, step.args(addresses))
        else:
            executor.call(step.contract, addresses[step.key], step.function, step.args(addresses))
    return addresses


class Web3Executor:
    """Carries out a plan with a :class:`~swarm_stake.chain.Client`."""

    def __init__(self, client: Client):
        self.client = client

    def deploy(self, contract: str, args: tuple[Any, ...]) -> str:
        address, _ = self.client.deploy(contract, *args)
        return address

    def call(self, contract: str, address: str, function: str, args: tuple[Any, ...]) -> None:
        fn = getattr(self.client.contract(contract, address).functions, function)
        self.client.send(fn(*args))


def deploy_with_client(client: Client, params: DeployParams, network: str) -> Registry:
    """Deploy swarm-stake through ``client`` and return its registry."""
    start_block = client.w3.eth.block_number + 1
    deployer = client.require_account().address
    addresses = execute(plan(params, deployer), Web3Executor(client))
    return Registry(
        network=network, chain_id=client.w3.eth.chain_id, start_block=start_block, contracts=addresses, params=params
    )
