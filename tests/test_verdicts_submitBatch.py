"""VerdictBatcher.submitBatch: many verdicts in one transaction; a bad item is skipped with its exact
revert data, the others execute, each exactly as VerdictManager.submit would (it takes its authority
from the signatures, not from the caller)."""

import pytest
from helpers import emitted, reverts

from swarm_stake.models import Level, ViolationClass
from system_fixtures import DAY, TOKEN
from verdict_support import (
    approved,
    assert_conserved,
    b32,
    deferred,
    digest_of,
    error_data,
    executed,
    high_s,
    pause,
    slash_amount,
)

pytestmark = pytest.mark.integration

PROVIDER_C, OPERATOR_C = 18, 19  # unused by the system fixture (16 is its auditor)


def _provider_c(system):
    """A third provider, so that a batch can hold three independent incidents."""
    c = system.accounts[PROVIDER_C]
    system.StakeManager.registerProvider(system.accounts[OPERATOR_C], 2_000 * TOKEN, "http://c/health", sender=c)
    return c


def _batch(system, items, sender=None):
    """Submits [(verdict or raw tuple, signatures)] in one transaction."""
    verdicts = [v if isinstance(v, tuple) else v.as_tuple() for v, _ in items]
    return system.VerdictBatcher.submitBatch(verdicts, [s for _, s in items], sender=sender or system.outsider)



def _events(system, tx):
    """The events of the verdict contract and the batcher in `tx`, in the order emitted."""
    return emitted(tx, system.VerdictManager, system.VerdictBatcher)


def _executes(system, verdict, tx, amount, jail=DAY):
    o = system.oracles
    return [approved(system, verdict, o[i], i + 1) for i in range(3)] + [
        executed(system, verdict, Level.PENALTY, amount, tx.timestamp + jail)
    ]


def test_batch_executes_every_good_item_and_returns_the_count(system):
    vm = system.VerdictManager
    c = _provider_c(system)
    verdicts = [system.verdict(provider=p) for p in (system.provider_a, system.provider_b, c)]
    amounts = [slash_amount(system, v.provider, ViolationClass.POOR_PERFORMANCE, Level.PENALTY) for v in verdicts]

    tx = _batch(system, [(v, system.sign(v, system.oracles[:3])) for v in verdicts])

    assert tx.return_value == 3
    expected = []
    for v, amount in zip(verdicts, amounts, strict=True):
        expected += _executes(system, v, tx, amount)
    assert _events(system, tx) == expected
    assert system.RecoveryEscrow.totalEscrowed() == sum(amounts)
    assert_conserved(system)


def _bad_item(system, kind, first):
    """A bad verdict against provider B and its signatures, with the exact revert data expected."""
    o, b = system.oracles, system.provider_b
    if kind == "non_member":
        v = system.verdict(provider=b)
        reason = error_data("NotCommitteeMember", system.outsider.address, 1)
        return v, system.sign(v, [o[0], system.outsider, o[1]]), reason
    if kind == "duplicate_signer":
        v = system.verdict(provider=b)
        return v, system.sign(v, [o[0], o[1], o[0]]), error_data("DuplicateSigner", o[0].address)
    if kind == "high_s":
        v = system.verdict(provider=b)
        sigs = system.sign(v, o[:3])
        sigs[1] = high_s(sigs[1])
        return v, sigs, error_data("InvalidSignature", 1)
    if kind == "stale_epoch":
        v = system.verdict(provider=b, epoch=2)
        return v, system.sign(v, o[:3]), error_data("StaleCommitteeEpoch", 2, 1)
    if kind == "severity":
        v = system.verdict(provider=b, violation_class=ViolationClass.SECURITY_BREACH, severity=Level.WARNING)
        return v, system.sign(v, o[:3]), error_data("SeverityNotApplicable", 1, 0)
    if kind == "already_executed":
        v = system.verdict(provider=b)
        system.submit(v)
        return v, system.sign(v, o[:3]), error_data("IncidentAlreadyExecuted", b32(v.incident_id))
    if kind == "same_incident_as_item_0":
        v = system.verdict(provider=system.provider_a, observed_at=first.observed_at)
        assert v.incident_id == first.incident_id
        # Another verdict of item 0's failure at its severity: no upgrade of it, refused.
        return v, system.sign(v, o[:3]), error_data("SeverityNotAbove", b32(v.incident_id), v.severity, v.severity)
    if kind == "not_slashable":
        v = system.verdict(provider=system.outsider)
        return v, system.sign(v, o[:3]), error_data("ProviderNotSlashable", system.outsider.address)
    raise AssertionError(kind)


BAD_KINDS = [
    "non_member",
    "duplicate_signer",
    "high_s",
    "stale_epoch",
    "severity",
    "already_executed",
    "same_incident_as_item_0",
    "not_slashable",
]


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_batch_skips_a_bad_item_with_its_exact_revert_data(system, kind):
    vm, a = system.VerdictManager, system.provider_a
    c = _provider_c(system)
    first, last = system.verdict(provider=a), system.verdict(provider=c)
    bad, bad_signatures, reason = _bad_item(system, kind, first)
    approvals_before = vm.approvalsOf(digest_of(system, bad))
    amount_a = slash_amount(system, a, ViolationClass.POOR_PERFORMANCE, Level.PENALTY)
    amount_c = slash_amount(system, c, ViolationClass.POOR_PERFORMANCE, Level.PENALTY)

    quorum = system.oracles[:3]
    tx = _batch(system, [(first, system.sign(first, quorum)), (bad, bad_signatures), (last, system.sign(last, quorum))])

    assert tx.return_value == 2
    assert _events(system, tx) == [
        *_executes(system, first, tx, amount_a),
        ("VerdictSkipped", {"index": 1, "digest": digest_of(system, bad), "reason": reason}),
        *_executes(system, last, tx, amount_c),
    ]
    assert vm.approvalsOf(digest_of(system, bad)) == approvals_before  # nothing of the bad item was kept
    assert_conserved(system)


def test_batch_skips_an_expired_item(system):
    vm = system.VerdictManager
    now = system.chain.pending_timestamp + 5
    good = system.verdict(observed_at=now - 60)
    late = system.verdict(provider=system.provider_b, observed_at=now - 120, deadline=now - 1)
    system.chain.pending_timestamp = now

    tx = _batch(system, [(late, system.sign(late, system.oracles[:3])), (good, system.sign(good, system.oracles[:3]))])

    assert tx.return_value == 1
    assert _events(system, tx)[0] == (
        "VerdictSkipped",
        {"index": 0, "digest": digest_of(system, late), "reason": error_data("VerdictDeadlinePassed", now - 1, now)},
    )
    assert _events(system, tx)[-1][0] == "VerdictExecuted"


def test_batch_skips_an_item_that_is_not_a_verdict(system):
    """A class out of range cannot even be hashed as a valid verdict; the batch still goes on."""
    vm = system.VerdictManager
    good = system.verdict()
    raw = list(system.verdict(provider=system.provider_b).as_tuple())
    raw[2] = 7
    raw = tuple(raw)

    tx = _batch(system, [(raw, []), (good, system.sign(good, system.oracles[:3]))])

    assert tx.return_value == 1
    assert _events(system, tx)[0] == (
        "VerdictSkipped",
        {"index": 0, "digest": bytes(vm.hashVerdict(raw)), "reason": error_data("SeverityNotApplicable", 7, 1)},
    )


def test_batch_records_items_below_quorum_and_defers_paused_ones(system):
    """Neither a verdict short of quorum nor one deferred by the pause is skipped or counted."""
    vm, o = system.VerdictManager, system.oracles
    pause(system)
    short, full = system.verdict(), system.verdict(provider=system.provider_b)

    tx = _batch(system, [(short, system.sign(short, o[:2])), (full, system.sign(full, o[:3]))])

    assert tx.return_value == 0
    assert _events(system, tx) == [
        approved(system, short, o[0], 1),
        approved(system, short, o[1], 2),
        approved(system, full, o[0], 1),
        approved(system, full, o[1], 2),
        approved(system, full, o[2], 3),
        deferred(system, full, "ExecutionPaused"),
    ]
    assert vm.approvalsOf(digest_of(system, short)) == 0b11


def test_batch_reverts_on_length_mismatch(system):
    v = system.verdict()
    with reverts(system.VerdictBatcher.LengthMismatch, verdicts=1, signatures=0):
        system.VerdictBatcher.submitBatch([v.as_tuple()], [], sender=system.outsider)


def test_empty_batch_does_nothing(system):
    tx = system.VerdictBatcher.submitBatch([], [], sender=system.outsider)
    assert tx.return_value == 0
    assert _events(system, tx) == []


def test_the_batcher_holds_no_role_and_names_its_verdict_contract(system):
    """A batch has no power of its own: the batcher is granted nothing, and submits to the deployed
    verdict contract."""
    vm, batcher = system.VerdictManager, system.VerdictBatcher
    assert batcher.verdicts() == vm.address
    for role in (vm.DEFAULT_ADMIN_ROLE(), vm.APPEALS_ROLE(), vm.GUARDIAN_ROLE(), vm.ESCROW_ROLE()):
        assert not vm.hasRole(role, batcher)
