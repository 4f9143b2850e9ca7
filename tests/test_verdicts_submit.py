"""VerdictManager.submit: relayed signatures, every check of a verdict, the response on execution
(slash into escrow, jail, freeze), escalation, and the adversarial cases of one failure, one slash."""

from fractions import Fraction

import pytest
from eth_utils import keccak
from helpers import emitted, reverts, to_assets, transfers

from swarm_stake.models import Level, Phase, ProviderStatus, RecoveryPath, ViolationClass, incident_id
from swarm_stake.signing import recover
from system_fixtures import DAY, SYSTEM_WINDOWS, TOKEN, system_params
from verdict_support import (
    BPS,
    FLAG_TOMBSTONE,
    align_to_bucket,
    approved,
    assert_conserved,
    b32,
    digest_of,
    escrow_record,
    executed,
    high_s,
    incident,
    recover_raw,
    set_limits,
    slash_amount,
)

pytestmark = pytest.mark.integration

PP, SB, PV = ViolationClass.POOR_PERFORMANCE, ViolationClass.SECURITY_BREACH, ViolationClass.PROTOCOL_VIOLATION
W, P, S = Level.WARNING, Level.PENALTY, Level.SEVERE
MAX_AGE = SYSTEM_WINDOWS.max_verdict_age
BUCKET = SYSTEM_WINDOWS.bucket_length

# DESIGN.md's default slashing matrix, restated: (slashBps, recoverableBps, jail, recovery path, tombstone).
DESIGN_MATRIX = {
    (PP, P): (100, 10_000, DAY, RecoveryPath.SERVICE_IMPROVEMENT, False),
    (PP, S): (500, 8_000, 7 * DAY, RecoveryPath.SERVICE_IMPROVEMENT, False),
    (SB, P): (1_000, 5_000, 14 * DAY, RecoveryPath.SECURITY_REVIEW, False),
    (SB, S): (3_000, 0, 30 * DAY, RecoveryPath.NONE, True),
    (PV, P): (300, 7_500, 3 * DAY, RecoveryPath.COMPLIANCE_VERIFICATION, False),
    (PV, S): (1_500, 2_500, 30 * DAY, RecoveryPath.COMPLIANCE_VERIFICATION, False),
}


def _shares(system, provider, holder) -> int:
    p = system.StakeManager.getPosition(provider, holder)
    return p.shares + p.unbondingShares


def _values(system, provider, holders) -> dict[str, tuple[int, int]]:
    """(shares, value in tokens) of each holder in the pool of `provider`."""
    out = {}
    for h in holders:
        shares = _shares(system, provider, h)
        out[h.address] = (shares, system.StakeManager.convertToAssets(provider, shares))
    return out


def _assert_pro_rata(system, provider, before: dict, pool_before, amount: int) -> None:
    """Every holder lost exactly the share-math value and the same fraction amount / pool."""
    kept = Fraction(pool_before.assets - amount, pool_before.assets)
    for holder, (shares, value) in before.items():
        after = system.StakeManager.convertToAssets(provider, shares)
        assert after == to_assets(shares, pool_before.assets - amount, pool_before.shares)
        assert abs(Fraction(after, value) - kept) < Fraction(1, 10**12), holder


# --- execution and its response ------------------------------------------------------------


def test_submit_with_quorum_executes_with_exact_events(system):
    vm, sm, escrow, a = system.VerdictManager, system.StakeManager, system.RecoveryEscrow, system.provider_a
    v = system.verdict(severity=P)
    row = vm.penaltyRow(PP, P)
    pool_before = sm.getPool(a).assets
    amount = pool_before * row.slashBps // BPS
    assert amount == 160 * TOKEN  # 1% of provider A's 16,000

    tx = system.submit(v)

    until = tx.timestamp + row.jailDuration
    o = system.oracles
    assert tx.return_value is True
    assert emitted(tx, vm) == [
        approved(system, v, o[0], 1),
        approved(system, v, o[1], 2),
        approved(system, v, o[2], 3),
        executed(system, v, P, amount, until),
    ]
    assert emitted(tx, sm) == [
        ("PoolFreezeChanged", {"provider": a.address, "openIncidents": 1}),
        ("Jailed", {"provider": a.address, "until": until}),
        (
            "Slashed",
            {"provider": a.address, "escrow": escrow.address, "amount": amount, "poolAssets": pool_before - amount},
        ),
    ]
    assert emitted(tx, escrow) == [
        (
            "EscrowOpened",
            {
                "incidentId": b32(v.incident_id),
                "provider": a.address,
                "amount": amount,
                "recoverableBps": row.recoverableBps,
                "recoveryPath": row.recoveryPath,
            },
        )
    ]
    assert transfers(tx, system.SwarmToken) == [(sm.address, escrow.address, amount)]


@pytest.mark.parametrize("violation_class,level", list(DESIGN_MATRIX), ids=lambda x: x.name)
def test_execution_response_follows_the_matrix_row(system, violation_class, level):
    vm, sm, escrow, token, a = (
        system.VerdictManager,
        system.StakeManager,
        system.RecoveryEscrow,
        system.SwarmToken,
        system.provider_a,
    )
    row = vm.penaltyRow(violation_class, level)
    slash_bps, recoverable, jail, path, tombstone = DESIGN_MATRIX[(violation_class, level)]
    assert (row.slashBps, row.recoverableBps, row.jailDuration, row.recoveryPath, row.tombstone, row.enabled) == (
        slash_bps,
        recoverable,
        jail,
        path,
        tombstone,
        True,
    )
    pool = sm.getPool(a)
    amount = pool.assets * slash_bps // BPS
    if amount > system.StakeManager.capAvailable(vm.capParams()):  # the severe rows of SB and PV exceed the 10% cap of the test limits
        set_limits(system, rate_cap_bps=BPS)
    balances = (token.balanceOf(sm), token.balanceOf(escrow), sm.totalStake())
    before = _values(system, a, [a, *system.delegators])
    v = system.verdict(violation_class=violation_class, severity=level)

    tx = system.submit(v)

    assert [e for e in emitted(tx, vm) if e[0] == "VerdictExecuted"] == [
        executed(system, v, level, amount, tx.timestamp + jail)
    ]
    # Tokens really moved from the StakeManager to the RecoveryEscrow.
    assert token.balanceOf(sm) == balances[0] - amount
    assert token.balanceOf(escrow) == balances[1] + amount
    assert sm.totalStake() == balances[2] - amount
    assert (sm.getPool(a).assets, sm.getPool(a).shares) == (pool.assets - amount, pool.shares)
    # The escrow records the amount and the row's recovery terms.
    assert escrow_record(system, v.incident_id) == (
        amount,
        recoverable,
        path,
        1,  # Escrowed
        tx.timestamp,
    )
    assert escrow.totalEscrowed() == amount
    # Jailed until now + jail, the pool frozen.
    provider = sm.getProvider(a)
    assert (provider.jailedUntil, provider.openIncidents) == (tx.timestamp + jail, 1)
    assert sm.statusOf(a) == ProviderStatus.JAILED
    # The incident copies the level, class, windows; a tombstoning row is flagged, not yet applied.
    stored = incident(system, v.incident_id)
    assert stored == {
        "detectedAt": tx.timestamp,
        "executedAt": tx.timestamp,
        "appealedAt": 0,
        "level": level,
        "violationClass": violation_class,
        "flags": FLAG_TOMBSTONE if tombstone else 0,
        "appealWindow": SYSTEM_WINDOWS.appeal_window,
        "appealResolution": SYSTEM_WINDOWS.appeal_resolution,
        "approvals": 0b111,  # seats 1-3 signed: kept in the incident, no approval slot written
        "severity": level,  # the signed severity (no escalation here)
        "slashBps": vm.penaltyRow(violation_class, level).slashBps,  # an upgrade's base is derived from it
        "digest": digest_of(system, v),
    }
    assert vm.approvalsOf(digest_of(system, v)) == 0
    assert not provider.tombstoned
    assert system.SwarmLens.stateOf(v.incident_id) == Phase.RESPONDED
    assert tuple(sm.lastOffense(a, violation_class)) == (tx.timestamp, level)
    record = sm.capUseOf(a)
    assert (record.updatedAt, record.current, record.previous) == (tx.timestamp, amount, 0)
    # The incident stands: its offense and jail are in the provider's standing set.
    (_, _, slots, _), entries = sm.standingOf(a)
    assert slots == 1 and tuple(entries[0]) == (bytes.fromhex(v.incident_id.removeprefix("0x"))[:20], tx.timestamp, tx.timestamp + jail, level,
                                                violation_class)  # fmt: skip
    _assert_pro_rata(system, a, before, pool, amount)
    assert_conserved(system)


def test_submit_below_quorum_records_approvals_only(system):
    vm, sm = system.VerdictManager, system.StakeManager
    v = system.verdict()
    pool = sm.getPool(system.provider_a).assets

    tx = system.submit(v, system.oracles[:2])

    assert tx.return_value is False
    assert emitted(tx, vm) == [approved(system, v, system.oracles[0], 1), approved(system, v, system.oracles[1], 2)]
    assert emitted(tx, sm) == [] and emitted(tx, system.RecoveryEscrow) == []
    assert vm.approvalsOf(digest_of(system, v)) == 0b11
    stored = incident(system, v.incident_id)
    assert (stored["detectedAt"], stored["executedAt"]) == (tx.timestamp, 0)
    assert system.SwarmLens.stateOf(v.incident_id) == Phase.DETECTED
    assert sm.getPool(system.provider_a).assets == pool
    assert sm.getProvider(system.provider_a).openIncidents == 0


def test_submit_skips_approvals_recorded_by_an_earlier_transaction(system):
    vm, o = system.VerdictManager, system.oracles
    v = system.verdict()
    first = system.submit(v, o[:2])

    tx = system.submit(v, [o[1], o[2]])  # o[1] was recorded by `first`: skipped, no error

    amount = 160 * TOKEN
    assert tx.return_value is True
    assert emitted(tx, vm) == [
        approved(system, v, o[2], 3),
        executed(system, v, P, amount, tx.timestamp + DAY),
    ]
    assert incident(system, v.incident_id)["approvals"] == 0b111
    assert vm.approvalsOf(digest_of(system, v)) == 0b11  # as `first` recorded them
    assert incident(system, v.incident_id)["detectedAt"] == first.timestamp


def test_submit_of_signatures_all_recorded_before_changes_nothing(system):
    vm = system.VerdictManager
    v = system.verdict()
    system.submit(v, system.oracles[:2])

    tx = system.submit(v, system.oracles[:2])

    assert tx.return_value is False
    assert emitted(tx, vm) == []
    assert vm.approvalsOf(digest_of(system, v)) == 0b11


def test_submit_without_signatures_records_nothing(system):
    """An empty submission is no approval: it must not mark the incident detected."""
    vm = system.VerdictManager
    v = system.verdict()

    tx = vm.submit(v.as_tuple(), [], sender=system.outsider)

    assert tx.return_value is False
    assert emitted(tx, vm) == []
    assert system.SwarmLens.stateOf(v.incident_id) == Phase.NONE
    assert incident(system, v.incident_id)["detectedAt"] == 0


# --- the checks of a verdict -----------------------------------------------------------------


def test_submit_reverts_stale_committee_epoch(system):
    v = system.verdict(epoch=2)
    with reverts(system.VerdictManager.StaleCommitteeEpoch, verdictEpoch=2, currentEpoch=1):
        system.submit(v)


def test_submit_reverts_not_committee_member(system):
    vm = system.VerdictManager
    v = system.verdict()
    with reverts(vm.NotCommitteeMember, signer=system.outsider, epoch=1):
        system.submit(v, [system.oracles[0], system.outsider, system.oracles[1]])
    assert vm.approvalsOf(digest_of(system, v)) == 0


def test_submit_reverts_duplicate_signer(system):
    vm, o = system.VerdictManager, system.oracles
    v = system.verdict()
    with reverts(vm.DuplicateSigner, signer=o[0]):
        system.submit(v, [o[0], o[1], o[0]])
    assert vm.approvalsOf(digest_of(system, v)) == 0


def test_submit_reverts_duplicate_signer_already_recorded_before(system):
    vm, o = system.VerdictManager, system.oracles
    v = system.verdict()
    system.submit(v, [o[0]])
    with reverts(vm.DuplicateSigner, signer=o[0]):
        system.submit(v, [o[0], o[0]])
    assert vm.approvalsOf(digest_of(system, v)) == 0b1


@pytest.mark.parametrize("length", [0, 64, 66])
def test_submit_reverts_invalid_signature_length(system, length):
    v = system.verdict()
    signatures = system.sign(v, system.oracles[:3])
    signatures[1] = (signatures[1] + b"\x00")[:length]
    with reverts(system.VerdictManager.InvalidSignature, index=1):
        system.VerdictManager.submit(v.as_tuple(), signatures, sender=system.outsider)


def test_submit_reverts_high_s_signature(system):
    v = system.verdict()
    signatures = system.sign(v, system.oracles[:3])
    twin = high_s(signatures[2])
    assert recover_raw(system, v, twin) == system.oracles[2].address  # the malleable twin of a valid signature
    signatures[2] = twin
    with reverts(system.VerdictManager.InvalidSignature, index=2):
        system.VerdictManager.submit(v.as_tuple(), signatures, sender=system.outsider)


def test_submit_reverts_signature_with_invalid_v(system):
    v = system.verdict()
    signatures = system.sign(v, system.oracles[:3])
    signatures[0] = signatures[0][:64] + bytes([29])
    with reverts(system.VerdictManager.InvalidSignature, index=0):
        system.VerdictManager.submit(v.as_tuple(), signatures, sender=system.outsider)


def test_submit_reverts_deadline_passed(system):
    now = system.chain.pending_timestamp
    v = system.verdict(observed_at=now - 60, deadline=now + 600)
    system.chain.pending_timestamp = now + 601
    with reverts(system.VerdictManager.VerdictDeadlinePassed, deadline=now + 600, nowTime=now + 601):
        system.submit(v)


def test_submit_accepted_exactly_at_deadline(system):
    now = system.chain.pending_timestamp
    v = system.verdict(observed_at=now - 60, deadline=now + 600)
    system.chain.pending_timestamp = now + 600
    tx = system.submit(v)
    assert tx.return_value is True


def test_submit_reverts_deadline_too_far(system):
    observed = system.chain.pending_timestamp - 60
    v = system.verdict(observed_at=observed, deadline=observed + MAX_AGE + 1)
    with reverts(system.VerdictManager.DeadlineTooFar, deadline=observed + MAX_AGE + 1, latest=observed + MAX_AGE):
        system.submit(v)


def test_submit_reverts_observation_too_old(system):
    now = system.chain.pending_timestamp + 5
    v = system.verdict(observed_at=now - MAX_AGE - 1, deadline=now + 10)
    system.chain.pending_timestamp = now
    with reverts(system.VerdictManager.ObservationOutOfRange, observedAt=now - MAX_AGE - 1, nowTime=now):
        system.submit(v)


def test_submit_accepts_observation_exactly_max_age_old(system):
    now = system.chain.pending_timestamp + 5
    v = system.verdict(observed_at=now - MAX_AGE, deadline=now)
    system.chain.pending_timestamp = now
    assert system.submit(v).return_value is True


def test_submit_reverts_observation_in_the_future(system):
    now = system.chain.pending_timestamp + 5
    v = system.verdict(observed_at=now + 1, deadline=now + 100)
    system.chain.pending_timestamp = now
    with reverts(system.VerdictManager.ObservationOutOfRange, observedAt=now + 1, nowTime=now):
        system.submit(v)


@pytest.mark.parametrize("wrong", ["next_bucket", "other_provider", "other_class"])
def test_submit_reverts_incident_id_mismatch(system, wrong):
    a, b = system.provider_a.address, system.provider_b.address
    observed = system.chain.pending_timestamp - 60
    derived = incident_id(a, PP, observed, BUCKET)
    given = {
        "next_bucket": incident_id(a, PP, observed + BUCKET, BUCKET),
        "other_provider": incident_id(b, PP, observed, BUCKET),
        "other_class": incident_id(a, PV, observed, BUCKET),
    }[wrong]
    v = system.verdict(observed_at=observed, incident=given)
    with reverts(system.VerdictManager.IncidentIdMismatch, given=b32(given), derived=b32(derived)):
        system.submit(v)


def test_submit_reverts_severity_not_applicable_for_disabled_row(system):
    """The default matrix disables warnings for security breaches."""
    assert not system.VerdictManager.penaltyRow(SB, W).enabled
    v = system.verdict(violation_class=SB, severity=W)
    with reverts(system.VerdictManager.SeverityNotApplicable, violationClass=SB, severity=W):
        system.submit(v)


@pytest.mark.parametrize("violation_class,severity", [(3, 1), (255, 1), (0, 3)])
def test_submit_reverts_severity_not_applicable_out_of_range(system, violation_class, severity):
    fields = list(system.verdict().as_tuple())
    fields[2], fields[3] = violation_class, severity
    with reverts(system.VerdictManager.SeverityNotApplicable, violationClass=violation_class, severity=severity):
        system.VerdictManager.submit(tuple(fields), [], sender=system.outsider)


def test_submit_reverts_provider_not_slashable_when_unregistered(system):
    vm = system.VerdictManager
    v = system.verdict(provider=system.outsider)
    system.submit(v, system.oracles[:2])  # below quorum: recorded
    with reverts(vm.ProviderNotSlashable, provider=system.outsider):
        system.submit(v, [system.oracles[2]])
    assert vm.approvalsOf(digest_of(system, v)) == 0b11


def test_submit_reverts_provider_not_slashable_when_tombstoned(system):
    vm, a = system.VerdictManager, system.provider_a
    set_limits(system, rate_cap_bps=BPS)
    severe = system.verdict(violation_class=SB, severity=S)
    tx = system.submit(severe)
    system.chain.pending_timestamp = tx.timestamp + SYSTEM_WINDOWS.appeal_window + 1
    system.AppealCourt.finalizeTombstone(severe.as_tuple(), sender=system.outsider)
    assert system.StakeManager.getProvider(a).tombstoned

    v = system.verdict(provider=a, violation_class=PP)
    with reverts(vm.ProviderNotSlashable, provider=a):
        system.submit(v)
    assert_conserved(system)


# --- one failure, one slash ------------------------------------------------------------------


def test_same_verdict_twice_reverts_incident_already_executed(system):
    vm = system.VerdictManager
    v = system.verdict()
    system.submit(v)
    escrowed = system.RecoveryEscrow.totalEscrowed()

    with reverts(vm.IncidentAlreadyExecuted, incidentId=b32(v.incident_id)):
        system.submit(v)
    assert system.RecoveryEscrow.totalEscrowed() == escrowed
    assert system.StakeManager.getProvider(system.provider_a).openIncidents == 1


def test_second_proposal_for_the_same_failure_after_execution(system):
    """A second verdict later in the same bucket (other evidence) names the same incident; at the severity in
    force it is refused (only a higher one upgrades the incident: test_upgrades.py)."""
    t = align_to_bucket(system, 1800)
    first = system.verdict(observed_at=t - 1000)
    system.submit(first)
    second = system.verdict(observed_at=t - 500)
    assert second.incident_id == first.incident_id and second.evidence_hash != first.evidence_hash

    with reverts(system.VerdictManager.SeverityNotAbove, incidentId=b32(first.incident_id), severity=P, current=P):
        system.submit(second)
    assert system.RecoveryEscrow.totalEscrowed() == 160 * TOKEN


def test_two_verdicts_for_one_incident_only_one_executes(system):
    vm, o = system.VerdictManager, system.oracles
    t = align_to_bucket(system, 1800)
    one = system.verdict(observed_at=t - 600)
    two = system.verdict(observed_at=t - 600)  # same incident, other evidence: another digest
    assert one.incident_id == two.incident_id and digest_of(system, one) != digest_of(system, two)
    system.submit(one, o[:2])
    system.submit(two, o[1:3])
    pool = system.StakeManager.getPool(system.provider_a).assets

    tx = system.submit(two, [o[3]])

    assert emitted(tx, vm)[-1] == executed(system, two, P, pool // 100, tx.timestamp + DAY)
    # The other digest at the severity in force: no upgrade, refused.
    with reverts(vm.SeverityNotAbove, incidentId=b32(one.incident_id), severity=P, current=P):
        system.submit(one, [o[4]])
    with reverts(vm.SeverityNotAbove, incidentId=b32(one.incident_id), severity=P, current=P):
        vm.execute(one.as_tuple(), sender=system.outsider)
    assert system.RecoveryEscrow.totalEscrowed() == pool // 100
    assert system.StakeManager.getProvider(system.provider_a).openIncidents == 1
    assert incident(system, one.incident_id)["digest"] == digest_of(system, two)
    assert_conserved(system)


def test_a_second_incident_of_a_class_executes_while_the_first_is_open(system):
    """No shield: a second failure of the same class, observed before the first verdict jailed the
    provider, executes at once as its own incident (escalated: a repeat offense of the class)."""
    vm, o, sm, a = system.VerdictManager, system.oracles, system.StakeManager, system.provider_a
    t = align_to_bucket(system, BUCKET - 100)
    first = system.verdict(observed_at=t - 60)
    system.chain.pending_timestamp = t + 200
    second = system.verdict(observed_at=t + 150)  # the next bucket: another incident of the same class
    assert second.incident_id != first.incident_id
    system.submit(first)
    amount = slash_amount(system, a, PP, S)

    tx = system.submit(second)

    assert emitted(tx, vm)[3:] == [executed(system, second, S, amount, tx.timestamp + 7 * DAY)]
    assert sm.getProvider(a).openIncidents == 2
    assert system.RecoveryEscrow.escrowOf(second.incident_id).amount == amount
    assert system.SwarmLens.stateOf(second.incident_id) == Phase.RESPONDED
    assert_conserved(system)


def test_poor_performance_observed_inside_a_running_jail_is_refused(system):
    """A jailed node is not expected to serve: poor performance observed after the jail began is no
    offense (PoorPerformanceWhileJailed), and its approvals are not recorded."""
    vm, sm, a = system.VerdictManager, system.StakeManager, system.provider_a
    first = system.submit(system.verdict())
    system.chain.pending_timestamp = first.timestamp + BUCKET
    v = system.verdict()  # observed inside the jail the first verdict imposed
    until = sm.getProvider(a).jailedUntil
    assert v.observed_at > first.timestamp and until > v.observed_at

    with reverts(vm.PoorPerformanceWhileJailed, provider=a, jailedUntil=until):
        system.submit(v)
    assert vm.approvalsOf(digest_of(system, v)) == 0
    assert sm.getProvider(a).openIncidents == 1


def test_other_classes_observed_inside_a_jail_execute(system):
    """Only poor performance is excused by a jail: a protocol violation observed while jailed executes."""
    vm, sm, a = system.VerdictManager, system.StakeManager, system.provider_a
    first = system.submit(system.verdict())
    system.chain.pending_timestamp = first.timestamp + BUCKET
    v = system.verdict(violation_class=PV, severity=P)

    tx = system.submit(v)

    assert emitted(tx, vm)[-1][0] == "VerdictExecuted"
    assert sm.getProvider(a).openIncidents == 2


def test_incident_of_another_class_executes_while_one_is_open_without_escalating(system):
    """Classes are independent: a second offense of another class executes while the first is open,
    and escalation is per class, so it stays at its signed severity."""
    vm, sm, b = system.VerdictManager, system.StakeManager, system.provider_b
    system.submit(system.verdict(provider=b, violation_class=PP))
    amount = slash_amount(system, b, PV, P)

    tx = system.submit(system.verdict(provider=b, violation_class=PV, severity=P))

    assert emitted(tx, vm)[-1][1]["level"] == P and emitted(tx, vm)[-1][1]["amount"] == amount
    assert sm.getProvider(b).openIncidents == 2
    assert tuple(sm.lastOffense(b, PP))[1] == P and tuple(sm.lastOffense(b, PV))[1] == P
    assert_conserved(system)


# --- replay ----------------------------------------------------------------------------------


def test_replay_on_another_chain_id_recovers_another_signer(system):
    vm = system.VerdictManager
    v = system.verdict()
    signatures = system.sign(v, system.oracles[:3], chain_id=system.chain.chain_id + 1)
    wrong = recover(v, system.chain.chain_id, vm.address, signatures[0])
    assert wrong != system.oracles[0].address
    with reverts(vm.NotCommitteeMember, signer=wrong, epoch=1):
        vm.submit(v.as_tuple(), signatures, sender=system.outsider)


def test_replay_on_another_deployment_recovers_another_signer(system, project):
    """Signatures valid on a second VerdictManager (same committee) are refused by this one."""
    vm = system.VerdictManager
    params = system_params()
    other = project.VerdictManager.deploy(
        system.StakeManager,
        system.OracleCommittee,
        system.RecoveryEscrow,
        system.gov,
        params.windows.as_tuple(),
        params.limits.as_tuple(),
        params.matrix_tuple(),
        sender=system.gov,
    )
    v = system.verdict()
    signatures = system.sign(v, system.oracles[:2], contract=other.address)
    other.submit(v.as_tuple(), signatures, sender=system.outsider)  # genuine there (below quorum)
    assert other.approvalsOf(other.hashVerdict(v.as_tuple())) == 0b11

    wrong = recover(v, system.chain.chain_id, vm.address, signatures[0])
    assert wrong != system.oracles[0].address
    with reverts(vm.NotCommitteeMember, signer=wrong, epoch=1):
        vm.submit(v.as_tuple(), signatures, sender=system.outsider)


# --- committee epochs ------------------------------------------------------------------------


def _seat(system, members, threshold=3):
    system.govern(system.OracleCommittee, "setCommittee", [m.address for m in members], threshold)
    assert system.OracleCommittee.epoch() == 2


def test_committee_change_voids_pending_approvals_of_the_old_epoch(system):
    vm, o = system.VerdictManager, system.oracles
    v = system.verdict()
    system.submit(v, o[:2])
    _seat(system, o[:4])

    with reverts(vm.StaleCommitteeEpoch, verdictEpoch=1, currentEpoch=2):
        system.submit(v, [o[2]])
    with reverts(vm.StaleCommitteeEpoch, verdictEpoch=1, currentEpoch=2):
        vm.execute(v.as_tuple(), sender=system.outsider)


def test_new_verdict_of_the_old_epoch_is_stale(system):
    o = system.oracles
    _seat(system, o[:4])
    with reverts(system.VerdictManager.StaleCommitteeEpoch, verdictEpoch=1, currentEpoch=2):
        system.submit(system.verdict(epoch=1), o[:3])


def test_member_removed_in_the_new_epoch_is_not_a_member(system):
    o = system.oracles
    _seat(system, o[:4])
    v = system.verdict(epoch=2)
    with reverts(system.VerdictManager.NotCommitteeMember, signer=o[4], epoch=2):
        system.submit(v, [o[0], o[4]])


def test_new_epoch_verdict_counts_only_new_epoch_approvals(system):
    vm, o = system.VerdictManager, system.oracles
    t = system.chain.pending_timestamp
    old = system.verdict(observed_at=t - 60, evidence=b"\x11" * 32)
    system.submit(old, o[:2])
    _seat(system, [o[3], o[2], o[1], o[0]])  # new seats: o[0] is seat 4 now
    new = system.verdict(observed_at=t - 60, evidence=b"\x11" * 32, epoch=2)

    tx = system.submit(new, [o[0]])

    assert emitted(tx, vm) == [approved(system, new, o[0], 1)]  # the epoch-1 approvals do not carry over
    tx = system.submit(new, [o[1], o[2]])
    assert tx.return_value is True
    assert incident(system, new.incident_id)["approvals"] == 0b1110


# --- stake under a verdict -------------------------------------------------------------------


def test_unstaking_after_the_failure_does_not_dodge_the_verdict(system):
    vm, sm, a = system.VerdictManager, system.StakeManager, system.provider_a
    delegator = system.delegators[0]
    v = system.verdict()  # the failure was observed a minute ago
    shares = sm.getPosition(a, delegator).shares
    tx = sm.requestUnstake(a, shares, sender=delegator)
    end = tx.timestamp + sm.unbondingPeriod()
    pool = sm.getPool(a)
    before = {delegator.address: (shares, sm.convertToAssets(a, shares))}

    system.submit(v)  # within the verdict's window

    amount = pool.assets * vm.penaltyRow(PP, P).slashBps // BPS
    _assert_pro_rata(system, a, before, pool, amount)
    assert sm.getPosition(a, delegator).unbondingShares == shares
    system.chain.pending_timestamp = end + 1
    with reverts(sm.PoolFrozen, provider=a, openIncidents=1):
        sm.withdraw(a, sender=delegator)
    assert_conserved(system)


def test_stake_unbonding_before_the_failure_is_slashed_alike(system):
    vm, sm, a = system.VerdictManager, system.StakeManager, system.provider_a
    leaving, staying = system.delegators[1], system.delegators[2]
    shares = sm.getPosition(a, leaving).shares
    tx = sm.requestUnstake(a, shares, sender=leaving)
    end = tx.timestamp + sm.unbondingPeriod()
    system.chain.pending_timestamp = end - DAY  # six of seven days unbonded
    pool = sm.getPool(a)
    before = _values(system, a, [leaving, staying, a])

    system.submit(system.verdict())

    amount = pool.assets * vm.penaltyRow(PP, P).slashBps // BPS
    _assert_pro_rata(system, a, before, pool, amount)
    system.chain.pending_timestamp = end
    with reverts(sm.PoolFrozen, provider=a, openIncidents=1):
        sm.withdraw(a, sender=leaving)
    assert_conserved(system)


def test_slash_never_exceeds_the_pool(system):
    """Even a 100% row with the caps wide open takes exactly the pool's assets, never more."""
    vm, sm, token, a = system.VerdictManager, system.StakeManager, system.SwarmToken, system.provider_a
    set_limits(system, rate_cap_bps=BPS, provider_cap_bps=BPS)
    system.govern(vm, "setPenaltyRow", PP, S, (BPS, 0, 7 * DAY, 0, False, True))
    pool = sm.getPool(a).assets
    escrow_before = token.balanceOf(system.RecoveryEscrow)

    tx = system.submit(system.verdict(severity=S))

    assert emitted(tx, vm)[-1][1]["amount"] == pool
    assert sm.getPool(a).assets == 0
    assert token.balanceOf(system.RecoveryEscrow) == escrow_before + pool
    for delegator in system.delegators:
        assert sm.convertToAssets(a, _shares(system, a, delegator)) == 0
    assert_conserved(system)


# --- escalation and warnings -----------------------------------------------------------------


def test_repeat_offense_within_lookback_escalates_penalty_to_severe(system):
    vm, b = system.VerdictManager, system.provider_b
    first = system.submit(system.verdict(provider=b, violation_class=PV, severity=P))
    system.chain.pending_timestamp = first.timestamp + SYSTEM_WINDOWS.lookback - 120
    v = system.verdict(provider=b, violation_class=PV, severity=P)
    amount = slash_amount(system, b, PV, S)
    system.chain.pending_timestamp = first.timestamp + SYSTEM_WINDOWS.lookback  # the last second that escalates

    tx = system.submit(v)

    assert emitted(tx, vm)[-1] == executed(system, v, S, amount, tx.timestamp + 30 * DAY)
    stored = incident(system, v.incident_id)
    assert stored["level"] == S
    assert tuple(system.StakeManager.lastOffense(b, PV)) == (tx.timestamp, S)
    assert_conserved(system)


def test_offense_after_lookback_is_not_escalated(system):
    vm, b = system.VerdictManager, system.provider_b
    first = system.submit(system.verdict(provider=b, violation_class=PV, severity=P))
    system.chain.pending_timestamp = first.timestamp + SYSTEM_WINDOWS.lookback - 120
    v = system.verdict(provider=b, violation_class=PV, severity=P)
    amount = slash_amount(system, b, PV, P)
    system.chain.pending_timestamp = first.timestamp + SYSTEM_WINDOWS.lookback + 1

    tx = system.submit(v)

    assert emitted(tx, vm)[-1] == executed(system, v, P, amount, tx.timestamp + 3 * DAY)


def test_escalation_stops_at_severe(system):
    vm, b = system.VerdictManager, system.provider_b
    system.submit(system.verdict(provider=b, violation_class=PV, severity=S))
    system.chain.pending_timestamp += BUCKET
    v = system.verdict(provider=b, violation_class=PV, severity=P)  # a later failure: another incident
    amount = slash_amount(system, b, PV, S)

    tx = system.submit(v)

    assert emitted(tx, vm)[-1][1]["level"] == S and emitted(tx, vm)[-1][1]["amount"] == amount
    assert tuple(system.StakeManager.lastOffense(b, PV))[1] == S


def test_warning_records_only(system):
    vm, sm, escrow, token, a = (
        system.VerdictManager,
        system.StakeManager,
        system.RecoveryEscrow,
        system.SwarmToken,
        system.provider_a,
    )
    pool = sm.getPool(a)
    v = system.verdict(severity=W)

    tx = system.submit(v)

    assert tx.return_value is True
    assert emitted(tx, vm)[-1] == executed(system, v, W, 0, 0)
    assert emitted(tx, sm) == [] and emitted(tx, escrow) == [] and transfers(tx, token) == []
    assert (sm.getPool(a).assets, sm.getPool(a).shares) == (pool.assets, pool.shares)
    provider = sm.getProvider(a)
    assert (provider.jailedUntil, provider.openIncidents) == (0, 0)
    assert sm.statusOf(a) == ProviderStatus.ACTIVE
    assert escrow_record(system, v.incident_id)[3] == 0  # no escrow (status None)
    assert tuple(sm.lastOffense(a, PP)) == (tx.timestamp, W)  # a warning is an offense: it escalates
    assert tuple(sm.capUseOf(a)) == (0, 0, 0)  # a warning books nothing on the caps
    assert system.SwarmLens.stateOf(v.incident_id) == Phase.RESPONDED
    assert_conserved(system)


def test_warning_escalates_the_next_warning_to_a_penalty(system):
    vm, sm, a = system.VerdictManager, system.StakeManager, system.provider_a
    system.submit(system.verdict(severity=W))
    system.chain.pending_timestamp += BUCKET
    v = system.verdict(severity=W)  # another failure of the same class, an hour later
    amount = slash_amount(system, a, PP, P)

    tx = system.submit(v)

    assert emitted(tx, vm)[-1] == executed(system, v, P, amount, tx.timestamp + DAY)
    assert sm.getProvider(a).openIncidents == 1
    assert escrow_record(system, v.incident_id)[0] == amount
    assert_conserved(system)


def test_penalty_after_a_warning_stays_a_penalty(system):
    """Escalation goes one level above the last offense: a warning then a penalty is a penalty."""
    vm, a = system.VerdictManager, system.provider_a
    system.submit(system.verdict(severity=W))
    v = system.verdict(violation_class=PV, severity=P)
    amount = slash_amount(system, a, PV, P)

    tx = system.submit(v)

    assert emitted(tx, vm)[-1] == executed(system, v, P, amount, tx.timestamp + 3 * DAY)

