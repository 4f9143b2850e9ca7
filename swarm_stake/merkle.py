"""Merkle trees of log lines, compatible with OpenZeppelin's MerkleProof (sorted pairs).

A leaf is keccak256(keccak256(line)) (hashed twice, so that no inner node can pass for a leaf),
as the RecoveryEscrow's ``verifyLogLine`` computes it.
"""

from __future__ import annotations

from collections.abc import Iterable

from eth_utils import keccak


def leaf(line: bytes) -> bytes:
    return keccak(keccak(line))


def _pair(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a < b else keccak(b + a)


class MerkleTree:
    """A tree over ``lines`` (in the order given); ``root`` and ``proof(i)`` as OpenZeppelin expects."""

    def __init__(self, lines: Iterable[bytes]):
        self.leaves = [leaf(line) for line in lines]
        if not self.leaves:
            raise ValueError("a Merkle tree needs at least one line")
        self.levels = [self.leaves]
        while len(self.levels[-1]) > 1:
            level = self.levels[-1]
            parents = [_pair(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                parents.append(level[-1])  # an odd node moves up unchanged
            self.levels.append(parents)

    @property
    def root(self) -> bytes:
        return self.levels[-1][0]

    def proof(self, index: int) -> list[bytes]:
        if not 0 <= index < len(self.leaves):
            raise IndexError(f"no line {index} in a tree of {len(self.leaves)}")
        path = []
        for level in self.levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                path.append(level[sibling])
            index //= 2
        return path


def verify(proof: list[bytes], root: bytes, line: bytes) -> bool:
    """OpenZeppelin's MerkleProof.verify over the leaf of ``line``."""
    node = leaf(line)
    for sibling in proof:
        node = _pair(node, sibling)
    return node == root
