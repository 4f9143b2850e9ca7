"""RecoveryEscrow.verifyLogLine: a log line is shown to be in the logs the audit proof committed to
(an OpenZeppelin-compatible Merkle tree, swarm_stake.merkle); nothing else verifies."""

import pytest
from recovery_support import (
    audit_proof,
    conserved,  # noqa: F401 (autouse: the conservation check after each test)
    file_claim,
    slash,
)

from swarm_stake.merkle import MerkleTree, verify
from swarm_stake.models import ViolationClass

pytestmark = pytest.mark.integration

# Seven lines: an odd count, so one node moves up a level unpaired.
LINES = [
    f"2026-11-0{i}T12:00:00Z node-a sha256=9f2c... chunk={i * 97} challenge=ok latency_ms={40 + i}".encode()
    for i in range(7)
]


def claimed_with_logs(system, lines, violation_class=ViolationClass.SECURITY_BREACH):
    tree = MerkleTree(lines)
    verdict = slash(system, violation_class)
    file_claim(system, verdict, audit_proof(system, verdict, logs_root=tree.root))
    return verdict, tree


def test_every_log_line_verifies_with_its_proof(system):
    escrow = system.RecoveryEscrow
    verdict, tree = claimed_with_logs(system, LINES)
    assert escrow.logsRootOf(verdict.incident_id) == tree.root
    for index, line in enumerate(LINES):
        proof = tree.proof(index)
        assert verify(proof, tree.root, line)
        assert escrow.verifyLogLine(verdict.incident_id, line, proof)


def test_a_changed_line_or_a_wrong_proof_does_not_verify(system):
    escrow = system.RecoveryEscrow
    verdict, tree = claimed_with_logs(system, LINES)
    incident = verdict.incident_id
    changed = LINES[2].replace(b"challenge=ok", b"challenge=ko")
    assert not escrow.verifyLogLine(incident, changed, tree.proof(2))
    assert not escrow.verifyLogLine(incident, LINES[2] + b"\n", tree.proof(2))
    assert not escrow.verifyLogLine(incident, LINES[2], tree.proof(3))  # another line's proof
    assert not escrow.verifyLogLine(incident, LINES[2], tree.proof(2)[:-1])  # a shortened proof
    assert not escrow.verifyLogLine(incident, LINES[2], [])
    assert not escrow.verifyLogLine(incident, LINES[2], [bytes(32)] + tree.proof(2))
    # An inner node passed as a line: leaves are hashed twice, so it is no leaf.
    assert not escrow.verifyLogLine(incident, tree.levels[1][0], tree.proof(0)[1:])
    # The line against another incident's logs.
    assert not escrow.verifyLogLine(b"\x55" * 32, LINES[2], tree.proof(2))


def test_a_single_line_log(system):
    escrow = system.RecoveryEscrow
    verdict, tree = claimed_with_logs(system, LINES[:1], ViolationClass.PROTOCOL_VIOLATION)
    assert tree.proof(0) == []
    assert escrow.verifyLogLine(verdict.incident_id, LINES[0], [])
    assert not escrow.verifyLogLine(verdict.incident_id, LINES[1], [])


def test_no_logs_without_an_audit_proof(system):
    # The service-improvement path commits to no logs: nothing verifies, not even an empty line.
    escrow = system.RecoveryEscrow
    verdict = slash(system)
    file_claim(system, verdict)
    assert escrow.logsRootOf(verdict.incident_id) == bytes(32)
    tree = MerkleTree([b""])
    assert not escrow.verifyLogLine(verdict.incident_id, b"", [])
    assert not escrow.verifyLogLine(verdict.incident_id, LINES[0], tree.proof(0))
