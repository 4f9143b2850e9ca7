"""EIP-712 signing: one Python definition, checked against the contract and against Foundry's cast."""

import json
import shutil
import subprocess

import pytest
from eth_account import Account

from swarm_stake.devnet import DEV_MNEMONIC
from swarm_stake.models import Level, Verdict, ViolationClass
from swarm_stake.signing import digest, recover, sign, typed_data


def test_digest_equals_contract_view(system):
    verdict = system.verdict(violation_class=ViolationClass.PROTOCOL_VIOLATION, severity=Level.SEVERE)
    expected = system.VerdictManager.hashVerdict(verdict.as_tuple())
    assert digest(verdict, system.chain.chain_id, system.VerdictManager.address) == bytes(expected)


def test_digest_depends_on_chain_and_contract(system):
    verdict = system.verdict()
    here = digest(verdict, system.chain.chain_id, system.VerdictManager.address)
    assert digest(verdict, system.chain.chain_id + 1, system.VerdictManager.address) != here
    assert digest(verdict, system.chain.chain_id, system.StakeManager.address) != here


def test_python_signature_recovers_signer_and_is_low_s(system):
    verdict = system.verdict()
    oracle = system.key(system.oracles[0])
    signature = sign(verdict, system.chain.chain_id, system.VerdictManager.address, oracle)
    assert recover(verdict, system.chain.chain_id, system.VerdictManager.address, signature) == oracle.address
    s = int.from_bytes(signature[32:64], "big")
    assert s <= 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0


def test_cast_signature_of_same_typed_data_is_accepted_on_chain(system, tmp_path):
    """Foundry's `cast wallet sign --data` (an independent EIP-712 implementation) signs our typed data;
    the VerdictManager accepts those signatures and executes the verdict."""
    cast = shutil.which("cast")
    assert cast, "cast is installed by `make setup` (npm @foundry-rs/cast)"
    verdict = system.verdict()
    document = tmp_path / "verdict.json"
    document.write_text(json.dumps(typed_data(verdict, system.chain.chain_id, system.VerdictManager.address)))
    signatures = []
    for oracle in system.oracles[:3]:
        index = next(i for i in range(len(system.accounts)) if system.accounts[i].address == oracle.address)
        result = subprocess.run(
            [cast, "wallet", "sign", "--data", "--from-file", str(document),
             "--mnemonic", DEV_MNEMONIC, "--mnemonic-index", str(index)],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        signatures.append(bytes.fromhex(result.stdout.strip().removeprefix("0x")))
    python_signature = sign(verdict, system.chain.chain_id, system.VerdictManager.address, system.key(system.oracles[0]))
    assert signatures[0] == python_signature  # RFC 6979: deterministic, so both implementations agree
    tx = system.VerdictManager.submit(verdict.as_tuple(), signatures, sender=system.outsider)
    assert [e.signer for e in tx.events.filter(system.VerdictManager.VerdictApproved)] == [
        o.address for o in system.oracles[:3]
    ]
    assert len(tx.events.filter(system.VerdictManager.VerdictExecuted)) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("incident_id", "0x1234"), ("provider", "0xnothex"), ("committee_epoch", 0), ("observed_at", -1),
     ("severity", 7), ("evidence_hash", b"short")],
)  # fmt: skip
def test_verdict_model_rejects_bad_fields(field, value):
    fields = {
        "incident_id": "0x" + "11" * 32, "provider": "0x" + "22" * 20, "violation_class": 0, "severity": 1,
        "evidence_hash": "0x" + "33" * 32, "observed_at": 100, "deadline": 200, "committee_epoch": 1,
    }  # fmt: skip
    Verdict(**fields)
    with pytest.raises(ValueError):
        Verdict(**{**fields, field: value})


def test_signature_over_tampered_verdict_recovers_someone_else(system):
    verdict = system.verdict()
    oracle = system.key(system.oracles[0])
    signature = sign(verdict, 31337, system.VerdictManager.address, oracle)
    tampered = verdict.model_copy(update={"severity": Level.SEVERE})
    assert recover(tampered, 31337, system.VerdictManager.address, signature) != oracle.address
