"""`swarm-stake recovery` from a slashed provider's side, with the oracle's attestations,
evaluation and rejection by hand: prepare -> (auditor sign) -> claim -> attest each epoch ->
evaluate -> release, then every way a claim or a release can be refused."""

import json

from cli_support import (
    ATTESTED,
    AUDITOR,
    CLOSED,
    COMMITTEE,
    EVALUATED,
    OBSERVING,
    REJECTED,
    RELEASED,
    RESTORING,
    assert_error,
    assert_ok,
    cli_chain,  # noqa: F401 - the module's devnet
    json_out,
    sends_nothing,
)
from eth_utils import keccak

from swarm_stake.devnet import dev_account, devnet_params
from swarm_stake.merkle import MerkleTree
from swarm_stake.models import Level, ViolationClass
from swarm_stake.recovery import RecoveryDesk
from swarm_stake.signed_files import SignedEntry, SignedMessageFile

_DEVNET_RECOVERY = devnet_params().recovery
EPOCH = _DEVNET_RECOVERY.epoch_length  # devnet: 10 s epochs, 3 of them, then a 5 s challenge window
EPOCHS = _DEVNET_RECOVERY.epochs_required
CHALLENGE = _DEVNET_RECOVERY.challenge_window
CLAIM_WINDOW = _DEVNET_RECOVERY.claim_window
APPEAL_WINDOW = devnet_params().windows.appeal_window


def breach(cli_chain, operator_name=None):
    """A provider slashed for a security breach (penalty: 10%, half recoverable after a security review)."""
    provider, operator = cli_chain.provider(stake=4_000, operator_name=operator_name)
    return provider, operator, cli_chain.execute_verdict(provider.address, ViolationClass.SECURITY_BREACH, Level.PENALTY)


def test_recovery_from_prepare_to_release(cli_chain, tmp_path):
    provider, operator, verdict = breach(cli_chain, operator_name="rec-operator")
    incident = verdict.incident_id
    escrowed = cli_chain.escrow.functions.escrowOf(incident).call()[0]
    recoverable = escrowed // 2

    # prepare: every line of every log file (sorted by path, nested too) is a Merkle leaf
    logs = tmp_path / "logs"
    (logs / "02-after").mkdir(parents=True)
    (logs / "01-breach.log").write_bytes(b"10:00 unknown binary detected\r\n10:02 node stopped\n")
    (logs / "02-after" / "rebuild.log").write_bytes(b"10:05 rebuilt from signed image\n10:07 health OK")
    (tmp_path / "report.md").write_text("# Audit\nno findings left\n")
    (tmp_path / "remediation.md").write_text("signed images only; keys rotated\n")
    lines = [b"10:00 unknown binary detected", b"10:02 node stopped", b"10:05 rebuilt from signed image",
             b"10:07 health OK"]  # fmt: skip
    bundle_path = tmp_path / "bundle.json"
    result = assert_ok(cli_chain.cli("recovery", "prepare", incident, "--logs", logs, "--report", tmp_path / "report.md",
                                 "--remediation", tmp_path / "remediation.md", "--out", bundle_path))  # fmt: skip
    assert "4 log lines in 2 files" in result.stdout
    bundle = json.loads(bundle_path.read_text())
    assert bundle["logs_root"] == "0x" + MerkleTree(lines).root.hex()
    assert bundle["incident_id"] == incident and bundle["provider"] == provider.address
    assert bundle["audit_report_hash"] == "0x" + keccak((tmp_path / "report.md").read_bytes()).hex()
    assert bundle["remediation_hash"] == "0x" + keccak((tmp_path / "remediation.md").read_bytes()).hex()
    assert bundle["log_files"] == [{"name": "01-breach.log", "lines": 2}, {"name": "02-after/rebuild.log", "lines": 2}]

    # the auditor signs; the operator files the claim with the proof
    proof_path = tmp_path / "proof.json"
    assert_ok(cli_chain.cli("auditor", "sign", bundle_path, "--out", proof_path, keystore="dev9"))
    result = assert_ok(cli_chain.cli("recovery", "claim", incident, "--proof", proof_path, keystore="rec-operator"))
    assert f"3 observation epochs of {EPOCH} s" in result.stdout
    assert cli_chain.escrow_state(incident) == OBSERVING and cli_chain.phase(incident) == RESTORING
    tree = MerkleTree(lines)
    assert cli_chain.escrow.functions.verifyLogLine(incident, lines[2], tree.proof(2)).call()
    assert not cli_chain.escrow.functions.verifyLogLine(incident, b"10:05 forged line", tree.proof(2)).call()
    status = json_out(cli_chain.cli("recovery", "status", incident, "--json"))
    assert status["state"] == "observing" and status["recovery_path"] == "security_review"
    assert status["escrowed"] == escrowed and status["recoverable"] == recoverable
    assert status["vested"] == 0 and status["epochs_required"] == EPOCHS and status["claim_filed_at"] > 0

    # the committee attests every epoch once it is over (inside its attestation grace): one member signs,
    # another co-signs, a third relays. Blocks advance one second each meanwhile, so that the time the
    # commands take on a busy machine does not push an attestation past its grace.
    rpc = cli_chain.w3.provider.make_request
    filed_at = cli_chain.escrow.functions.claimOf(incident).call()[0]
    rpc("anvil_setBlockTimestampInterval", [1])
    try:
        for epoch in range(EPOCHS):
            rpc("evm_setNextBlockTimestamp", [filed_at + (epoch + 1) * EPOCH])
            rpc("evm_mine", [])
            attestation = tmp_path / f"epoch-{epoch}.json"
            assert_ok(cli_chain.cli("oracle", "attest", incident, "--epoch", epoch, "--out", attestation,
                                    keystore="dev10"))  # fmt: skip
            assert_ok(cli_chain.cli("oracle", "cosign", attestation, keystore="dev11"))
            result = assert_ok(cli_chain.cli("oracle", "submit", attestation, keystore="dev12"))
            assert "quorum reached and applied" in result.stdout
            assert cli_chain.escrow.functions.claimOf(incident).call()[3] == epoch + 1  # vested epochs
    finally:
        rpc("anvil_removeBlockTimestampInterval", [])
    status = json_out(cli_chain.cli("--json", "recovery", "status", incident))
    assert status["state"] == "attested" and status["vested"] == recoverable and status["vested_epochs"] == EPOCHS
    assert cli_chain.escrow_state(incident) == ATTESTED

    # two members approve the evaluation report
    report = tmp_path / "evaluation.json"
    report.write_text(json.dumps({"root_cause": "unsigned image", "actions": ["signed images only"]}))
    assert "quorum not yet reached" in assert_ok(cli_chain.cli("oracle", "evaluate", incident, "--report", report,
                                                           keystore="dev10")).stdout  # fmt: skip
    assert "quorum reached: recorded" in assert_ok(cli_chain.cli("oracle", "evaluate", incident, "--report", report,
                                                             keystore="dev11")).stdout  # fmt: skip
    assert cli_chain.escrow.functions.escrowOf(incident).call()[6] is True
    assert cli_chain.phase(incident) == EVALUATED

    # after the challenge window and the appeal window anyone releases: the pool is refilled, the rest goes
    # to insurance
    cli_chain.jump(max(CHALLENGE, APPEAL_WINDOW))
    pool_before = cli_chain.pool(provider.address)
    insurance_before = cli_chain.escrow.functions.insuranceBalance().call()
    result = assert_ok(cli_chain.cli("recovery", "release", incident, keystore="dev5"))
    assert "recovery complete" in result.stdout
    assert cli_chain.pool(provider.address) == pool_before + recoverable
    assert cli_chain.escrow.functions.insuranceBalance().call() == insurance_before + escrowed - recoverable
    assert cli_chain.escrow_state(incident) == RELEASED and cli_chain.phase(incident) == CLOSED
    assert cli_chain.manager.functions.getProvider(provider.address).call()[2] == 0  # pool unfrozen
    status = json_out(cli_chain.cli("recovery", "status", incident, "--json"))
    assert status["state"] == "released" and status["released"] == recoverable


def test_oracle_reject_a_claim(cli_chain, tmp_path):
    _, operator, verdict = breach(cli_chain)
    cli_chain.file_claim(verdict, operator, tmp_path)
    evidence = tmp_path / "why.json"
    evidence.write_text(json.dumps({"finding": "the node still runs the unsigned image"}))
    first = assert_ok(cli_chain.cli("oracle", "reject", verdict.incident_id, "--evidence", evidence, keystore="dev11"))
    assert "quorum not yet reached" in first.stdout
    assert cli_chain.escrow_state(verdict.incident_id) == OBSERVING
    second = assert_ok(cli_chain.cli("oracle", "reject", verdict.incident_id, "--evidence", evidence, keystore="dev12"))
    assert "quorum reached: recorded" in second.stdout
    assert cli_chain.escrow_state(verdict.incident_id) == REJECTED
    assert json_out(cli_chain.cli("recovery", "status", verdict.incident_id, "--json"))["state"] == "rejected"


# -- proof files -------------------------------------------------------------------------------


def claim_fails(cli_chain, verdict, operator, proof_path, *words, keystore="claimer"):
    cli_chain.add_keystore(keystore, operator)
    with sends_nothing(cli_chain, operator.address):
        result = cli_chain.cli("recovery", "claim", verdict.incident_id, "--proof", proof_path, keystore=keystore)
    assert_error(result, *words)
    assert cli_chain.escrow_state(verdict.incident_id) == 1  # still escrowed, no claim


def test_claim_with_a_tampered_proof(cli_chain, tmp_path):
    _, operator, verdict = breach(cli_chain)
    path = cli_chain.proof(verdict, tmp_path)
    document = json.loads(path.read_text())
    document["proof"]["logs_root"] = "0x" + "00" * 32  # another set of logs than the auditor reviewed
    path.write_text(json.dumps(document))
    claim_fails(cli_chain, verdict, operator, path, "altered", AUDITOR.address)


def test_claim_with_a_truncated_proof(cli_chain, tmp_path):
    _, operator, verdict = breach(cli_chain)
    path = cli_chain.proof(verdict, tmp_path)
    path.write_text(path.read_text()[:150])
    claim_fails(cli_chain, verdict, operator, path, "not valid JSON", "truncated")


def test_claim_with_a_malformed_proof(cli_chain, tmp_path):
    _, operator, verdict = breach(cli_chain)
    path = cli_chain.proof(verdict, tmp_path)
    document = json.loads(path.read_text())
    del document["signature"]
    document["proof"]["expiry"] = "tomorrow"
    path.write_text(json.dumps(document))
    claim_fails(cli_chain, verdict, operator, path, "malformed", "signature", "expiry")


def test_claim_with_a_proof_signed_by_a_non_auditor(cli_chain, tmp_path):
    _, operator, verdict = breach(cli_chain)
    path = cli_chain.proof(verdict, tmp_path, signer=dev_account(5))  # a valid signature, by no auditor
    claim_fails(cli_chain, verdict, operator, path, "not signed by a registered auditor")


def test_claim_with_a_proof_for_another_incident(cli_chain, tmp_path):
    _, operator, verdict = breach(cli_chain)
    _, _, other = breach(cli_chain)
    path = cli_chain.proof(other, tmp_path)
    claim_fails(cli_chain, verdict, operator, path, f"audit proof for incident {other.incident_id}", verdict.incident_id)


def test_claim_with_a_proof_for_another_deployment(cli_chain, tmp_path):
    _, operator, verdict = breach(cli_chain)
    path = cli_chain.proof(verdict, tmp_path, escrow=cli_chain.court.address)
    claim_fails(cli_chain, verdict, operator, path, "not this deployment", cli_chain.escrow.address, "ask the auditor")


def test_claim_with_a_missing_proof_file(cli_chain, tmp_path):
    _, operator, verdict = breach(cli_chain)
    claim_fails(cli_chain, verdict, operator, tmp_path / "nowhere.json", "audit proof file not found", "nowhere.json")


def test_claim_without_a_proof_on_a_security_review(cli_chain, tmp_path):
    _, operator, verdict = breach(cli_chain, operator_name="no-proof")
    with sends_nothing(cli_chain, operator.address):
        result = cli_chain.cli("recovery", "claim", verdict.incident_id, keystore="no-proof")
    assert_error(result, "security_review", "--proof")


def test_claim_with_the_owner_key(cli_chain, tmp_path):
    provider, _, verdict = breach(cli_chain)
    path = cli_chain.proof(verdict, tmp_path)
    claim_fails(cli_chain, verdict, provider, path, "operator key", "--keystore")


def test_claim_of_an_unknown_incident(cli_chain, tmp_path):
    _, operator, verdict = breach(cli_chain)
    path = cli_chain.proof(verdict, tmp_path)
    cli_chain.add_keystore("unknown-claimer", operator)
    unknown = "0x" + "12" * 32
    with sends_nothing(cli_chain, operator.address):
        result = cli_chain.cli("recovery", "claim", unknown, "--proof", path, keystore="unknown-claimer")
    assert_error(result, "no executed incident", unknown, "check the id")


def test_claim_after_the_claim_deadline(cli_chain, tmp_path):
    _, operator, verdict = breach(cli_chain)
    cli_chain.jump(CLAIM_WINDOW + 1)
    path = cli_chain.proof(verdict, tmp_path)  # a fresh proof: only the deadline is wrong
    claim_fails(cli_chain, verdict, operator, path, "claim window", "closed")


# -- windows of observation and release --------------------------------------------------------


def attestation_file(cli_chain, incident, epoch, path):
    """A restoration attestation of ``epoch`` signed by two committee members (as oracle attest + cosign write it)."""
    members = [dev_account(i) for i in COMMITTEE[:2]]
    desk = RecoveryDesk(cli_chain.client(members[0]), cli_chain.registry)
    attestation = desk.attestation(incident, epoch, healthy=True, data_intact=True)
    signatures = [SignedEntry(signer=m.address, signature="0x" + desk.sign(attestation, m).hex()) for m in members]
    document = SignedMessageFile(type="RestorationAttestation", message=attestation.model_dump(mode="json"),
                                 chain_id=cli_chain.registry.chain_id, verifying_contract=desk.escrow.address,
                                 signatures=signatures)  # fmt: skip
    path.write_text(document.model_dump_json())
    return path


def test_attestation_submitted_before_its_epoch_ends(cli_chain, tmp_path):
    _, operator, verdict = breach(cli_chain)
    cli_chain.file_claim(verdict, operator, tmp_path)
    path = attestation_file(cli_chain, verdict.incident_id, 0, tmp_path / "epoch-0.json")
    with sends_nothing(cli_chain, cli_chain.address("dev12")):
        result = cli_chain.cli("oracle", "submit", path, keystore="dev12")
    assert_error(result, "epoch has not ended yet", "endsAt")
    assert cli_chain.escrow.functions.claimOf(verdict.incident_id).call()[3] == 0


def test_release_while_the_incident_can_be_appealed(cli_chain, tmp_path):
    # Compliance verification: the audit proof vests everything at once, payable after the challenge window,
    # but nothing is released while the provider may still appeal (the devnet's appeal window is longer).
    assert APPEAL_WINDOW > CHALLENGE
    provider, operator = cli_chain.provider(stake=4_000)
    verdict = cli_chain.execute_verdict(provider.address, ViolationClass.PROTOCOL_VIOLATION, Level.PENALTY)
    cli_chain.file_claim(verdict, operator, tmp_path)
    cli_chain.jump(CHALLENGE + 1)
    pool = cli_chain.pool(provider.address)
    with sends_nothing(cli_chain, cli_chain.address("dev5")):
        result = cli_chain.cli("recovery", "release", verdict.incident_id, keystore="dev5")
    assert_error(result, "can still be appealed", "windowEnd")
    assert cli_chain.pool(provider.address) == pool


def test_release_of_an_unknown_incident(cli_chain):
    unknown = "0x" + "34" * 32
    with sends_nothing(cli_chain, cli_chain.address("dev5")):
        result = cli_chain.cli("recovery", "release", unknown, keystore="dev5")
    assert_error(result, "no executed incident", "check the id")


def test_status_of_an_incident_without_escrow(cli_chain):
    unknown = "0x" + "56" * 32
    result = cli_chain.cli("recovery", "status", unknown, "--json")
    assert_error(result, "no escrow", unknown, "check the id")
    assert result.stdout == ""


# -- prepare -----------------------------------------------------------------------------------


def test_prepare_refuses_to_overwrite_a_bundle(cli_chain, tmp_path):
    _, _, verdict = breach(cli_chain)
    path = cli_chain.bundle(verdict, tmp_path)
    before = path.read_bytes()
    result = cli_chain.cli("recovery", "prepare", verdict.incident_id, "--logs", tmp_path / "logs", "--report",
                       tmp_path / "report.md", "--remediation", tmp_path / "remediation.md", "--out", path)  # fmt: skip
    assert_error(result, "exists", "another --out")
    assert path.read_bytes() == before


def test_prepare_without_the_log_directory(cli_chain, tmp_path):
    _, _, verdict = breach(cli_chain)
    cli_chain.bundle(verdict, tmp_path)
    out = tmp_path / "new-bundle.json"
    result = cli_chain.cli("recovery", "prepare", verdict.incident_id, "--logs", tmp_path / "no-logs", "--report",
                       tmp_path / "report.md", "--remediation", tmp_path / "remediation.md", "--out", out)  # fmt: skip
    assert_error(result, "log directory not found", "no-logs")
    assert not out.exists()
