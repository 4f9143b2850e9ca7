"""VerdictManager views (hashVerdict, approvalsOf, getIncident, penaltyRow, windows, limits,
capAvailable, slashableWindow, bondLockPeriod) and the SwarmLens views over them (incidentIdOf, stateOf)."""

import pytest
from helpers import emitted

from swarm_stake.deploy import DEFAULT_MATRIX
from swarm_stake.models import Level, Phase, ViolationClass, incident_id
from system_fixtures import DAY, SYSTEM_LIMITS, SYSTEM_WINDOWS
from verdict_support import BPS, INCIDENT_FIELDS, digest_of, incident, set_limits

pytestmark = pytest.mark.integration

BUCKET = SYSTEM_WINDOWS.bucket_length
FIELDS = [
    "incident_id",
    "provider",
    "violation_class",
    "severity",
    "evidence_hash",
    "observed_at",
    "deadline",
    "committee_epoch",
]


def test_hashVerdict_equals_the_python_eip712_digest(system):
    v = system.verdict(violation_class=ViolationClass.PROTOCOL_VIOLATION, severity=Level.SEVERE)
    assert bytes(system.VerdictManager.hashVerdict(v.as_tuple())) == digest_of(system, v)


@pytest.mark.parametrize("field", FIELDS)
def test_hashVerdict_commits_to_every_field(system, field):
    vm = system.VerdictManager
    v = system.verdict()
    changed = {
        "incident_id": "0x" + "ab" * 32,
        "provider": system.provider_b.address,
        "violation_class": ViolationClass.SECURITY_BREACH,
        "severity": Level.SEVERE,
        "evidence_hash": "0x" + "cd" * 32,
        "observed_at": v.observed_at + 1,
        "deadline": v.deadline - 1,
        "committee_epoch": 2,
    }[field]
    other = v.model_copy(update={field: changed})
    digest = bytes(vm.hashVerdict(other.as_tuple()))
    assert digest == digest_of(system, other)
    assert digest != bytes(vm.hashVerdict(v.as_tuple()))


@pytest.mark.parametrize("violation_class", list(ViolationClass))
def test_incidentIdOf_equals_the_python_derivation(system, violation_class):
    observed = system.chain.pending_timestamp - 123
    for provider in (system.provider_a, system.provider_b):
        expected = incident_id(provider.address, violation_class, observed, BUCKET)
        assert "0x" + bytes(system.SwarmLens.incidentIdOf(provider, violation_class, observed)).hex() == expected


def test_incidentIdOf_is_one_per_bucket(system):
    vm, a = system.VerdictManager, system.provider_a
    start = (system.chain.pending_timestamp // BUCKET) * BUCKET
    same = {bytes(system.SwarmLens.incidentIdOf(a, 0, t)) for t in (start, start + 1, start + BUCKET - 1)}
    assert len(same) == 1
    assert bytes(system.SwarmLens.incidentIdOf(a, 0, start - 1)) not in same
    assert bytes(system.SwarmLens.incidentIdOf(a, 0, start + BUCKET)) not in same


def test_stateOf_phases_of_a_warning(system):
    """None -> Detected (one approval) -> Responded (executed) -> Closed once its appeal window passed."""
    vm, o = system.VerdictManager, system.oracles
    v = system.verdict(severity=Level.WARNING)
    assert system.SwarmLens.stateOf(v.incident_id) == Phase.NONE
    system.submit(v, [o[0]])
    assert system.SwarmLens.stateOf(v.incident_id) == Phase.DETECTED
    tx = system.submit(v, o[1:3])
    assert system.SwarmLens.stateOf(v.incident_id) == Phase.RESPONDED
    end = tx.timestamp + SYSTEM_WINDOWS.appeal_window
    system.chain.mine(timestamp=end)
    assert system.SwarmLens.stateOf(v.incident_id) == Phase.RESPONDED  # the last second of the appeal window
    system.chain.mine(timestamp=end + 1)
    assert system.SwarmLens.stateOf(v.incident_id) == Phase.CLOSED


def test_stateOf_slashing_verdict_stays_responded_after_its_appeal_window(system):
    vm = system.VerdictManager
    v = system.verdict()
    tx = system.submit(v)
    system.chain.mine(timestamp=tx.timestamp + SYSTEM_WINDOWS.appeal_window + 1)
    assert system.SwarmLens.stateOf(v.incident_id) == Phase.RESPONDED  # its escrow has not ended


def test_approvalsOf_sets_the_bit_of_each_signers_seat(system):
    vm, o = system.VerdictManager, system.oracles
    v = system.verdict()
    assert vm.approvalsOf(digest_of(system, v)) == 0
    system.submit(v, [o[4], o[1]])
    assert vm.approvalsOf(digest_of(system, v)) == 0b10010


def test_getIncident_of_an_unknown_incident_is_empty(system):
    assert incident(system, "0x" + "77" * 32) == {**dict.fromkeys(INCIDENT_FIELDS, 0), "digest": b"\x00" * 32}


def test_incident_keeps_the_windows_in_force_at_execution(system):
    vm = system.VerdictManager
    v = system.verdict()
    system.submit(v)
    system.govern(vm, "setWindows", SYSTEM_WINDOWS.model_copy(update={"appeal_window": 2 * DAY}).as_tuple())
    assert vm.windows().appealWindow == 2 * DAY

    assert incident(system, v.incident_id)["appealWindow"] == SYSTEM_WINDOWS.appeal_window
    w = system.verdict(provider=system.provider_b)
    system.submit(w)
    assert incident(system, w.incident_id)["appealWindow"] == 2 * DAY


def test_capUseOf_a_provider_without_offenses_is_empty(system):
    record = system.StakeManager.capUseOf(system.provider_a)
    assert (record.updatedAt, record.current, record.previous) == (0,) * 3
    for violation_class in range(3):
        assert tuple(system.StakeManager.lastOffense(system.provider_a, violation_class)) == (0, 0)


def test_penaltyRow_is_the_deployed_default_matrix(system):
    vm = system.VerdictManager
    for c in ViolationClass:
        for level, params in zip(Level, DEFAULT_MATRIX[c.name.lower()], strict=True):
            assert tuple(vm.penaltyRow(c, level)) == params.as_tuple()


def test_windows_limits_and_derived_periods(system):
    vm, w = system.VerdictManager, SYSTEM_WINDOWS
    assert tuple(vm.windows()) == w.as_tuple()
    assert tuple(vm.limits()) == SYSTEM_LIMITS.as_tuple()
    window = w.max_verdict_age + w.execution_grace + w.max_pause + w.appeal_window
    assert vm.slashableWindow() == window
    assert vm.bondLockPeriod() == window + w.appeal_resolution
    assert system.StakeManager.unbondingPeriod() > window


def test_capAvailable_counts_this_bucket_and_the_last_one_weighted(system):
    """Cap use in fixed buckets of the window: a slash counts whole in its bucket, then through the next
    bucket with the share of the window that bucket still has to run, then no more."""
    vm, sm = system.VerdictManager, system.StakeManager
    window = 1_000
    set_limits(system, cap_window=window)
    start = (system.chain.pending_timestamp // window + 1) * window + 100  # 100 s into a bucket
    system.chain.pending_timestamp = start
    assert system.StakeManager.capAvailable(vm.capParams()) == sm.totalStake() * SYSTEM_LIMITS.rate_cap_bps // BPS

    tx = system.submit(system.verdict())

    amount = emitted(tx, vm)[-1][1]["amount"]
    cap = sm.totalStake() * SYSTEM_LIMITS.rate_cap_bps // BPS
    assert system.StakeManager.capAvailable(vm.capParams()) == cap - amount  # read in the block of the slash
    system.chain.mine(timestamp=start + 800)  # the same bucket: counted whole
    assert system.StakeManager.capAvailable(vm.capParams()) == cap - amount
    system.chain.mine(timestamp=start + window + 150)  # the next bucket, 250 s into it: 3/4 counted
    assert system.StakeManager.capAvailable(vm.capParams()) == cap - amount * (window - 250) // window
    system.chain.mine(timestamp=start + 2 * window - 100)  # the first second of the bucket after
    assert system.StakeManager.capAvailable(vm.capParams()) == cap
    assert tuple(sm.capUseOf(system.provider_a)) == (tx.timestamp, amount, 0)  # stored as booked


def test_a_change_of_the_cap_window_starts_the_caps_afresh(system):
    """Buckets of another length cannot be carried over: after `capWindow` changes, use booked before
    no longer counts (and an overturn refunds nothing of it)."""
    vm, sm = system.VerdictManager, system.StakeManager
    tx = system.submit(system.verdict())
    assert system.StakeManager.capAvailable(vm.capParams()) < sm.totalStake() * SYSTEM_LIMITS.rate_cap_bps // BPS
    assert emitted(tx, vm)[-1][1]["amount"] > 0

    set_limits(system, cap_window=2 * DAY)

    system.chain.mine()
    assert system.StakeManager.capAvailable(vm.capParams()) == sm.totalStake() * SYSTEM_LIMITS.rate_cap_bps // BPS
