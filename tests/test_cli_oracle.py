"""`swarm-stake oracle` verdicts by hand: sign, co-sign, submit (a 2-of-3 committee), and the
signed message files' failure modes. Attestations, evaluations and rejections run in
test_cli_recovery.py, where a claim is under observation."""

import json

from cli_support import (
    COMMITTEE,
    DETECTED,
    ESCROWED,
    RESPONDED,
    assert_error,
    assert_ok,
    cli_chain,  # noqa: F401 - the module's devnet
    sends_nothing,
)
from swarm_stake.devnet import dev_account
from swarm_stake.evidence import evidence_hash
from swarm_stake.models import Level, Verdict, ViolationClass, incident_id
from swarm_stake.signed_files import SignedEntry, SignedMessageFile
from swarm_stake.signing import sign
from swarm_stake.verdicts import VerdictDesk


def evidence(tmp_path, provider):
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps({"provider": provider, "rule": "uptime", "uptime": 0.2, "sla": 0.99}))
    return path


def sign_verdict(cli_chain, tmp_path, provider, keystore="dev10", name="verdict.json"):
    """`oracle verdict` on ``provider`` (poor performance, penalty) into tmp_path/name."""
    out = tmp_path / name
    cli_chain.mine()  # the verdict is observed at the latest block's time
    assert_ok(cli_chain.cli("oracle", "verdict", "--provider", provider, "--class", "poor-performance", "--severity",
                        "penalty", "--evidence", evidence(tmp_path, provider), "--out", out, keystore=keystore))  # fmt: skip
    return out


def verdict_file(cli_chain, tmp_path, provider, signers=(COMMITTEE[0],), name="verdict.json"):
    """What `oracle verdict` (and `oracle cosign`) write, made with the library: for failure paths."""
    desk = VerdictDesk(cli_chain.client(dev_account(COMMITTEE[0])), cli_chain.registry)
    verdict = desk.build(provider, ViolationClass.POOR_PERFORMANCE, Level.PENALTY, "0x" + "ee" * 32, cli_chain.mine())
    entries = [SignedEntry(signer=dev_account(i).address, signature="0x" + desk.sign(verdict, dev_account(i)).hex())
               for i in signers]  # fmt: skip
    document = SignedMessageFile(type="Verdict", message=verdict.model_dump(mode="json"), chain_id=31337,
                                 verifying_contract=cli_chain.verdicts.address, signatures=entries)  # fmt: skip
    path = tmp_path / name
    path.write_text(document.model_dump_json(indent=2))
    return path


def test_verdict_cosign_submit_executes_at_quorum(cli_chain, tmp_path):
    provider, _ = cli_chain.provider(stake=4_000)
    pool = cli_chain.pool(provider.address)
    out = sign_verdict(cli_chain, tmp_path, provider.address)
    document = json.loads(out.read_text())
    message = document["message"]
    assert document["type"] == "Verdict" and document["chain_id"] == 31337
    assert document["verifying_contract"] == cli_chain.verdicts.address
    assert [s["signer"] for s in document["signatures"]] == [cli_chain.address("dev10")]
    assert message["provider"] == provider.address and message["violation_class"] == 0 and message["severity"] == 1
    assert message["evidence_hash"] == evidence_hash(json.loads((tmp_path / "evidence.json").read_text()))
    assert message["incident_id"] == incident_id(provider.address, 0, message["observed_at"], 60)

    result = assert_ok(cli_chain.cli("oracle", "cosign", out, keystore="dev11"))
    assert "2 signatures" in result.stdout
    assert [s["signer"] for s in json.loads(out.read_text())["signatures"]] == [cli_chain.address("dev10"),
                                                                               cli_chain.address("dev11")]  # fmt: skip
    result = assert_ok(cli_chain.cli("oracle", "submit", out, keystore="dev5"))  # anyone may relay and pay the gas
    assert "quorum reached and applied" in result.stdout

    incident = message["incident_id"]
    slashed = pool // 100  # poor performance, penalty: 1%
    assert cli_chain.phase(incident) == RESPONDED
    assert cli_chain.escrow_state(incident) == ESCROWED
    assert cli_chain.escrow.functions.escrowOf(incident).call()[0] == slashed
    assert cli_chain.pool(provider.address) == pool - slashed
    assert cli_chain.manager.functions.statusOf(provider.address).call() == 2  # jailed
    assert cli_chain.manager.functions.getProvider(provider.address).call()[2] == 1  # pool frozen


def test_submit_below_quorum_records_the_approval(cli_chain, tmp_path):
    provider, _ = cli_chain.provider()
    out = sign_verdict(cli_chain, tmp_path, provider.address)
    incident = json.loads(out.read_text())["message"]["incident_id"]
    result = assert_ok(cli_chain.cli("oracle", "submit", out, keystore="dev10"))
    assert "quorum not yet reached" in result.stdout
    assert cli_chain.phase(incident) == DETECTED
    assert cli_chain.escrow_state(incident) == 0

    assert_ok(cli_chain.cli("oracle", "cosign", out, keystore="dev12"))
    assert "quorum reached" in assert_ok(cli_chain.cli("oracle", "submit", out, keystore="dev12")).stdout
    assert cli_chain.phase(incident) == RESPONDED


def test_cosign_twice_is_refused(cli_chain, tmp_path):
    provider, _ = cli_chain.provider()
    out = verdict_file(cli_chain, tmp_path, provider.address)
    before = out.read_bytes()
    with sends_nothing(cli_chain, cli_chain.address("dev10")):
        result = cli_chain.cli("oracle", "cosign", out, keystore="dev10")
    assert_error(result, "already signed")
    assert out.read_bytes() == before


def test_cosign_an_altered_message(cli_chain, tmp_path):
    provider, _ = cli_chain.provider()
    out = verdict_file(cli_chain, tmp_path, provider.address)
    document = json.loads(out.read_text())
    document["message"]["severity"] = 2  # penalty -> severe after the first signature
    out.write_text(json.dumps(document))
    before = out.read_bytes()
    with sends_nothing(cli_chain, cli_chain.address("dev11")):
        result = cli_chain.cli("oracle", "cosign", out, keystore="dev11")
    assert_error(result, "altered", cli_chain.address("dev10"))
    assert out.read_bytes() == before


def test_submit_a_message_signed_for_another_deployment(cli_chain, tmp_path):
    provider, _ = cli_chain.provider()
    out = verdict_file(cli_chain, tmp_path, provider.address, signers=COMMITTEE[:2])
    document = json.loads(out.read_text())
    # Signed (validly) for another contract, as if for another deployment's VerdictManager.
    document["verifying_contract"] = cli_chain.escrow.address
    message = Verdict.model_validate(document["message"])
    document["signatures"] = [{"signer": dev_account(i).address,
                               "signature": "0x" + sign(message, 31337, cli_chain.escrow.address, dev_account(i)).hex()}
                              for i in COMMITTEE[:2]]  # fmt: skip
    out.write_text(json.dumps(document))
    incident = document["message"]["incident_id"]
    with sends_nothing(cli_chain, cli_chain.address("dev5")):
        result = cli_chain.cli("oracle", "submit", out, keystore="dev5")
    assert_error(result, "not this deployment", cli_chain.verdicts.address)
    assert cli_chain.phase(incident) == 0


def test_submit_a_verdict_signed_by_a_non_member(cli_chain, tmp_path):
    provider, _ = cli_chain.provider()
    out = sign_verdict(cli_chain, tmp_path, provider.address, keystore="dev5")  # dev5 is no oracle
    with sends_nothing(cli_chain, cli_chain.address("dev6")):
        result = cli_chain.cli("oracle", "submit", out, keystore="dev6")
    assert_error(result, "not by a member", "committee")


def test_submit_a_truncated_file(cli_chain, tmp_path):
    provider, _ = cli_chain.provider()
    out = verdict_file(cli_chain, tmp_path, provider.address)
    out.write_text(out.read_text()[:200])
    with sends_nothing(cli_chain, cli_chain.address("dev5")):
        result = cli_chain.cli("oracle", "submit", out, keystore="dev5")
    assert_error(result, "not valid JSON", "truncated")


def test_submit_a_file_that_is_not_a_signed_message(cli_chain, tmp_path):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({"kind": "swarm-stake/audit-bundle", "incident_id": "0x" + "00" * 32}))
    with sends_nothing(cli_chain, cli_chain.address("dev5")):
        result = cli_chain.cli("oracle", "submit", path, keystore="dev5")
    assert_error(result, "is not a signed message file")


def test_verdict_refuses_to_overwrite_its_output(cli_chain, tmp_path):
    provider, _ = cli_chain.provider()
    out = verdict_file(cli_chain, tmp_path, provider.address)
    before = out.read_bytes()
    result = cli_chain.cli("oracle", "verdict", "--provider", provider.address, "--class", "security-breach",
                       "--severity", "penalty", "--evidence", evidence(tmp_path, provider.address), "--out", out,
                       keystore="dev11")  # fmt: skip
    assert_error(result, "exists", "another --out")
    assert out.read_bytes() == before


def test_verdict_with_an_unknown_class(cli_chain, tmp_path):
    provider, _ = cli_chain.provider()
    result = cli_chain.cli("oracle", "verdict", "--provider", provider.address, "--class", "rudeness", "--severity",
                       "penalty", "--evidence", evidence(tmp_path, provider.address), "--out", tmp_path / "v.json",
                       keystore="dev10")  # fmt: skip
    assert_error(result, "rudeness", "poor-performance", code=2)
    assert not (tmp_path / "v.json").exists()


def test_bond_posts_the_operator_bond(cli_chain):
    account = cli_chain.fresh("bonder", tokens=2_000)
    committee = cli_chain.contract("OracleCommittee")
    result = assert_ok(cli_chain.cli("oracle", "bond", "1500", keystore="bonder"))
    assert "bond of" in result.stdout
    assert committee.functions.bondOf(account.address).call()[0] == 1_500 * 10**18
    assert cli_chain.balance(account.address) == 500 * 10**18


def test_bond_above_the_balance_sends_nothing(cli_chain):
    account = cli_chain.fresh("poor-bonder", tokens=10)
    with sends_nothing(cli_chain, account.address):
        result = cli_chain.cli("oracle", "bond", "11", keystore="poor-bonder")
    assert_error(result, "balance is too low")


# -- the daemon's commands ----------------------------------------------------------------------


def test_run_serves_health_and_stops_cleanly_on_sigterm(cli_chain, tmp_path):
    import signal
    import socket
    import subprocess
    import sys
    import time

    import requests

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    state = tmp_path / "oracle-state"
    command = [sys.executable, "-m", "swarm_stake.cli", "--keystore", "dev10", "oracle", "run", "--state-dir",
               str(state), "--listen", f"127.0.0.1:{port}", "--interval", "0.2"]
    process = subprocess.Popen(command, env=cli_chain.env(), cwd=cli_chain.work, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        health = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
                if health.status_code == 200 and health.json()["chain_ok"]:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        assert health is not None and health.status_code == 200, process.stderr.read() if process.poll() else ""
        assert health.json()["oracle"] == dev_account(10).address
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    logs = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert any(entry["msg"] == "oracle started" for entry in logs)  # JSON-lines logs
    assert (state / "oracle.db").is_file() and (state / "evidence").is_dir()


def test_run_refuses_a_malformed_listen_address(cli_chain, tmp_path):
    result = cli_chain.cli("oracle", "run", "--state-dir", tmp_path, "--listen", "nonsense", keystore="dev10")
    assert_error(result, "HOST:PORT")


def test_run_refuses_a_port_in_use(cli_chain, tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = cli_chain.cli("oracle", "run", "--state-dir", tmp_path, "--listen", f"127.0.0.1:{port}",
                               keystore="dev10")
    assert_error(result, "cannot listen", str(port))


def test_run_without_a_keystore_asks_for_one(cli_chain, tmp_path):
    assert_error(cli_chain.cli("oracle", "run", "--state-dir", tmp_path), "--keystore")


def test_run_refuses_invalid_oracle_settings(cli_chain, tmp_path):
    config = tmp_path / "swarm-stake.toml"
    config.write_text("[oracle]\nconfirmations = -1\n")
    result = cli_chain.cli("--config", config, "oracle", "run", keystore="dev10")
    assert_error(result, "confirmations")


def test_replay_of_a_missing_feed(cli_chain, tmp_path):
    assert_error(cli_chain.cli("oracle", "replay", tmp_path / "absent.jsonl"), "feed not found")
