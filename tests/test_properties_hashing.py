"""Properties of canonical JSON (RFC 8785) and evidence hashing (swarm_stake.evidence), and of the
log Merkle trees (swarm_stake.merkle), on generated inputs.

Two independent references are used: Node's own ECMAScript Number-to-string and key order (a
20-line canonicaliser run with `node`, skipped when node is missing) for the JSON side, and a
plain re-implementation of OpenZeppelin's MerkleProof.processProof for the proofs.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import struct
import subprocess

import pytest
from eth_utils import keccak
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from swarm_stake.evidence import canonical_json, evidence_hash
from swarm_stake.merkle import MerkleTree, leaf, verify

pytestmark = pytest.mark.unit

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- JSON values -----------------------------------------------------------------------------

# Text without lone surrogates (canonical JSON is UTF-8; a lone surrogate has no encoding).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
KEYS = st.one_of(TEXT, st.sampled_from(["a", "b", "aa", "A", "é", "€", "\U0001f600", "\ufb33", "", "1", "__proto__"]))
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(-(2**53), 2**53), FLOATS, TEXT)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=25,
)
# Values a JavaScript engine holds exactly (integers within 2**53; Python ints beyond that are
# written with all their digits, which a double cannot carry).
JS_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53), FLOATS, TEXT)
JS_JSON = st.recursive(
    JS_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4), max_leaves=20
)


def serialise(value, rnd: random.Random) -> str:
    """``value`` as JSON text with shuffled object keys and random whitespace and escaping."""
    if isinstance(value, dict):
        items = list(value.items())
        rnd.shuffle(items)
        space = rnd.choice(["", " ", "\n  ", "\t"])
        body = ("," + space).join(f"{json.dumps(k, ensure_ascii=rnd.random() < 0.5)}{space}:{space}{serialise(v, rnd)}"
                                  for k, v in items)  # fmt: skip
        return "{" + space + body + space + "}"
    if isinstance(value, list):
        space = rnd.choice(["", " ", "\n"])
        return "[" + space + ("," + space).join(serialise(v, rnd) for v in value) + space + "]"
    if isinstance(value, float) and rnd.random() < 0.5:
        return f"{value:.17e}"  # another spelling of the same double
    return json.dumps(value, ensure_ascii=rnd.random() < 0.5)


def same_json(a, b) -> bool:
    """JSON equality: numbers by value (1 == 1.0, -0.0 == 0; a float against an integer as doubles,
    the way JSON numbers are read), two integers exactly; true is not 1 and "1" is not 1."""
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return type(a) is type(b) and a == b
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        try:
            return float(a) == float(b)
        except OverflowError:  # an integer beyond any double
            return False
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    return False


@SETTINGS
@given(JSON, st.randoms(use_true_random=False))
def test_hash_is_stable_under_key_order_whitespace_and_escaping(value, rnd):
    text = serialise(value, rnd)
    assert evidence_hash(json.loads(text)) == evidence_hash(value)
    indent = rnd.choice([None, 0, 1, 4, "\t"])
    separators = rnd.choice([None, (",", ":"), (", ", ": "), (" ,", " : ")])
    other = json.dumps(value, indent=indent, separators=separators, sort_keys=rnd.random() < 0.5,
                       ensure_ascii=rnd.random() < 0.5)  # fmt: skip
    assert evidence_hash(json.loads(other)) == evidence_hash(value)


@SETTINGS
@given(JSON)
@example({"b": 1, "a": [1.0, -0.0, 1e-6, 1e21]})
@example(2.086893701942055e16)  # integral beyond 2**53: read back as an integer, still the same double
def test_canonical_form_is_a_fixed_point(value):
    canonical = canonical_json(value)
    parsed = json.loads(canonical)
    assert same_json(parsed, value)  # nothing is lost
    assert canonical_json(parsed) == canonical


@SETTINGS
@given(JSON, JSON)
@example(1, True)
@example(0, False)
@example("1", 1)
@example([], {})
@example({"a": 1}, {"A": 1})
@example(1.5, 1.5000000000000002)
@example(2**53 + 1, 2**53)
@example(20868937019420550, 2.086893701942055e16)
def test_distinct_documents_have_distinct_canonical_bytes(a, b):
    if same_json(a, b):
        assert canonical_json(a) == canonical_json(b)
    else:
        assert canonical_json(a) != canonical_json(b)
        assert evidence_hash(a) != evidence_hash(b)


@settings(max_examples=50, deadline=None)
@given(JSON, st.sampled_from([math.nan, math.inf, -math.inf]), st.randoms(use_true_random=False))
def test_nan_and_infinity_are_refused_anywhere(value, bad, rnd):
    """A NaN or an infinity (which Python's json module parses) is refused wherever it sits."""
    document = bad
    for _ in range(rnd.randint(0, 3)):
        document = [value, document] if rnd.random() < 0.5 else {"x": value, "y": document}
    with pytest.raises(ValueError):
        canonical_json(document)
    with pytest.raises(ValueError):
        evidence_hash(json.loads(json.dumps(document)))  # "NaN" / "Infinity" in a file


# The number vectors of RFC 8785, appendix B (IEEE 754 bits -> canonical text).
RFC8785_NUMBERS = {
    "0000000000000000": "0",
    "8000000000000000": "0",
    "0000000000000001": "5e-324",
    "8000000000000001": "-5e-324",
    "7fefffffffffffff": "1.7976931348623157e+308",
    "ffefffffffffffff": "-1.7976931348623157e+308",
    "4340000000000000": "9007199254740992",
    "c340000000000000": "-9007199254740992",
    "4430000000000000": "295147905179352830000",
    "44b52d02c7e14af5": "9.999999999999997e+22",
    "44b52d02c7e14af6": "1e+23",
    "44b52d02c7e14af7": "1.0000000000000001e+23",
    "444b1ae4d6e2ef4e": "999999999999999700000",
    "444b1ae4d6e2ef4f": "999999999999999900000",
    "444b1ae4d6e2ef50": "1e+21",
    "3eb0c6f7a0b5ed8c": "9.999999999999997e-7",
    "3eb0c6f7a0b5ed8d": "0.000001",
    "41b3de4355555553": "333333333.3333332",
    "41b3de4355555554": "333333333.33333325",
    "41b3de4355555555": "333333333.3333333",
    "41b3de4355555556": "333333333.3333334",
    "41b3de4355555557": "333333333.33333343",
    "becbf647612f3696": "-0.0000033333333333333333",
    "43143ff3c1cb0959": "1424953923781206.2",
}


@pytest.mark.parametrize(("bits", "expected"), RFC8785_NUMBERS.items())
def test_rfc8785_number_vectors(bits, expected):
    assert canonical_json(struct.unpack(">d", bytes.fromhex(bits))[0]) == expected.encode()


@pytest.mark.parametrize("bits", ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"])
def test_rfc8785_nan_and_infinity_vectors_are_errors(bits):
    with pytest.raises(ValueError):
        canonical_json(struct.unpack(">d", bytes.fromhex(bits))[0])


def test_rfc8785_key_order_and_string_escapes():
    """RFC 8785 section 3.2.3's sorting example and its string escapes (3.2.2.2)."""
    document = {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
                "1": "One", "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"}  # fmt: skip
    order = [key for key in json.loads(canonical_json(document))]
    assert order == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    assert canonical_json(["\u20ac$\u000f\nA'B\"\\\\\"/"]) == '["€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"]'.encode()
    assert canonical_json({"a": [None, True, False, 1, -1.5, "\x7f\u2028"]}) == '{"a":[null,true,false,1,-1.5,"\x7f\u2028"]}'.encode()


# -- against ECMAScript itself ---------------------------------------------------------------

NODE = shutil.which("node")
JS_CANONICAL = r"""
const canon = (v) => {
  if (Array.isArray(v)) return "[" + v.map(canon).join(",") + "]";
  if (v !== null && typeof v === "object")
    return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + canon(v[k])).join(",") + "}";
  return JSON.stringify(v);
};
let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => process.stdout.write(JSON.stringify(JSON.parse(input).map(canon))));
"""


@settings(max_examples=25, deadline=None)
@given(st.lists(JS_JSON, min_size=1, max_size=40), st.lists(FLOATS, max_size=40))
@example([[1e-6, 1e-7, 1e21, 1e20, 295147905179352830000.0, -0.0, 5e-324, 0.1 + 0.2]], [])
def test_canonical_json_matches_ecmascript(values, floats):
    """JavaScript's JSON.stringify with keys sorted by UTF-16 code units is RFC 8785 for these values."""
    assert NODE is not None, "node is not installed (the project needs Node.js; `make setup` uses it)"
    values = values + floats
    result = subprocess.run([NODE, "-e", JS_CANONICAL], input=json.dumps(values), capture_output=True, text=True,
                            check=True, timeout=30)  # fmt: skip
    expected = json.loads(result.stdout)
    assert [canonical_json(value).decode() for value in values] == expected


# -- Merkle trees ----------------------------------------------------------------------------

LINES = st.lists(st.binary(max_size=40), min_size=1, max_size=40)


def oz_process_proof(proof: list[bytes], leaf_hash: bytes) -> bytes:
    """OpenZeppelin MerkleProof.processProof, written out from its Solidity source (Hashes.commutativeKeccak256)."""
    computed = leaf_hash
    for element in proof:
        a, b = (computed, element) if int.from_bytes(computed, "big") < int.from_bytes(element, "big") else (element, computed)
        computed = keccak(a + b)
    return computed


def flip(data: bytes, bit: int) -> bytes:
    bit %= 8 * len(data)
    mutable = bytearray(data)
    mutable[bit // 8] ^= 1 << (bit % 8)
    return bytes(mutable)


@SETTINGS
@given(LINES)
def test_every_line_proves_against_the_root(lines):
    tree = MerkleTree(lines)
    for index, line in enumerate(lines):
        proof = tree.proof(index)
        assert verify(proof, tree.root, line)
        assert oz_process_proof(proof, keccak(keccak(line))) == tree.root
        assert len(proof) <= max(1, math.ceil(math.log2(len(lines))))


@SETTINGS
@given(LINES, st.data())
def test_any_change_breaks_the_proof(lines, data):
    tree = MerkleTree(lines)
    index = data.draw(st.integers(0, len(lines) - 1), label="index")
    line, proof, root = lines[index], tree.proof(index), tree.root
    leaves = {leaf(other) for other in lines}

    # Another line (a flipped bit, or a random line) proves only if it equals a line with the same leaf.
    changed = flip(line, data.draw(st.integers(0, 8 * max(1, len(line)) - 1))) if line else b"\x00"
    assert not verify(proof, root, changed)
    stranger = data.draw(st.binary(max_size=40), label="stranger")
    assert verify(proof, root, stranger) == (stranger == line)

    # Another root.
    assert not verify(proof, flip(root, data.draw(st.integers(0, 255))), line)
    assert not verify(proof, keccak(root), line)

    if proof:
        # A bit flipped in any proof element.
        position = data.draw(st.integers(0, len(proof) - 1), label="position")
        bad = list(proof)
        bad[position] = flip(bad[position], data.draw(st.integers(0, 255)))
        assert not verify(bad, root, line)
        # An element dropped (the path is then shorter: it ends below the root).
        assert not verify(proof[:position] + proof[position + 1:], root, line)
        # An element duplicated.
        assert not verify(proof[:position + 1] + proof[position:], root, line)
        # A random element inserted.
        extra = data.draw(st.binary(min_size=32, max_size=32), label="extra")
        assert not verify(proof[:position] + [extra] + proof[position:], root, line)
    if len(proof) >= 2:
        # Reordered: sorted pairs make order matter unless the permutation keeps every step's sibling.
        order = data.draw(st.permutations(range(len(proof))), label="order")
        shuffled = [proof[i] for i in order]
        if shuffled != proof:
            assert verify(shuffled, root, line) == (oz_process_proof(shuffled, leaf(line)) == root)
            assert not verify(shuffled, root, line)
    # The proof of another line does not prove this one (unless both lines have the same leaf).
    other = data.draw(st.integers(0, len(lines) - 1), label="other")
    if lines[other] != line:
        assert not verify(tree.proof(other), root, line)
    # An inner node is never a leaf: passing one as a line does not verify.
    if len(tree.levels) > 2:
        node = tree.levels[1][0]
        assert node not in leaves
        assert not verify(tree.proof(0)[1:], root, node)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=40), min_size=3, max_size=40, unique=True), st.binary(max_size=40))
def test_the_root_commits_to_the_lines(lines, extra):
    """Adding, dropping or moving a line to another pair changes the root. (Swapping the two
    lines of one pair does not: pairs are hashed sorted, as OpenZeppelin's MerkleProof expects.)"""
    root = MerkleTree(lines).root
    assert MerkleTree(list(lines)).root == root
    if extra not in lines:
        assert MerkleTree(lines + [extra]).root != root
        assert MerkleTree([extra] + lines[1:]).root != root
    assert MerkleTree(lines[:-1]).root != root
    assert MerkleTree(lines[1:] + lines[:1]).root != root  # rotated: every pair changes
    assert MerkleTree([lines[1], lines[0], *lines[2:]]).root == root


def test_an_empty_tree_and_a_missing_line_are_refused():
    with pytest.raises(ValueError):
        MerkleTree([])
    with pytest.raises(IndexError):
        MerkleTree([b"a"]).proof(1)
