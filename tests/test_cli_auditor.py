"""`swarm-stake auditor`: sign an audit bundle into a proof file; verify proof files."""

import json

import pytest

from cli_support import (
    AUDITOR,
    assert_error,
    assert_ok,
    cli_chain,  # noqa: F401 - the module's devnet
    json_out,
    sends_nothing,
)
from swarm_stake.audit import load_proof
from swarm_stake.devnet import dev_account
from swarm_stake.models import Level, ViolationClass

DAY = 86400


@pytest.fixture
def verdict(cli_chain):
    provider, _ = cli_chain.provider(stake=3_000)
    return cli_chain.execute_verdict(provider.address, ViolationClass.SECURITY_BREACH, Level.PENALTY)


def test_sign_and_verify(cli_chain, verdict, tmp_path):
    bundle_path = cli_chain.bundle(verdict, tmp_path)
    bundle = json.loads(bundle_path.read_text())
    out = tmp_path / "proof.json"
    with sends_nothing(cli_chain, AUDITOR.address):  # signing is off cli_chain
        result = assert_ok(cli_chain.cli("auditor", "sign", bundle_path, "--valid-for", "2 days", "--out", out,
                                     keystore="dev9"))  # fmt: skip
    assert f"audit proof for {verdict.incident_id} by {AUDITOR.address}" in result.stdout

    proof_file = load_proof(out)  # raises unless the signature is the named auditor's
    assert proof_file.auditor == AUDITOR.address and proof_file.signer() == AUDITOR.address
    assert proof_file.chain_id == 31337 and proof_file.escrow == cli_chain.escrow.address
    proof = proof_file.proof
    assert (proof.incident_id, proof.provider, proof.logs_root, proof.audit_report_hash, proof.remediation_hash) == (
        bundle["incident_id"], bundle["provider"], bundle["logs_root"], bundle["audit_report_hash"],
        bundle["remediation_hash"],
    )  # fmt: skip
    assert proof.expiry - proof.issued_at == 2 * DAY
    assert abs(proof.issued_at - cli_chain.now()) <= 5

    human = assert_ok(cli_chain.cli("auditor", "verify", out))
    assert "the proof is valid" in human.stdout and "FAIL" not in human.stdout
    report = json_out(cli_chain.cli("auditor", "verify", out, "--json"))
    assert report["valid"] is True and report["auditor"] == AUDITOR.address
    assert all(report["checks"].values()) and len(report["checks"]) == 5


def test_sign_with_a_key_that_is_not_an_auditor(cli_chain, verdict, tmp_path):
    bundle_path = cli_chain.bundle(verdict, tmp_path)
    out = tmp_path / "proof.json"
    with sends_nothing(cli_chain, cli_chain.address("dev5")):
        result = cli_chain.cli("auditor", "sign", bundle_path, "--out", out, keystore="dev5")
    assert_error(result, cli_chain.address("dev5"), "not a registered auditor")
    assert not out.exists()


def test_sign_refuses_to_overwrite_a_proof(cli_chain, verdict, tmp_path):
    bundle_path = cli_chain.bundle(verdict, tmp_path)
    out = cli_chain.proof(verdict, tmp_path)
    before = out.read_bytes()
    result = cli_chain.cli("auditor", "sign", bundle_path, "--out", out, keystore="dev9")
    assert_error(result, "exists", "another --out")
    assert out.read_bytes() == before


def test_sign_a_malformed_bundle(cli_chain, verdict, tmp_path):
    bundle_path = cli_chain.bundle(verdict, tmp_path)
    bundle = json.loads(bundle_path.read_text())
    bundle["logs_root"] = "0x1234"
    bundle_path.write_text(json.dumps(bundle))
    out = tmp_path / "proof.json"
    result = cli_chain.cli("auditor", "sign", bundle_path, "--out", out, keystore="dev9")
    assert_error(result, "audit bundle", "malformed", "logs_root")
    assert not out.exists()


def test_sign_with_an_unreadable_duration(cli_chain, verdict, tmp_path):
    bundle_path = cli_chain.bundle(verdict, tmp_path)
    out = tmp_path / "proof.json"
    result = cli_chain.cli("auditor", "sign", bundle_path, "--valid-for", "a fortnight", "--out", out, keystore="dev9")
    assert_error(result, "a fortnight", "7 days")
    assert not out.exists()


def test_verify_a_tampered_proof(cli_chain, verdict, tmp_path):
    path = cli_chain.proof(verdict, tmp_path)
    document = json.loads(path.read_text())
    document["proof"]["expiry"] += 365 * DAY  # stretch the validity after signing
    path.write_text(json.dumps(document))
    result = cli_chain.cli("auditor", "verify", path)
    assert_error(result, "altered", AUDITOR.address)


def test_verify_a_truncated_proof(cli_chain, verdict, tmp_path):
    path = cli_chain.proof(verdict, tmp_path)
    path.write_text(path.read_text()[:-40])
    assert_error(cli_chain.cli("auditor", "verify", path), "not valid JSON", "truncated")


@pytest.mark.parametrize("flaw", ["non-auditor", "other deployment", "expired"])
def test_verify_a_proof_that_fails_a_check(cli_chain, verdict, tmp_path, flaw):
    if flaw == "non-auditor":
        path, failed = cli_chain.proof(verdict, tmp_path, signer=dev_account(5)), "auditor registered"
    elif flaw == "other deployment":
        path, failed = cli_chain.proof(verdict, tmp_path, escrow=cli_chain.court.address), "signed for this deployment"
    else:
        path, failed = cli_chain.proof(verdict, tmp_path, valid_for=10), "not expired"
        cli_chain.jump(11)
    result = cli_chain.cli("auditor", "verify", path)
    assert f"FAIL {failed}" in result.stdout and "the proof is NOT valid" in result.stdout
    assert_error(result, "not valid", failed, "ask a registered auditor")
