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
from typing import TYPE_CHECKING, Annotated, Any, Protocol

from eth_utils import keccak
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError
from .models import RecoveryPath, ViolationClass
from .units import parse_amount, parse_duration

if TYPE_CHECKING:
    from .chain import Client

ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"


def _duration(value: Any) -> int:
    return parse_duration(value)


def _amount(value: Any) -> int:
    return parse_amount(value)


Duration = Annotated[int, BeforeValidator(_duration), Field(ge=0, lt=2**32)]
Amount = Annotated[int, BeforeValidator(_amount), Field(ge=0)]
Bps = Annotated[int, Field(ge=0, le=10_000)]
AddressStr = Annotated[str, Field(pattern=ADDRESS_PATTERN)]


class WindowParams(BaseModel):
    """IVerdictManager.Windows, in seconds (durations such as "2 days" accepted)."""

    model_config = ConfigDict(extra="forbid")

    max_verdict_age: Duration = 6 * 3600
    execution_grace: Duration = 3600
    appeal_window: Duration = 3 * 86400
    appeal_resolution: Duration = 4 * 86400
    lookback: Duration = 30 * 86400
    bucket_length: Duration = 3600
    max_pause: Duration = 86400
    pause_cooldown: Duration = 3 * 86400

    def as_tuple(self) -> tuple[int, ...]:
        return tuple(self.model_dump().values())


class LimitParams(BaseModel):
    """IVerdictManager.Limits."""

    model_config = ConfigDict(extra="forbid")

    appeal_bond: Amount = 100 * 10**18
    oracle_penalty: Amount = 50 * 10**18
    rate_cap_bps: Bps = 1_000
    provider_cap_bps: Bps = 5_000
    cap_window: Duration = 86400

    def as_tuple(self) -> tuple[int, ...]:
        return tuple(self.model_dump().values())


class RecoveryParamsModel(BaseModel):
    """IRecoveryEscrow.RecoveryParams."""

    model_config = ConfigDict(extra="forbid")

    claim_window: Duration = 30 * 86400
    epoch_length: Duration = 86400
    epochs_required: Annotated[int, Field(ge=1, le=255)] = 7
    challenge_window: Duration = 3 * 86400
    max_lifetime: Duration = 90 * 86400
    graduated: bool = True
    attestation_grace: Duration = 6 * 3600

    def as_tuple(self) -> tuple[Any, ...]:
        return tuple(self.model_dump().values())


class PenaltyRowParams(BaseModel):
    """IVerdictManager.PenaltyRow."""

    model_config = ConfigDict(extra="forbid")

    slash_bps: Bps = 0
    recoverable_bps: Bps = 0
    jail: Duration = 0
    recovery_path: RecoveryPath = RecoveryPath.NONE
    tombstone: bool = False
    enabled: bool = True

    def as_tuple(self) -> tuple[Any, ...]:
        return (self.slash_bps, self.recoverable_bps, self.jail, int(self.recovery_path), self.tombstone, self.enabled)


DAY = 86400
#: The default slashing matrix (DESIGN.md): class -> [warning, penalty, severe].
DEFAULT_MATRIX: dict[str, list[PenaltyRowParams]] = {
    "poor_performance": [
        PenaltyRowParams(),
        PenaltyRowParams(slash_bps=100, recoverable_bps=10_000, jail=DAY, recovery_path=RecoveryPath.SERVICE_IMPROVEMENT),
        PenaltyRowParams(slash_bps=500, recoverable_bps=8_000, jail=7 * DAY, recovery_path=RecoveryPath.SERVICE_IMPROVEMENT),
    ],
    "security_breach": [
        PenaltyRowParams(enabled=False),
        PenaltyRowParams(slash_bps=1_000, recoverable_bps=5_000, jail=14 * DAY, recovery_path=RecoveryPath.SECURITY_REVIEW),
        PenaltyRowParams(slash_bps=3_000, recoverable_bps=0, jail=30 * DAY, tombstone=True),
    ],
    "protocol_violation": [
        PenaltyRowParams(),
        PenaltyRowParams(slash_bps=300, recoverable_bps=7_500, jail=3 * DAY, recovery_path=RecoveryPath.COMPLIANCE_VERIFICATION),
        PenaltyRowParams(slash_bps=1_500, recoverable_bps=2_500, jail=30 * DAY, recovery_path=RecoveryPath.COMPLIANCE_VERIFICATION),
    ],
}  # fmt: skip


class DeployParams(BaseModel):
    """Per-network deployment parameters (a JSON parameter file)."""

    model_config = ConfigDict(extra="forbid")

    token: AddressStr | None = Field(default=None, description="staking token; None deploys the devnet SwarmToken")
    token_supply: Amount = Field(default=1_000_000_000 * 10**18, description="SwarmToken supply (devnet only)")
    unbonding_period: Duration = Field(description="seconds; accepts '21 days'")
    min_self_stake: Amount = Field(description="base units; accepts '1000e18' or '1000 tokens'")
    min_oracle_bond: Amount = 1_000 * 10**18
    windows: WindowParams = Field(default_factory=WindowParams)
    limits: LimitParams = Field(default_factory=LimitParams)
    recovery: RecoveryParamsModel = Field(default_factory=RecoveryParamsModel)
    matrix: dict[str, list[PenaltyRowParams]] = Field(default_factory=lambda: dict(DEFAULT_MATRIX))
    timelock_delay: Duration = 2 * DAY
    proposers: list[AddressStr] = Field(default_factory=list, description="timelock proposers; default the deployer")
    executors: list[AddressStr] = Field(default_factory=list, description="timelock executors; default anyone")
    guardian: AddressStr | None = None
    arbiter: AddressStr | None = None
    auditors: list[AddressStr] = Field(default_factory=list, description="auditors registered at deployment")

    @field_validator("matrix")
    @classmethod
    def _full_matrix(cls, value: dict[str, list[PenaltyRowParams]]) -> dict[str, list[PenaltyRowParams]]:
        expected = [c.name.lower() for c in ViolationClass]
        if sorted(value) != sorted(expected) or any(len(rows) != 3 for rows in value.values()):
            raise ValueError(f"the matrix needs the classes {expected}, each with 3 rows (warning, penalty, severe)")
        return value

    def matrix_tuple(self) -> list[tuple[Any, ...]]:
        """The nine rows, class-major (index = class * 3 + level), as the VerdictManager takes them."""
        return [row.as_tuple() for c in ViolationClass for row in self.matrix[c.name.lower()]]

    @classmethod
    def from_file(cls, path: Path) -> DeployParams:
        try:
            return cls.model_validate(json.loads(Path(path).read_text()))
        except FileNotFoundError as exc:
            raise ConfigError(f"parameter file not found: {path}") from exc
        except json.JSONDecodeError as exc:
            raise ConfigError(f"parameter file {path} is not valid JSON: {exc}") from exc
        except ValidationError as exc:
            raise ConfigError(f"parameter file {path} is invalid: {_problems(exc)}; fix it and run again") from exc
        except RecursionError as exc:
            raise ConfigError(f"parameter file {path} is nested too deeply to read") from exc
        except (OSError, ValueError) as exc:  # unreadable, not UTF-8, an integer of thousands of digits
            raise ConfigError(f"cannot read the parameter file {path}: {str(exc).split(';')[0]}") from exc


def _problems(exc: ValidationError) -> str:
    """A validation error on one line: `field.path: message` for each problem."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors())


class Registry(BaseModel):
    """Addresses of one deployment."""

    model_config = ConfigDict(extra="forbid")

    network: str
    chain_id: int
    start_block: int = Field(description="first block of the deployment; event scans start here")
    contracts: dict[str, str]
    params: DeployParams
    roles: dict[str, list[str]] = Field(default_factory=dict, description="who holds which role: role -> addresses")

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
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read the deployment registry {path}: {exc}") from exc
        except ValidationError as exc:
            raise ConfigError(f"deployment registry {path} is invalid: {_problems(exc)}; use the file that "
                              "`swarm-stake deploy` or `devnet up --registry` wrote") from exc


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


def role(name: str) -> bytes:
    """The AccessControl role id of ``name`` (keccak256 of the name; the admin role is zero)."""
    return b"\x00" * 32 if name == "DEFAULT_ADMIN_ROLE" else keccak(text=name)


_ZERO_ADDRESS = "0x" + "00" * 20


def require_governable(params: DeployParams) -> None:
    """Refuse parameters that would deploy a system the governance does not hold: no guardian or
    arbiter named (the deployer would keep those roles outside the timelock), or a zero-address
    placeholder for the token, a proposer, the guardian or the arbiter."""
    problems = [f"no {name} is named" for name in ("guardian", "arbiter") if getattr(params, name) is None]
    named = {"token": [params.token], "guardian": [params.guardian], "arbiter": [params.arbiter],
             "timelock proposer": params.proposers, "timelock executor": params.executors}  # fmt: skip
    problems += [f"the {name} is the zero address" for name, values in named.items()
                 if any(v is not None and v.lower() == _ZERO_ADDRESS for v in values)]  # fmt: skip
    # The executors' zero address means "anyone may execute" only as the whole list.
    if params.executors == [_ZERO_ADDRESS]:
        problems.remove("the timelock executor is the zero address")
    if problems:
        raise ConfigError(
            f"refusing to deploy: {'; '.join(problems)}. A deployment without its guardian and arbiter would "
            "leave their roles with the deployer, and a zero-address placeholder would deploy a system nobody "
            "can govern: set \"guardian\" and \"arbiter\" (multisigs, say) and the real token and proposer "
            "addresses in the parameter file"
        )


def plan(params: DeployParams, deployer: str) -> list[Step]:
    """The ordered steps that deploy swarm-stake with ``params`` and hand every admin role to the timelock.

    The deployer holds the admin roles only between its own steps; the last steps grant them to the
    timelock and renounce them. The guardian and the arbiter must be named: a default would leave
    their roles with the deployer, outside the timelock.
    """
    require_governable(params)
    proposers = params.proposers or [deployer]
    steps: list[Step] = []
    if params.token is None:
        steps.append(DeployStep("SwarmToken", "SwarmToken", lambda _: (deployer, params.token_supply)))
    token = params.token

    def token_of(a: Addresses) -> str:
        return token or a["SwarmToken"]

    steps += [
        DeployStep("SwarmTimelock", "SwarmTimelock", lambda _: (params.timelock_delay, proposers, params.executors or
                                                                 ["0x0000000000000000000000000000000000000000"])),
        DeployStep("StakeManager", "StakeManager",
                   lambda a: (token_of(a), deployer, params.unbonding_period, params.min_self_stake)),
        DeployStep("OracleCommittee", "OracleCommittee",
                   lambda a: (token_of(a), a["StakeManager"], deployer, params.min_oracle_bond)),
        DeployStep("RecoveryEscrow", "RecoveryEscrow", lambda a: (
            token_of(a), a["StakeManager"], a["OracleCommittee"], deployer, params.recovery.as_tuple(),
        )),
        DeployStep("VerdictManager", "VerdictManager", lambda a: (
            a["StakeManager"], a["OracleCommittee"], a["RecoveryEscrow"], deployer,
            params.windows.as_tuple(), params.limits.as_tuple(), params.matrix_tuple(),
        )),
        DeployStep("AppealCourt", "AppealCourt", lambda a: (
            token_of(a), a["StakeManager"], a["VerdictManager"], a["RecoveryEscrow"], a["OracleCommittee"], deployer,
        )),
        DeployStep("SwarmLens", "SwarmLens", lambda a: (a["VerdictManager"], a["RecoveryEscrow"])),
        DeployStep("VerdictBatcher", "VerdictBatcher", lambda a: (a["VerdictManager"],)),
    ]  # fmt: skip

    def grant(key: str, role_name: str, grantee: Callable[[Addresses], str]) -> CallStep:
        return CallStep(key, key, "grantRole", lambda a: (role(role_name), grantee(a)))

    steps += [
        grant("StakeManager", "SLASHER_ROLE", lambda a: a["VerdictManager"]),
        grant("StakeManager", "SLASHER_ROLE", lambda a: a["AppealCourt"]),
        grant("StakeManager", "UNFREEZER_ROLE", lambda a: a["VerdictManager"]),
        grant("StakeManager", "UNFREEZER_ROLE", lambda a: a["RecoveryEscrow"]),
        grant("StakeManager", "UNFREEZER_ROLE", lambda a: a["AppealCourt"]),
        grant("StakeManager", "APPEALS_ROLE", lambda a: a["AppealCourt"]),
        grant("StakeManager", "RETURNER_ROLE", lambda a: a["RecoveryEscrow"]),
        grant("StakeManager", "RETURNER_ROLE", lambda a: a["OracleCommittee"]),
        CallStep("StakeManager", "StakeManager", "setSlashableWindowSource", lambda a: (a["VerdictManager"],)),
        grant("OracleCommittee", "PENALIZER_ROLE", lambda a: a["AppealCourt"]),
        CallStep("OracleCommittee", "OracleCommittee", "setLockSource", lambda a: (a["VerdictManager"],)),
        grant("RecoveryEscrow", "VERDICT_ROLE", lambda a: a["VerdictManager"]),
        grant("RecoveryEscrow", "APPEALS_ROLE", lambda a: a["AppealCourt"]),
        CallStep("RecoveryEscrow", "RecoveryEscrow", "setVerdictManager", lambda a: (a["VerdictManager"],)),
        grant("VerdictManager", "APPEALS_ROLE", lambda a: a["AppealCourt"]),
        CallStep("VerdictManager", "VerdictManager", "setAppealCourt", lambda a: (a["AppealCourt"],)),
        grant("VerdictManager", "ESCROW_ROLE", lambda a: a["RecoveryEscrow"]),
        grant("VerdictManager", "GUARDIAN_ROLE", lambda a: params.guardian),
        grant("AppealCourt", "ARBITER_ROLE", lambda a: params.arbiter),
    ]
    for auditor in params.auditors:
        steps.append(CallStep("RecoveryEscrow", "RecoveryEscrow", "setAuditor", lambda a, who=auditor: (who, True)))
    for key in GOVERNED_CONTRACTS:
        steps.append(grant(key, "DEFAULT_ADMIN_ROLE", lambda a: a["SwarmTimelock"]))
        steps.append(CallStep(key, key, "renounceRole", lambda a: (role("DEFAULT_ADMIN_ROLE"), deployer)))
    return steps


#: Contracts whose admin role the timelock holds.
GOVERNED_CONTRACTS = ("StakeManager", "OracleCommittee", "RecoveryEscrow", "VerdictManager", "AppealCourt")


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


class ApeExecutor:
    """Carries out a plan with Ape's contract containers (``project``) and an Ape ``account``.

    Used by ``scripts/deploy.py`` and the test fixtures; Ape itself is imported by the caller.
    """

    def __init__(self, project: Any, account: Any, log: Callable[[str], None] | None = None):
        self.project = project
        self.account = account
        self.log = log or (lambda _message: None)
        self.instances: dict[str, Any] = {}

    def deploy(self, contract: str, args: tuple[Any, ...]) -> str:
        instance = getattr(self.project, contract).deploy(*args, sender=self.account)
        self.instances[instance.address] = instance
        self.log(f"deployed {contract} at {instance.address}")
        return instance.address

    def call(self, contract: str, address: str, function: str, args: tuple[Any, ...]) -> None:
        instance = self.instances.get(address) or getattr(self.project, contract).at(address)
        getattr(instance, function)(*args, sender=self.account)
        self.log(f"called {contract}.{function}")


def deploy_with_client(client: Client, params: DeployParams, network: str) -> Registry:
    """Deploy swarm-stake through ``client`` and return its registry."""
    start_block = client.w3.eth.block_number + 1
    deployer = client.require_account().address
    addresses = execute(plan(params, deployer), Web3Executor(client))
    return Registry(
        network=network, chain_id=client.w3.eth.chain_id, start_block=start_block, contracts=addresses, params=params
    )
