"""StakeManager cap bookings: the rolling slash-rate caps (system-wide and per provider) live beside the
pools they bound. `penalize` and `take` book what they move, `take` also as a collect of its incident,
`refundCaps` takes an overturned incident's bookings off again, and the views count the fixed buckets
(use of this bucket whole, of the last one weighted by what of the window it still covers)."""

import pytest
from conftest import TOKEN
from helpers import addr, build_pool, reverts, standing

pytestmark = pytest.mark.integration

WINDOW = 1_000
#: Caps that bind: 10% of total stake and 5% of a pool per window; `since` 0 (no window change).
CAPS = (1_000, 500, WINDOW, 0)
INCIDENT = b"\x22" * 32
MAX = 2**256 - 1  # refundCaps: every collect booking of the incident


def counted(use, now: int) -> int:
    """The use a stored `CapUse` counts at `now` (DESIGN's fixed buckets)."""
    updated_at, current, previous = use
    bucket, last = now // WINDOW, updated_at // WINDOW
    if last != bucket:
        current, previous = 0, current if last + 1 == bucket else 0
    return current + previous * (WINDOW - now % WINDOW) // WINDOW


def context_cap_left(stake_manager, provider) -> int:
    return stake_manager.slashingContext(provider, CAPS)[1]


def test_penalize_books_its_amount_on_both_caps(stake_manager, registered, delegators, slasher, escrow, chain):
    build_pool(stake_manager, registered, delegators)
    assets, total = stake_manager.getPool(registered).assets, stake_manager.totalStake()
    left = context_cap_left(stake_manager, registered)
    assert left == min(assets * 500 // 10_000, total * 1_000 // 10_000)  # nothing booked yet
    amount = left // 3

    tx = stake_manager.penalize(registered, amount, escrow, standing(chain.pending_timestamp + 600), CAPS,
                                sender=slasher)  # fmt: skip

    assert tuple(stake_manager.capUseOf(registered)) == (tx.timestamp, amount, 0)
    assert stake_manager.capAvailable(CAPS) == (total - amount) * 1_000 // 10_000 - amount
    # The provider's sub-cap is 5% of what its pool holds now, less what it has used.
    assert context_cap_left(stake_manager, registered) == (assets - amount) * 500 // 10_000 - amount


def test_a_warning_books_nothing(stake_manager, registered, delegators, slasher, escrow):
    build_pool(stake_manager, registered, delegators)
    stake_manager.penalize(registered, 0, escrow, standing(0), CAPS, sender=slasher)
    assert tuple(stake_manager.capUseOf(registered)) == (0, 0, 0)


def test_take_books_as_a_collect_that_refundCaps_takes_off_exactly(
    stake_manager, registered, delegators, slasher, escrow, chain
):
    """An incident slashes `x` at execution and collects `y` in the next bucket; a second incident slashes
    `z`. Refunding the first takes off what its two bookings still count, nothing of the second's."""
    build_pool(stake_manager, registered, delegators)
    start = (chain.pending_timestamp // WINDOW + 1) * WINDOW
    chain.pending_timestamp = start + 100
    x, y, z = 3 * TOKEN, 2 * TOKEN, 1 * TOKEN
    executed = stake_manager.penalize(registered, x, escrow, standing(start + 10_000), CAPS, sender=slasher)
    chain.pending_timestamp = start + WINDOW + 200
    stake_manager.take(registered, y, escrow, INCIDENT, CAPS, sender=slasher)
    other = b"\x33" * 20
    stake_manager.penalize(registered, z, escrow, standing(start + 10_000, tag=other), CAPS, sender=slasher)
    chain.pending_timestamp = start + WINDOW + 400
    chain.mine()

    stake_manager.refundCaps(registered, INCIDENT, executed.timestamp, x, MAX, CAPS, sender=slasher)

    now = chain.blocks.head.timestamp
    assert counted(stake_manager.capUseOf(registered), now) == z  # only the other incident's slash still counts
    total = stake_manager.totalStake()
    assert stake_manager.capAvailable(CAPS) == total * 1_000 // 10_000 - z


def test_refundCaps_takes_off_the_newest_collects_first_up_to_its_limit(
    stake_manager, registered, delegators, slasher, escrow, chain
):
    """An overturned upgrade refunds only the collects that paid its own debt, the newest: with a limit of
    `w`, collects of `y` (last bucket) and `w` (this bucket) leave `y` counted, weighted as the last bucket's."""
    build_pool(stake_manager, registered, delegators)
    start = (chain.pending_timestamp // WINDOW + 1) * WINDOW
    chain.pending_timestamp = start + 100
    stake_manager.penalize(registered, 0, escrow, standing(start + 10_000), CAPS, sender=slasher)  # freezes
    y, w = 2 * TOKEN, 1 * TOKEN
    stake_manager.take(registered, y, escrow, INCIDENT, CAPS, sender=slasher)
    chain.pending_timestamp = start + WINDOW + 200
    stake_manager.take(registered, w, escrow, INCIDENT, CAPS, sender=slasher)
    chain.pending_timestamp = start + WINDOW + 400

    tx = stake_manager.refundCaps(registered, INCIDENT, 0, 0, w, CAPS, sender=slasher)

    assert counted(stake_manager.capUseOf(registered), tx.timestamp) == y * (WINDOW - 400) // WINDOW
    rest = stake_manager.refundCaps(registered, INCIDENT, 0, 0, MAX, CAPS, sender=slasher)  # the older collect
    assert counted(stake_manager.capUseOf(registered), rest.timestamp) == 0


def test_bookings_before_since_no_longer_count(stake_manager, registered, delegators, slasher, escrow, chain):
    """`since` (the second after the cap window last changed): what was booked before it counts for nothing."""
    build_pool(stake_manager, registered, delegators)
    tx = stake_manager.penalize(registered, TOKEN, escrow, standing(chain.pending_timestamp + 600), CAPS,
                                sender=slasher)  # fmt: skip
    total = stake_manager.totalStake()
    later = (CAPS[0], CAPS[1], CAPS[2], tx.timestamp + 1)
    assert stake_manager.capAvailable(later) == total * 1_000 // 10_000
    assert stake_manager.capAvailable(CAPS) == total * 1_000 // 10_000 - TOKEN


@pytest.mark.parametrize("call", ["refundCaps", "take", "penalize"])
def test_only_the_slasher_books_or_refunds(stake_manager, registered, delegators, escrow, accounts, call, chain):
    build_pool(stake_manager, registered, delegators)
    stranger = accounts[9]
    args = {
        "refundCaps": (registered, INCIDENT, 0, 0, MAX, CAPS),
        "take": (registered, 0, escrow, INCIDENT, CAPS),
        "penalize": (registered, 0, escrow, standing(chain.pending_timestamp + 600), CAPS),
    }[call]
    with reverts(stake_manager.AccessControlUnauthorizedAccount, account=addr(stranger),
                 neededRole=stake_manager.SLASHER_ROLE()):  # fmt: skip
        getattr(stake_manager, call)(*args, sender=stranger)



def test_a_refund_after_the_cap_window_changed_takes_nothing_off_the_new_buckets(
    stake_manager, registered, delegators, slasher, escrow, chain
):
    """A slash booked before the window changed no longer counts (`since` is after it), so its overturn
    refunds nothing: the use booked under the new window since stays whole."""
    build_pool(stake_manager, registered, delegators)
    chain.pending_timestamp = (chain.pending_timestamp // (2 * WINDOW) + 1) * 2 * WINDOW + 100  # early in a bucket
    executed = stake_manager.penalize(registered, 3 * TOKEN, escrow, standing(chain.pending_timestamp + 10_000), CAPS,
                                      sender=slasher)  # fmt: skip
    changed = (CAPS[0], CAPS[1], 2 * WINDOW, executed.timestamp + 1)
    chain.pending_timestamp = executed.timestamp + 10
    stake_manager.penalize(registered, TOKEN, escrow, standing(chain.pending_timestamp + 10_000), changed,
                                   sender=slasher)  # fmt: skip

    stake_manager.refundCaps(registered, INCIDENT, executed.timestamp, 3 * TOKEN, MAX, changed, sender=slasher)

    assert stake_manager.capUseOf(registered).current == TOKEN  # the new window's booking, untouched
    total = stake_manager.totalStake()
    assert stake_manager.capAvailable(changed) == total * 1_000 // 10_000 - TOKEN
