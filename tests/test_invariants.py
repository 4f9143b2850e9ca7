"""Stateful fuzzing of the whole system on anvil: a hypothesis state machine drives random sequences
of stakes, delegations, unstake requests, withdrawals, time jumps, verdicts (valid ones and
invalid ones: wrong signer, stale epoch, expired, malformed, duplicates; verdicts of a class
with an incident of the provider still open; stake topped up between a verdict's first approvals
and its quorum; repeat offenses after a matrix row was switched off), collects of remainders the
caps cut short, appeals and their resolution, recovery claims with auditor-signed audit proofs,
attestations, evaluations, rejections, releases, default closes, tombstones, guardian pauses,
oracle bonds and parameter changes through the timelock, against the system deployed by the real
deployment plan (the `system` fixture).

Every action is first run on an independent Python model (tests/invariant_support.py), which
predicts either its effects or the exact custom error and its arguments; the chain must agree.
After every step the whole state is read back and checked:

- conservation: the token balance of each of the StakeManager, RecoveryEscrow, OracleCommittee
  and AppealCourt equals what it owes (pool assets, unbonding included; open escrows less what
  they released, and the insurance pool; operator bonds; bonds of pending appeals);
- pro rata: no position is worth more than its share of the pool's assets (rounded down; rounded
  up once the pool is below its initial share price), the positions together not more than the
  pool, and their shares add up to the pool's shares;
- a tombstoned provider stays tombstoned (never active again, never takes stake);
- each escrow ends at most once and never pays out more than it took in, collected remainders
  included (from the events);
- each pool's freeze count equals its open slashing incidents, a tombstoned one counting while a
  remainder is owed on it (from the events);
- while paused no verdict executes and no tranche is released (from the events), while
  appeals and withdrawals of unfrozen stake succeed (the model predicts success regardless of
  the pause, and the chain must agree);
- an overturned verdict leaves no trace (DESIGN "Overturns restore exactly"): each violation
  class's escalation record names the class's latest offense that stands (an offense stands unless
  overturned), and a provider is jailed exactly until the latest end among the jails that stand (a
  jail stands until its incident is overturned or its recovery completes); an incident settled
  early out of a full standing set (12 slots) stands for good;
- the model's pools, positions, providers, escalation records, standing sets, escrow records, claims, incidents,
  remainders owed, bonds, appeals, caps, the pause and every actor's token balance equal the
  chain's, and every transaction emits exactly the model's token transfers and remainder events
  (RemainderOwed, RemainderCollected, RemainderCleared).

Budget: SWARM_STAKE_FUZZ_STEPS steps in all (default 2,000), in runs of
SWARM_STAKE_FUZZ_RUN_LENGTH steps (default 100). Runs are derandomized unless
SWARM_STAKE_FUZZ_SEED is set (`make fuzz` sets a random one and prints it). Each run starts from
the same deployed state: a chain snapshot is taken when the run starts and restored at its end.
"""

import os
import time
from collections import Counter

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from eth_utils import keccak
from invariant_support import (
    ATTESTATION_TYPEHASH,
    ATTESTATION_TYPES,
    AUDIT_TYPEHASH,
    AUDIT_TYPES,
    BPS,
    CLASSES,
    FLAG_CLOSED,
    FLAG_OVERTURNED,
    FLAG_TOMBSTONE,
    FLAG_UPGRADED,
    OPEN_STATUSES,
    PATH_COMPLIANCE,
    S_TOMBSTONED,
    ST_CLAIMED,
    ST_ESCROWED,
    ST_FORFEITED,
    ST_RELEASED,
    SECURITY_BREACH,
    SEVERE,
    ST_REJECTED,
    VERDICT_TYPEHASH,
    VERDICT_TYPES,
    WARNING,
    ZERO32,
    ZERO_ADDRESS,
    Abis,
    Att,
    Bond,
    Err,
    Limits,
    Model,
    Position,
    Proof,
    Provider,
    RecoveryParams,
    Row,
    Rpc,
    RpcError,
    V,
    Windows,
    domain_separator,
    high_s,
    incident_id_of,
    sign_digest,
    step_key,
    to_assets,
    typed_digest,
)
from swarm_stake.devnet import dev_account
from swarm_stake.models import AuditProof, RestorationAttestation, Verdict
from swarm_stake.signing import digest as signing_digest
from system_fixtures import (
    ARBITER,
    AUDITOR,
    DELEGATOR_INDICES,
    GOV,
    GUARDIAN,
    ORACLE_INDICES,
    OUTSIDER,
    PROVIDER_A,
    PROVIDER_B,
)

pytestmark = pytest.mark.integration

TOKEN = 10**18
HOUR, DAY = 3600, 86400
STEPS = int(os.environ.get("SWARM_STAKE_FUZZ_STEPS", "2000"))
RUN_LENGTH = int(os.environ.get("SWARM_STAKE_FUZZ_RUN_LENGTH", "100"))
SEED = os.environ.get("SWARM_STAKE_FUZZ_SEED")

PROVIDER_C, OPERATOR_C, SPARE = 17, 18, 19
CONTRACTS = ("SwarmToken", "StakeManager", "VerdictManager", "AppealCourt", "RecoveryEscrow", "OracleCommittee", "SwarmLens",
             "SwarmTimelock")  # fmt: skip
HOLDERS = ("StakeManager", "RecoveryEscrow", "OracleCommittee", "AppealCourt")
EVIDENCE = [keccak(text=f"evidence {i}") for i in range(3)]
REPORTS = [keccak(text=f"report {i}") for i in range(2)]
TIME_STEPS = [1, 59, 600, HOUR, 3 * HOUR, DAY, 2 * DAY + 1, 3 * DAY, 8 * DAY, 31 * DAY]
INVALID_VERDICTS = ["wrong_signer", "stale_epoch", "future_epoch", "expired", "too_old", "deadline_too_far",
                    "id_mismatch", "duplicate_signer", "high_s", "warning_breach", "replay"]  # fmt: skip
#: How long before now a verdict's failure was observed; 0 often: an observation in the second of an earlier
#: execution (the edge of "a jail imposed at or before the observation").
OFFSETS = st.one_of(st.just(0), st.integers(0, 3700))
BAD_PROOFS = ["none", "wrong_signer", "expired", "early", "mismatch", "reused", "high_s"]


class Stats:
    """What the campaign exercised: rule outcomes and invariant checks, printed at the end."""

    def __init__(self):
        self.outcomes = Counter()
        self.runs = 0
        self.checks = 0


STATS = Stats()
#: Encoded read requests and decoded replies of the invariant checks, by their inputs.
READ_REQUESTS: dict = {}
DECODED: dict = {}


def counted_cap_use(record, m) -> int:
    """What a stored IVerdictManager.CapUse (updatedAt, current, previous) counts at the model's time: its
    bucket and the one before it, read the way DESIGN's fixed buckets are counted."""
    updated_at, current, previous = record
    window = m.limits.cap_window
    if updated_at < m.cap_since:
        return 0
    bucket, last = m.now // window, updated_at // window
    if last + 1 == bucket:
        current, previous = 0, current
    elif last != bucket:
        return 0
    return current + previous * (window - m.now % window) // window


def cached_decode(decode, raw):
    """`decode(raw)`, remembered (a reply decodes alike every time; the cache is dropped when it grows large)."""
    if not isinstance(raw, str):
        return decode(raw)
    key = (decode, raw)
    value = DECODED.get(key, DECODED)
    if value is DECODED:
        if len(DECODED) > 100_000:
            DECODED.clear()
        value = DECODED[key] = decode(raw)
    return value


class SwarmMachine(RuleBasedStateMachine):
    """One run: a snapshot of the deployed system, the model copied from its baseline, random steps."""

    # set once by the test, shared by every run
    system = None
    rpc: Rpc = None
    abis: Abis = None
    baseline: Model = None
    keys: dict = None  # account index -> eth-account key
    address_index: dict = None  # address -> account index
    vm_domain: bytes = None  # EIP-712 domain separators
    re_domain: bytes = None

    def __init__(self):
        super().__init__()
        s = self.system
        self.snapshot = s.chain.snapshot()
        self.m = self.baseline.clone()
        # Every run starts at the next week boundary: time only enters through differences and the
        # incident-id bucket (observedAt / bucketLength), so a seed replays alike in any session.
        head = int(self.rpc.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        self.m.now = (head // (7 * DAY) + 1) * 7 * DAY
        self.mine()
        self.verdicts: list[tuple[V, bytes]] = []  # every verdict with recorded approvals
        self.proofs: dict[bytes, Proof] = {}  # the last audit proof used per incident
        self.salt = 0
        # tracked from events
        self.ev_opened: dict[bytes, int] = {}
        self.ev_paid: dict[bytes, int] = {}
        self.ev_ended: Counter = Counter()
        self.ev_slashing: dict[bytes, str] = {}
        self.ev_finished: set[bytes] = set()
        self.ev_tombstoned: set[str] = set()
        self.ev_executed: set[bytes] = set()
        self.ev_owed: dict[bytes, int] = {}  # remainders owed, from RemainderOwed/Collected/Cleared
        self.ev_forfeited: set[bytes] = set()  # escrows ended by forfeiture
        self.donated = Counter()
        self.steps = 0
        self.tombstone_scenario = False
        STATS.runs += 1

    def teardown(self):
        self.system.chain.restore(self.snapshot)

    # -- chain plumbing ---------------------------------------------------------------------------

    def addr(self, index: int) -> str:
        return self.system.accounts[index].address

    def mine(self) -> None:
        self.rpc.request("evm_mine", [self.m.now])

    def appeal_end(self, iid: bytes) -> int:
        inc = self.m.incidents[iid]
        return inc.executed_at + inc.appeal_window

    def releasable_at(self, iid: bytes) -> int:
        """When the last vested tranche of `iid` is payable: its challenge window (moved by pauses so far)
        and the incident's appeal window both over."""
        m = self.m
        e = m.escrows[iid]
        challenge_end = m.extended_deadline(e.last_vested_at, m.rparams[e.version].challenge_window)
        return max(challenge_end, self.appeal_end(iid) + 1)

    def jump_to(self, t: int) -> None:
        if t > self.m.now:
            self.m.now = t
            self.mine()

    def pin(self) -> None:
        self.rpc.request("evm_setNextBlockTimestamp", [self.m.now])

    def act(self, label: str, predicted, paused_before: bool, sender: str, contract: str, method: str, *args):
        """Runs one transaction whose outcome the model predicted (already applied to the model when
        it succeeds): an `Err` must revert with exactly that error, anything else must succeed with
        exactly the model's token transfers. Returns the decoded events of a success."""
        fn = self.abis.fn(contract, method)
        data = "0x" + fn.data(*args).hex()
        tx = {"from": sender, "to": fn.address, "data": data, "gas": hex(12_000_000)}
        self.pin()
        if isinstance(predicted, Err):
            STATS.outcomes[f"{label}: {predicted.name}"] += 1
            expected = self.abis.error_data(predicted.name, *predicted.args)
            try:
                self.rpc.request("eth_call", [tx, "pending"])
            except RpcError as error:
                actual = error.data
                assert actual == expected, (
                    f"{label}: expected {predicted.name}{predicted.args}, got {self.abis.describe_revert(actual)}"
                )
                self.m.transfers.clear()
                self.m.remainder_events.clear()
                self.m.notes.clear()
                return None
            raise AssertionError(f"{label}: expected {predicted.name}{predicted.args}, but the call succeeds")
        STATS.outcomes[f"{label}: ok"] += 1
        tx_hash = self.rpc.request("eth_sendTransaction", [tx])
        receipt = None
        while receipt is None:
            receipt = self.rpc.request("eth_getTransactionReceipt", [tx_hash])
        if int(receipt["status"], 16) != 1:
            self.pin()
            try:
                self.rpc.request("eth_call", [tx, "pending"])
                reason = "no revert when simulated again"
            except RpcError as error:
                reason = self.abis.describe_revert(error.data)
            raise AssertionError(f"{label}: the model expected success, the transaction reverted: {reason}")
        events = self.abis.decode_logs(receipt["logs"])
        self.track(label, events, paused_before)
        transfers = sorted(
            (args["from"], args["to"], args["value"]) for c, name, args in events
            if c == "SwarmToken" and name == "Transfer"
        )  # fmt: skip
        assert transfers == sorted(self.m.transfers), f"{label}: transfers {transfers} != model {self.m.transfers}"
        self.m.transfers.clear()
        remainders = sorted(
            (name, *args.values()) for c, name, args in events
            if c == "VerdictManager" and name in ("RemainderOwed", "RemainderCollected", "RemainderCleared")
        )  # fmt: skip
        expected = sorted(self.m.remainder_events)
        self.m.remainder_events.clear()
        assert remainders == expected, f"{label}: remainder events {remainders} != model {expected}"
        for name, *_ in remainders:
            STATS.outcomes[f"{label}: {name}"] += 1
        for note in self.m.notes:
            STATS.outcomes[f"{label}: standing set: {note}"] += 1
        self.m.notes.clear()
        return events

    def run(self, label: str, model_call, sender: str, contract: str, method: str, *args):
        """Predicts with `model_call` (a thunk on the model), then runs the transaction."""
        paused_before = self.m.paused()
        predicted = model_call()
        events = self.act(label, predicted, paused_before, sender, contract, method, *args)
        return predicted, events

    def track(self, label: str, events: list, paused_before: bool) -> None:
        """Event bookkeeping of the escrow, freeze, tombstone and pause invariants."""
        for contract, name, args in events:
            if paused_before:
                assert name not in ("VerdictExecuted", "VerdictUpgraded", "TrancheReleased", "RecoveryCompleted"), (
                    f"{label}: {name} while execution and releases are paused"
                )
            iid = args.get("incidentId")
            if name == "EscrowOpened":
                assert iid not in self.ev_opened, "an escrow opened twice"
                self.ev_opened[iid] = args["amount"]
                self.ev_paid[iid] = 0
            elif name == "EscrowUpgraded":
                if iid not in self.ev_opened or self.ev_ended[iid]:  # a warning upgraded, or one again
                    self.ev_opened[iid], self.ev_paid[iid], self.ev_ended[iid] = 0, 0, 0
                self.ev_opened[iid] += args["amount"]
                assert args["total"] == self.ev_opened[iid], f"{label}: EscrowUpgraded total {args['total']}"
            elif name == "EscrowDowngraded":
                assert iid in self.ev_opened and self.ev_ended[iid] == 0, "EscrowDowngraded of an escrow not open"
                self.ev_opened[iid] -= args["amount"]
                assert args["total"] == self.ev_opened[iid], f"{label}: EscrowDowngraded total {args['total']}"
            elif name == "EscrowAdded":
                assert iid in self.ev_opened and self.ev_ended[iid] == 0, "EscrowAdded to an escrow that is not open"
                self.ev_opened[iid] += args["amount"]
                assert args["total"] == self.ev_opened[iid], f"{label}: EscrowAdded total {args['total']}"
            elif name == "EscrowForfeited" and iid in self.ev_forfeited:
                # A remainder collected after the tombstone forfeited the escrow: straight to insurance.
                assert iid in self.ev_owed, "a forfeited escrow took more without a remainder owed"
                self.ev_opened[iid] += args["amount"]
                self.ev_paid[iid] += args["amount"]
            elif name in ("TrancheReleased", "EscrowRefunded", "EscrowForfeited"):
                assert iid in self.ev_opened and self.ev_ended[iid] == 0, f"{name} of an escrow that is not open"
                self.ev_paid[iid] += args["amount"]
                if name != "TrancheReleased":
                    self.ev_ended[iid] += 1
                if name == "EscrowForfeited":
                    self.ev_forfeited.add(iid)
            elif name == "RemainderOwed":
                assert iid not in self.ev_owed, "a remainder owed twice"
                self.ev_owed[iid] = args["remainder"]
            elif name == "RemainderCollected":
                assert self.ev_owed.get(iid, 0) == args["amount"] + args["remainder"] and args["amount"] > 0
                self.ev_owed[iid] = args["remainder"]
            elif name == "RemainderCleared":
                assert self.ev_owed.get(iid, 0) == args["remainder"] > 0, "a remainder cleared that was not owed"
                self.ev_owed[iid] = 0
            elif name == "RecoveryCompleted":
                assert self.ev_ended[iid] == 0, "a recovery completed twice"
                self.ev_ended[iid] += 1
                self.ev_paid[iid] += args["forfeited"]
                assert args["released"] + args["forfeited"] == self.ev_opened[iid]
            elif name == "VerdictExecuted":
                assert iid not in self.ev_executed, "an incident executed twice"
                self.ev_executed.add(iid)
                if args["level"] != WARNING:
                    self.ev_slashing[iid] = args["provider"]
            elif name == "VerdictUpgraded":  # an upgrade always slashes: a warning upgraded now freezes
                self.ev_slashing[iid] = args["provider"]
            elif name == "UpgradeOverturned" and args["level"] == WARNING:  # a warning again: the freeze ends
                del self.ev_slashing[iid]
            elif name in ("IncidentClosed", "VerdictOverturned"):
                self.ev_finished.add(iid)
            elif name == "Tombstoned":
                self.ev_tombstoned.add(args["provider"])
            if iid in self.ev_paid:
                assert self.ev_paid[iid] <= self.ev_opened[iid], "an escrow paid out more than it took in"
                if self.ev_ended[iid]:
                    assert self.ev_paid[iid] == self.ev_opened[iid], "an ended escrow did not pay out exactly"
        # An upgrade adds to (and its overturn takes from) what an incident owes without a Remainder event: the
        # remainder the chain reports is checked against the model's after every step.
        for iid in self.m.upgrades:
            self.ev_owed[iid] = self.m.remainders.get(iid, 0)

    def govern(self, label: str, model_call, contract: str, method: str, *args):
        """Schedules and executes `contract.method(*args)` through the timelock (delay 0)."""
        gov = self.addr(GOV)
        target = self.abis.fn(contract, method)
        data = target.data(*args)
        self.salt += 1
        salt = keccak(self.salt.to_bytes(32, "big"))
        self.run(f"{label} (schedule)", lambda: None, gov, "SwarmTimelock", "schedule",
                 target.address, 0, data, ZERO32, salt, 0)  # fmt: skip
        return self.run(label, model_call, gov, "SwarmTimelock", "execute", target.address, 0, data, ZERO32, salt)

    # -- signing ----------------------------------------------------------------------------------

    def verdict_digest(self, v: V) -> bytes:
        return typed_digest(self.vm_domain, VERDICT_TYPEHASH, VERDICT_TYPES, v.tuple())

    def sign(self, digest: bytes, index: int) -> bytes:
        return sign_digest(digest, self.keys[index])

    def index_of(self, address: str) -> int:
        return self.address_index[address]

    # -- picking ----------------------------------------------------------------------------------

    @property
    def providers(self) -> list[str]:
        return [self.addr(PROVIDER_A), self.addr(PROVIDER_B), self.addr(PROVIDER_C)]

    @property
    def stakers(self) -> list[str]:
        return [self.addr(i) for i in (PROVIDER_A, PROVIDER_B, PROVIDER_C, *DELEGATOR_INDICES, SPARE)]

    @property
    def oracles(self) -> list[str]:
        return [self.addr(i) for i in ORACLE_INDICES]

    def members(self) -> list[str]:
        return self.m.members[self.m.epoch]

    def executed(self) -> list:
        return list(self.m.incidents.values())

    def with_escrow(self) -> list:
        return [i for i in self.m.incidents.values() if i.verdict.incident_id in self.m.escrows]

    def pick(self, items: list, i: int):
        return items[i % len(items)]

    # -- stake ------------------------------------------------------------------------------------

    def positions(self, predicate) -> list[tuple[str, str]]:
        """(staker, provider) pairs of the model whose position satisfies `predicate`."""
        return [(s, p) for p, x in self.m.providers.items() for s, pos in x.positions.items() if predicate(pos)]

    @rule(s=st.integers(0, 6), p=st.integers(0, 2),
          amount=st.one_of(st.integers(1, 5_000 * TOKEN), st.sampled_from([1, 999, 10**15, 1_000 * TOKEN])))
    def stake(self, s, p, amount):
        staker, provider = self.stakers[s], self.providers[p]
        self.run("stake", lambda: self.m.stake(staker, provider, amount), staker, "StakeManager", "stake",
                 provider, amount)  # fmt: skip

    @rule(amount=st.sampled_from([500 * TOKEN, 1_000 * TOKEN, 2_500 * TOKEN]))
    def register_provider_c(self, amount):
        c, op = self.addr(PROVIDER_C), self.addr(OPERATOR_C)
        self.run("registerProvider", lambda: self.m.register(c, op, amount), c, "StakeManager", "registerProvider",
                 op, amount, "http://127.0.0.1:9103/health")  # fmt: skip

    @rule(s=st.integers(0, 6), p=st.integers(0, 2), j=st.integers(0, 50), targeted=st.booleans(),
          portion=st.sampled_from(["all", "half", "tenth", "one", "too_many"]))  # fmt: skip
    def request_unstake(self, s, p, j, targeted, portion):
        staker, provider = self.stakers[s], self.providers[p]
        holders = self.positions(lambda pos: pos.shares > 0)
        if targeted and holders:
            staker, provider = self.pick(holders, j)
        pool = self.m.providers.get(provider)
        held = pool.positions.get(staker, Position()).shares if pool else 0
        shares = {"all": held, "half": held // 2, "one": 1, "too_many": held + 1, "tenth": held // 10}[portion]
        self.run("requestUnstake", lambda: self.m.request_unstake(staker, provider, shares), staker, "StakeManager",
                 "requestUnstake", provider, shares)  # fmt: skip

    @rule(s=st.integers(0, 6), p=st.integers(0, 2), j=st.integers(0, 50), targeted=st.booleans(), wait=st.booleans())
    def withdraw(self, s, p, j, targeted, wait):
        staker, provider = self.stakers[s], self.providers[p]
        unbonding = self.positions(lambda pos: pos.unbonding > 0)
        if targeted and unbonding:
            staker, provider = self.pick(unbonding, j)
        pool = self.m.providers.get(provider)
        pos = pool.positions.get(staker) if pool else None
        if wait and pos and pos.unbonding:
            self.jump_to(pos.end)
        paused = self.m.paused()
        predicted, _ = self.run("withdraw", lambda: self.m.withdraw(staker, provider), staker, "StakeManager",
                                "withdraw", provider)  # fmt: skip
        if paused and not isinstance(predicted, Err):
            STATS.outcomes["withdraw while paused: ok"] += 1

    @rule(dt=st.sampled_from(TIME_STEPS))
    def advance_time(self, dt):
        self.jump_to(self.m.now + dt)

    # -- verdicts ---------------------------------------------------------------------------------

    def make_verdict(self, p: int, vclass: int, severity: int, offset: int, evidence: int, epoch=None) -> V:
        provider = self.providers[p]
        w = self.m.windows
        observed = max(self.m.now - offset, 0)
        return V(
            incident_id=incident_id_of(provider, vclass, observed, w.bucket_length), provider=provider,
            violation_class=vclass, severity=severity, evidence=EVIDENCE[evidence], observed_at=observed,
            deadline=observed + w.max_verdict_age, committee_epoch=self.m.epoch if epoch is None else epoch,
        )  # fmt: skip

    def submit(self, label: str, v: V, signer_indices: list[int], bad_index: int | None = None):
        digest = self.verdict_digest(v)
        signatures = [self.sign(digest, i) for i in signer_indices]
        signers: list = [self.addr(i) for i in signer_indices]
        if bad_index is not None:
            signatures[bad_index] = high_s(signatures[bad_index])
            signers[bad_index] = None
        predicted, events = self.run(label, lambda: self.m.submit(v, digest, signers), self.addr(OUTSIDER),
                                     "VerdictManager", "submit", v.tuple(), signatures)  # fmt: skip
        if not isinstance(predicted, Err):
            if (v, digest) not in self.verdicts:
                self.verdicts.append((v, digest))
            self.check_verdict_events(label, v, predicted, events)
        return predicted

    def check_verdict_events(self, label: str, v: V, predicted: dict, events: list) -> None:
        vm = [(name, args) for c, name, args in events if c == "VerdictManager"]
        approvals = [(a["signer"], a["approvals"]) for name, a in vm if name == "VerdictApproved"]
        assert approvals == predicted["approved"], f"{label}: approvals {approvals} != {predicted['approved']}"
        executed = [a for name, a in vm if name == "VerdictExecuted"]
        deferred = [a["reason"] for name, a in vm if name == "VerdictDeferred"]
        upgraded = [a for c, name, a in events if c == "AppealCourt" and name == "VerdictUpgraded"]
        if predicted.get("upgrade"):
            assert not executed and not deferred
            (e,) = upgraded
            assert (e["level"], e["amount"], e["jailedUntil"]) == (
                predicted["level"], predicted["amount"], predicted["jailed_until"]
            ), f"{label}: upgraded {e} != model {predicted}"
            assert e["verdict"] == v.tuple()
            STATS.outcomes[f"{label}: upgraded to level {e['level']}"] += 1
            if predicted["remainder"]:
                STATS.outcomes[f"{label}: upgraded over the caps"] += 1
            return
        assert not upgraded
        if predicted["executed"]:
            (e,) = executed
            assert (e["level"], e["amount"], e["jailedUntil"]) == (
                predicted["level"], predicted["amount"], predicted["jailed_until"]
            ), f"{label}: executed {e} != model {predicted}"
            assert e["verdict"] == v.tuple()
            STATS.outcomes[f"{label}: executed level {e['level']}"] += 1
            for what in ("escalated", "fell_back"):
                if predicted[what]:
                    STATS.outcomes[f"{label}: executed, {what.replace('_', ' ')}"] += 1
            if predicted["remainder"]:
                taken = "part" if e["amount"] else "nothing"
                STATS.outcomes[f"{label}: executed over the caps, {taken} taken now"] += 1
        else:
            assert not executed
            want = [self.abis.selector(predicted["deferred"])] if predicted["deferred"] else []
            assert deferred == want, f"{label}: deferred {deferred} != model {predicted['deferred']}"
            if predicted["deferred"]:
                STATS.outcomes[f"{label}: deferred {predicted['deferred']}"] += 1

    @rule(p=st.sampled_from([0, 0, 1, 1, 2]), vclass=st.integers(0, 2), severity=st.integers(0, 2),
          signers=st.permutations(range(5)), n=st.integers(1, 5), quorum=st.sampled_from([True] * 3 + [False]),
          offset=OFFSETS, evidence=st.integers(0, 2))  # fmt: skip
    def submit_verdict(self, p, vclass, severity, signers, n, quorum, offset, evidence):
        v = self.make_verdict(p, vclass, severity, offset, evidence)
        members = self.members()
        n = self.m.threshold if quorum else n
        chosen = list(dict.fromkeys(self.index_of(members[i % len(members)]) for i in signers[:n]))
        self.submit("submit", v, chosen)

    @rule(kind=st.sampled_from(INVALID_VERDICTS), p=st.integers(0, 2), vclass=st.integers(0, 2),
          severity=st.integers(1, 2), j=st.integers(0, 50))  # fmt: skip
    def submit_invalid_verdict(self, kind, p, vclass, severity, j):
        m, w = self.m, self.m.windows
        members = [self.index_of(a) for a in self.members()]
        quorum = members[: m.threshold]
        v = self.make_verdict(p, vclass, severity, 60, 0)
        signers, bad = quorum, None
        if kind == "wrong_signer":
            strangers = [i for i in (*ORACLE_INDICES, OUTSIDER, PROVIDER_A) if i not in members]
            signers = [*quorum[:-1], self.pick(strangers, j)]
        elif kind == "stale_epoch":
            v = self.make_verdict(p, vclass, severity, 60, 0, epoch=m.epoch - 1)
        elif kind == "future_epoch":
            v = self.make_verdict(p, vclass, severity, 60, 0, epoch=m.epoch + 1)
        elif kind == "expired":
            observed = m.now - w.max_verdict_age
            v = V(incident_id_of(v.provider, vclass, observed, w.bucket_length), v.provider, vclass, severity,
                  EVIDENCE[0], observed, m.now - 1, m.epoch)  # fmt: skip
        elif kind == "too_old":
            observed = m.now - w.max_verdict_age - 1
            v = V(incident_id_of(v.provider, vclass, observed, w.bucket_length), v.provider, vclass, severity,
                  EVIDENCE[0], observed, m.now + 10, m.epoch)  # fmt: skip
        elif kind == "deadline_too_far":
            v = V(v.incident_id, v.provider, vclass, severity, EVIDENCE[0], v.observed_at,
                  v.observed_at + w.max_verdict_age + 1, m.epoch)  # fmt: skip
        elif kind == "id_mismatch":
            v = V(incident_id_of(v.provider, vclass, v.observed_at + w.bucket_length, w.bucket_length), v.provider,
                  vclass, severity, EVIDENCE[0], v.observed_at, v.deadline, m.epoch)  # fmt: skip
        elif kind == "duplicate_signer":
            signers = [quorum[0], *quorum]
        elif kind == "high_s":
            bad = j % len(quorum)
        elif kind == "warning_breach":
            v = self.make_verdict(p, 1, WARNING, 60, 0)
        elif kind == "replay":
            done = self.executed()
            if not done:
                return
            v = self.pick(done, j).verdict
        predicted = self.submit(f"invalid verdict {kind}", v, signers, bad)
        assert isinstance(predicted, Err), f"the invalid verdict ({kind}) was predicted to succeed"

    @precondition(lambda self: self.verdicts)
    @rule(j=st.integers(0, 50), k=st.integers(0, 6))
    def approve_verdict(self, j, k):
        v, digest = self.pick(self.verdicts, j)
        who = self.addr(self.pick([*ORACLE_INDICES, OUTSIDER, PROVIDER_B], k))
        predicted, events = self.run("approve", lambda: self.m.approve(v, digest, who), who, "VerdictManager",
                                     "approve", v.tuple())  # fmt: skip
        if not isinstance(predicted, Err):
            self.check_verdict_events("approve", v, predicted, events)

    @precondition(lambda self: self.verdicts)
    @rule(j=st.integers(0, 50))
    def execute_verdict(self, j):
        v, digest = self.pick(self.verdicts, j)
        predicted, events = self.run("execute", lambda: self.m.execute(v, digest), self.addr(OUTSIDER),
                                     "VerdictManager", "execute", v.tuple())  # fmt: skip
        if not isinstance(predicted, Err):
            self.check_verdict_events("execute", v, {**predicted, "approved": []}, events)

    def open_slashing(self) -> list:
        """Executed slashing incidents neither closed nor overturned."""
        return [i for i in self.executed() if i.level != WARNING and not i.flags & (FLAG_CLOSED | FLAG_OVERTURNED)]

    @precondition(lambda self: self.m.incidents)
    @rule(j=st.integers(0, 50), severity=st.sampled_from([0, 1, 1, 2]), evidence=st.integers(0, 2),
          offset=OFFSETS)  # fmt: skip
    def same_class_verdict(self, j, severity, evidence, offset):
        """A verdict of the class of an incident of the provider that is still open (another failure: a later
        bucket): it executes as its own incident (escalated), or, for poor performance observed inside a
        running jail, is refused."""
        m = self.m
        inc = self.pick(self.open_slashing() or self.executed(), j)
        first = inc.verdict
        bucket = m.windows.bucket_length
        if m.now // bucket == first.observed_at // bucket:
            self.jump_to((m.now // bucket + 1) * bucket)
        offset = min(offset, m.now % bucket)  # the observation stays in the new bucket
        v = self.make_verdict(self.providers.index(first.provider), first.violation_class, severity, offset, evidence)
        members = [self.index_of(a) for a in self.members()]
        self.submit("same-class verdict", v, members[: m.threshold])

    @precondition(lambda self: self.m.incidents)
    @rule(j=st.integers(0, 50), step=st.sampled_from([1, 1, 2, 0]), evidence=st.integers(0, 2),
          quorum=st.sampled_from([True, True, False]), wait=st.sampled_from([0, 0, 60, 600]),
          targeted=st.sampled_from([True] * 4 + [False]),
          then=st.sampled_from(["nothing", "nothing", "overturn", "overturn", "uphold", "collect"]))  # fmt: skip
    def upgrade_verdict(self, j, step, evidence, quorum, wait, targeted, then):
        """DESIGN "No severity lock-in": the same failure signed again at a higher severity (`step` levels
        above the one in force; 0: the same, refused), with its own quorum (in one transaction, or completed
        by a member's approve), upgrades the incident; an equal or lower one, or one for an overturned or
        closed incident, is refused. Then, sometimes, the upgrade is appealed and decided at once, or a
        collect pays what it left owed."""
        m = self.m
        members = [self.index_of(a) for a in self.members()]
        live = [i for i in self.executed() if m.now + wait <= i.verdict.deadline and i.severity < SEVERE
                and not i.flags & (FLAG_OVERTURNED | FLAG_CLOSED)] if targeted else []  # fmt: skip
        if targeted and not live:
            # A fresh failure first, at a low severity (a warning where the class has one).
            vclass = j % CLASSES
            low = self.make_verdict(j % 3, vclass, 0 if vclass != SECURITY_BREACH else 1, 0, evidence)
            self.submit("verdict (to upgrade)", low, members[: m.threshold])
            live = [m.incidents[low.incident_id]] if low.incident_id in m.incidents else []
        inc = self.pick(live or self.executed(), j)
        first = inc.verdict
        self.jump_to(m.now + wait)
        v = V(first.incident_id, first.provider, first.violation_class, min(inc.severity + step, SEVERE),
              EVIDENCE[(evidence + 1) % 3], first.observed_at, first.deadline, m.epoch)  # fmt: skip
        if quorum:
            predicted = self.submit("upgrade", v, members[: m.threshold])
        else:
            predicted = self.submit("upgrade below quorum", v, members[: m.threshold - 1])
            if isinstance(predicted, Err):
                return
            last, digest = self.addr(members[m.threshold - 1]), self.verdict_digest(v)
            predicted, events = self.run("approve (upgrade quorum)", lambda: m.approve(v, digest, last), last,
                                         "VerdictManager", "approve", v.tuple())  # fmt: skip
            if not isinstance(predicted, Err):
                self.check_verdict_events("approve (upgrade quorum)", v, predicted, events)
        if isinstance(predicted, Err) or not predicted.get("upgrade") or then == "nothing":
            return
        if then == "collect":
            self.jump_to(m.now + m.limits.cap_window)
            self.collect_once(first, "collect (after an upgrade)")
            return
        operator = m.providers[v.provider].operator
        appealed, _ = self.run("appeal (upgrade)", lambda: m.appeal(v, operator), operator, "AppealCourt", "appeal",
                               v.tuple())  # fmt: skip
        if isinstance(appealed, Err):
            return
        overturn = then == "overturn"
        self.run(f"resolveAppeal (upgrade) {then}", lambda: m.resolve(v, overturn), self.addr(ARBITER),
                 "AppealCourt", "resolveAppeal", v.tuple(), overturn)  # fmt: skip

    @precondition(lambda self: self.m.upgrades)
    @rule(j=st.integers(0, 50), decision=st.sampled_from(["overturn", "overturn", "uphold", "expire", "pending"]),
          who=st.sampled_from(["operator"] * 4 + ["outsider"]), targeted=st.sampled_from([True] * 4 + [False]))
    def appeal_upgrade(self, j, decision, who, targeted):
        """The provider appeals an incident's latest upgrade, a step judged on its own (DESIGN "Overturns
        restore exactly"): overturned, the incident is as it was before the step; upheld or expired, the
        step stands (and a tombstone it brought can then be finalized)."""
        m = self.m
        open_steps = [s for s in m.upgrades.values() if not s.overturned and (
            (s.appealed_at and not s.resolved) or (not s.appealed_at and m.now <= s.at + s.appeal_window))
        ] if targeted else []  # fmt: skip
        step = self.pick(open_steps or list(m.upgrades.values()), j)
        v = step.verdict
        sender = m.providers[v.provider].operator if who == "operator" else self.addr(OUTSIDER)
        if not step.appealed_at:
            predicted, _ = self.run("appeal (upgrade)", lambda: m.appeal(v, sender), sender, "AppealCourt", "appeal",
                                    v.tuple())  # fmt: skip
            if isinstance(predicted, Err):
                return
        if decision == "pending":
            return
        if decision == "expire":
            self.jump_to(step.appealed_at + step.appeal_resolution + 1)
            self.run("finalizeAppeal (upgrade)", lambda: m.finalize_appeal(v), self.addr(OUTSIDER), "AppealCourt",
                     "finalizeAppeal", v.tuple())  # fmt: skip
            return
        overturn = decision == "overturn"
        self.run(f"resolveAppeal (upgrade) {decision}", lambda: m.resolve(v, overturn), self.addr(ARBITER),
                 "AppealCourt", "resolveAppeal", v.tuple(), overturn)  # fmt: skip

    @rule(p=st.sampled_from([0, 0, 1, 2]), n=st.integers(4, 14),
          picks=st.lists(st.tuples(st.sampled_from([0, 2, 2, 1]), st.sampled_from([0, 0, 1, 2]),
                                   st.sampled_from(["same second", "next bucket", "next bucket", "a day"])),
                         min_size=14, max_size=14))  # fmt: skip
    def verdict_burst(self, p, n, picks):
        """Up to 14 verdicts with quorum against one provider in quick succession (several in one second
        when their classes differ): enough to fill its standing set (STANDING_SLOTS), so that a verdict
        beyond it settles early the entry whose jail ends first (warnings first, then the earliest).
        No tombstoning row (a security breach is signed as a penalty)."""
        m = self.m
        members = [self.index_of(a) for a in self.members()]
        for vclass, severity, gap in picks[:n]:
            if vclass == SECURITY_BREACH:
                severity = 1
            if gap == "a day":
                self.jump_to(m.now + DAY)
            v = self.make_verdict(p, vclass, severity, 0, 0)
            if gap == "next bucket" or v.incident_id in m.incidents:
                bucket = m.windows.bucket_length
                self.jump_to((m.now // bucket + 1) * bucket)
                v = self.make_verdict(p, vclass, severity, 0, 0)
            self.submit("verdict burst", v, members[: m.threshold])

    @rule(p=st.sampled_from([0, 0, 1, 2]), vclass=st.integers(0, 2), severity=st.sampled_from([1, 1, 2]),
          who=st.sampled_from(["provider", "provider", "delegator"]), s=st.integers(0, 2),
          amount=st.sampled_from([1, 500 * TOKEN, 4_000 * TOKEN, 20_000 * TOKEN]), offset=OFFSETS)
    def topup_before_quorum(self, p, vclass, severity, who, s, amount, offset):
        """Stake added to the pool after a verdict's first approvals and before its quorum: the slash is sized
        from the pool's assets when the verdict executes (DESIGN "Caps bound tokens")."""
        m = self.m
        v = self.make_verdict(p, vclass, severity, offset, 0)
        members = [self.index_of(a) for a in self.members()]
        predicted = self.submit("submit below quorum", v, members[: m.threshold - 1])
        if isinstance(predicted, Err):
            return
        provider = self.providers[p]
        staker = provider if who == "provider" else self.addr(DELEGATOR_INDICES[s])
        self.run("stake (top-up before quorum)", lambda: m.stake(staker, provider, amount), staker, "StakeManager",
                 "stake", provider, amount)  # fmt: skip
        last = self.addr(members[m.threshold - 1])
        digest = self.verdict_digest(v)
        predicted, events = self.run("approve (quorum after a top-up)", lambda: m.approve(v, digest, last), last,
                                     "VerdictManager", "approve", v.tuple())  # fmt: skip
        if not isinstance(predicted, Err):
            self.check_verdict_events("approve (quorum after a top-up)", v, predicted, events)

    def owing(self) -> list:
        return [self.m.incidents[iid] for iid in self.m.remainders]

    @precondition(lambda self: self.m.incidents)
    @rule(j=st.integers(0, 50), wait=st.sampled_from([None, None, "hour", "cap window", "lifetime"]),
          targeted=st.sampled_from([True] * 4 + [False]), mismatch=st.sampled_from([False] * 7 + [True]))
    def collect(self, j, wait, targeted, mismatch):
        """Anyone collects what the caps allow now of a remainder owed (DESIGN "Caps bound tokens")."""
        m = self.m
        inc = self.pick((targeted and self.owing()) or self.executed(), j)
        v = inc.verdict
        if wait == "hour":
            self.jump_to(m.now + HOUR)
        elif wait == "cap window":
            self.jump_to(m.now + m.limits.cap_window)
        elif wait == "lifetime":
            e = m.escrows.get(v.incident_id)
            if e is not None:
                self.jump_to(m.extended_deadline(e.opened_at, m.rparams[e.version].max_lifetime) + 1)
        if mismatch:
            other = EVIDENCE[(EVIDENCE.index(v.evidence) + 1) % 3]
            v = V(v.incident_id, v.provider, v.violation_class, v.severity, other, v.observed_at, v.deadline,
                  v.committee_epoch)  # fmt: skip
        self.collect_once(v, "collect")

    def collect_once(self, v: V, label: str):
        m = self.m
        e = m.escrows.get(v.incident_id)
        if e is not None and e.status == ST_FORFEITED and m.remainders.get(v.incident_id):
            label += " (after a tombstone)"
        predicted, _ = self.run(label, lambda: m.collect(v), self.addr(OUTSIDER), "VerdictManager", "collect",
                                v.tuple())  # fmt: skip
        return predicted

    @precondition(lambda self: self.steps >= 30 and not self.tombstone_scenario)
    @rule(p=st.sampled_from([0, 0, 1, 2]), path=st.sampled_from(["finalize", "finalize", "uphold", "expire"]),
          after=st.sampled_from(["collect", "collect", "lifetime", "none"]))  # fmt: skip
    def tombstone_owing(self, p, path, after):
        """Once per run, late in it (a tombstone ends the provider): a severe security breach, whose row
        tombstones and whose slash the caps cut short, stands (its appeal window passes, or its appeal is
        upheld or expires): the tombstone forfeits the escrow and the pool stays frozen while the remainder
        is owed; a collect then goes to the insurance pool (ending the freeze once nothing is owed), and
        what is still owed at the incident's maximum lifetime is written off."""
        m = self.m
        self.tombstone_scenario = True
        v = self.make_verdict(p, SECURITY_BREACH, SEVERE, 0, 1)
        members = [self.index_of(a) for a in self.members()]
        predicted = self.submit("tombstoning verdict", v, members[: m.threshold])
        if isinstance(predicted, Err) or not predicted["executed"]:
            return
        inc = m.incidents[v.incident_id]
        if not inc.flags & FLAG_TOMBSTONE:
            return
        if path == "finalize":
            self.jump_to(inc.executed_at + inc.appeal_window + 1)
            self.run("finalizeTombstone", lambda: m.finalize_tombstone(v), self.addr(OUTSIDER), "AppealCourt",
                     "finalizeTombstone", v.tuple())  # fmt: skip
        else:
            operator = m.providers[v.provider].operator
            predicted, _ = self.run("appeal", lambda: m.appeal(v, operator), operator, "AppealCourt", "appeal",
                                    v.tuple())  # fmt: skip
            if isinstance(predicted, Err):
                return
            if path == "uphold":
                self.run("resolveAppeal uphold", lambda: m.resolve(v, False), self.addr(ARBITER), "AppealCourt",
                         "resolveAppeal", v.tuple(), False)  # fmt: skip
            else:
                self.jump_to(inc.appealed_at + inc.appeal_resolution + 1)
                self.run("finalizeAppeal", lambda: m.finalize_appeal(v), self.addr(OUTSIDER), "AppealCourt",
                         "finalizeAppeal", v.tuple())  # fmt: skip
        e = m.escrows[v.incident_id]
        if after == "collect":
            self.jump_to(m.now + m.limits.cap_window)
        elif after == "lifetime":
            self.jump_to(m.extended_deadline(e.opened_at, m.rparams[e.version].max_lifetime) + 1)
        if after != "none":
            self.collect_once(v, "collect")

    # -- appeals ----------------------------------------------------------------------------------

    @precondition(lambda self: self.m.incidents)
    @rule(j=st.integers(0, 50), who=st.sampled_from(["operator"] * 4 + ["owner", "outsider"]),
          targeted=st.booleans())  # fmt: skip
    def appeal(self, j, who, targeted):
        candidates = [
            i for i in self.executed() if not i.appealed_at and self.m.now <= i.executed_at + i.appeal_window
        ] if targeted else []  # fmt: skip
        inc = self.pick(candidates or self.executed(), j)
        v = inc.verdict
        p = self.m.providers[v.provider]
        sender = {"operator": p.operator, "owner": v.provider, "outsider": self.addr(OUTSIDER)}[who]
        paused = self.m.paused()
        predicted, _ = self.run("appeal", lambda: self.m.appeal(v, sender), sender, "AppealCourt", "appeal", v.tuple())
        if paused and not isinstance(predicted, Err):
            STATS.outcomes["appeal while paused: ok"] += 1
        if isinstance(predicted, Err) and predicted.name == "AppealWindowClosed" and predicted.args[1] <= predicted.args[0]:
            STATS.outcomes["appeal refused inside its window (the incident closed first)"] += 1

    def appealed(self, targeted: bool) -> list:
        pending = [i for i in self.m.incidents.values() if self.m.appeal_pending(i.verdict.incident_id)]
        return (targeted and pending) or [i for i in self.m.incidents.values() if i.appealed_at]

    @precondition(lambda self: any(i.appealed_at for i in self.m.incidents.values()))
    @rule(j=st.integers(0, 50), overturn=st.booleans(), who=st.sampled_from(["arbiter"] * 3 + ["outsider"]),
          targeted=st.booleans())  # fmt: skip
    def resolve_appeal(self, j, overturn, who, targeted):
        v = self.pick(self.appealed(targeted), j).verdict
        if who == "outsider":
            sender, role = self.addr(OUTSIDER), keccak(text="ARBITER_ROLE")
            self.run("resolveAppeal", lambda: Err("AccessControlUnauthorizedAccount", sender, role), sender,
                     "AppealCourt", "resolveAppeal", v.tuple(), overturn)  # fmt: skip
            return
        label = "resolveAppeal overturn" if overturn else "resolveAppeal uphold"
        self.run(label, lambda: self.m.resolve(v, overturn), self.addr(ARBITER), "AppealCourt", "resolveAppeal",
                 v.tuple(), overturn)  # fmt: skip

    @precondition(lambda self: self.m.incidents)
    @rule(j=st.integers(0, 50), decision=st.sampled_from(["overturn", "overturn", "uphold", "uphold", "expire",
                                                          "pending"]))  # fmt: skip
    def progress_appeal(self, j, decision):
        """The provider's operator appeals an incident still in its appeal window, and the arbiter
        decides (or the resolution deadline passes, or the appeal stays pending)."""
        m = self.m
        open_window = [i for i in self.executed() if not i.appealed_at and m.now <= i.executed_at + i.appeal_window
                       and not i.flags & FLAG_CLOSED]  # fmt: skip
        if not open_window:
            return
        inc = self.pick(open_window, j)
        v = inc.verdict
        operator = m.providers[v.provider].operator
        predicted, _ = self.run("appeal", lambda: m.appeal(v, operator), operator, "AppealCourt", "appeal", v.tuple())
        if isinstance(predicted, Err) or decision == "pending":
            return
        if decision == "expire":
            self.jump_to(inc.appealed_at + inc.appeal_resolution + 1)
            self.run("finalizeAppeal", lambda: m.finalize_appeal(v), self.addr(OUTSIDER), "AppealCourt",
                     "finalizeAppeal", v.tuple())  # fmt: skip
            return
        overturn = decision == "overturn"
        label = "resolveAppeal overturn" if overturn else "resolveAppeal uphold"
        self.run(label, lambda: m.resolve(v, overturn), self.addr(ARBITER), "AppealCourt", "resolveAppeal", v.tuple(),
                 overturn)  # fmt: skip

    @precondition(lambda self: any(i.appealed_at for i in self.m.incidents.values()))
    @rule(j=st.integers(0, 50), wait=st.booleans(), targeted=st.booleans())
    def finalize_appeal(self, j, wait, targeted):
        inc = self.pick(self.appealed(targeted), j)
        if wait:
            self.jump_to(inc.appealed_at + inc.appeal_resolution + 1)
        self.run("finalizeAppeal", lambda: self.m.finalize_appeal(inc.verdict), self.addr(OUTSIDER), "AppealCourt",
                 "finalizeAppeal", inc.verdict.tuple())  # fmt: skip

    @precondition(lambda self: self.m.incidents)
    @rule(j=st.integers(0, 50), wait=st.booleans(), targeted=st.booleans(), collect_after=st.booleans())
    def finalize_tombstone(self, j, wait, targeted, collect_after):
        tombstoning = [i for i in self.executed() if i.flags & FLAG_TOMBSTONE] if targeted else []
        inc = self.pick(tombstoning or self.executed(), j)
        if wait:
            self.jump_to(inc.executed_at + inc.appeal_window + 1)
        v = inc.verdict
        predicted, _ = self.run("finalizeTombstone", lambda: self.m.finalize_tombstone(v), self.addr(OUTSIDER),
                                "AppealCourt", "finalizeTombstone", v.tuple())  # fmt: skip
        if not isinstance(predicted, Err) and predicted["owed"]:
            # The tombstone forfeited the escrow with a remainder owed: the pool stays frozen until it is
            # collected (into the insurance pool) or written off at the incident's maximum lifetime.
            STATS.outcomes["finalizeTombstone: a remainder still owed, the pool stays frozen"] += 1
            if collect_after:
                self.jump_to(self.m.now + self.m.limits.cap_window)
                self.collect_once(inc.verdict, "collect")

    # -- recovery ---------------------------------------------------------------------------------

    def open_escrows(self, statuses=OPEN_STATUSES) -> list:
        return [i for i in self.with_escrow() if self.m.escrows[i.verdict.incident_id].status in statuses]

    def sign_proof(self, proof: Proof, index: int) -> tuple[bytes, bytes]:
        digest = typed_digest(self.re_domain, AUDIT_TYPEHASH, AUDIT_TYPES, proof.tuple())
        return digest, self.sign(digest, index)

    def claim(self, inc, kind: str, who: str, salt: int):
        m = self.m
        v = inc.verdict
        e = m.escrows.get(v.incident_id)
        p = m.providers[v.provider]
        sender = p.operator if who == "operator" else v.provider
        opened = e.opened_at if e else m.now
        proof = Proof(v.incident_id, v.provider, keccak(salt.to_bytes(8, "big")), keccak(text=f"fix {salt}"),
                      keccak(text=f"logs {salt}"), max(opened, m.now - 10), m.now + 7 * DAY)  # fmt: skip
        signer = AUDITOR
        if kind == "expired":
            proof = Proof(*proof.tuple()[:5], opened, m.now - 1)
        elif kind == "early":
            proof = Proof(*proof.tuple()[:5], opened - 1, m.now + DAY)
        elif kind == "mismatch":
            other = self.providers[(self.providers.index(v.provider) + 1) % 3]
            proof = Proof(v.incident_id, other, *proof.tuple()[2:])
        elif kind == "reused":
            proof = self.proofs.get(v.incident_id, proof)
        elif kind == "wrong_signer":
            signer = OUTSIDER
        digest, signature = self.sign_proof(proof, signer)
        auditor, malformed = self.addr(signer), False
        if kind == "none":
            signature, auditor = b"", None
        elif kind == "high_s":
            signature, malformed = high_s(signature), True
        predicted, _ = self.run(
            f"fileClaim {kind}", lambda: m.file_claim(v, sender, proof, auditor, digest, malformed), sender,
            "RecoveryEscrow", "fileClaim", v.tuple(), proof.tuple(), signature,
        )  # fmt: skip
        if not isinstance(predicted, Err) and predicted["auditor"] != ZERO_ADDRESS:
            self.proofs[v.incident_id] = proof

    @precondition(lambda self: self.m.incidents)
    @rule(j=st.integers(0, 50), kind=st.sampled_from(["good"] * 3 + BAD_PROOFS),
          who=st.sampled_from(["operator"] * 3 + ["owner"]), salt=st.integers(0, 2**16), targeted=st.booleans())
    def file_claim(self, j, kind, who, salt, targeted):
        claimable = self.open_escrows((ST_ESCROWED, ST_REJECTED)) if targeted else []
        self.claim(self.pick(claimable or self.executed(), j), kind, who, salt)

    def attestation(self, inc, passing: bool, kind: str, wait: bool, healthy_only: bool):
        m = self.m
        iid = inc.verdict.incident_id
        e = m.escrows[iid]
        rp = m.rparams[e.version]
        # The first epoch still attestable now (its grace not over), never one before the next to attest.
        upcoming = max(0, -(-(m.now - rp.attestation_grace - e.filed_at) // rp.epoch_length) - 1)
        epoch = max(e.next_epoch, upcoming)
        if kind == "skip":
            epoch += 1  # the one before it is missed
        elif kind == "late":
            epoch = e.next_epoch
        start = e.filed_at + epoch * rp.epoch_length
        end = start + rp.epoch_length
        if kind == "late":
            self.jump_to(end + rp.attestation_grace + 1)
        elif wait and kind != "early":
            self.jump_to(end)
        observed = start + (end - start) // 2
        committee_epoch = m.epoch
        members = [self.index_of(a) for a in self.members()]
        signers = members[: m.threshold]
        if kind == "partial":
            signers = members[: m.threshold - 1] or members[:1]
        elif kind == "outsider":
            signers = [*signers[:-1], OUTSIDER]
        elif kind == "stale":
            committee_epoch = m.epoch - 1
        elif kind == "wrong_epoch" and e.next_epoch > 0:
            epoch = e.next_epoch - 1
        elif kind == "outside":
            observed = end
        elif kind == "duplicate":
            signers = [signers[0], *signers]
        att = Att(iid, epoch, committee_epoch, passing or healthy_only, passing, observed)
        digest = typed_digest(self.re_domain, ATTESTATION_TYPEHASH, ATTESTATION_TYPES, att.tuple())
        signatures = [self.sign(digest, i) for i in signers]
        addresses = [self.addr(i) for i in signers]
        self.run(f"attest {kind}", lambda: m.attest(att, digest, addresses), self.addr(OUTSIDER), "RecoveryEscrow",
                 "attest", att.tuple(), signatures)  # fmt: skip

    @precondition(lambda self: any(e.status == ST_CLAIMED for e in self.m.escrows.values()))
    @rule(j=st.integers(0, 50), passing=st.sampled_from([True] * 3 + [False]),
          kind=st.sampled_from(["good"] * 4 + ["partial", "outsider", "stale", "wrong_epoch", "outside", "early",
                                               "duplicate", "skip", "late"]),
          wait=st.sampled_from([True] * 3 + [False]), healthy_only=st.booleans())  # fmt: skip
    def attest(self, j, passing, kind, wait, healthy_only):
        self.attestation(self.pick(self.open_escrows((ST_CLAIMED,)), j), passing, kind, wait, healthy_only)

    def decide(self, label: str, model_call, inc, who: str, value: bytes):
        method = "approveRejection" if label == "reject" else "approveEvaluation"
        self.run(method, lambda: model_call(inc.verdict, value, who), who, "RecoveryEscrow", method,
                 inc.verdict.tuple(), value)  # fmt: skip

    @precondition(lambda self: self.m.escrows)
    @rule(j=st.integers(0, 50), n=st.integers(1, 5), evidence=st.integers(0, 2), outsider=st.booleans(),
          targeted=st.booleans())  # fmt: skip
    def reject_claim(self, j, n, evidence, outsider, targeted):
        inc = self.pick((targeted and self.open_escrows((ST_CLAIMED,))) or self.with_escrow(), j)
        for who in [*self.members()[:n], *([self.addr(OUTSIDER)] if outsider else [])]:
            self.decide("reject", self.m.approve_rejection, inc, who, EVIDENCE[evidence])

    @precondition(lambda self: self.m.escrows)
    @rule(j=st.integers(0, 50), n=st.integers(1, 5), report=st.integers(0, 1), targeted=st.booleans())
    def evaluate(self, j, n, report, targeted):
        inc = self.pick((targeted and self.open_escrows()) or self.with_escrow(), j)
        for who in self.members()[:n]:
            self.decide("evaluate", self.m.approve_evaluation, inc, who, REPORTS[report])

    @precondition(lambda self: self.m.escrows)
    @rule(j=st.integers(0, 50), wait=st.booleans(), targeted=st.booleans())
    def release(self, j, wait, targeted):
        m = self.m
        v = self.pick((targeted and self.open_escrows((ST_CLAIMED,))) or self.with_escrow(), j).verdict
        e = m.escrows[v.incident_id]
        if wait and e.status in OPEN_STATUSES:
            self.jump_to(self.releasable_at(v.incident_id))
        paused = m.paused()
        predicted, _ = self.run("release", lambda: m.release(v), self.addr(OUTSIDER), "RecoveryEscrow", "release",
                                v.tuple())  # fmt: skip
        assert not (paused and not isinstance(predicted, Err)), "the model released while paused"

    @precondition(lambda self: self.m.incidents)
    @rule(j=st.integers(0, 50), wait=st.booleans(), targeted=st.booleans())
    def close(self, j, wait, targeted):
        m = self.m
        v = self.pick((targeted and self.open_escrows()) or self.executed(), j).verdict
        e = m.escrows.get(v.incident_id)
        if wait and e is not None:
            window = m.close_window(v.incident_id)
            self.jump_to(max(m.extended_deadline(e.opened_at, window), self.appeal_end(v.incident_id)) + 1)
        self.run("close", lambda: m.close(v), self.addr(OUTSIDER), "RecoveryEscrow", "close", v.tuple())

    @precondition(lambda self: any(e.status in OPEN_STATUSES for e in self.m.escrows.values()))
    @rule(j=st.integers(0, 50), moves=st.integers(1, 8), passing=st.lists(st.sampled_from([True] * 5 + [False]),
          min_size=8, max_size=8), salt=st.integers(0, 2**16), owing=st.booleans())  # fmt: skip
    def progress_recovery(self, j, moves, passing, salt, owing):
        """Up to `moves` honest steps of an open escrow's recovery, each the next one its state calls
        for: file a claim, attest the next epoch (passing or not), record the evaluation, release once
        payable, or collect a remainder owed once the last release was refused for it, waiting as long as
        that step needs. With `owing`, an escrow owed a remainder if any."""
        m = self.m
        candidates = self.open_escrows()
        inc = self.pick((owing and [i for i in candidates if i.verdict.incident_id in m.remainders]) or candidates, j)
        iid = inc.verdict.incident_id
        refused = False
        for move in range(moves):
            e = m.escrows[iid]
            rp = m.rparams[e.version]
            if e.status not in OPEN_STATUSES or m.appeal_pending(iid):
                return
            if e.status in (ST_ESCROWED, ST_REJECTED):
                self.claim(inc, "good", "operator", salt + move)
                if m.escrows[iid].status != ST_CLAIMED:
                    return
            elif e.path != PATH_COMPLIANCE and e.vested_epochs < rp.epochs_required:
                self.attestation(inc, passing[move], "good", True, False)
            elif not e.evaluated:
                for who in self.members()[: m.threshold]:
                    self.decide("evaluate", m.approve_evaluation, inc, who, REPORTS[0])
            elif m.remainders.get(iid) and self._vested_all(iid) and refused:
                # The recovery completes only once nothing is owed (the release was refused): collect what the
                # caps allow, waiting for them to recover when they allow nothing now.
                predicted = self.collect_once(inc.verdict, "collect (before the last tranche)")
                if isinstance(predicted, Err):
                    if predicted.name != "SlashRateCapExceeded":
                        return
                    self.jump_to(m.now + m.limits.cap_window)
            else:
                self.jump_to(self.releasable_at(iid))
                predicted, _ = self.run("release", lambda: m.release(inc.verdict), self.addr(OUTSIDER),
                                        "RecoveryEscrow", "release", inc.verdict.tuple())  # fmt: skip
                if isinstance(predicted, Err):
                    if predicted.name != "RemainderOwed":
                        return
                    refused = True

    def _vested_all(self, iid: bytes) -> bool:
        """Whether every epoch of the claim on `iid` has vested (its next release is the last one)."""
        e = self.m.escrows[iid]
        return e.status == ST_CLAIMED and e.vested_epochs >= self.m.rparams[e.version].epochs_required

    # -- guardian, bonds, insurance ---------------------------------------------------------------

    @rule(action=st.sampled_from(["pause", "pause", "unpause", "unpause", "outsider unpause"]))
    def guardian(self, action):
        if action == "pause":
            self.run("pause", lambda: self.m.pause(), self.addr(GUARDIAN), "VerdictManager", "pause")
        elif action == "unpause":
            self.run("unpause", lambda: self.m.unpause(), self.addr(GUARDIAN), "VerdictManager", "unpause")
        else:
            who, role = self.addr(OUTSIDER), keccak(text="GUARDIAN_ROLE")
            self.run("unpause", lambda: Err("AccessControlUnauthorizedAccount", who, role), who, "VerdictManager",
                     "unpause")  # fmt: skip

    @rule(action=st.sampled_from(["post", "request", "withdraw"]), o=st.integers(0, 4),
          amount=st.sampled_from([0, 1, 10 * TOKEN, 500 * TOKEN, 1_000 * TOKEN]), wait=st.booleans())  # fmt: skip
    def oracle_bond(self, action, o, amount, wait):
        m, who = self.m, self.oracles[o]
        if action == "post":
            self.run("postBond", lambda: m.post_bond(who, amount), who, "OracleCommittee", "postBond", amount)
        elif action == "request":
            self.run("requestBondWithdrawal", lambda: m.request_bond_withdrawal(who, amount), who, "OracleCommittee",
                     "requestBondWithdrawal", amount)  # fmt: skip
        else:
            b = m.bonds.get(who)
            if wait and b and b.pending:
                self.jump_to(b.withdrawable_at)
            self.run("withdrawBond", lambda: m.withdraw_bond(who), who, "OracleCommittee", "withdrawBond")

    @rule(holder=st.sampled_from(HOLDERS), amount=st.sampled_from([1, 7 * TOKEN]))
    def donate(self, holder, amount):
        """Tokens sent to a contract directly: no pool, escrow or bond may count them."""
        who, to = self.addr(SPARE), self.m.a[holder]

        def model():
            self.m._move(who, to, amount)
            self.donated[holder] += amount

        self.run("transfer to a contract", model, who, "SwarmToken", "transfer", to, amount)

    @rule(amount=st.sampled_from([0, 1, 50 * TOKEN]))
    def deposit_insurance(self, amount):
        who = self.addr(SPARE)
        self.run("depositInsurance", lambda: self.m.deposit_insurance(who, amount), who, "RecoveryEscrow",
                 "depositInsurance", amount)  # fmt: skip

    # -- governance through the timelock ----------------------------------------------------------

    @rule(kind=st.sampled_from(["committee", "limits", "windows", "unbonding", "min self-stake", "recovery",
                                "auditor", "insurance"]), data=st.data())  # fmt: skip
    def governance(self, kind, data):
        m, draw = self.m, data.draw
        if kind == "committee":
            order = draw(st.permutations(range(5)))
            chosen = [self.oracles[i] for i in order[: draw(st.integers(1, 5))]]
            threshold = draw(st.integers(1, 5))
            self.govern("setCommittee", lambda: m.set_committee(chosen, threshold), "OracleCommittee",
                        "setCommittee", chosen, threshold)  # fmt: skip
        elif kind == "limits":
            lim = Limits(
                draw(st.sampled_from([0, 100 * TOKEN])), draw(st.sampled_from([50 * TOKEN, 700 * TOKEN])),
                draw(st.sampled_from([0, 300, 1_000, 10_000])), draw(st.sampled_from([1_000, 5_000, 10_000])),
                draw(st.sampled_from([HOUR, DAY])),
            )  # fmt: skip
            self.govern("setLimits", lambda: m.set_limits(lim), "VerdictManager", "setLimits", lim.tuple())
        elif kind == "windows":
            w = m.windows
            new = Windows(
                w.max_verdict_age, draw(st.sampled_from([600, HOUR])), draw(st.sampled_from([HOUR, DAY, 3 * DAY, 7 * DAY])),
                draw(st.sampled_from([HOUR, 2 * DAY])), draw(st.sampled_from([600, 30 * DAY])), w.bucket_length,
                w.max_pause, draw(st.sampled_from([2 * HOUR, 3 * HOUR])),
            )  # fmt: skip
            self.govern("setWindows", lambda: m.set_windows(new), "VerdictManager", "setWindows", new.tuple())
        elif kind == "unbonding":
            period = draw(st.sampled_from([DAY, 4 * DAY, 7 * DAY, 10 * DAY]))
            self.govern("setUnbondingPeriod", lambda: m.set_unbonding(period), "StakeManager", "setUnbondingPeriod",
                        period)  # fmt: skip
        elif kind == "min self-stake":
            amount = draw(st.sampled_from([0, 500 * TOKEN, 1_000 * TOKEN, 12_000 * TOKEN]))

            def set_min():
                m.min_self_stake = amount

            self.govern("setMinSelfStake", set_min, "StakeManager", "setMinSelfStake", amount)
        elif kind == "recovery":
            claim, epoch = draw(st.sampled_from([HOUR, 7 * DAY])), draw(st.sampled_from([HOUR, 2 * HOUR]))
            epochs, challenge = draw(st.sampled_from([1, 3])), draw(st.sampled_from([HOUR, DAY]))
            grace = draw(st.sampled_from([0, 60, HOUR // 2, epoch]))  # 0 and a whole epoch are refused
            w = m.windows
            life = claim + epoch * epochs + grace + challenge + w.appeal_window + w.appeal_resolution + w.max_pause
            life -= draw(st.sampled_from([0, 0, 1, w.appeal_window]))  # too short to cover the appeal path
            rp = RecoveryParams(claim, epoch, epochs, challenge, life, draw(st.booleans()), grace)
            self.govern("setRecoveryParams", lambda: m.set_recovery_params(rp), "RecoveryEscrow",
                        "setRecoveryParams", rp.tuple())  # fmt: skip
        elif kind == "auditor":
            who, registered = self.addr(AUDITOR), draw(st.booleans())

            def set_auditor():
                (m.auditors.add if registered else m.auditors.discard)(who)

            self.govern("setAuditor", set_auditor, "RecoveryEscrow", "setAuditor", who, registered)
        else:
            to, amount = self.addr(SPARE), draw(st.sampled_from([1, 100 * TOKEN, 10**30]))
            self.govern("spendInsurance", lambda: m.spend_insurance(to, amount), "RecoveryEscrow", "spendInsurance",
                        to, amount)  # fmt: skip

    @rule(c=st.integers(0, 2), level=st.sampled_from([2, 2, 1]),
          change=st.sampled_from(["toggle"] * 4 + ["bad bps", "no jail"]), repeat=st.sampled_from([0, 1, 1, None]),
          evidence=st.integers(0, 2), lead=st.sampled_from([None, None, 0, 1, 2]))  # fmt: skip
    def penalty_row(self, c, level, change, repeat, evidence, lead):
        """Governance switches a matrix row above the first off or on (or tries an invalid row): an escalated
        level whose row is disabled falls back to the nearest enabled row below it, a verdict signed at a
        disabled level is refused, and executed incidents keep what they copied. Then (unless `repeat` is
        None) a repeat offense of the class at severity `repeat`, of the provider that offended last in it.
        With `lead` (a provider), first an offense of the class at `level` observed in the previous bucket:
        the repeat then executes in the same second as the offense it escalates from, possibly at a lower
        level (its row switched off): the record keeps the higher one."""
        m = self.m
        if lead is not None and not (c == SECURITY_BREACH and level == SEVERE):
            offset = min(m.now % m.windows.bucket_length + 1, m.windows.max_verdict_age)
            v = self.make_verdict(lead, c, level, offset, evidence)
            members = [self.index_of(a) for a in self.members()]
            self.submit("offense before a row change", v, members[: m.threshold])
        self._set_row(c, level, change)
        offended = [i.verdict.provider for i in self.executed() if i.verdict.violation_class == c
                    and not i.flags & FLAG_OVERTURNED]  # fmt: skip
        if repeat is None or not offended:
            return
        v = self.make_verdict(self.providers.index(offended[-1]), c, repeat, 0, evidence)
        members = [self.index_of(a) for a in self.members()]
        self.submit("repeat offense after a row change", v, members[: m.threshold])

    def _set_row(self, c: int, level: int, change: str) -> None:
        m = self.m
        old = m.matrix[(c, level)]
        row = Row(old.slash_bps, old.recoverable_bps, old.jail, old.path, old.tombstone, not old.enabled)
        if change == "bad bps":
            row = Row(BPS + 1, *row.tuple()[1:])
        elif change == "no jail":
            row = Row(old.slash_bps, old.recoverable_bps, 0, old.path, old.tombstone, True)
        self.govern("setPenaltyRow", lambda: m.set_penalty_row(c, level, row), "VerdictManager", "setPenaltyRow",
                    c, level, row.tuple())  # fmt: skip

    # -- weights: hypothesis draws rules uniformly, so a rule listed twice is drawn twice as often.
    # The core lifecycle (verdicts, recovery, appeals, stake) outweighs the parameter changes.
    submit_verdict_2 = submit_verdict_3 = submit_verdict_4 = submit_verdict
    collect_2 = collect
    progress_recovery_2 = progress_recovery_3 = progress_recovery
    progress_appeal_2 = progress_appeal
    stake_2 = stake
    request_unstake_2 = request_unstake
    withdraw_2 = withdraw
    advance_time_2 = advance_time

    # -- invariants -------------------------------------------------------------------------------

    @invariant()
    def invariants_hold(self):
        STATS.checks += 1
        self.steps += 1
        m, abis = self.m, self.abis
        calls, decoders = [], []

        def call(contract, name, *args):
            # The same reads recur step after step: their encodings and decodings are cached.
            key = (contract, name, args)
            request = READ_REQUESTS.get(key)
            if request is None:
                fn = abis.fn(contract, name)
                request = READ_REQUESTS[key] = ("eth_call", [{"to": fn.address, "data": "0x" + fn.data(*args).hex()},
                                                             "latest"])  # fmt: skip
            calls.append(request)
            decoders.append(abis.fn(contract, name).decode)
            return len(calls) - 1

        head = len(calls)
        calls.append(("eth_getBlockByNumber", ["latest", False]))
        decoders.append(lambda r: int(r["timestamp"], 16))
        a = m.a
        holders = {name: call("SwarmToken", "balanceOf", a[name]) for name in HOLDERS}
        balances = {who: call("SwarmToken", "balanceOf", who) for who in m.balances}
        total_stake = call("StakeManager", "totalStake")
        total_escrowed = call("RecoveryEscrow", "totalEscrowed")
        insurance = call("RecoveryEscrow", "insuranceBalance")
        paused_until = call("VerdictManager", "pausedUntil")
        paused_total = call("VerdictManager", "pausedTotal")
        lim = m.limits
        cap_available = call("StakeManager", "capAvailable", (lim.rate_cap_bps, lim.provider_cap_bps, lim.cap_window, m.cap_since))
        config = call("OracleCommittee", "config")
        reads = {}
        for provider in self.providers:
            reads[provider] = {
                "provider": call("StakeManager", "getProvider", provider),
                "pool": call("StakeManager", "getPool", provider),
                "status": call("StakeManager", "statusOf", provider),
                "record": call("StakeManager", "capUseOf", provider),
                "offenses": [call("StakeManager", "lastOffense", provider, c) for c in range(CLASSES)],
                "standing": call("StakeManager", "standingOf", provider),
                "positions": {
                    s: (call("StakeManager", "getPosition", provider, s),
                        call("StakeManager", "convertToAssets", provider,
                             m.providers[provider].positions[s].shares + m.providers[provider].positions[s].unbonding))
                    for s in (m.providers[provider].positions if provider in m.providers else ())
                },
            }  # fmt: skip
        escrows = {iid: (call("RecoveryEscrow", "escrowOf", iid), call("RecoveryEscrow", "claimOf", iid))
                   for iid in m.escrows}  # fmt: skip
        # Remainders: every incident that was ever owed one (the events of the others say they never were).
        incidents = {iid: (call("VerdictManager", "getIncident", iid),
                           call("VerdictManager", "remainderOf", iid) if iid in self.ev_owed else None)
                     for iid in m.incidents}  # fmt: skip
        appeals = {key: (call("AppealCourt", "appealOf", key), call("SwarmLens", "appealPending", key))
                   for key in m.appeals if key in m.incidents}  # fmt: skip
        # An upgrade's appeal: its key is the step's; whether it is pending, the court's record says.
        appeals.update({key: (call("AppealCourt", "appealOf", key), call("AppealCourt", "upgradeOf", m.step_keys[key]))
                        for key in m.appeals if key not in m.incidents})  # fmt: skip
        upgrades = {iid: call("AppealCourt", "upgradeOf", iid) for iid in m.upgrades}
        bonds = {o: call("OracleCommittee", "bondOf", o) for o in self.oracles}

        raw = self.rpc.batch(calls)
        r = [cached_decode(decode, x) for decode, x in zip(decoders, raw, strict=True)]

        assert r[head] == m.now, f"chain time {r[head]} != model time {m.now}"

        # 1. conservation, per contract and in total, from the chain's own books
        pools = {p: r[reads[p]["pool"]] for p in self.providers}
        open_escrows = 0
        for iid, (ei, ci) in escrows.items():
            e, c = r[ei], r[ci]
            if e[3] in OPEN_STATUSES:
                open_escrows += e[0] - c[4]
            assert c[4] <= e[0] * e[1] // BPS, f"escrow {iid.hex()} released {c[4]}, more than its recoverable share"
        bond_total = sum(r[b][0] for b in bonds.values())
        def pending_on_chain(key, read) -> bool:
            if key in m.incidents:
                return r[read]
            step = r[read]  # IAppealCourt.Upgrade: appealedAt, resolved, and the key's severity
            return step[2] != 0 and not step[5] and step_key(m.step_keys[key], step[8]) == key

        pending_appeal_bonds = sum(r[a][1] for key, (a, read) in appeals.items() if pending_on_chain(key, read))
        held = {name: r[i] for name, i in holders.items()}
        owed = {
            "StakeManager": sum(pool[0] for pool in pools.values()),
            "RecoveryEscrow": open_escrows + r[insurance],
            "OracleCommittee": bond_total,
            "AppealCourt": pending_appeal_bonds,
        }
        assert r[total_stake] == owed["StakeManager"]
        assert r[total_escrowed] == open_escrows
        owed = {name: amount + self.donated[name] for name, amount in owed.items()}  # counted by nobody
        assert held == owed, f"tokens held {held} != owed {owed} (donations included)"

        # 2. pro rata: no position is worth more than its share of the pool
        for provider in self.providers:
            assets, shares = pools[provider]
            values, held_shares = 0, 0
            for staker, (pi, vi) in reads[provider]["positions"].items():
                pos, value = r[pi], r[vi]
                s = pos[0] + pos[1]
                held_shares += s
                values += value
                if s:
                    # Exact pro rata is s * assets / shares. At or above the pool's initial share price
                    # (shares <= 1,000 * assets) the virtual shares and asset only lower a redemption:
                    # rounded down. Below it the virtual asset may add less than one unit: rounded up.
                    assert shares > 0
                    bound = s * assets // shares if shares <= 1_000 * assets else -(-s * assets // shares)
                    assert value <= bound, f"{staker} in {provider}: {value} for {s} of {shares} shares of {assets}"
            assert held_shares == shares, f"positions hold {held_shares} shares of {provider}'s {shares}"
            assert values <= assets, f"positions of {provider} are worth {values} > {assets}"

        # 3. tombstoned providers stay tombstoned
        for provider in self.ev_tombstoned | {p for p, x in m.providers.items() if x.tombstoned}:
            assert r[reads[provider]["status"]] == S_TOMBSTONED and r[reads[provider]["provider"]][4] is True, (
                f"{provider} was tombstoned and is now {r[reads[provider]['status']]} (status)"
            )

        # 4. (escrow paid out at most once: checked on every transaction's events in `track`)
        # 5. the freeze count is the number of open slashing incidents
        for provider in self.providers:
            # An incident holds the freeze until it is closed or overturned, and a closed (tombstoned) one
            # while a remainder is still owed on it.
            open_incidents = sum(
                1 for iid, p in self.ev_slashing.items()
                if p == provider and (iid not in self.ev_finished or self.ev_owed.get(iid, 0))
            )  # fmt: skip
            assert r[reads[provider]["provider"]][2] == open_incidents, (
                f"{provider}: frozen {r[reads[provider]['provider']][2]} times, {open_incidents} open incidents"
            )

        # 6. verdicts that were overturned leave no trace in the escalation record (per violation class)
        # or the jail (DESIGN "Overturns restore exactly"), restated from the incidents' fates: an offense
        # stands unless overturned; a jail stands until its incident is overturned or its recovery completes;
        # an incident settled early (out of a full standing set) stands for good, offense and jail, whatever
        # happens to it afterwards.
        for provider in self.providers:
            if provider not in m.providers:
                continue
            mine = [i for i in m.incidents.values() if i.verdict.provider == provider]
            offenses = [i for i in mine if i.settled_early or not i.flags & FLAG_OVERTURNED]
            jails = [
                i for i in mine if i.level != WARNING and (i.settled_early or not (
                    i.flags & FLAG_OVERTURNED or m.escrows[i.verdict.incident_id].status == ST_RELEASED))
            ]  # fmt: skip
            for c in range(CLASSES):
                # the latest by time; at equal times the higher level (it escalated from the other)
                last = max(((i.executed_at, i.level) for i in offenses if i.verdict.violation_class == c),
                           default=(0, 0))  # fmt: skip
                record = r[reads[provider]["offenses"][c]]
                assert record == last, (
                    f"escalation record of {provider}, class {c}: {record}, latest standing offense {last}"
                )
            jail_end = max((i.jail_end for i in jails), default=0)
            jailed_until = r[reads[provider]["provider"]][1]
            assert (jailed_until > m.now) == (jail_end > m.now) and (jail_end <= m.now or jailed_until == jail_end), (
                f"{provider}: jailed until {jailed_until}, the jails that stand end at {jail_end}, now {m.now}"
            )

        # 7. the model equals the chain
        assert r[paused_until] == m.paused_until
        assert r[paused_total] == m.paused_between(0, m.now)
        assert r[config] == (m.epoch, len(self.members()), m.threshold)
        assert r[insurance] == m.insurance and r[total_escrowed] == m.escrowed and r[total_stake] == m.total_stake
        lim = m.limits
        expected_cap = max(m.total_stake * lim.rate_cap_bps // BPS - m.cap_use(), 0)
        assert r[cap_available] == expected_cap, f"capAvailable {r[cap_available]} != model {expected_cap}"
        for who, i in balances.items():
            assert r[i] == m.balances[who], f"balance of {who}: chain {r[i]} != model {m.balances[who]}"
        for provider in self.providers:
            x = m.providers.get(provider)
            chain_provider = r[reads[provider]["provider"]]
            if x is None:
                assert chain_provider[3] is False
                continue
            assert chain_provider == (x.operator, x.jailed_until, x.open_incidents, True, x.tombstoned), (
                f"{provider}: chain {chain_provider} != model {x}"
            )
            assert pools[provider] == (x.assets, x.shares), f"pool {provider}: {pools[provider]} != {x.assets, x.shares}"
            assert r[reads[provider]["status"]] == m.status(provider, m.now)
            counted = counted_cap_use(r[reads[provider]["record"]], m)
            assert counted == m.cap_use(provider), f"cap use of {provider}: chain {counted} != model {m.cap_use(provider)}"
            for c in range(CLASSES):
                assert r[reads[provider]["offenses"][c]] == x.offense(c), f"escalation record of {provider}, class {c}"
            chain_record, chain_entries = r[reads[provider]["standing"]]
            record, entries = x.standing_view()
            assert chain_record == record, f"standing record of {provider}: chain {chain_record} != model {record}"
            assert tuple(chain_entries) == entries, (
                f"standing set of {provider}: chain {chain_entries} != model {entries}"
            )
            for staker, (pi, vi) in reads[provider]["positions"].items():
                pos = x.positions[staker]
                assert r[pi] == (pos.shares, pos.unbonding, pos.end), f"position of {staker} in {provider}"
                assert r[vi] == to_assets(pos.shares + pos.unbonding, x.assets, x.shares)
        for iid, (ei, ci) in escrows.items():
            e = m.escrows[iid]
            assert r[ei] == e.tuple(), f"escrow {iid.hex()}: chain {r[ei]} != model {e.tuple()}"
            assert r[ci] == e.claim_tuple(), f"claim {iid.hex()}: chain {r[ci]} != model {e.claim_tuple()}"
        for iid, (i, owed) in incidents.items():
            stored, digest = r[i]
            assert stored == m.incidents[iid].tuple(), f"incident {iid.hex()}: {stored} != {m.incidents[iid].tuple()}"
            assert digest == m.incidents[iid].digest
            chain_owed = 0 if owed is None else r[owed]
            assert chain_owed == m.remainders.get(iid, 0), f"remainder of {iid.hex()}: {chain_owed} != model"
        for key, (a, read) in appeals.items():
            assert r[a] == m.appeals[key] and pending_on_chain(key, read) == m.appeal_pending_key(key)
        for iid, i in upgrades.items():
            assert r[i] == m.upgrades[iid].tuple(), f"upgrade of {iid.hex()}: {r[i]} != {m.upgrades[iid].tuple()}"
        for o, i in bonds.items():
            assert r[i] == m.bonds.get(o, Bond()).tuple(), f"bond of {o}"


def baseline_model(system, rpc: Rpc, abis: Abis) -> Model:
    """The model of the deployed system as the `system` fixture leaves it, read from the chain."""
    names = {name: system.contracts[name].address for name in CONTRACTS}
    m = Model(names)

    def view(contract, name, *args):
        fn = abis.fn(contract, name)
        return fn.decode(rpc.request("eth_call", [{"to": fn.address, "data": "0x" + fn.data(*args).hex()}, "latest"]))

    m.unbonding = view("StakeManager", "unbondingPeriod")
    m.min_self_stake = view("StakeManager", "minSelfStake")
    m.min_bond = view("OracleCommittee", "minBond")
    m.windows = Windows(*view("VerdictManager", "windows"))
    m.limits = Limits(*view("VerdictManager", "limits"))
    for c in range(3):
        for level in range(3):
            row = view("VerdictManager", "penaltyRow", c, level)
            m.matrix[(c, level)] = Row(*row)
    m.rversion = view("RecoveryEscrow", "currentParamsVersion")
    for version in range(1, m.rversion + 1):
        m.rparams[version] = RecoveryParams(*view("RecoveryEscrow", "recoveryParams", version))
    epoch, size, threshold = view("OracleCommittee", "config")
    m.epoch, m.threshold = epoch, threshold
    for e in range(1, epoch + 1):
        n = size if e == epoch else 256
        members = []
        for i in range(n):
            member = view("OracleCommittee", "memberAt", e, i)
            if member == "0x" + "00" * 20:
                break
            members.append(member)
        m.members[e] = members
    accounts = [system.accounts[i].address for i in range(20)]
    for who in accounts:
        if view("RecoveryEscrow", "isAuditor", who):
            m.auditors.add(who)
        b = view("OracleCommittee", "bondOf", who)
        if b[0]:
            m.bonds[who] = Bond(*b)
    for who in [*accounts, *(names[h] for h in HOLDERS)]:
        m.balances[who] = view("SwarmToken", "balanceOf", who)
    for i in (PROVIDER_A, PROVIDER_B, PROVIDER_C):
        provider = accounts[i]
        operator, jailed, open_incidents, registered, tombstoned = view("StakeManager", "getProvider", provider)
        if not registered:
            continue
        assets, shares = view("StakeManager", "getPool", provider)
        x = Provider(operator, jailed, open_incidents, tombstoned, assets, shares)
        for staker in accounts:
            pos = view("StakeManager", "getPosition", provider, staker)
            if any(pos):
                x.positions[staker] = Position(*pos)
        m.providers[provider] = x
        assert view("StakeManager", "capUseOf", provider) == (0, 0, 0), "the baseline has no cap use"
        assert all(view("StakeManager", "lastOffense", provider, c) == (0, 0) for c in range(CLASSES))
        assert view("StakeManager", "standingOf", provider) == x.standing_view(), "the baseline has no standing set"
    m.total_stake = view("StakeManager", "totalStake")
    m.insurance = view("RecoveryEscrow", "insuranceBalance")
    m.escrowed = view("RecoveryEscrow", "totalEscrowed")
    m.paused_until = view("VerdictManager", "pausedUntil")
    assert m.paused_until == 0 and m.escrowed == 0 and view("StakeManager", "capAvailable", view("VerdictManager", "capParams")) == (
        m.total_stake * m.limits.rate_cap_bps // BPS
    ), "the baseline has no pause, escrow or cap use"
    return m


def check_signing(system) -> None:
    """The model's EIP-712 digests equal swarm_stake.signing's and the contracts' hash views."""
    chain_id = system.chain.chain_id
    vm, re = system.VerdictManager, system.RecoveryEscrow
    provider = system.provider_a.address
    v = V(incident_id_of(provider, 0, 7200, HOUR), provider, 0, 1, EVIDENCE[0], 7200, 9000, 1)
    ours = typed_digest(domain_separator(chain_id, vm.address), VERDICT_TYPEHASH, VERDICT_TYPES, v.tuple())
    model = Verdict(incident_id=v.incident_id, provider=provider, violation_class=0, severity=1,
                    evidence_hash=EVIDENCE[0], observed_at=7200, deadline=9000, committee_epoch=1)  # fmt: skip
    assert ours == signing_digest(model, chain_id, vm.address) == bytes(vm.hashVerdict(v.tuple()))
    p = Proof(v.incident_id, provider, REPORTS[0], REPORTS[1], EVIDENCE[1], 5, 6)
    ours = typed_digest(domain_separator(chain_id, re.address), AUDIT_TYPEHASH, AUDIT_TYPES, p.tuple())
    model = AuditProof(incident_id=v.incident_id, provider=provider, audit_report_hash=REPORTS[0],
                       remediation_hash=REPORTS[1], logs_root=EVIDENCE[1], issued_at=5, expiry=6)  # fmt: skip
    assert ours == signing_digest(model, chain_id, re.address) == bytes(re.hashAuditProof(p.tuple()))
    a = Att(v.incident_id, 2, 1, True, False, 77)
    ours = typed_digest(domain_separator(chain_id, re.address), ATTESTATION_TYPEHASH, ATTESTATION_TYPES, a.tuple())
    model = RestorationAttestation(incident_id=v.incident_id, observation_epoch=2, committee_epoch=1, healthy=True,
                                   data_intact=False, observed_at=77)  # fmt: skip
    assert ours == signing_digest(model, chain_id, re.address) == bytes(re.hashAttestation(a.tuple()))


def test_invariants_under_random_action_sequences(system):
    rpc = Rpc(system.chain.provider.uri)
    abis = Abis({name: system.contracts[name] for name in CONTRACTS})
    check_signing(system)
    chain_id = system.chain.chain_id
    SwarmMachine.system = system
    SwarmMachine.rpc = rpc
    SwarmMachine.abis = abis
    SwarmMachine.baseline = baseline_model(system, rpc, abis)
    SwarmMachine.keys = {i: dev_account(i) for i in range(20)}
    SwarmMachine.address_index = {system.accounts[i].address: i for i in range(20)}
    SwarmMachine.vm_domain = domain_separator(chain_id, system.VerdictManager.address)
    SwarmMachine.re_domain = domain_separator(chain_id, system.RecoveryEscrow.address)

    run_length = max(1, min(RUN_LENGTH, STEPS))
    config = settings(
        # hypothesis ends some runs early: about 85% of the run length is run on average
        max_examples=max(1, round(STEPS / (0.85 * run_length))),
        stateful_step_count=run_length,
        deadline=None,
        derandomize=SEED is None,
        database=None,
        print_blob=True,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
    )

    def factory():
        return SwarmMachine()

    if SEED is not None:
        factory = hypothesis_seed(int(SEED))(factory)
    started = time.monotonic()
    try:
        run_state_machine_as_test(factory, settings=config)
    finally:
        elapsed = time.monotonic() - started
        print(f"\nswarm-stake fuzz: {STATS.checks - STATS.runs} steps in {STATS.runs} runs, {elapsed:.0f} s "
              f"(seed {SEED if SEED is not None else 'derandomized'})")  # fmt: skip
        for outcome, count in sorted(STATS.outcomes.items()):
            print(f"  {count:6d}  {outcome}")
