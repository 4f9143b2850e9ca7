"""OracleCommittee.announceEvidenceServer: a bonded member publishes where it serves the evidence it
signed; the URL is bounded and visible ASCII; nothing is stored but the event."""

import pytest
from helpers import emitted, reverts
from system_checks import BOND_LOCK
from system_fixtures import TOKEN
from system_checks import conserved_after_each_test  # noqa: F401 (autouse: conservation after every test)

from swarm_stake.models import MAX_EVIDENCE_URL_BYTES

pytestmark = pytest.mark.integration

URL = "https://oracle-1.example:9464"


def test_a_member_announces_its_evidence_server(system):
    committee, oracle = system.OracleCommittee, system.oracles[0]
    config, bond = tuple(committee.config()), tuple(committee.bondOf(oracle))

    tx = committee.announceEvidenceServer(URL, sender=oracle)

    assert emitted(tx, committee) == [("EvidenceServerAnnounced", {"member": oracle.address, "url": URL})]
    assert tuple(committee.config()) == config and tuple(committee.bondOf(oracle)) == bond


def test_a_later_announcement_is_a_new_event(system):
    committee, oracle = system.OracleCommittee, system.oracles[1]
    committee.announceEvidenceServer(URL, sender=oracle)

    tx = committee.announceEvidenceServer("http://10.0.0.9:9464/", sender=oracle)

    assert emitted(tx, committee) == [
        ("EvidenceServerAnnounced", {"member": oracle.address, "url": "http://10.0.0.9:9464/"})
    ]


def test_a_past_member_with_its_bond_still_announces(system):
    committee, leaving = system.OracleCommittee, system.oracles[4]
    system.govern(committee, "setCommittee", [o.address for o in system.oracles[:4]], 3)
    assert committee.seatOf(committee.epoch(), leaving) == 0

    tx = committee.announceEvidenceServer(URL, sender=leaving)

    assert emitted(tx, committee) == [("EvidenceServerAnnounced", {"member": leaving.address, "url": URL})]


def test_a_bond_posted_before_being_seated_is_enough(system):
    committee, candidate = system.OracleCommittee, system.outsider
    committee.postBond(1, sender=candidate)

    tx = committee.announceEvidenceServer(URL, sender=candidate)

    assert emitted(tx, committee) == [("EvidenceServerAnnounced", {"member": candidate.address, "url": URL})]


def test_a_url_of_exactly_the_maximum_length_is_accepted(system):
    committee, oracle = system.OracleCommittee, system.oracles[0]
    url = "http://o.example/" + "a" * (MAX_EVIDENCE_URL_BYTES - len("http://o.example/"))
    assert len(url) == MAX_EVIDENCE_URL_BYTES == committee.MAX_EVIDENCE_URL_BYTES()

    tx = committee.announceEvidenceServer(url, sender=oracle)

    assert emitted(tx, committee) == [("EvidenceServerAnnounced", {"member": oracle.address, "url": url})]


def test_announce_reverts_no_bond(system):
    committee, stranger = system.OracleCommittee, system.outsider
    with reverts(committee.NoBond, caller=stranger):
        committee.announceEvidenceServer(URL, sender=stranger)


def test_announce_reverts_no_bond_before_checking_the_url(system):
    committee, stranger = system.OracleCommittee, system.outsider
    with reverts(committee.NoBond, caller=stranger):
        committee.announceEvidenceServer("", sender=stranger)


def test_announce_reverts_no_bond_once_the_whole_bond_is_withdrawn(system, chain):
    committee, leaver = system.OracleCommittee, system.outsider
    committee.postBond(10 * TOKEN, sender=leaver)
    committee.requestBondWithdrawal(10 * TOKEN, sender=leaver)
    chain.pending_timestamp += BOND_LOCK + 1
    committee.withdrawBond(sender=leaver)

    with reverts(committee.NoBond, caller=leaver):
        committee.announceEvidenceServer(URL, sender=leaver)


def test_announce_reverts_empty_url(system):
    committee = system.OracleCommittee
    with reverts(committee.EvidenceURLLengthOutOfRange, length=0, maxLength=MAX_EVIDENCE_URL_BYTES):
        committee.announceEvidenceServer("", sender=system.oracles[0])


def test_announce_reverts_url_one_byte_too_long(system):
    committee = system.OracleCommittee
    url = "http://" + "a" * (MAX_EVIDENCE_URL_BYTES + 1 - len("http://"))
    with reverts(committee.EvidenceURLLengthOutOfRange, length=MAX_EVIDENCE_URL_BYTES + 1,
                 maxLength=MAX_EVIDENCE_URL_BYTES):  # fmt: skip
        committee.announceEvidenceServer(url, sender=system.oracles[0])


@pytest.mark.parametrize(
    ("url", "position"),
    [
        ("http://oracle .example", 13),  # a space
        ("http://oracle.example\n", 21),  # a control character
        ("\x1b[31mhttp://x", 0),  # a terminal escape
        ("http://x/\x7f", 9),  # DEL
        ("http://orácle.example", 9),  # UTF-8 (0xc3 0xa1): percent-encode instead
    ],
)
def test_announce_reverts_a_character_that_is_not_visible_ascii(system, url, position):
    committee = system.OracleCommittee
    with reverts(committee.EvidenceURLCharacterNotVisible, position=position):
        committee.announceEvidenceServer(url, sender=system.oracles[0])
