"""Every file the CLI reads, corrupted at random, gives a clean failure: `error: ...` on one line of
stderr and exit code 1 (or click's usage error, exit 2), never a traceback.

The commands run in-process (click's CliRunner) against an RPC URL where nothing listens, so no
transaction can be sent; and each file is checked before the command connects: the run reaches
the network ("cannot reach the JSON-RPC endpoint") exactly when the corrupted file still loads
with the library's own loader, i.e. the corruption happened to leave a valid file.

Corruptions: truncation, bit flips, overwritten and inserted random bytes (non-UTF-8 among them),
random files, and JSON-aware ones (a value of the wrong type, huge numbers, NaN, hex of the wrong
length, lone surrogates, deep nesting, a key removed or added).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from eth_account import Account
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from swarm_stake.accounts import read_password_file, read_private_key, unlock
from swarm_stake.audit import load_bundle, load_proof, prepare, sign_bundle
from swarm_stake.cli import main
from swarm_stake.cli.oracle import _load as load_signed_file
from swarm_stake.cli.runtime import hash_json_file
from swarm_stake.deploy import DeployParams, Registry
from swarm_stake.models import RestorationAttestation, Verdict
from swarm_stake.settings import load_settings
from swarm_stake.signed_files import SignedEntry, SignedMessageFile
from swarm_stake.signing import sign

pytestmark = pytest.mark.unit

DEAD_RPC = "http://127.0.0.1:9"
UNREACHABLE = "cannot reach the JSON-RPC endpoint"
PASSWORD = "fuzz-password"
INCIDENT = "0x" + "ab" * 32
CONTRACTS = ("SwarmToken", "StakeManager", "OracleCommittee", "VerdictManager", "AppealCourt", "RecoveryEscrow",
             "SwarmTimelock")  # fmt: skip
SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip

ORACLES = [Account.from_key(bytes([i]) * 32) for i in (1, 2)]
AUDITOR = Account.from_key(b"\x09" * 32)


# -- valid files -------------------------------------------------------------------------------


class Files:
    """A home with a keystore, a password file, a registry and one valid file of each kind."""

    def __init__(self, root: Path):
        self.root = root
        self.keystores = root / "keystores"
        self.keystores.mkdir()
        self.keystore = self.keystores / "oracle.json"
        self.keystore.write_text(json.dumps(Account.encrypt(ORACLES[1].key, PASSWORD, kdf="pbkdf2", iterations=1000)))
        self.password = root / "password"
        self.password.write_text(PASSWORD + "\n")
        self.contracts = {name: "0x" + f"{i + 1:02x}" * 20 for i, name in enumerate(CONTRACTS)}
        params = DeployParams.model_validate(json.loads(Path("deployments/params/local.json").read_text()))
        self.registry = root / "registry.json"
        Registry(network="local", chain_id=31337, start_block=0, contracts=self.contracts, params=params).save(self.registry)
        self.params = root / "params.json"
        self.params.write_text(Path("deployments/params/local.json").read_text())

        verdict = Verdict(incident_id=INCIDENT, provider="0x" + "77" * 20, violation_class=1, severity=1,
                          evidence_hash="0x" + "ee" * 32, observed_at=1_700_000_000, deadline=1_700_000_600,
                          committee_epoch=1)  # fmt: skip
        attestation = RestorationAttestation(incident_id=INCIDENT, observation_epoch=2, committee_epoch=1, healthy=True,
                                             data_intact=True, observed_at=1_700_000_000)  # fmt: skip
        self.verdict = self._signed(verdict, "Verdict", self.contracts["VerdictManager"], "verdict.json")
        self.attestation = self._signed(attestation, "RestorationAttestation", self.contracts["RecoveryEscrow"],
                                        "attestation.json")  # fmt: skip
        self.evidence = root / "evidence.json"
        self.evidence.write_text(json.dumps({"provider": "0x" + "77" * 20, "rule": "uptime", "uptime": 0.2,
                                             "samples": [1, 2.5, None, True, "é"], "sla": {"target": 0.99}}))  # fmt: skip
        logs = root / "logs"
        logs.mkdir()
        (logs / "node.log").write_text("node restarted\nhealth OK\n")
        (root / "report.md").write_text("audit: fixed\n")
        (root / "remediation.md").write_text("image rebuilt\n")
        bundle = prepare(INCIDENT, "0x" + "77" * 20, logs, root / "report.md", root / "remediation.md")
        self.bundle = root / "bundle.json"
        self.bundle.write_text(bundle.model_dump_json(indent=2))
        proof = sign_bundle(bundle, AUDITOR, 31337, self.contracts["RecoveryEscrow"], 1_700_000_000, 1_700_100_000)
        self.proof = root / "proof.json"
        self.proof.write_text(proof.model_dump_json(indent=2))
        self.config = root / "config.toml"
        self.config.write_text(f'rpc_url = "{DEAD_RPC}"\nregistry = "{self.registry}"\nkeystore = "oracle"\n'
                               f'keystore_dir = "{self.keystores}"\nconfirmations = 1\n')  # fmt: skip
        self.key = root / "key.hex"
        self.key.write_text("0x" + "5a" * 32 + "\n")
        self.empty_password = root / "empty-password"
        self.empty_password.write_text("")
        self.count = 0

    def _signed(self, message: Any, kind: str, contract: str, name: str) -> Path:
        entries = [SignedEntry(signer=ORACLES[0].address, signature="0x" + sign(message, 31337, contract, ORACLES[0]).hex())]
        document = SignedMessageFile(type=kind, message=message.model_dump(mode="json"), chain_id=31337,
                                     verifying_contract=contract, signatures=entries)  # fmt: skip
        path = self.root / name
        path.write_text(document.model_dump_json(indent=2))
        return path

    def fresh(self, suffix: str = ".json") -> Path:
        """A path nothing exists at (for --out and corrupted copies)."""
        self.count += 1
        return self.root / f"fuzz-{self.count}{suffix}"


@pytest.fixture(scope="module", autouse=True)
def interpreter_recursion_limit():
    """The CLI runs with Python's default recursion limit; the test process may have raised it (to a
    depth where a deeply nested JSON file overflows the C stack inside the json module)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    yield
    sys.setrecursionlimit(limit)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    cwd = Path.cwd()
    root = tmp_path_factory.mktemp("cli-files")
    files = Files(root)
    os.chdir(root)  # no ./swarm-stake.toml is picked up
    yield files
    os.chdir(cwd)


# -- corruption --------------------------------------------------------------------------------

class Raw(str):
    """JSON text written as is (NaN, a 5000-digit number, a lone surrogate escape, deep nesting)."""


def raw(text: str) -> Raw:
    return Raw(text)


JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20))
WRONG_VALUES = st.one_of(
    st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                 max_leaves=6),  # fmt: skip
    st.sampled_from([-1, 0, 2**64, 2**256, -(2**255), 10**80, 1e308, "", "0x", "0x" + "0" * 63, "0x" + "f" * 65,
                     "0x" + "zz" * 32, "0x" + "00" * 20, "0X" + "AB" * 32, "Verdict", "swarm-stake/audit-proof"]),
    st.sampled_from([raw("NaN"), raw("Infinity"), raw("-Infinity"), raw("1e400"), raw("9" * 5000), raw("-" + "1" * 4400),
                     raw('"\\ud800"'), raw('"\\udfff x"'), raw("[" * 600 + "]" * 600), raw("[" * 100_000 + "]" * 100_000),
                     raw("1.0e-400"), raw("123456789012345678901234567890.5")]),
)  # fmt: skip


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replace(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(copy[head], rest, new)
    return copy


def _delete(value: Any, path: tuple) -> Any:
    if len(path) == 1:
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if k != path[0]}
        return value[: path[0]] + value[path[0] + 1:]
    head = path[0]
    if isinstance(value, dict):
        return {**value, head: _delete(value[head], path[1:])}
    copy = list(value)
    copy[head] = _delete(copy[head], path[1:])
    return copy


def _dump(value: Any, indent: int | None) -> bytes:
    """``value`` as JSON text, each Raw spliced in as written."""
    texts: list[str] = []

    def mark(item: Any) -> Any:
        if isinstance(item, Raw):
            texts.append(str(item))
            return f"RAW-{len(texts) - 1}-RAW"
        if isinstance(item, dict):
            return {key: mark(v) for key, v in item.items()}
        if isinstance(item, list):
            return [mark(v) for v in item]
        return item

    text = json.dumps(mark(value), indent=indent, ensure_ascii=False)
    for index, piece in enumerate(texts):
        text = text.replace(f'"RAW-{index}-RAW"', piece)
    return text.encode("utf-8", "surrogatepass")


@st.composite
def corrupted(draw, original: bytes, is_json: bool = True) -> bytes:
    kinds = ["truncate", "bit", "overwrite", "insert", "random", "empty", "non-utf8"]
    if is_json:
        kinds += ["value", "value", "value", "delete", "add", "wrap"]
    kind = draw(st.sampled_from(kinds), label="kind")
    if kind == "truncate":
        return original[: draw(st.integers(0, len(original) - 1))]
    if kind == "bit":
        bit = draw(st.integers(0, 8 * len(original) - 1))
        data = bytearray(original)
        data[bit // 8] ^= 1 << (bit % 8)
        return bytes(data)
    if kind == "overwrite":
        start = draw(st.integers(0, len(original) - 1))
        junk = draw(st.binary(min_size=1, max_size=16))
        return original[:start] + junk + original[start + len(junk):]
    if kind == "insert":
        start = draw(st.integers(0, len(original)))
        return original[:start] + draw(st.binary(min_size=1, max_size=16)) + original[start:]
    if kind == "random":
        return draw(st.binary(max_size=300))
    if kind == "empty":
        return b""
    if kind == "non-utf8":
        start = draw(st.integers(0, len(original)))
        return original[:start] + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80\x80", b"\xfe\xff"])) + original[start:]
    value = json.loads(original)
    paths = _paths(value)
    indent = draw(st.sampled_from([None, 2]))
    if kind == "value":
        path = draw(st.sampled_from(paths), label="path")
        return _dump(_replace(value, path, draw(WRONG_VALUES, label="new")), indent)
    if kind == "delete" and len(paths) > 1:
        return _dump(_delete(value, draw(st.sampled_from(paths[1:]), label="path")), indent)
    if kind == "wrap":
        return _dump(draw(st.sampled_from([[value], {"file": value}, [value, value]])), indent)
    containers = [p for p in paths if isinstance(_get(value, p), dict)] or [()]
    path = draw(st.sampled_from(containers), label="path")
    key = draw(st.sampled_from(["extra", "kind", "signatures", "chain_id", "x" * 300, ""]), label="key")
    inner = _get(value, path)
    if not isinstance(inner, dict):
        return _dump([value, key], indent)
    return _dump(_replace(value, path, {**inner, key: draw(WRONG_VALUES)}), indent)


def _get(value: Any, path: tuple) -> Any:
    for step in path:
        value = value[step]
    return value


# -- running -----------------------------------------------------------------------------------


def run(files: Files, *args: Any, env: dict[str, str | None] | None = None) -> Any:
    """``swarm-stake ARGS`` in-process, with the fixture's registry, keystore and password."""
    environment: dict[str, str | None] = {key: None for key in os.environ if key.startswith("SWARM_STAKE_")}
    environment.update({
        "SWARM_STAKE_RPC_URL": DEAD_RPC,
        "SWARM_STAKE_REGISTRY": str(files.registry),
        "SWARM_STAKE_HOME": str(files.root),
        "SWARM_STAKE_KEYSTORE_DIR": str(files.keystores),
        "SWARM_STAKE_PASSWORD": PASSWORD,
    })  # fmt: skip
    environment.update(env or {})
    return CliRunner(mix_stderr=False).invoke(main, [str(a) for a in args], env=environment)


def loads(loader: Callable[[], Any]) -> bool:
    """Whether the library's loader accepts the file (any exception: it does not)."""
    try:
        loader()
    except Exception:  # noqa: BLE001
        return False
    return True


def assert_clean(result: Any, file_is_valid: Callable[[], bool] | None = None, reaches_network: bool = True) -> str:
    """A clean failure; with ``file_is_valid``: the command went on to connect exactly when the file is valid."""
    output = result.stdout + result.stderr
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    assert result.exit_code in (1, 2), f"exit {result.exit_code}: {output}"
    if result.exit_code == 1:
        assert result.stderr.startswith("error: "), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert not result.stderr.startswith("error: unexpected "), result.stderr  # the catch-all: a missed error path
    else:
        assert "Usage:" in result.stderr, result.stderr
    if file_is_valid is not None:
        valid = file_is_valid()
        if reaches_network:
            assert (UNREACHABLE in result.stderr) == valid, (valid, result.stderr)
        else:
            assert UNREACHABLE not in result.stderr
            assert valid or result.exit_code in (1, 2)
    return result.stderr


def write_corrupted(files: Files, data: bytes, suffix: str = ".json") -> Path:
    path = files.fresh(suffix)
    path.write_bytes(data)
    return path


def test_valid_files_reach_the_network(files):
    """The baseline: with every file intact each command goes as far as connecting."""
    assert UNREACHABLE in assert_clean(run(files, "--keystore", "oracle", "oracle", "cosign", files.verdict))
    assert UNREACHABLE in assert_clean(run(files, "--keystore", "oracle", "oracle", "submit", files.attestation))
    assert UNREACHABLE in assert_clean(run(files, "--keystore", "oracle", "oracle", "verdict", "--provider", "0x" + "77" * 20,
                                           "--class", "security-breach", "--severity", "penalty", "--evidence",
                                           files.evidence, "--out", files.fresh()))  # fmt: skip
    assert UNREACHABLE in assert_clean(run(files, "--keystore", "oracle", "oracle", "evaluate", INCIDENT, "--report",
                                           files.evidence))  # fmt: skip
    assert UNREACHABLE in assert_clean(run(files, "--keystore", "oracle", "auditor", "sign", files.bundle, "--out", files.fresh()))
    assert UNREACHABLE in assert_clean(run(files, "auditor", "verify", files.proof))
    assert UNREACHABLE in assert_clean(run(files, "--keystore", "oracle", "recovery", "claim", INCIDENT, "--proof", files.proof))
    assert UNREACHABLE in assert_clean(run(files, "--config", files.config, "recovery", "status", INCIDENT,
                                           env={"SWARM_STAKE_RPC_URL": None, "SWARM_STAKE_REGISTRY": None}))  # fmt: skip
    assert UNREACHABLE in assert_clean(run(files, "--keystore", files.keystore, "--password-file", files.password,
                                           "oracle", "cosign", files.verdict, env={"SWARM_STAKE_PASSWORD": None}))  # fmt: skip
    assert UNREACHABLE in assert_clean(run(files, "--keystore", files.keystore, "deploy", "--params", files.params,
                                           "--out", files.fresh()))  # fmt: skip


# -- signed message files: oracle cosign / submit ---------------------------------------------


@SETTINGS
@given(st.data(), st.sampled_from(["cosign", "submit"]), st.sampled_from(["verdict", "attestation"]))
def test_corrupted_signed_message_files(files, data, command, which):
    original = getattr(files, which).read_bytes()
    path = write_corrupted(files, data.draw(corrupted(original), label="file"))
    result = run(files, "--keystore", "oracle", "oracle", command, path)
    assert_clean(result, lambda: loads(lambda: load_signed_file(path)))


@pytest.mark.parametrize(("field", "value", "words"), [
    ("chain_id", 2**300, "chain_id"),
    ("verifying_contract", "not an address", "verifying_contract"),
    ("message", {"incident_id": "0x12"}, "malformed Verdict"),
])  # fmt: skip
def test_signed_message_file_examples(files, field, value, words):
    """Found by the fuzzer: each used to pass the file check and fail later with an unclear error."""
    document = json.loads(files.verdict.read_text())
    document[field] = value
    path = write_corrupted(files, json.dumps(document).encode())
    assert words in assert_clean(run(files, "--keystore", "oracle", "oracle", "cosign", path), lambda: False)


def test_an_altered_signature_byte_is_caught_before_connecting(files):
    """A v of 59 (an EIP-155 value) or the high-s twin still recovers the signer in eth-account; the
    contracts refuse both, and so does the file check."""
    for alter in (lambda sig: sig[:130] + "3b", ):
        document = json.loads(files.verdict.read_text())
        document["signatures"][0]["signature"] = alter(document["signatures"][0]["signature"])
        path = write_corrupted(files, json.dumps(document).encode())
        message = assert_clean(run(files, "--keystore", "oracle", "oracle", "submit", path), lambda: False)
        assert "altered" in message


# -- evidence bundles and reports: oracle verdict / evaluate / reject --------------------------


@SETTINGS
@given(st.data(), st.sampled_from(["verdict", "evaluate", "reject"]))
def test_corrupted_evidence_documents(files, data, command):
    path = write_corrupted(files, data.draw(corrupted(files.evidence.read_bytes()), label="file"))
    if command == "verdict":
        args = ["oracle", "verdict", "--provider", "0x" + "77" * 20, "--class", "security-breach", "--severity",
                "penalty", "--evidence", path, "--out", files.fresh()]  # fmt: skip
    elif command == "evaluate":
        args = ["oracle", "evaluate", INCIDENT, "--report", path]
    else:
        args = ["oracle", "reject", INCIDENT, "--evidence", path]
    result = run(files, "--keystore", "oracle", *args)
    assert_clean(result, lambda: loads(lambda: hash_json_file(path, "evidence")))


@pytest.mark.parametrize("content", [b'{"uptime": NaN}', b'[Infinity]', b'{"a": 1e400}', b'"\\ud800"',
                                     b'{"\\udfff": 1}', b"[" * 300 + b"]" * 300, b"[" * 100_000 + b"]" * 100_000, b"1" * 5000, b"\xff\xfe{}"])  # fmt: skip
def test_evidence_documents_without_a_canonical_form(files, content):
    """Found by the fuzzer: these parsed, then failed to hash (after connecting) with an `unexpected` error."""
    path = write_corrupted(files, content)
    message = assert_clean(run(files, "--keystore", "oracle", "oracle", "reject", INCIDENT, "--evidence", path),
                           lambda: False)  # fmt: skip
    assert str(path) in message


# -- audit bundles and proof files: auditor sign / verify, recovery claim ----------------------


@SETTINGS
@given(st.data())
def test_corrupted_audit_bundles(files, data):
    path = write_corrupted(files, data.draw(corrupted(files.bundle.read_bytes()), label="file"))
    result = run(files, "--keystore", "oracle", "auditor", "sign", path, "--out", files.fresh())
    assert_clean(result, lambda: loads(lambda: load_bundle(path)))


@SETTINGS
@given(st.data(), st.sampled_from(["verify", "claim"]))
def test_corrupted_audit_proof_files(files, data, command):
    path = write_corrupted(files, data.draw(corrupted(files.proof.read_bytes()), label="file"))
    if command == "verify":
        result = run(files, "auditor", "verify", path)
    else:
        result = run(files, "--keystore", "oracle", "recovery", "claim", INCIDENT, "--proof", path)
    assert_clean(result, lambda: loads(lambda: load_proof(path)))


# -- the registry, the config file, keystores, password files, parameter and key files ---------


@SETTINGS
@given(st.data(), st.sampled_from(["flag", "env"]))
def test_corrupted_registries(files, data, how):
    path = write_corrupted(files, data.draw(corrupted(files.registry.read_bytes()), label="file"))
    if how == "flag":
        result = run(files, "--registry", path, "recovery", "status", INCIDENT)
    else:
        result = run(files, "recovery", "status", INCIDENT, env={"SWARM_STAKE_REGISTRY": str(path)})
    assert_clean(result, lambda: loads(lambda: Registry.load(path)))


TOML_VALUES = st.one_of(
    st.integers(-(2**70), 2**70).map(str), st.text(max_size=12).map(json.dumps), st.booleans().map(lambda b: str(b).lower()),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "[1, 2]", "{ a = 1 }", '"""x"""', "'''y'''", "1979-05-27T07:32:00Z",
                     '"\\ud800"', "99999999999999999999999", '"' + DEAD_RPC + '"', '"/nonexistent/registry.json"']),
)  # fmt: skip


@st.composite
def corrupted_toml(draw, original: bytes) -> bytes:
    if draw(st.booleans()):
        return draw(corrupted(original, is_json=False))
    lines = original.decode().splitlines()
    index = draw(st.integers(0, len(lines)))
    key = draw(st.sampled_from(["rpc_url", "registry", "keystore", "keystore_dir", "password_file", "password",
                                "confirmations", "config", "unknown", "[table]", "oracle"]))  # fmt: skip
    line = key if key.startswith("[") else f"{key} = {draw(TOML_VALUES)}"
    if index < len(lines) and draw(st.booleans()):
        lines[index] = line
    else:
        lines.insert(index, line)
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@SETTINGS
@given(st.data())
def test_corrupted_config_files(files, data):
    path = write_corrupted(files, data.draw(corrupted_toml(files.config.read_bytes()), label="file"), ".toml")
    result = run(files, "--config", path, "recovery", "status", INCIDENT,
                 env={"SWARM_STAKE_RPC_URL": None, "SWARM_STAKE_REGISTRY": None, "SWARM_STAKE_KEYSTORE_DIR": None,
                      "SWARM_STAKE_PASSWORD": None})  # fmt: skip
    message = assert_clean(result)
    if UNREACHABLE in message:
        assert loads(lambda: load_settings(config=path))


@SETTINGS
@given(st.data())
def test_corrupted_keystores(files, data):
    content = data.draw(corrupted(files.keystore.read_bytes()), label="file")
    # A keystore states its own KDF cost; keep generated costs cheap enough to try (a real one is slow by design).
    try:
        kdf = json.loads(content)["crypto"]["kdfparams"]
        if int(kdf.get("c", 0)) > 100_000 or int(kdf.get("n", 0)) > 2**14:
            return
    except Exception:  # noqa: BLE001, S110 - not even a keystore
        pass
    path = write_corrupted(files, content)
    result = run(files, "--keystore", path, "oracle", "cosign", files.verdict)
    assert_clean(result, lambda: loads(lambda: unlock(path, PASSWORD)))


@SETTINGS
@given(st.data())
def test_corrupted_password_files(files, data):
    path = write_corrupted(files, data.draw(corrupted(files.password.read_bytes(), is_json=False), label="file"), ".txt")
    result = run(files, "--keystore", "oracle", "--password-file", path, "oracle", "cosign", files.verdict,
                 env={"SWARM_STAKE_PASSWORD": None})  # fmt: skip
    assert_clean(result, lambda: loads(lambda: unlock(files.keystore, read_password_file(path))))


@settings(SETTINGS, max_examples=100)
@given(st.data())
def test_corrupted_deployment_parameter_files(files, data):
    path = write_corrupted(files, data.draw(corrupted(files.params.read_bytes()), label="file"))
    result = run(files, "--keystore", "oracle", "deploy", "--params", path, "--out", files.fresh())
    assert_clean(result, lambda: loads(lambda: DeployParams.from_file(path)))


@settings(SETTINGS, max_examples=100)
@given(st.data())
def test_corrupted_private_key_files(files, data):
    """`accounts import --key-file`: an empty password file stops it before a keystore is written."""
    path = write_corrupted(files, data.draw(corrupted(files.key.read_bytes(), is_json=False), label="file"), ".hex")
    name = path.stem
    result = run(files, "--password-file", files.empty_password, "accounts", "import", name, "--key-file", path,
                 env={"SWARM_STAKE_PASSWORD": None})  # fmt: skip
    message = assert_clean(result)
    assert ("empty password" in message) == loads(lambda: read_private_key(path)), message
    assert not (files.keystores / f"{name}.json").exists()


# -- what the fuzzer found, kept as fixed examples ----------------------------------------------


def _keystore_with(files: Files, **changes: Any) -> bytes:
    document = json.loads(files.keystore.read_text())
    document.update(changes)
    return json.dumps(document).encode()


@pytest.mark.parametrize(("kind", "content", "words"), [
    ("password", b"\xb0fuzz-password\n", "not UTF-8"),
    ("keystore", lambda files: _keystore_with(files, version=-1), "not a keystore file"),
    ("keystore", lambda files: _keystore_with(files, crypto={"kdf": "pbkdf2", "cipher": "?"}), "not a keystore file"),
    ("keystore", b"[" * 100_000, "not a keystore file"),
    ("key", b"\xb0x5a5a\n", "does not hold a private key"),
    ("registry", b'{"\\u001b[2J\\r\\n": null}', "Extra inputs"),
    ("registry", b"\xff\xfe{}", "cannot read the deployment registry"),
    ("params", b'{"\\u2028": 1}', "Extra inputs"),
    ("params", b'{"min_self_stake": ' + b"9" * 5000 + b"}", "parameter file"),
])  # fmt: skip
def test_fixed_file_errors(files, kind, content, words):
    data = content(files) if callable(content) else content
    path = write_corrupted(files, data, ".txt" if kind in ("password", "key") else ".json")
    if kind == "password":
        result = run(files, "--keystore", "oracle", "--password-file", path, "oracle", "cosign", files.verdict,
                     env={"SWARM_STAKE_PASSWORD": None})  # fmt: skip
    elif kind == "keystore":
        result = run(files, "--keystore", path, "oracle", "cosign", files.verdict)
    elif kind == "key":
        result = run(files, "accounts", "import", path.stem, "--key-file", path)
    elif kind == "registry":
        result = run(files, "--registry", path, "recovery", "status", INCIDENT)
    else:
        result = run(files, "--keystore", "oracle", "deploy", "--params", path, "--out", files.fresh())
    message = assert_clean(result, lambda: False, reaches_network=False)
    assert words in message
    assert "\x1b" not in message and "\r" not in message and "\u2028" not in message
