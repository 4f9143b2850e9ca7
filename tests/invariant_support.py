"""Support of tests/test_invariants.py: a raw JSON-RPC link to the anvil node, ABI tables built from
the compiled contracts, and an independent Python model of the whole swarm-stake system.

The model restates, check for check and in the contracts' order, what every entry point does: it
predicts for each action either its effects (pools, positions, incidents, escrows, bonds, appeals,
token balances) or the exact custom error with its arguments. The state machine compares the chain
with the model after every step, so any divergence in either direction fails.

Speed: one hypothesis step is one or a few transactions and one batched read of the whole state.
Transactions are sent with `eth_sendTransaction` (anvil's dev accounts are unlocked), expected
reverts are simulated with `eth_call` on the pending block (the block the next transaction would
be mined in, at the pinned timestamp), and reads go out as one JSON-RPC batch.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import requests
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address

BPS = 10_000
VIRTUAL_SHARES = 10**3
VIRTUAL_ASSETS = 1
MAX_SHARES_PER_ASSET = VIRTUAL_SHARES * 10**6
LEVELS = 3
CLASSES = 3
WARNING, PENALTY, SEVERE = 0, 1, 2
POOR_PERFORMANCE, SECURITY_BREACH, PROTOCOL_VIOLATION = 0, 1, 2
PATH_NONE, PATH_SERVICE, PATH_SECURITY, PATH_COMPLIANCE = 0, 1, 2, 3
FLAG_APPEAL_RESOLVED, FLAG_OVERTURNED, FLAG_CLOSED, FLAG_TOMBSTONE, FLAG_UPGRADED = 1, 2, 4, 8, 16
# IRecoveryEscrow.EscrowStatus
ST_NONE, ST_ESCROWED, ST_CLAIMED, ST_REJECTED, ST_RELEASED, ST_FORFEITED, ST_REFUNDED = range(7)
OPEN_STATUSES = (ST_ESCROWED, ST_CLAIMED, ST_REJECTED)
# IStakeManager.ProviderStatus
S_NONE, S_ACTIVE, S_JAILED, S_TOMBSTONED, S_BELOW = range(5)
ZERO_ADDRESS = "0x" + "00" * 20
ZERO32 = b"\x00" * 32
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
#: IStakeManager: incidents per provider whose offense and jail an overturn or a recovery can still take out.
STANDING_SLOTS = 12
#: IStakeManager.CLOSED: the flag a closed entry of a standing set carries in its violation class.
CLOSED = 0x80


# ---------------------------------------------------------------------------------------------
# share math (contracts/libraries/SharesMath.sol, restated)


def to_shares(assets: int, pool_assets: int, pool_shares: int) -> int:
    return assets * (pool_shares + VIRTUAL_SHARES) // (pool_assets + VIRTUAL_ASSETS)


def to_assets(shares: int, pool_assets: int, pool_shares: int) -> int:
    return shares * (pool_assets + VIRTUAL_ASSETS) // (pool_shares + VIRTUAL_SHARES)


def depleted(pool_assets: int, pool_shares: int) -> bool:
    return pool_shares != 0 and pool_shares > pool_assets * MAX_SHARES_PER_ASSET


def popcount(bitmap: int) -> int:
    return bin(bitmap).count("1")


# ---------------------------------------------------------------------------------------------
# JSON-RPC and ABI tables


class RpcError(Exception):
    def __init__(self, error: dict):
        super().__init__(error)
        self.error = error

    @property
    def data(self) -> bytes | None:
        data = self.error.get("data")
        if isinstance(data, dict):  # some nodes nest it
            data = data.get("data")
        if isinstance(data, str) and data.startswith("0x"):
            return bytes.fromhex(data[2:])
        return None


class Rpc:
    """A minimal JSON-RPC client on one keep-alive HTTP session."""

    def __init__(self, uri: str):
        self.uri = uri
        self.session = requests.Session()
        self._id = 0

    def request(self, method: str, params: list) -> Any:
        self._id += 1
        reply = self.session.post(self.uri, json={"jsonrpc": "2.0", "id": self._id, "method": method, "params": params})
        body = reply.json()
        if "error" in body:
            raise RpcError(body["error"])
        return body["result"]

    def batch(self, calls: list[tuple[str, list]]) -> list[Any]:
        if not calls:
            return []
        payload = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
        replies = sorted(self.session.post(self.uri, json=payload).json(), key=lambda r: r["id"])
        out = []
        for reply in replies:
            if "error" in reply:
                raise RpcError(reply["error"])
            out.append(reply["result"])
        return out


def _checksum_all(value: Any) -> Any:
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return to_checksum_address(value)
    if isinstance(value, tuple | list):
        return tuple(_checksum_all(v) for v in value)
    return value


@dataclass(frozen=True)
class Fn:
    address: str
    name: str
    selector: bytes
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    def data(self, *args) -> bytes:
        return self.selector + abi_encode(list(self.inputs), list(args))

    def decode(self, result_hex: str) -> Any:
        values = abi_decode(list(self.outputs), bytes.fromhex(result_hex[2:]))
        values = _checksum_all(values)
        return values[0] if len(values) == 1 else values


@dataclass(frozen=True)
class EventSpec:
    name: str
    inputs: tuple[tuple[str, str, bool], ...]  # (name, canonical type, indexed)

    def decode(self, log: dict) -> dict:
        topics = log["topics"][1:]
        data = bytes.fromhex(log["data"][2:])
        plain = [t for _, t, indexed in self.inputs if not indexed]
        values = iter(abi_decode(plain, data))
        out, t = {}, iter(topics)
        for name, typ, indexed in self.inputs:
            if indexed:
                out[name] = abi_decode([typ], bytes.fromhex(next(t)[2:]))[0]
            else:
                out[name] = next(values)
        return {k: _checksum_all(v) for k, v in out.items()}


class Abis:
    """Functions, errors and events of the deployed contracts, from their compiled ABIs."""

    def __init__(self, contracts: dict[str, Any]):
        self.fns: dict[str, dict[str, Fn]] = {}
        self.errors: dict[str, tuple[str, ...]] = {}
        self.events: dict[tuple[str, bytes], EventSpec] = {}
        self.names = {c.address.lower(): name for name, c in contracts.items()}
        for name, contract in contracts.items():
            table = {}
            for item in contract.contract_type.abi:
                kind = item.type
                if kind == "function":
                    ins = tuple(i.canonical_type for i in item.inputs)
                    outs = tuple(o.canonical_type for o in item.outputs)
                    sel = keccak(text=f"{item.name}({','.join(ins)})")[:4]
                    table.setdefault(item.name, Fn(contract.address, item.name, sel, ins, outs))
                elif kind == "error":
                    types = tuple(i.canonical_type for i in item.inputs)
                    known = self.errors.setdefault(item.name, types)
                    assert known == types, f"error {item.name} has two signatures"
                elif kind == "event":
                    ins = tuple((i.name, i.canonical_type, bool(i.indexed)) for i in item.inputs)
                    topic = keccak(text=f"{item.name}({','.join(t for _, t, _ in ins)})")
                    self.events[(contract.address.lower(), topic)] = EventSpec(item.name, ins)
            self.fns[name] = table

    def fn(self, contract: str, name: str) -> Fn:
        return self.fns[contract][name]

    def selector(self, name: str) -> bytes:
        return keccak(text=f"{name}({','.join(self.errors[name])})")[:4]

    def error_data(self, name: str, *args) -> bytes:
        types = self.errors[name]
        return keccak(text=f"{name}({','.join(types)})")[:4] + abi_encode(list(types), list(args))

    def describe_revert(self, data: bytes | None) -> str:
        if not data:
            return "revert without data"
        for name, types in self.errors.items():
            if keccak(text=f"{name}({','.join(types)})")[:4] == data[:4]:
                try:
                    return f"{name}{abi_decode(list(types), data[4:])}"
                except Exception:  # noqa: BLE001 - a description only
                    return f"{name}(undecodable 0x{data[4:].hex()})"
        return f"0x{data.hex()}"

    def decode_logs(self, logs: list[dict]) -> list[tuple[str, str, dict]]:
        """(contract name, event name, arguments) of every log of a known contract and event."""
        out = []
        for log in logs:
            address = log["address"].lower()
            spec = self.events.get((address, bytes.fromhex(log["topics"][0][2:])))
            if spec is not None:
                out.append((self.names[address], spec.name, spec.decode(log)))
        return out


# ---------------------------------------------------------------------------------------------
# EIP-712 (restated from the interfaces' type strings; checked against swarm_stake.signing once)

VERDICT_TYPEHASH = keccak(
    text="Verdict(bytes32 incidentId,address provider,uint8 violationClass,uint8 severity,bytes32 evidenceHash,"
    "uint64 observedAt,uint64 deadline,uint64 committeeEpoch)"
)
AUDIT_TYPEHASH = keccak(
    text="AuditProof(bytes32 incidentId,address provider,bytes32 auditReportHash,bytes32 remediationHash,"
    "bytes32 logsRoot,uint64 issuedAt,uint64 expiry)"
)
ATTESTATION_TYPEHASH = keccak(
    text="RestorationAttestation(bytes32 incidentId,uint32 observationEpoch,uint64 committeeEpoch,bool healthy,"
    "bool dataIntact,uint64 observedAt)"
)
VERDICT_TYPES = ["bytes32", "address", "uint8", "uint8", "bytes32", "uint64", "uint64", "uint64"]
AUDIT_TYPES = ["bytes32", "address", "bytes32", "bytes32", "bytes32", "uint64", "uint64"]
ATTESTATION_TYPES = ["bytes32", "uint32", "uint64", "bool", "bool", "uint64"]


def domain_separator(chain_id: int, contract: str) -> bytes:
    typehash = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    return keccak(
        abi_encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [typehash, keccak(text="swarm-stake"), keccak(text="1"), chain_id, contract],
        )
    )


def typed_digest(domain: bytes, typehash: bytes, types: list[str], values: tuple) -> bytes:
    return keccak(b"\x19\x01" + domain + keccak(abi_encode(["bytes32", *types], [typehash, *values])))


def sign_digest(digest: bytes, key) -> bytes:
    signed = Account.unsafe_sign_hash(digest, key.key)
    return signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])


def high_s(signature: bytes) -> bytes:
    """The malleable twin of a low-s signature (same signer; OpenZeppelin's ECDSA refuses it)."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])


def incident_id_of(provider: str, violation_class: int, observed_at: int, bucket: int) -> bytes:
    return keccak(abi_encode(["address", "uint8", "uint64"], [provider, violation_class, observed_at // bucket]))


@dataclass(frozen=True)
class V:
    """A verdict as the contracts take it."""

    incident_id: bytes
    provider: str
    violation_class: int
    severity: int
    evidence: bytes
    observed_at: int
    deadline: int
    committee_epoch: int

    def tuple(self) -> tuple:
        return (
            self.incident_id, self.provider, self.violation_class, self.severity, self.evidence,
            self.observed_at, self.deadline, self.committee_epoch,
        )  # fmt: skip


@dataclass(frozen=True)
class Proof:
    incident_id: bytes
    provider: str
    report: bytes
    remediation: bytes
    logs_root: bytes
    issued_at: int
    expiry: int

    def tuple(self) -> tuple:
        return (self.incident_id, self.provider, self.report, self.remediation, self.logs_root, self.issued_at, self.expiry)


@dataclass(frozen=True)
class Att:
    incident_id: bytes
    observation_epoch: int
    committee_epoch: int
    healthy: bool
    data_intact: bool
    observed_at: int

    def tuple(self) -> tuple:
        return (
            self.incident_id, self.observation_epoch, self.committee_epoch, self.healthy, self.data_intact,
            self.observed_at,
        )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# the model


@dataclass(frozen=True)
class Err:
    """An expected revert: the custom error's name and arguments, in ABI order."""

    name: str
    args: tuple = ()

    def __init__(self, name: str, *args):
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "args", tuple(args))


@dataclass
class Position:
    shares: int = 0
    unbonding: int = 0
    end: int = 0


@dataclass
class Booking:
    """One amount booked on the caps: a slash taken at execution or a collect (DESIGN "Caps bound tokens")."""

    at: int
    amount: int
    provider: str
    incident_id: bytes
    #: The upgrade step it was taken for (its previous severity; -1: the verdict or a collect).
    step: int = -1
    #: A collect (an overturned upgrade refunds the newest collects, which paid its remainder first).
    collect: bool = False


def step_key(iid: bytes, prev_severity: int) -> bytes:
    """The AppealCourt's key of an upgrade step of `iid` that started from `prev_severity`."""
    return keccak(abi_encode(["bytes32", "uint8"], [iid, prev_severity]))


@dataclass
class Step:
    """The AppealCourt's record of an incident's latest upgrade (IAppealCourt.Upgrade), plus what the model
    needs to restore the standing set."""

    digest: bytes = b""
    at: int = 0
    appealed_at: int = 0
    appeal_window: int = 0
    appeal_resolution: int = 0
    resolved: bool = False
    overturned: bool = False
    prev_level: int = 0
    prev_severity: int = 0
    prev_slash_bps: int = 0
    prev_tombstone: bool = False
    prev_bps: int = 0
    prev_path: int = 0
    prev_jail_end: int = 0
    prev_in_set: bool = False
    taken: int = 0
    owed: int = 0
    mark: int = 0
    taken_before: int = 0
    approvals: int = 0
    #: The upgrading verdict, and the incident's jail before the step (a settled one's stays in the record).
    verdict: Any = None
    model_prev_jail: int = 0

    def tuple(self) -> tuple:
        return (self.digest, self.at, self.appealed_at, self.appeal_window, self.appeal_resolution, self.resolved,
                self.overturned, self.prev_level, self.prev_severity, self.prev_slash_bps, self.prev_tombstone,
                self.prev_bps, self.prev_path, self.prev_jail_end, self.prev_in_set, self.taken, self.owed, self.mark,
                self.taken_before, self.approvals)  # fmt: skip

    def over(self, now: int) -> bool:
        """Past appeal: overturned, resolved, or past its window unappealed."""
        if self.overturned:
            return True
        return self.resolved if self.appealed_at else now > self.at + self.appeal_window


@dataclass
class Provider:
    operator: str
    jailed_until: int = 0
    open_incidents: int = 0
    tombstoned: bool = False
    assets: int = 0
    shares: int = 0
    positions: dict[str, Position] = field(default_factory=dict)
    #: Every executed incident of the provider, warnings included, in execution order.
    incidents: list[Incident] = field(default_factory=list)
    #: The standing set, by slot: the incident in each of the STANDING_SLOTS slots (None: free). An incident
    #: leaves it when overturned or closed, or when a verdict beyond the last slot settles it early.
    slots: list[Incident | None] = field(default_factory=lambda: [None] * STANDING_SLOTS)
    #: (end, start) of the latest-ending jail that stands for good (closed without a completed recovery,
    #: or settled early); the first of equal ends is kept (IStakeManager.StandingRecord).
    jail_floor: tuple[int, int] = (0, 0)

    def offense(self, violation_class: int) -> tuple[int, int]:
        """DESIGN "Overturns restore exactly": escalation is per provider and violation class and counts the
        offenses that stand: (time, level) of the latest one, the higher level at equal times."""
        return max(((i.executed_at, i.level) for i in self.incidents
                    if i.offense_stands and i.verdict.violation_class == violation_class), default=(0, 0))  # fmt: skip

    def standing_jails(self) -> list[Incident]:
        """The incidents whose jail stands: not overturned and its recovery not completed while in the
        standing set (a jail settled early stands for good)."""
        return [i for i in self.incidents if i.jail_stands]

    def jail_end(self) -> int:
        """DESIGN: the provider's jail ends at the latest end among the jails that stand."""
        return max((i.jail_end for i in self.standing_jails()), default=0)

    def jailed_at(self, t: int) -> bool:
        """Whether a jail that stands had started at `t` and still ran (DESIGN "No shield")."""
        return any(i.executed_at <= t < i.jail_end for i in self.standing_jails())

    def standing_view(self) -> tuple:
        """StakeManager.standingOf: (StandingRecord, the Standing entry of each slot, zeros when free)."""
        offenses = 0
        for c in range(CLASSES):
            at, level = self.offense(c)
            offenses |= (at | level << 40) << (48 * c)
        bitmap = sum(1 << n for n, i in enumerate(self.slots) if i is not None)
        entries = tuple(
            (i.verdict.incident_id[:20], i.executed_at, 0, i.level, i.verdict.violation_class | CLOSED)
            if i is not None and i.closed_in_set else
            (i.verdict.incident_id[:20], i.executed_at, i.jail_end, i.level, i.verdict.violation_class)
            if i is not None else (b"\x00" * 20, 0, 0, 0, 0)
            for i in self.slots
        )  # fmt: skip
        return (*self.jail_floor, bitmap, offenses), entries

    def pos(self, staker: str) -> Position:
        return self.positions.setdefault(staker, Position())


@dataclass
class Incident:
    verdict: V
    digest: bytes
    detected_at: int
    executed_at: int
    level: int
    flags: int
    appeal_window: int
    appeal_resolution: int
    appealed_at: int = 0
    #: The approvals of the executed verdict, kept in the incident when they fit 24 seats (else 0).
    approvals: int = 0
    #: The signed severity in force and the slash rate of the level in force (copied from the matrix).
    severity: int = 0
    slash_bps: int = 0
    #: End of the jail this incident imposed (0: a warning jails nobody).
    jail_end: int = 0
    #: DESIGN: an offense stands unless overturned (a recovered one still counts)...
    offense_stands: bool = True
    #: ... and a jail until its incident is overturned or its recovery completes.
    jail_stands: bool = False
    #: In its provider's standing set (an overturn or a close can still take it out).
    in_set: bool = False
    #: Settled early by a verdict beyond the last standing slot: its offense and jail stand for good.
    settled_early: bool = False
    #: Closed (not overturned) while in the standing set: it keeps its slot, marked closed, until the slot
    #: is needed (IStakeManager.CLOSED); its jail ended or went into the floor at the close.
    closed_in_set: bool = False

    def slot_jail_end(self) -> int:
        """The jail end its standing slot shows (a closed entry shows none)."""
        return 0 if self.closed_in_set else self.jail_end

    def tuple(self) -> tuple:
        v = self.verdict
        return (
            self.detected_at, self.executed_at, self.appealed_at, self.level, v.violation_class, self.flags,
            self.appeal_window, self.appeal_resolution, self.approvals, self.severity, self.slash_bps,
        )  # fmt: skip


@dataclass
class Escrow:
    provider: str
    amount: int
    recoverable_bps: int
    path: int
    status: int
    opened_at: int
    version: int
    evaluated: bool = False
    filed_at: int = 0
    last_vested_at: int = 0
    next_epoch: int = 0
    vested_epochs: int = 0
    released: int = 0
    #: `opened_at` and `last_vested_at` less the seconds paused before them (the escrow's pause-free clock).
    opened_clock: int = 0
    vested_clock: int = 0

    def tuple(self) -> tuple:
        return (self.amount, self.recoverable_bps, self.path, self.status, self.opened_at, self.version, self.evaluated,
                self.opened_clock)  # fmt: skip

    def claim_tuple(self) -> tuple:
        return (self.filed_at, self.last_vested_at, self.next_epoch, self.vested_epochs, self.released,
                self.vested_clock)  # fmt: skip


@dataclass
class Bond:
    amount: int = 0
    pending: int = 0
    withdrawable_at: int = 0

    def tuple(self) -> tuple:
        return (self.amount, self.pending, self.withdrawable_at)


@dataclass(frozen=True)
class Row:
    slash_bps: int
    recoverable_bps: int
    jail: int
    path: int
    tombstone: bool
    enabled: bool

    def tuple(self) -> tuple:
        return (self.slash_bps, self.recoverable_bps, self.jail, self.path, self.tombstone, self.enabled)


@dataclass
class Windows:
    max_verdict_age: int
    execution_grace: int
    appeal_window: int
    appeal_resolution: int
    lookback: int
    bucket_length: int
    max_pause: int
    pause_cooldown: int

    def tuple(self) -> tuple:
        return tuple(self.__dict__.values())

    def slashable(self) -> int:
        return self.max_verdict_age + self.execution_grace + self.max_pause + self.appeal_window


@dataclass
class Limits:
    appeal_bond: int
    oracle_penalty: int
    rate_cap_bps: int
    provider_cap_bps: int
    cap_window: int

    def tuple(self) -> tuple:
        return tuple(self.__dict__.values())


@dataclass
class RecoveryParams:
    claim_window: int
    epoch_length: int
    epochs_required: int
    challenge_window: int
    max_lifetime: int
    graduated: bool
    attestation_grace: int

    def tuple(self) -> tuple:
        return tuple(self.__dict__.values())


class Model:
    """The expected state of the deployed system. Every action method returns an `Err` (and changes
    nothing) or applies its effects and returns what the transaction should report. `transfers`
    collects the token movements of the current action as (from, to, amount)."""

    def __init__(self, addresses: dict[str, str]):
        self.a = addresses  # contract name -> address
        self.now = 0
        self.unbonding = 0
        self.min_self_stake = 0
        self.min_bond = 0
        self.windows: Windows
        self.limits: Limits
        self.matrix: dict[tuple[int, int], Row] = {}
        self.providers: dict[str, Provider] = {}
        self.total_stake = 0
        #: Every booking on the caps that still stands (an overturn takes its incident's out).
        self.bookings: list[Booking] = []
        #: Bookings before this time no longer count (a change of the cap window starts the caps afresh).
        self.cap_since = 0
        self.paused_at = 0
        self.paused_until = 0
        #: Every guardian pause as [start, end] (the end of the running one moves with an unpause).
        self.pauses: list[list[int]] = []
        #: Until when verdicts signed under replaced windows can still be overturned.
        self.lock_floor = 0
        self.approvals: dict[bytes, int] = {}
        self.detected: dict[bytes, int] = {}
        self.incidents: dict[bytes, Incident] = {}
        self.escrows: dict[bytes, Escrow] = {}
        #: What each incident is still owed of its slash (DESIGN "Caps bound tokens, never isolation").
        self.remainders: dict[bytes, int] = {}
        #: What collects took of each incident's remainders (less what overturned upgrades gave back).
        self.collected: dict[bytes, int] = {}
        #: The latest upgrade of each upgraded incident, and every upgrade overturned (never applied again).
        self.upgrades: dict[bytes, Step] = {}
        self.overturned_upgrades: set[bytes] = set()
        #: The appeal key of each upgrade step (IAppealCourt: keccak256(incidentId, prevSeverity)) -> incident.
        self.step_keys: dict[bytes, bytes] = {}
        self.insurance = 0
        self.escrowed = 0
        self.rparams: dict[int, RecoveryParams] = {}
        self.rversion = 0
        self.used_proofs: set[bytes] = set()
        self.auditors: set[str] = set()
        self.re_approvals: dict[Any, int] = {}
        self.epoch = 0
        self.members: dict[int, list[str]] = {}
        self.threshold = 0
        self.bonds: dict[str, Bond] = {}
        self.appeals: dict[bytes, tuple[str, int]] = {}
        self.balances: dict[str, int] = {}
        self.transfers: list[tuple[str, str, int]] = []
        #: The RemainderOwed / RemainderCollected / RemainderCleared events of the current action.
        self.remainder_events: list[tuple] = []
        #: What the current action did to a standing set (counted by the state machine, not checked).
        self.notes: list[str] = []

    def clone(self) -> Model:
        return copy.deepcopy(self)

    # -- helpers ------------------------------------------------------------------------------

    def _move(self, src: str, dst: str, amount: int) -> None:
        if amount == 0:
            return
        assert self.balances[src] >= amount, f"model: {src} cannot pay {amount}"
        self.balances[src] -= amount
        self.balances[dst] = self.balances.get(dst, 0) + amount
        self.transfers.append((src, dst, amount))

    def seat(self, epoch: int, who: str) -> int:
        members = self.members.get(epoch, [])
        return members.index(who) + 1 if who in members else 0

    def selfstake(self, p: Provider, provider: str) -> int:
        return to_assets(p.pos(provider).shares if provider in p.positions else 0, p.assets, p.shares)

    def status(self, provider: str, t: int) -> int:
        p = self.providers.get(provider)
        if p is None:
            return S_NONE
        if p.tombstoned:
            return S_TOMBSTONED
        if p.jailed_until > t:
            return S_JAILED
        if self.selfstake(p, provider) < self.min_self_stake:
            return S_BELOW
        return S_ACTIVE

    def cap_use(self, provider: str | None = None) -> int:
        """The cap use counted now (the system's, or one provider's): DESIGN's fixed time buckets of the cap
        window, what was booked in this bucket whole, what was booked in the last one weighted by the share
        of the window this bucket still has to run, nothing older."""
        window = self.limits.cap_window
        bucket = self.now // window
        mine = [b for b in self.bookings if b.at >= self.cap_since and (provider is None or b.provider == provider)]
        current = sum(b.amount for b in mine if b.at // window == bucket)
        previous = sum(b.amount for b in mine if b.at // window == bucket - 1)
        return current + previous * (window - self.now % window) // window

    def pause_overlap(self, observed_at: int) -> int:
        start = max(self.paused_at, observed_at)
        end = min(self.paused_until, self.now)
        return end - start if end > start else 0

    def paused(self) -> bool:
        return self.now < self.paused_until

    def paused_between(self, t0: int, t1: int) -> int:
        """Seconds of guardian pauses inside [t0, t1] (up to now)."""
        return sum(max(0, min(end, t1, self.now) - max(start, t0)) for start, end in self.pauses)

    def window_passed(self, start: int, window: int) -> bool:
        """DESIGN "Pauses": a pause extends every deadline it overlaps, so a window opened at `start`
        has passed once more than `window` unpaused seconds have elapsed."""
        return self.now - start - self.paused_between(start, self.now) > window

    def extended_deadline(self, start: int, window: int) -> int:
        """The end of a window opened at `start`, moved by every pause since `start` (as reported)."""
        return start + window + self.paused_between(start, self.now)

    def clock(self, t: int) -> int:
        """Time `t` less the seconds paused before it."""
        return t - self.paused_between(0, t) if t else 0

    def appeal_block(self, iid: bytes) -> Err | None:
        """DESIGN "Windows are coupled": nothing releases or closes an escrow while its incident can still
        be appealed (its own copied window) or an appeal is pending."""
        inc = self.incidents[iid]
        if inc.appealed_at == 0:
            window_end = inc.executed_at + inc.appeal_window
            if self.now <= window_end:
                return Err("AppealWindowOpen", window_end, self.now)
        elif not inc.flags & FLAG_APPEAL_RESOLVED:
            return Err("AppealPending", iid)
        if not self.step_over(iid):  # its latest upgrade is appealable on its own
            return Err("AppealPending", iid)
        return None

    def appeal_pending(self, iid: bytes) -> bool:
        inc = self.incidents.get(iid)
        return inc is not None and inc.appealed_at != 0 and not inc.flags & FLAG_APPEAL_RESOLVED

    def bond_lock(self) -> int:
        """DESIGN "Windows are coupled": a bond stays locked until every verdict its member signed is past
        the windows it was signed under; a later change of windows never shortens a lock already owed."""
        period = self.windows.slashable() + self.windows.appeal_resolution
        return max(period, self.lock_floor - self.now)

    # -- StakeManager ---------------------------------------------------------------------------

    def _mint(self, provider: str, staker: str, assets: int) -> Err | int:
        p = self.providers[provider]
        if depleted(p.assets, p.shares):
            return Err("PoolDepleted", provider)
        shares = to_shares(assets, p.assets, p.shares)
        if shares == 0:
            return Err("ZeroShares")
        p.assets += assets
        p.shares += shares
        p.pos(staker).shares += shares
        self.total_stake += assets
        self._move(staker, self.a["StakeManager"], assets)
        return shares

    def register(self, sender: str, operator: str, amount: int) -> Err | int:
        if operator == ZERO_ADDRESS:
            return Err("ZeroAddress")
        if sender in self.providers:
            return Err("ProviderAlreadyRegistered", sender)
        if amount == 0:
            return Err("ZeroAmount")
        if amount < self.min_self_stake:
            return Err("SelfStakeBelowMinimum", amount, self.min_self_stake)
        self.providers[sender] = Provider(operator=operator)
        return self._mint(sender, sender, amount)

    def stake(self, sender: str, provider: str, amount: int) -> Err | int:
        if amount == 0:
            return Err("ZeroAmount")
        p = self.providers.get(provider)
        if p is None:
            return Err("ProviderNotRegistered", provider)
        if p.tombstoned:
            return Err("ProviderTombstoned", provider)
        if p.open_incidents:
            return Err("PoolFrozen", provider, p.open_incidents)
        if sender != provider and (p.jailed_until > self.now or self.selfstake(p, provider) < self.min_self_stake):
            return Err("ProviderNotActive", provider)
        if depleted(p.assets, p.shares):
            return Err("PoolDepleted", provider)
        if to_shares(amount, p.assets, p.shares) == 0:
            return Err("ZeroShares")
        return self._mint(provider, sender, amount)

    def request_unstake(self, sender: str, provider: str, shares: int) -> Err | int:
        if shares == 0:
            return Err("ZeroAmount")
        p = self.providers.get(provider)
        if p is None:
            return Err("ProviderNotRegistered", provider)
        pos = p.positions.get(sender, Position())
        if shares > pos.shares:
            return Err("InsufficientShares", shares, pos.shares)
        remaining = pos.shares - shares
        if sender == provider and remaining != 0:
            left = to_assets(remaining, p.assets, p.shares)
            if left < self.min_self_stake:
                return Err("SelfStakeBelowMinimum", left, self.min_self_stake)
        pos = p.pos(sender)
        pos.shares = remaining
        pos.unbonding += shares
        pos.end = self.now + self.unbonding
        return pos.end

    def withdraw(self, sender: str, provider: str) -> Err | int:
        p = self.providers.get(provider)
        if p is None:
            return Err("ProviderNotRegistered", provider)
        if p.open_incidents:
            return Err("PoolFrozen", provider, p.open_incidents)
        pos = p.positions.get(sender, Position())
        if pos.unbonding == 0:
            return Err("NothingToWithdraw")
        if self.now < pos.end:
            return Err("UnbondingNotFinished", pos.end, self.now)
        assets = to_assets(pos.unbonding, p.assets, p.shares)
        p.assets -= assets
        p.shares -= pos.unbonding
        pos.unbonding = 0
        pos.end = 0
        self.total_stake -= assets
        self._move(self.a["StakeManager"], sender, assets)
        return assets

    def _return_stake(self, src: str, provider: str, amount: int) -> None:
        if amount == 0:
            return
        p = self.providers[provider]
        if p.shares == 0:
            shares = to_shares(amount, p.assets, 0)
            p.shares = shares
            p.pos(provider).shares = shares
        p.assets += amount
        self.total_stake += amount
        self._move(src, self.a["StakeManager"], amount)

    def _unfreeze(self, provider: str) -> None:
        p = self.providers[provider]
        assert p.open_incidents > 0, "model: unfreeze of a pool that is not frozen"
        p.open_incidents -= 1

    # -- VerdictManager: verdicts -----------------------------------------------------------------

    def _validate(self, v: V) -> Err | None:
        if v.committee_epoch != self.epoch:
            return Err("StaleCommitteeEpoch", v.committee_epoch, self.epoch)
        row = self.matrix.get((v.violation_class, v.severity))
        if row is None or not row.enabled:
            return Err("SeverityNotApplicable", v.violation_class, v.severity)
        w = self.windows
        derived = incident_id_of(v.provider, v.violation_class, v.observed_at, w.bucket_length)
        if v.incident_id != derived:
            return Err("IncidentIdMismatch", v.incident_id, derived)
        if self.now > v.deadline:
            return Err("VerdictDeadlinePassed", v.deadline, self.now)
        if v.observed_at > self.now or self.now - v.observed_at > w.max_verdict_age:
            return Err("ObservationOutOfRange", v.observed_at, self.now)
        if v.deadline > v.observed_at + w.max_verdict_age:
            return Err("DeadlineTooFar", v.deadline, v.observed_at + w.max_verdict_age)
        return self._check_upgrade(v)

    def _check_upgrade(self, v: V) -> Err | None:
        """DESIGN "No severity lock-in": a verdict for an executed incident is an upgrade, refused unless its
        signed severity is higher and the incident neither overturned nor closed."""
        inc = self.incidents.get(v.incident_id)
        if inc is None:
            return None
        if inc.verdict == v:
            return Err("IncidentAlreadyExecuted", v.incident_id)
        if inc.flags & (FLAG_OVERTURNED | FLAG_CLOSED):
            return Err("NotUpgradable", v.incident_id)
        if v.severity <= inc.severity:
            return Err("SeverityNotAbove", v.incident_id, v.severity, inc.severity)
        return None

    def step_over(self, iid: bytes) -> bool:
        step = self.upgrades.get(iid)
        return step is None or step.over(self.now)

    def submit(self, v: V, digest: bytes, signers: list[str | None]) -> Err | dict:
        """`signers`: the address behind each signature, None for a malformed one."""
        err = self._validate(v)
        if err:
            return err
        bitmap = self.approvals.get(digest, 0)
        added = 0
        approved = []
        for i, signer in enumerate(signers):
            if signer is None:
                return Err("InvalidSignature", i)
            seat = self.seat(v.committee_epoch, signer)
            if seat == 0:
                return Err("NotCommitteeMember", signer, v.committee_epoch)
            bit = 1 << (seat - 1)
            if added & bit:
                return Err("DuplicateSigner", signer)
            added |= bit
            if bitmap & bit:
                continue
            bitmap |= bit
            approved.append((signer, popcount(bitmap)))
        return self._record(v, digest, bitmap, approved)

    def approve(self, v: V, digest: bytes, sender: str) -> Err | dict:
        err = self._validate(v)
        if err:
            return err
        bitmap = self.approvals.get(digest, 0)
        seat = self.seat(v.committee_epoch, sender)
        if seat == 0:
            return Err("NotCommitteeMember", sender, v.committee_epoch)
        bit = 1 << (seat - 1)
        if bitmap & bit:
            return Err("DuplicateSigner", sender)
        bitmap |= bit
        return self._record(v, digest, bitmap, [(sender, popcount(bitmap))])

    def _record(self, v: V, digest: bytes, bitmap: int, approved: list) -> Err | dict:
        result = {"approved": approved, "executed": False, "deferred": None}
        if popcount(bitmap) >= self.threshold:
            outcome = self._execute(v, digest, strict=False, bitmap=bitmap)
            if isinstance(outcome, Err):
                return outcome
            result.update(outcome)
        if not result.get("upgrade"):  # an upgrade's approvals go to the court's record, none to the VerdictManager
            self.approvals[digest] = bitmap
        if bitmap != 0 and v.incident_id not in self.detected:
            self.detected[v.incident_id] = self.now
        if result["executed"]:
            self.incidents[v.incident_id].detected_at = self.detected[v.incident_id]
        return result

    def execute(self, v: V, digest: bytes) -> Err | dict:
        if v.committee_epoch != self.epoch:
            return Err("StaleCommitteeEpoch", v.committee_epoch, self.epoch)
        err = self._check_upgrade(v)
        if err:
            return err
        approvals = popcount(self.approvals.get(digest, 0))
        if approvals < self.threshold:
            return Err("QuorumNotReached", approvals, self.threshold)
        return self._execute(v, digest, strict=True, bitmap=self.approvals[digest])

    def _execute(self, v: V, digest: bytes, strict: bool, bitmap: int) -> Err | dict:
        until = v.deadline + self.windows.execution_grace + self.pause_overlap(v.observed_at)
        if self.now > until:
            return Err("ExecutionWindowPassed", until, self.now)
        p = self.providers.get(v.provider)
        if p is None or p.tombstoned:
            return Err("ProviderNotSlashable", v.provider)
        # DESIGN "No shield": the one refusal. A jailed node is not expected to serve, so poor performance
        # observed inside a jail that stands and had started by then is no offense.
        # An upgrade is exempt: its incident's first verdict passed this check (a jail that started by then is
        # its own), and DESIGN says the refusal never blocks an upgrade of the incident that imposed the jail.
        if (v.violation_class == POOR_PERFORMANCE and p.jailed_until > v.observed_at and p.jailed_at(v.observed_at)
                and v.incident_id not in self.incidents):
            return Err("PoorPerformanceWhileJailed", v.provider, p.jailed_until)
        # Only a guardian pause holds a verdict back: no other open incident, of any class, and no cap does.
        if self.now < self.paused_until:
            if strict:
                return Err("ExecutionPaused", self.paused_until)
            return {"executed": False, "deferred": "ExecutionPaused"}
        if v.incident_id in self.incidents:
            return self._upgrade(v, digest, bitmap)
        level = self.escalate(p, v.violation_class, v.severity)
        at, last = p.offense(v.violation_class)
        repeat = at != 0 and self.now - at <= self.windows.lookback
        fell_back = repeat and level < min(last + 1, SEVERE)
        row = self.matrix[(v.violation_class, level)]
        amount = remainder = 0
        if level != WARNING:
            # DESIGN "Caps bound tokens": the slash is sized from the pool's assets now; the caps decide how
            # much of it moves now, the rest is owed to the incident.
            slash = p.assets * row.slash_bps // BPS
            amount = self._book_caps(v.provider, slash, v.incident_id)
            remainder = slash - amount
        # apply
        w = self.windows
        jailed_until = self.now + row.jail if level != WARNING else 0
        inc = self.incidents[v.incident_id] = Incident(
            verdict=v, digest=digest, detected_at=self.detected.get(v.incident_id, 0), executed_at=self.now,
            level=level, flags=FLAG_TOMBSTONE if row.tombstone else 0, appeal_window=w.appeal_window,
            appeal_resolution=w.appeal_resolution, jail_end=jailed_until, jail_stands=level != WARNING,
            approvals=bitmap if bitmap < 1 << 24 else 0, severity=v.severity, slash_bps=row.slash_bps,
        )  # fmt: skip
        p.incidents.append(inc)
        self._stand(p, inc)
        if level != WARNING:
            p.open_incidents += 1
            p.jailed_until = max(p.jailed_until, jailed_until)
            if amount:
                p.assets -= amount
                self.total_stake -= amount
                self._move(self.a["StakeManager"], self.a["RecoveryEscrow"], amount)
            self.escrows[v.incident_id] = Escrow(
                provider=v.provider, amount=amount, recoverable_bps=row.recoverable_bps, path=row.path,
                status=ST_ESCROWED, opened_at=self.now, version=self.rversion, opened_clock=self.clock(self.now),
            )  # fmt: skip
            self.escrowed += amount
            if remainder:
                self.remainders[v.incident_id] = remainder
                self.remainder_events.append(("RemainderOwed", v.incident_id, v.provider, remainder))
        return {"executed": True, "deferred": None, "level": level, "amount": amount, "jailed_until": jailed_until,
                "remainder": remainder, "escalated": level > v.severity, "fell_back": fell_back}  # fmt: skip

    def _upgrade(self, v: V, digest: bytes, bitmap: int) -> Err | dict:
        """DESIGN "No severity lock-in: upgrades", applied by the AppealCourt: the level becomes the higher of
        the incident's and the signed severity; the extra slash is the new row's rate on the pool assets
        recorded at first execution (what the incident assessed over its rate; the pool now for a warning)
        less what it assessed, the caps deciding what moves now and the rest owed; the jail extends to the
        new row's end; a warning now jails and freezes; the escrow takes the new terms and a claim in
        progress starts over. An upgrade made while the latest is still appealable joins its step."""
        iid = v.incident_id
        step = self.upgrades.get(iid)
        if (step is not None and digest == step.digest) or digest in self.overturned_upgrades:
            return Err("UpgradeRefused", iid)
        inc = self.incidents[iid]
        p = self.providers[v.provider]
        e = self.escrows.get(iid)
        remainder = self.remainders.get(iid, 0)
        if step is None or step.over(self.now):
            before = 0 if step is None else step.taken_before + (0 if step.overturned else step.taken)
            step = Step(prev_level=inc.level, prev_severity=inc.severity, prev_slash_bps=inc.slash_bps,
                        prev_tombstone=bool(inc.flags & FLAG_TOMBSTONE), prev_bps=e.recoverable_bps if e else 0,
                        prev_path=e.path if e else 0, prev_jail_end=inc.jail_end if inc.in_set else 0,
                        prev_in_set=inc.in_set, mark=self.collected.get(iid, 0), taken_before=before,
                        model_prev_jail=inc.jail_end)  # fmt: skip
        was_warning = inc.level == WARNING
        level = max(v.severity, inc.level)
        row = self.matrix[(v.violation_class, level)]
        assessed = 0 if was_warning else e.amount + remainder
        base = p.assets if inc.slash_bps == 0 else assessed * BPS // inc.slash_bps
        extra = max(base * row.slash_bps // BPS - assessed, 0)
        amount = self._book_caps(v.provider, extra, iid, step=step.prev_severity)
        owed = extra - amount
        if owed:
            self.remainders[iid] = remainder + owed
        w = self.windows
        step.digest, step.at, step.appeal_window, step.appeal_resolution = digest, self.now, w.appeal_window, w.appeal_resolution
        step.approvals, step.verdict = bitmap, v
        step.taken += amount
        step.owed += owed
        self.upgrades[iid] = step
        inc.level, inc.severity, inc.slash_bps = level, v.severity, row.slash_bps
        inc.flags |= FLAG_UPGRADED | (FLAG_TOMBSTONE if row.tombstone else 0)
        new_jail = self.now + row.jail
        previous = inc.jail_end if inc.in_set else 0
        if inc.in_set:
            inc.jail_end = max(inc.jail_end, new_jail)
        else:
            inc.jail_end = new_jail
            self._stand(p, inc)
        inc.jail_stands = True
        if was_warning:
            p.open_incidents += 1
        p.jailed_until = max(p.jailed_until, inc.jail_end)
        if amount:
            p.assets -= amount
            self.total_stake -= amount
            self._move(self.a["StakeManager"], self.a["RecoveryEscrow"], amount)
        if e is None or e.status == ST_REFUNDED:
            self.escrows[iid] = Escrow(
                provider=v.provider, amount=amount, recoverable_bps=row.recoverable_bps, path=row.path,
                status=ST_ESCROWED, opened_at=self.now, version=self.rversion, opened_clock=self.clock(self.now),
            )  # fmt: skip
        else:
            assert e.status in OPEN_STATUSES, "model: an upgrade of an incident whose escrow ended"
            e.amount += amount
            e.recoverable_bps, e.path, e.status = row.recoverable_bps, row.path, ST_ESCROWED
            e.opened_at, e.opened_clock = self.now, self.clock(self.now)
            e.filed_at = e.last_vested_at = e.next_epoch = e.vested_epochs = e.vested_clock = 0
        self.escrowed += amount
        return {"executed": True, "upgrade": True, "deferred": None, "level": level, "amount": amount,
                "jailed_until": max(previous, new_jail), "remainder": owed, "escalated": False,
                "fell_back": False}  # fmt: skip

    def _overturn_upgrade(self, v: V, step: Step) -> dict:
        """DESIGN "Overturns restore exactly", for an upgrade: the incident as it was before the step, the
        step's tokens (what it took, and the collects that paid what it left owed: collects pay the newest
        debt first) back to the pool and off the caps, what it still left owed cancelled, only its own
        signers penalized (into the pool); a warning again unfreezes the pool."""
        iid = v.incident_id
        inc = self.incidents[iid]
        p = self.providers[v.provider]
        step.resolved = step.overturned = True
        self.overturned_upgrades.add(step.digest)
        remainder = self.remainders.get(iid, 0)
        collected = self.collected.get(iid, 0)
        paid = min(collected - step.mark, step.owed)
        cancelled = min(step.owed - paid, remainder)
        if remainder - cancelled:
            self.remainders[iid] = remainder - cancelled
        else:
            self.remainders.pop(iid, None)
        self.collected[iid] = collected - paid
        upgraded_jail = inc.jail_end
        inc.level, inc.severity, inc.slash_bps = step.prev_level, step.prev_severity, step.prev_slash_bps
        inc.flags = (inc.flags & ~FLAG_TOMBSTONE) | (FLAG_TOMBSTONE if step.prev_tombstone else 0)
        self.bookings = [b for b in self.bookings if not (b.incident_id == iid and b.step == step.prev_severity)]
        self._unbook_collects(iid, paid)
        if step.prev_in_set:
            inc.jail_end = step.prev_jail_end
            inc.jail_stands = step.prev_level != WARNING
        else:  # settled early before the step: the step's entry leaves the set, the record keeps the rest
            p.slots[p.slots.index(inc)] = None
            inc.in_set = False
            inc.jail_end = step.model_prev_jail
        end = p.jail_end()
        if upgraded_jail > self.now and upgraded_jail > end:
            p.jailed_until = end
        to_warning = step.prev_level == WARNING
        e = self.escrows[iid]
        if to_warning:
            returned = self._end(iid, ST_REFUNDED)
        else:
            assert e.status in OPEN_STATUSES, "model: an upgrade overturned after its escrow ended"
            returned = min(step.taken + paid, e.amount - e.released)
            e.amount -= returned
            e.recoverable_bps, e.path = step.prev_bps, step.prev_path
            self.escrowed -= returned
        self._return_stake(self.a["RecoveryEscrow"], v.provider, returned)
        penalties = self._penalize(v.committee_epoch, step.approvals, v.provider, True)
        if to_warning:
            self._unfreeze(v.provider)
        return {"returned": returned, "penalties": penalties, "cancelled": cancelled}

    def _unbook_collects(self, iid: bytes, amount: int) -> None:
        """Takes `amount` off the newest collect bookings of `iid` that still count (this cap-window bucket,
        then the last one)."""
        window = self.limits.cap_window
        bucket = self.now // window
        for b in sorted((b for b in self.bookings if b.incident_id == iid and b.collect and b.at >= self.cap_since
                         and b.at // window >= bucket - 1), key=lambda b: -(b.at // window)):  # fmt: skip
            take = min(amount, b.amount)
            b.amount -= take
            amount -= take
        self.bookings = [b for b in self.bookings if b.amount]

    def _stand(self, p: Provider, inc: Incident) -> None:
        """Every executed verdict, warnings included, enters its provider's standing set. With every slot
        taken, the entry whose jail ends first (closed entries and warnings first, then the earliest; the
        first slot of equals) is first settled early: its offense and jail stand for good, and the new entry
        takes its slot. A closed entry gives up its slot with nothing left to settle."""
        if all(p.slots):
            slot = min(range(STANDING_SLOTS),
                       key=lambda n: (p.slots[n].slot_jail_end(), p.slots[n].executed_at, n))  # fmt: skip
            victim = p.slots[slot]
            if victim.closed_in_set:
                self.notes.append("made room with a closed entry")
            else:
                victim.in_set = False
                victim.settled_early = True
                self._settle_jail(p, victim)
                self.notes.append("settled early a warning" if victim.level == WARNING else "settled early a jail")
        else:
            slot = p.slots.index(None)
        p.slots[slot] = inc
        inc.in_set = True

    @staticmethod
    def _settle_jail(p: Provider, inc: Incident) -> None:
        if inc.jail_end > p.jail_floor[0]:
            p.jail_floor = (inc.jail_end, inc.executed_at)

    def _unstand(self, p: Provider, inc: Incident, overturned: bool, recovered: bool) -> None:
        """An overturn or a close takes the incident out of the standing set: overturned, its offense and jail
        go; recovered, its jail goes (its offense stands for good); otherwise both stand for good. The jail
        becomes the latest end among the jails still standing, when the one taken out ran later than it. An
        incident settled early is no longer in the set: nothing changes."""
        if not inc.in_set:
            if inc.settled_early:
                self.notes.append("no effect (settled early)")
            return
        inc.in_set = False
        if overturned:
            p.slots[p.slots.index(inc)] = None
        else:
            inc.closed_in_set = True  # the offense keeps its slot, marked closed
        if overturned:
            inc.offense_stands = False
            inc.jail_stands = False
        elif recovered:
            inc.jail_stands = False
        else:
            self._settle_jail(p, inc)
        end = p.jail_end()
        if inc.jail_end > self.now and inc.jail_end > end:
            p.jailed_until = end
            self.notes.append("jail shortened" if end > self.now else "jail lifted")

    def escalate(self, p: Provider, violation_class: int, severity: int) -> int:
        """DESIGN "Overturns restore exactly": a repeat offense of the class inside the look-back window is
        one level above the last (at most severe); a disabled row at that level falls back to the nearest
        enabled row below it, never below the signed severity (whose row is enabled)."""
        at, last = p.offense(violation_class)
        if at == 0 or self.now - at > self.windows.lookback:
            return severity
        for level in range(min(last + 1, SEVERE), severity, -1):
            if self.matrix[(violation_class, level)].enabled:
                return level
        return severity

    def _book_caps(self, provider: str, wanted: int, iid: bytes, step: int = -1, collect: bool = False) -> int:
        """Takes what the rolling caps (the system's share of all stake, the provider's share of its pool) and
        the pool allow of `wanted` and books it for incident `iid`; returns it."""
        lim = self.limits
        p = self.providers[provider]
        system_left = max(self.total_stake * lim.rate_cap_bps // BPS - self.cap_use(), 0)
        provider_left = max(p.assets * lim.provider_cap_bps // BPS - self.cap_use(provider), 0)
        taken = min(wanted, p.assets, system_left, provider_left)
        if taken:
            self.bookings.append(Booking(self.now, taken, provider, iid, step, collect))
        return taken

    def _clear_remainder(self, iid: bytes, provider: str) -> int:
        """Cancels (an overturn) or writes off (the incident ended, or reached its maximum lifetime) what is
        still owed on `iid`; returns it."""
        owed = self.remainders.pop(iid, 0)
        if owed:
            self.remainder_events.append(("RemainderCleared", iid, provider, owed))
        return owed

    def collect(self, v: V) -> Err | dict:
        """VerdictManager.collect: anyone takes what the caps allow of an incident's remainder."""
        inc = self._executed(v)
        if isinstance(inc, Err):
            return inc
        owed = self.remainders.get(v.incident_id, 0)
        if owed == 0:
            return Err("NothingOwed", v.incident_id)
        if self.now < self.paused_until:
            return Err("ExecutionPaused", self.paused_until)
        e = self.escrows[v.incident_id]
        forfeited = e.status == ST_FORFEITED  # a tombstone forfeited the escrow (closed incidents owe nothing else)
        assert forfeited == bool(inc.flags & FLAG_CLOSED) and (forfeited or e.status in OPEN_STATUSES), "model"
        p = self.providers[v.provider]
        if self.window_passed(e.opened_at, self.rparams[e.version].max_lifetime):
            # DESIGN: a remainder still owed when the incident reaches its maximum lifetime is written off
            # (an open escrow keeps its incident, and so the pool frozen, until it is closed).
            self._clear_remainder(v.incident_id, v.provider)
            if forfeited:
                self._unfreeze(v.provider)
            return {"collected": 0, "cleared": owed, "remainder": 0}
        taken = self._book_caps(v.provider, owed, v.incident_id, collect=True)
        if taken == 0:
            return Err("SlashRateCapExceeded", owed, 0)
        self.collected[v.incident_id] = self.collected.get(v.incident_id, 0) + taken
        left = owed - taken
        if left:
            self.remainders[v.incident_id] = left
        else:
            del self.remainders[v.incident_id]
        self.remainder_events.append(("RemainderCollected", v.incident_id, v.provider, taken, left))
        p.assets -= taken
        self.total_stake -= taken
        self._move(self.a["StakeManager"], self.a["RecoveryEscrow"], taken)
        if forfeited:
            self.insurance += taken
            if left == 0:
                self._unfreeze(v.provider)
        else:
            e.amount += taken
            self.escrowed += taken
        return {"collected": taken, "cleared": 0, "remainder": left}

    # -- VerdictManager + AppealCourt: appeals ----------------------------------------------------

    def _executed(self, v: V) -> Err | Incident:
        inc = self.incidents.get(v.incident_id)
        if inc is None:
            return Err("UnknownIncident", v.incident_id)
        if inc.verdict != v:
            return Err("VerdictMismatch", v.incident_id)
        if inc.flags & FLAG_OVERTURNED:
            return Err("NotFinalizable", v.incident_id)
        return inc

    def upgrade_of(self, v: V) -> Step | None:
        """The step `v` is the latest upgrade of (the AppealCourt routes its appeals by digest)."""
        step = self.upgrades.get(v.incident_id)
        return step if step is not None and step.verdict == v else None

    def step_key(self, iid: bytes, step: Step) -> bytes:
        key = step_key(iid, step.prev_severity)
        self.step_keys[key] = iid
        return key

    def appeal_pending_key(self, key: bytes) -> bool:
        """Whether the appeal under `key` (an incident id, or an upgrade step's key) is pending."""
        if key in self.incidents:
            return self.appeal_pending(key)
        step = self.upgrades[self.step_keys[key]]
        return step.appealed_at != 0 and not step.resolved and self.step_key(self.step_keys[key], step) == key

    def _appeal_upgrade(self, v: V, step: Step, sender: str) -> Err | int:
        iid = v.incident_id
        inc = self.incidents[iid]
        window_end = step.at + step.appeal_window
        if step.overturned or step.appealed_at or self.now > window_end or inc.flags & (FLAG_OVERTURNED | FLAG_CLOSED):
            return Err("UpgradeNotAppealable", iid, window_end)
        step.appealed_at = self.now
        bond = self.limits.appeal_bond  # an upgrade always slashes
        self.appeals[self.step_key(iid, step)] = (sender, bond)
        self._move(sender, self.a["AppealCourt"], bond)
        return bond

    def _pending_upgrade(self, v: V, step: Step) -> Err | tuple[str, int, int]:
        appeal = self.appeals.get(self.step_key(v.incident_id, step))
        if appeal is None or not step.appealed_at or step.resolved:
            return Err("NoPendingAppeal", v.incident_id)
        return (*appeal, step.appealed_at + step.appeal_resolution)

    def _decide_upgrade(self, v: V, step: Step, overturn: bool | None) -> Err | dict:
        """resolveAppeal (`overturn` True or False) or finalizeAppeal (None) of an upgrade's appeal."""
        pending = self._pending_upgrade(v, step)
        if isinstance(pending, Err):
            return pending
        appellant, bond, deadline = pending
        if overturn is None:
            if self.now <= deadline:
                return Err("ResolutionDeadlineNotReached", deadline, self.now)
            step.resolved = True
            self._move(self.a["AppealCourt"], appellant, bond)
            return {"tombstoned": False}
        if self.now > deadline:
            return Err("ResolutionDeadlinePassed", deadline, self.now)
        if overturn:
            out = self._overturn_upgrade(v, step)
            self._move(self.a["AppealCourt"], appellant, bond)
            return out
        step.resolved = True
        self._move(self.a["AppealCourt"], self.a["RecoveryEscrow"], bond)
        self.insurance += bond
        return {"tombstoned": False}

    def appeal(self, v: V, sender: str) -> Err | int:
        p = self.providers.get(v.provider)
        if sender != (p.operator if p else ZERO_ADDRESS):
            return Err("NotProviderOperator", sender)
        step = self.upgrade_of(v)
        if step is not None:
            return self._appeal_upgrade(v, step, sender)
        inc = self._executed(v)
        if isinstance(inc, Err):
            return inc
        if inc.appealed_at != 0:
            return Err("AlreadyAppealed", v.incident_id)
        window_end = inc.executed_at + inc.appeal_window
        if self.now > window_end or inc.flags & FLAG_CLOSED:
            return Err("AppealWindowClosed", window_end, self.now)
        inc.appealed_at = self.now
        bond = 0 if inc.level == WARNING else self.limits.appeal_bond
        self.appeals[v.incident_id] = (sender, bond)
        self._move(sender, self.a["AppealCourt"], bond)
        return bond

    def _pending(self, iid: bytes) -> Err | tuple[str, int, int]:
        appeal = self.appeals.get(iid)
        if appeal is None or not self.appeal_pending(iid):
            return Err("NoPendingAppeal", iid)
        inc = self.incidents[iid]
        return (*appeal, inc.appealed_at + inc.appeal_resolution)

    def resolve(self, v: V, overturn: bool) -> Err | dict:
        step = self.upgrade_of(v)
        if step is not None:
            return self._decide_upgrade(v, step, overturn)
        pending = self._pending(v.incident_id)
        if isinstance(pending, Err):
            return pending
        appellant, bond, deadline = pending
        if self.now > deadline:
            return Err("ResolutionDeadlinePassed", deadline, self.now)
        inc = self._executed(v)
        if isinstance(inc, Err):
            return inc
        if overturn:
            out = self._overturn(v, inc)
            self._move(self.a["AppealCourt"], appellant, bond)
            return out
        out = self._uphold(v, inc)
        self._move(self.a["AppealCourt"], self.a["RecoveryEscrow"], bond)
        self.insurance += bond
        return out

    def finalize_appeal(self, v: V) -> Err | dict:
        step = self.upgrade_of(v)
        if step is not None:
            return self._decide_upgrade(v, step, None)
        pending = self._pending(v.incident_id)
        if isinstance(pending, Err):
            return pending
        appellant, bond, deadline = pending
        if self.now <= deadline:
            return Err("ResolutionDeadlineNotReached", deadline, self.now)
        inc = self._executed(v)
        if isinstance(inc, Err):
            return inc
        out = self._uphold(v, inc)
        self._move(self.a["AppealCourt"], appellant, bond)
        return out

    def _uphold(self, v: V, inc: Incident) -> dict:
        inc.flags |= FLAG_APPEAL_RESOLVED
        if inc.flags & FLAG_TOMBSTONE and self.step_over(v.incident_id):
            return self._tombstone(v, inc)
        return {"tombstoned": False}

    def _overturn(self, v: V, inc: Incident) -> dict:
        """DESIGN "Overturns restore exactly": the verdict's effects removed: escrow back to the pool, cap use
        refunded, a remainder owed cancelled, its offense and jail out of the standing set (the class's
        escalation record and the jail become the latest that still stand), the signers penalized, the
        pool's freeze for this incident ended."""
        provider = v.provider
        p = self.providers[provider]
        inc.flags |= FLAG_APPEAL_RESOLVED | FLAG_OVERTURNED
        self._unstand(p, inc, overturned=True, recovered=False)
        returned = cancelled = 0
        slashing = inc.level != WARNING
        if slashing:
            # DESIGN: exactly what the verdict's slash and its collects still count is refunded.
            self.bookings = [b for b in self.bookings if b.incident_id != v.incident_id]
            cancelled = self._clear_remainder(v.incident_id, provider)
            returned = self._end(v.incident_id, ST_REFUNDED)
            self._return_stake(self.a["RecoveryEscrow"], provider, returned)
        step = self.upgrades.get(v.incident_id)
        if step is not None:  # its upgrades go with it: the escrow refunded their tokens, the caps their use
            if step.appealed_at and not step.resolved:
                appellant, bond = self.appeals[self.step_key(v.incident_id, step)]
                self._move(self.a["AppealCourt"], appellant, bond)
            step.resolved = step.overturned = True
        penalties = self._penalize(v.committee_epoch, self.approvals.get(inc.digest, 0), provider, slashing)
        if slashing:
            self._unfreeze(provider)
        return {"returned": returned, "penalties": penalties, "cancelled": cancelled}

    def _penalize(self, epoch: int, bitmap: int, provider: str, slashing: bool) -> int:
        """Takes the oracle penalty from the bond of each signer in `bitmap` (seats of `epoch`): into the pool
        still frozen by the overturned incident, or, for a warning, which froze nothing, to the provider's
        owner key (DESIGN, "Overturns")."""
        penalties = 0
        seat = 0
        while bitmap:
            if bitmap & 1:
                member = self.members[epoch][seat]
                bond = self.bonds.setdefault(member, Bond())
                taken = min(self.limits.oracle_penalty, bond.amount)
                if taken:
                    bond.amount -= taken
                    bond.pending = min(bond.pending, bond.amount)
                    if slashing:
                        self._return_stake(self.a["OracleCommittee"], provider, taken)
                    else:
                        self._move(self.a["OracleCommittee"], provider, taken)
                    penalties += taken
            bitmap >>= 1
            seat += 1
        return penalties

    def finalize_tombstone(self, v: V) -> Err | dict:
        inc = self._executed(v)
        if isinstance(inc, Err):
            return inc
        pending = inc.appealed_at != 0 and not inc.flags & FLAG_APPEAL_RESOLVED
        if not inc.flags & FLAG_TOMBSTONE or inc.flags & FLAG_CLOSED or pending or not self.step_over(v.incident_id):
            return Err("NotFinalizable", v.incident_id)
        window_end = inc.executed_at + inc.appeal_window
        if inc.appealed_at == 0 and self.now <= window_end:
            return Err("AppealWindowOpen", window_end, self.now)
        return self._tombstone(v, inc)

    def _tombstone(self, v: V, inc: Incident) -> dict:
        """A tombstoning verdict that stands: the incident closes, the provider is tombstoned, the escrow
        forfeited; the pool stays frozen for this incident while a remainder is owed on it."""
        p = self.providers[v.provider]
        inc.flags |= FLAG_CLOSED
        p.tombstoned = True
        left = self._end(v.incident_id, ST_FORFEITED)
        self.insurance += left
        owed = self.remainders.get(v.incident_id, 0)
        if not owed:
            self._unfreeze(v.provider)
        return {"tombstoned": True, "owed": owed}

    # -- VerdictManager: guardian -----------------------------------------------------------------

    def pause(self) -> Err | int:
        if self.now < self.paused_until:
            return Err("AlreadyPaused")
        if self.paused_at != 0:
            allowed = self.paused_until + self.windows.pause_cooldown
            if self.now < allowed:
                return Err("PauseCooldown", allowed, self.now)
        self.paused_at = self.now
        self.paused_until = self.now + self.windows.max_pause
        self.pauses.append([self.now, self.paused_until])
        return self.paused_until

    def unpause(self) -> Err | None:
        if self.now >= self.paused_until:
            return Err("NotPaused")
        self.paused_until = self.now
        self.pauses[-1][1] = self.now
        return None

    # -- RecoveryEscrow ---------------------------------------------------------------------------

    def _verified(self, v: V) -> Err | Escrow | None:
        inc = self.incidents.get(v.incident_id)
        if inc is None or inc.verdict != v:
            return Err("VerdictMismatch", v.incident_id)
        return self.escrows.get(v.incident_id)

    def _end(self, iid: bytes, status: int) -> int:
        e = self.escrows[iid]
        assert e.status in OPEN_STATUSES, "model: ending an escrow that is not open"
        left = e.amount - e.released
        e.status = status
        self.escrowed -= left
        return left

    def _vested(self, e: Escrow) -> int:
        p = self.rparams[e.version]
        recoverable = e.amount * e.recoverable_bps // BPS
        epochs = min(e.vested_epochs, p.epochs_required)
        if not p.graduated:
            return recoverable if epochs == p.epochs_required else 0
        return recoverable * epochs // p.epochs_required

    def file_claim(self, v: V, sender: str, proof: Proof | None, auditor: str | None, proof_digest: bytes | None,
                   malformed: bool = False) -> Err | dict:
        """`auditor`: the signer of the proof's signature (None: no signature given)."""
        e = self._verified(v)
        if isinstance(e, Err):
            return e
        p = self.providers[v.provider]
        if sender != p.operator:
            return Err("NotProviderOperator", sender)
        if e is None:
            return Err("NotRecoverable", v.incident_id)
        if e.status not in (ST_ESCROWED, ST_REJECTED):
            return Err("ClaimNotAllowed", v.incident_id, e.status)
        rp = self.rparams[e.version]
        if self.window_passed(e.opened_at, rp.claim_window):
            return Err("ClaimDeadlinePassed", self.extended_deadline(e.opened_at, rp.claim_window), self.now)
        if e.path == PATH_NONE or e.recoverable_bps == 0:
            return Err("NotRecoverable", v.incident_id)
        if e.path != PATH_SERVICE:
            if auditor is None and not malformed:
                return Err("AuditProofRequired")
            if malformed:
                return Err("InvalidSignature", 0)
            if auditor not in self.auditors:
                return Err("NotAuditor", auditor)
            if auditor in (v.provider, p.operator):
                return Err("AuditorIsProviderKey", auditor)
            if proof.incident_id != v.incident_id or proof.provider != v.provider:
                return Err("AuditProofMismatch")
            if proof.issued_at < e.opened_at or proof.issued_at > self.now or self.now > proof.expiry:
                return Err("AuditProofNotValid", proof.issued_at, proof.expiry, self.now)
            if proof_digest in self.used_proofs:
                return Err("AuditProofUsed", proof_digest)
            self.used_proofs.add(proof_digest)
        e.filed_at = self.now
        e.next_epoch = 0
        if e.path == PATH_COMPLIANCE:
            e.vested_epochs = rp.epochs_required
            e.last_vested_at = self.now
            e.vested_clock = self.clock(self.now)
        else:
            e.vested_epochs = 0
            e.last_vested_at = 0
            e.vested_clock = 0
        e.status = ST_CLAIMED
        return {"auditor": auditor if e.path != PATH_SERVICE else ZERO_ADDRESS}

    def attest(self, att: Att, digest: bytes, signers: list[str | None]) -> Err | dict:
        iid = att.incident_id
        e = self.escrows.get(iid)
        if e is None:
            return Err("NotObserving", iid)
        rp = self.rparams[e.version]
        if e.status != ST_CLAIMED or e.path == PATH_COMPLIANCE or e.vested_epochs >= rp.epochs_required:
            return Err("NotObserving", iid)
        # DESIGN "Recovery order": epochs on a fixed grid from the filing time; an epoch without quorum by
        # its end plus the attestation grace is missed (neither vests nor resets).
        epoch = att.observation_epoch
        if epoch < e.next_epoch:
            return Err("WrongObservationEpoch", epoch, e.next_epoch)
        start = e.filed_at + epoch * rp.epoch_length
        end = start + rp.epoch_length
        if self.now < end:
            return Err("ObservationEpochNotOver", epoch, end, self.now)
        if self.now > end + rp.attestation_grace:
            return Err("EpochMissed", epoch, end + rp.attestation_grace, self.now)
        if att.observed_at < start or att.observed_at >= end:
            return Err("ObservationOutsideEpoch", att.observed_at)
        if att.committee_epoch != self.epoch:
            return Err("StaleCommitteeEpoch", att.committee_epoch, self.epoch)
        bitmap = self.re_approvals.get(digest, 0)
        added = 0
        for i, signer in enumerate(signers):
            if signer is None:
                return Err("InvalidSignature", i)
            seat = self.seat(self.epoch, signer)
            if seat == 0:
                return Err("NotCommitteeMember", signer, self.epoch)
            bit = 1 << (seat - 1)
            if added & bit:
                return Err("DuplicateSigner", signer)
            added |= bit
            bitmap |= bit
        self.re_approvals[digest] = bitmap
        if popcount(bitmap) < self.threshold:
            return {"applied": False}
        passed = att.healthy and att.data_intact
        missed = epoch - e.next_epoch
        e.next_epoch = epoch + 1
        if passed:
            e.vested_epochs += 1
            e.last_vested_at = self.now
            e.vested_clock = self.clock(self.now)
        else:
            e.vested_epochs = 0
        return {"applied": True, "passed": passed, "vested_epochs": e.vested_epochs, "missed": missed}

    def _decide(self, key: tuple, sender: str) -> Err | bool:
        seat = self.seat(self.epoch, sender)
        if seat == 0:
            return Err("NotCommitteeMember", sender, self.epoch)
        key = (*key, self.epoch)
        bitmap = self.re_approvals.get(key, 0)
        bit = 1 << (seat - 1)
        if bitmap & bit:
            return Err("DuplicateSigner", sender)
        bitmap |= bit
        self.re_approvals[key] = bitmap
        return popcount(bitmap) == self.threshold

    def approve_rejection(self, v: V, evidence: bytes, sender: str) -> Err | bool:
        e = self._verified(v)
        if isinstance(e, Err):
            return e
        if e is None or e.status != ST_CLAIMED:
            return Err("NotObserving", v.incident_id)
        rp = self.rparams[e.version]
        if e.vested_epochs >= rp.epochs_required and self.window_passed(e.last_vested_at, rp.challenge_window):
            return Err("ChallengeWindowClosed", self.extended_deadline(e.last_vested_at, rp.challenge_window), self.now)
        done = self._decide(("reject", v.incident_id, e.filed_at, evidence), sender)
        if done is True:
            e.status = ST_REJECTED
            e.vested_epochs = 0
        return done

    def approve_evaluation(self, v: V, report: bytes, sender: str) -> Err | bool:
        e = self._verified(v)
        if isinstance(e, Err):
            return e
        if e is None or e.status not in OPEN_STATUSES:
            return Err("EscrowNotOpen", v.incident_id)
        if e.evaluated:
            return Err("EvaluationAlreadyRecorded", v.incident_id)
        done = self._decide(("evaluate", v.incident_id, report), sender)
        if done is True:
            e.evaluated = True
        return done

    def release(self, v: V) -> Err | dict:
        e = self._verified(v)
        if isinstance(e, Err):
            return e
        if e is None or e.status not in OPEN_STATUSES:
            return Err("EscrowNotOpen", v.incident_id)
        if self.now < self.paused_until:
            return Err("ReleasesPaused", self.paused_until)
        blocked = self.appeal_block(v.incident_id)
        if blocked:
            return blocked
        rp = self.rparams[e.version]
        recoverable = e.amount * e.recoverable_bps // BPS
        vested = self._vested(e) if e.status == ST_CLAIMED else 0
        # The challenge window counts unpaused time from the last vesting (a claim never vested: from 0).
        waiting = not self.window_passed(e.last_vested_at, rp.challenge_window - 1)
        if vested <= e.released or waiting:
            return Err("NothingToRelease", vested, e.released, self.extended_deadline(e.last_vested_at, rp.challenge_window))
        complete = vested == recoverable and e.vested_epochs >= rp.epochs_required
        if complete and not e.evaluated:
            return Err("EvaluationMissing", v.incident_id)
        if complete and self.remainders.get(v.incident_id):
            # The recovery completes (and the incident closes) only once nothing is owed to it.
            return Err("RemainderOwed", v.incident_id, self.remainders[v.incident_id])
        amount = vested - e.released
        e.released = vested
        self.escrowed -= amount
        out = {"amount": amount, "complete": complete, "forfeited": 0}
        if complete:
            forfeited = self._end(v.incident_id, ST_RELEASED)
            self.insurance += forfeited
            out["forfeited"] = forfeited
        self._return_stake(self.a["RecoveryEscrow"], v.provider, amount)
        if complete:
            self._close_incident(v, recovered=True)
        return out

    def close_window(self, incident_id) -> int:
        """How long after opening the default close waits: the claim window for an unclaimed escrow, the
        maximum lifetime for a claimed one or while a remainder is owed (DESIGN: it is written off only at
        the maximum lifetime)."""
        e = self.escrows[incident_id]
        rp = self.rparams[e.version]
        if e.status == ST_CLAIMED or self.remainders.get(incident_id, 0):
            return rp.max_lifetime
        return rp.claim_window

    def close(self, v: V) -> Err | int:
        e = self._verified(v)
        if isinstance(e, Err):
            return e
        if e is None or e.status not in OPEN_STATUSES:
            return Err("EscrowNotOpen", v.incident_id)
        inc = self.incidents[v.incident_id]
        if inc.flags & FLAG_TOMBSTONE:
            return Err("NotRecoverable", v.incident_id)
        if self.now < self.paused_until:
            return Err("ReleasesPaused", self.paused_until)
        blocked = self.appeal_block(v.incident_id)
        if blocked:
            return blocked
        window = self.close_window(v.incident_id)
        if not self.window_passed(e.opened_at, window):
            return Err("NotClosable", self.extended_deadline(e.opened_at, window), self.now)
        forfeited = self._end(v.incident_id, ST_FORFEITED)
        self.insurance += forfeited
        self._close_incident(v, recovered=False)
        return forfeited

    def _close_incident(self, v: V, recovered: bool) -> int:
        """An escrow's end state closes its incident; a remainder still owed is written off (returned). The
        incident leaves the standing set: its offense stands for good, its jail too unless its recovery
        completed (`recovered`)."""
        self._unfreeze(v.provider)
        inc = self.incidents[v.incident_id]
        inc.flags |= FLAG_CLOSED
        owed = self._clear_remainder(v.incident_id, v.provider)
        self._unstand(self.providers[v.provider], inc, overturned=False, recovered=recovered)
        return owed

    def deposit_insurance(self, sender: str, amount: int) -> Err | int:
        if amount == 0:
            return Err("ZeroAmount")
        self.insurance += amount
        self._move(sender, self.a["RecoveryEscrow"], amount)
        return self.insurance

    def spend_insurance(self, to: str, amount: int) -> Err | int:
        if to == ZERO_ADDRESS:
            return Err("ZeroAddress")
        if amount == 0:
            return Err("ZeroAmount")
        if amount > self.insurance:
            return Err("InsufficientInsurance", amount, self.insurance)
        self.insurance -= amount
        self._move(self.a["RecoveryEscrow"], to, amount)
        return self.insurance

    # -- OracleCommittee --------------------------------------------------------------------------

    def post_bond(self, sender: str, amount: int) -> Err | int:
        if amount == 0:
            return Err("ZeroAmount")
        b = self.bonds.setdefault(sender, Bond())
        b.amount += amount
        self._move(sender, self.a["OracleCommittee"], amount)
        return b.amount

    def request_bond_withdrawal(self, sender: str, amount: int) -> Err | int:
        if amount == 0:
            return Err("ZeroAmount")
        b = self.bonds.get(sender, Bond())
        pending = b.pending + amount
        if pending > b.amount:
            return Err("InsufficientBond", amount, b.amount - b.pending)
        if self.seat(self.epoch, sender):
            remaining = b.amount - pending
            if remaining < self.min_bond:
                return Err("BondBelowMinimum", sender, remaining, self.min_bond)
        b = self.bonds.setdefault(sender, Bond())
        b.pending = pending
        b.withdrawable_at = self.now + self.bond_lock()
        return b.withdrawable_at

    def withdraw_bond(self, sender: str) -> Err | int:
        b = self.bonds.get(sender, Bond())
        if b.pending == 0:
            return Err("NothingToWithdraw")
        if self.now < b.withdrawable_at:
            return Err("BondLocked", b.withdrawable_at, self.now)
        amount = b.pending
        b.amount -= amount
        b.pending = 0
        b.withdrawable_at = 0
        self._move(self.a["OracleCommittee"], sender, amount)
        return amount

    def set_committee(self, members: list[str], threshold: int) -> Err | int:
        if not members or len(members) > 256:
            return Err("CommitteeSizeOutOfRange", len(members))
        if threshold == 0 or threshold > len(members):
            return Err("ThresholdOutOfRange", threshold, len(members))
        seen = set()
        for member in members:
            if member == ZERO_ADDRESS:
                return Err("ZeroAddress")
            if member in seen:
                return Err("DuplicateMember", member)
            seen.add(member)
            b = self.bonds.get(member, Bond())
            if b.amount - b.pending < self.min_bond:
                return Err("BondBelowMinimum", member, b.amount - b.pending, self.min_bond)
        self.epoch += 1
        self.members[self.epoch] = list(members)
        self.threshold = threshold
        return self.epoch

    # -- governance setters -----------------------------------------------------------------------

    def set_penalty_row(self, violation_class: int, level: int, row: Row) -> Err | None:
        if violation_class >= CLASSES or level >= LEVELS:
            return Err("SeverityNotApplicable", violation_class, level)
        if row.slash_bps > BPS or row.recoverable_bps > BPS:
            return Err("InvalidParameter", "bps")
        if row.path > PATH_COMPLIANCE:
            return Err("InvalidParameter", "recoveryPath")
        if row.enabled and level == WARNING and (row.slash_bps != 0 or row.tombstone):
            return Err("InvalidParameter", "warning")
        if row.enabled and level != WARNING and row.jail == 0:
            return Err("InvalidParameter", "jailDuration")
        self.matrix[(violation_class, level)] = row
        return None

    def set_limits(self, lim: Limits) -> Err | None:
        if lim.rate_cap_bps == 0 or lim.rate_cap_bps > BPS:
            return Err("InvalidParameter", "rateCapBps")
        if lim.provider_cap_bps == 0 or lim.provider_cap_bps > BPS:
            return Err("InvalidParameter", "providerCapBps")
        if lim.cap_window == 0:
            return Err("InvalidParameter", "capWindow")
        if lim.cap_window != self.limits.cap_window:
            self.cap_since = self.now + 1
        self.limits = lim
        return None

    def set_windows(self, w: Windows) -> Err | None:
        for name in ("max_verdict_age", "appeal_window", "appeal_resolution", "bucket_length", "max_pause"):
            if getattr(w, name) == 0:
                head, *rest = name.split("_")
                return Err("InvalidParameter", head + "".join(x.capitalize() for x in rest))
        if w.pause_cooldown < w.max_verdict_age + w.execution_grace + w.max_pause:
            return Err("InvalidParameter", "pauseCooldown")
        if self.unbonding <= w.slashable():
            return Err("UnbondingTooShort", self.unbonding, w.slashable())
        slack = self.lifetime_slack(self.rparams[self.rversion])
        needed = w.appeal_window + w.appeal_resolution + w.max_pause
        if slack < needed:
            return Err("LifetimeTooShort", slack, needed)
        old = self.windows
        self.lock_floor = max(self.lock_floor, self.now + old.slashable() + old.appeal_resolution)
        self.windows = w
        return None

    def set_unbonding(self, period: int) -> Err | None:
        if period < 1 or period > 365 * 86400:
            return Err("UnbondingPeriodOutOfRange", period, 1, 365 * 86400)
        if period <= self.windows.slashable():
            return Err("UnbondingTooShort", period, self.windows.slashable())
        self.unbonding = period
        return None

    @staticmethod
    def lifetime_slack(rp: RecoveryParams) -> int:
        """What the maximum lifetime leaves beyond the longest recovery (negative: too short)."""
        path = rp.claim_window + rp.epoch_length * rp.epochs_required + rp.attestation_grace + rp.challenge_window
        return rp.max_lifetime - path

    def set_recovery_params(self, rp: RecoveryParams) -> Err | int:
        for name in ("claim_window", "epoch_length", "epochs_required", "challenge_window"):
            if getattr(rp, name) == 0:
                head, *rest = name.split("_")
                return Err("InvalidParameter", head + "".join(x.capitalize() for x in rest))
        if rp.attestation_grace == 0 or rp.attestation_grace >= rp.epoch_length:
            return Err("InvalidParameter", "attestationGrace")
        w = self.windows
        if self.lifetime_slack(rp) < w.appeal_window + w.appeal_resolution + w.max_pause:
            return Err("InvalidParameter", "maxLifetime")
        self.rversion += 1
        self.rparams[self.rversion] = rp
        return self.rversion
