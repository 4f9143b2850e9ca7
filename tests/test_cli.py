"""The `swarm-stake` command run as users run it: a subprocess, exit codes, no tracebacks."""

import json
import os
import signal
import subprocess
import sys

from web3 import Web3

CLI = [sys.executable, "-m", "swarm_stake.cli"]


def run(*args, env=None, timeout=60):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, env=env)


def test_help_lists_commands():
    result = run("--help")
    assert result.returncode == 0
    assert "devnet" in result.stdout and "demo" in result.stdout


def test_unknown_command_is_a_usage_error():
    result = run("frobnicate")
    assert result.returncode == 2
    assert "No such command" in result.stderr


def test_devnet_up_rejects_invalid_port():
    result = run("devnet", "up", "--port", "70000")
    assert result.returncode == 2
    assert "70000" in result.stderr
    assert "Traceback" not in result.stderr


def test_devnet_up_without_anvil_fails_cleanly(tmp_path):
    env = {**os.environ, "SWARM_STAKE_ANVIL": str(tmp_path / "missing-anvil")}
    result = run("devnet", "up", env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("error: SWARM_STAKE_ANVIL points to")
    assert "Traceback" not in result.stderr


def test_devnet_up_serves_a_deployed_chain_until_terminated(tmp_path):
    registry_path = tmp_path / "devnet.json"
    process = subprocess.Popen(
        [*CLI, "devnet", "up", "--json", "--registry", str(registry_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        info = json.loads(process.stdout.readline())
        w3 = Web3(Web3.HTTPProvider(info["rpc_url"]))
        assert w3.eth.chain_id == 31337
        for address in info["contracts"].values():
            assert len(w3.eth.get_code(address)) > 0
        assert json.loads(registry_path.read_text())["contracts"] == info["contracts"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    assert not Web3(Web3.HTTPProvider(info["rpc_url"])).is_connected()
