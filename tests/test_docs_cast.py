"""docs/protocol.md, "For integrators", cannot drift from the contracts: its enum numbers are the
interfaces', its call signatures are in the shipped ABIs, each typed-data example is what
swarm_stake.signing builds and signs to the same signature with Foundry's `cast`, on a deployed devnet
too, and its `cast` walk-through of one incident runs as written against that devnet.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from docs_support import DOCS, ROOT, TOOL_DIRS, fenced_blocks, require_tools, run_script, section, tool_path
from swarm_stake.abis import load_abi
from swarm_stake.devnet import DEV_MNEMONIC, Devnet, dev_account
from swarm_stake.models import AuditProof, Phase, RestorationAttestation, Verdict
from swarm_stake.signing import digest, sign, typed_data
from swarm_stake.staking import Staking

PROTOCOL = DOCS / "protocol.md"
INTEGRATORS = "For integrators: numbers, calls and typed data with `cast`"
CAST = TOOL_DIRS[0] / "cast"
MODELS = {"Verdict": Verdict, "AuditProof": AuditProof, "RestorationAttestation": RestorationAttestation}
#: The contract that verifies each message (its EIP-712 domain) and the view that hashes it.
VERIFIER = {"Verdict": ("VerdictManager", "hashVerdict"), "AuditProof": ("RecoveryEscrow", "hashAuditProof"),
            "RestorationAttestation": ("RecoveryEscrow", "hashAttestation")}  # fmt: skip
#: Who signs each message: committee members 10 and 11, the auditor 9 (dev accounts of a devnet).
SIGNER = {"Verdict": 10, "AuditProof": 9, "RestorationAttestation": 11}


def examples() -> list[dict]:
    return [json.loads(block) for block in fenced_blocks(PROTOCOL, "json typed-data")]


def model_of(document: dict) -> object:
    snake = {re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower(): value for key, value in document["message"].items()}
    return MODELS[document["primaryType"]].model_validate(snake)


def cast_sign(document: dict, index: int, directory: Path) -> bytes:
    """`cast wallet sign --data --from-file` of ``document`` with dev account ``index``."""
    path = directory / f"{document['primaryType']}-{index}.json"
    path.write_text(json.dumps(document))
    result = subprocess.run([str(CAST), "wallet", "sign", "--data", "--from-file", str(path),
                             "--mnemonic", DEV_MNEMONIC, "--mnemonic-index", str(index)],
                            capture_output=True, text=True, timeout=30)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return bytes.fromhex(result.stdout.strip().removeprefix("0x"))


# -- enums and calls ---------------------------------------------------------------------------


def interface_enums() -> dict[str, list[str]]:
    """``{"IVerdictManager.Phase": ["None", "Detected", ...]}`` from contracts/interfaces/*.sol."""
    enums = {}
    for path in sorted((ROOT / "contracts" / "interfaces").glob("*.sol")):
        source = re.sub(r"//[^\n]*|/\*.*?\*/", "", path.read_text(), flags=re.S)
        for name, body in re.findall(r"\benum\s+(\w+)\s*\{([^}]*)\}", source):
            enums[f"{path.stem}.{name}"] = [value.strip() for value in body.split(",") if value.strip()]
    return enums


def test_enum_numbering_is_the_interfaces():
    rows = re.findall(r"^\| `(I\w+\.\w+)` \|[^|]*\| ([^|]*) \|$", section(PROTOCOL, "Enum numbering"), re.M)
    documented = {name: [value.split(" ", 1) for value in values.strip().split(", ")] for name, values in rows}
    enums = interface_enums()
    assert set(documented) == set(enums), "every enum of the interfaces has its row, and no other"
    for name, values in documented.items():
        assert values == [[str(i), value] for i, value in enumerate(enums[name])], name


def canonical(entry: dict) -> str:
    def kind(item: dict) -> str:
        if item["type"].startswith("tuple"):
            return "(" + ",".join(map(kind, item["components"])) + ")" + item["type"][len("tuple"):]
        return item["type"]

    return f"{entry['name']}({','.join(map(kind, entry['inputs']))})"


def test_call_signatures_are_in_the_shipped_abis():
    rows = re.findall(r"^\| (\w+) \| `([^`]+)` \|", section(PROTOCOL, "Calls, as `cast` spells them"), re.M)
    assert len(rows) >= 10
    for contract, signature in rows:
        functions = {canonical(entry) for entry in load_abi(contract) if entry["type"] == "function"}
        assert signature in functions, f"{contract} has no {signature}"


# -- typed data --------------------------------------------------------------------------------


def test_each_signed_message_has_an_example_built_as_swarm_stake_signing_builds_it():
    documents = examples()
    assert [d["primaryType"] for d in documents] == ["Verdict", "AuditProof", "RestorationAttestation"]
    for document in documents:
        domain = document["domain"]
        assert document == typed_data(model_of(document), domain["chainId"], domain["verifyingContract"])


def test_cast_signs_each_example_as_written_as_swarm_stake_signing_does(tmp_path):
    for document in examples():
        domain, index = document["domain"], SIGNER[document["primaryType"]]
        expected = sign(model_of(document), domain["chainId"], domain["verifyingContract"], dev_account(index))
        assert cast_sign(document, index, tmp_path) == expected, document["primaryType"]


# -- on a devnet -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def devnet():
    """A devnet as `devnet up` deploys it (a block a second) with provider dev account 1 registered."""
    with Devnet(block_time=1) as chain:
        registry = chain.deploy()
        Staking(chain.client(1), registry).register(chain.accounts[2].address, 5_000 * 10**18, "http://node/health")
        yield chain


def test_examples_with_the_live_domain_are_signed_alike_and_recover_on_chain(devnet, tmp_path):
    """With the devnet's chain id and contract filled in, cast's signature is swarm_stake's, and it recovers
    to the signer over the digest that the verifying contract's own `hash...` view computes."""
    registry, w3 = devnet.registry, Web3(Web3.HTTPProvider(devnet.rpc_url))
    for document in examples():
        name, view = VERIFIER[document["primaryType"]]
        address = registry.address(name)
        document["domain"].update(chainId=w3.eth.chain_id, verifyingContract=address)
        index, message = SIGNER[document["primaryType"]], model_of(document)
        signature = cast_sign(document, index, tmp_path)
        assert signature == sign(message, w3.eth.chain_id, address, dev_account(index))
        on_chain = getattr(w3.eth.contract(address=address, abi=load_abi(name)).functions, view)(message.as_tuple()).call()
        assert bytes(on_chain) == digest(message, w3.eth.chain_id, address)
        assert Account._recover_hash(bytes(on_chain), signature=signature) == dev_account(index).address


def test_the_cast_walkthrough_runs_as_written_and_executes_the_verdict(devnet, tmp_path):
    require_tools("jq")
    blocks = fenced_blocks(PROTOCOL, "sh cast-walkthrough")
    assert len(blocks) == 1
    devnet.registry.save(tmp_path / "devnet.json")
    verdict_example = next(block for block in fenced_blocks(PROTOCOL, "json typed-data") if '"Verdict"' in block)
    (tmp_path / "verdict-example.json").write_text(verdict_example)  # "saved as verdict-example.json"
    provider = devnet.accounts[1].address
    env = {"PATH": tool_path(), "HOME": str(tmp_path), "ETH_RPC_URL": devnet.rpc_url, "PROVIDER": provider}
    result = run_script(blocks[0], tmp_path, env, timeout=120)
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"

    w3 = Web3(Web3.HTTPProvider(devnet.rpc_url))
    manager = w3.eth.contract(address=devnet.registry.address("VerdictManager"), abi=load_abi("VerdictManager"))
    executed = manager.events.VerdictExecuted().get_logs(from_block=0)
    assert len(executed) == 1 and executed[0]["args"]["provider"] == provider
    incident = executed[0]["args"]["incidentId"]
    lens = w3.eth.contract(address=devnet.registry.address("SwarmLens"), abi=load_abi("SwarmLens"))
    assert lens.functions.stateOf(incident).call() == Phase.RESPONDED
    verdict = json.loads((tmp_path / "verdict.json").read_text())
    assert verdict["message"]["incidentId"] == "0x" + bytes(incident).hex()
    signers = [e["args"]["signer"] for e in manager.events.VerdictApproved().get_logs(from_block=0)]
    assert signers == [dev_account(10).address, dev_account(11).address]
    # what the reads printed: the phase (2, Responded), then the digest, from getIncident and from hashVerdict
    stored_digest = "0x" + bytes(manager.functions.getIncident(incident).call()[1]).hex()
    printed = result.stdout.strip().splitlines()
    assert printed[-4:] == [str(int(Phase.RESPONDED)), printed[-3], stored_digest, stored_digest], printed[-4:]
