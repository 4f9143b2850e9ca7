"""docs/provider.md's walk-through, from `devnet up` to a recovered incident, runs as written.

The ```sh walkthrough-devnet block starts the devnet in the background (the guide's "terminal of its
own"); once it has written devnet-up.json, as the guide waits for, the ```sh walkthrough blocks run in
order as one bash script in the same directory, stopping at the first failing command. The only
things the test adds are a fresh HOME (so keystores land in a scratch ~/.swarm-stake) and a PATH with
the project's tools. Then the chain must show what the guide promises: the incident closed, the
recoverable share back in the pool, the rest in the insurance pool.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
from web3 import Web3

from docs_support import DOCS, fenced_blocks, require_tools, run_script, tool_path
from swarm_stake.abis import load_abi
from swarm_stake.deploy import Registry
from swarm_stake.devnet import devnet_params
from swarm_stake.models import EscrowState, Level, Phase, RecoveryPath, ViolationClass

GUIDE = DOCS / "provider.md"
TOKEN = 10**18


@pytest.fixture
def devnet_up(tmp_path):
    """The guide's devnet block, running in the background in ``tmp_path`` until the test ends."""
    [block] = fenced_blocks(GUIDE, "sh walkthrough-devnet")
    env = {"PATH": tool_path(), "HOME": str(tmp_path)}
    process = subprocess.Popen(["bash", "-c", block], cwd=tmp_path, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        yield process, env
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def wait_for_json(path, process, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"devnet up exited {process.returncode}: {process.stderr.read()}"
        try:
            return json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            time.sleep(0.5)
    pytest.fail(f"{path.name} was not written within {timeout:.0f} s")


def test_the_walkthrough_runs_as_written_to_a_recovered_incident(devnet_up, tmp_path):
    require_tools("jq")
    process, env = devnet_up
    started = wait_for_json(tmp_path / "devnet-up.json", process, timeout=120)
    blocks = fenced_blocks(GUIDE, "sh walkthrough")
    assert len(blocks) >= 8
    # Commands take a few seconds each; the release waits out the devnet's windows on top.
    params = devnet_params()
    windows = params.windows.appeal_window + params.windows.appeal_resolution + params.recovery.challenge_window
    result = run_script("\n".join(blocks), tmp_path, env, timeout=300 + windows)
    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 0, output
    assert "Traceback" not in result.stdout + result.stderr, output
    said = [line for line in result.stderr.splitlines() if not line.startswith("+")]  # not the bash trace
    assert not [line for line in said if "Warning" in line], output

    registry = Registry.load(tmp_path / "devnet.json")
    w3 = Web3(Web3.HTTPProvider(started["rpc_url"]))
    contract = lambda name: w3.eth.contract(address=registry.address(name), abi=load_abi(name))  # noqa: E731
    manager, verdicts, escrow = contract("StakeManager"), contract("VerdictManager"), contract("RecoveryEscrow")
    me = Web3.to_checksum_address(json.loads((tmp_path / ".swarm-stake/keystores/me.json").read_text())["address"])
    [executed] = verdicts.events.VerdictExecuted().get_logs(from_block=0)
    incident, slashed = executed["args"]["incidentId"], executed["args"]["amount"]
    assert executed["args"]["provider"] == me
    assert executed["args"]["verdict"]["violationClass"] == ViolationClass.PROTOCOL_VIOLATION
    # The guide's figures: the devnet's row of a protocol violation at the penalty level slashes 3% and
    # lets 75% be recovered through a compliance verification.
    row = params.matrix["protocol_violation"][Level.PENALTY]
    assert (row.slash_bps, row.recoverable_bps, row.recovery_path) == (300, 7_500, RecoveryPath.COMPLIANCE_VERIFICATION)
    assert slashed == 6_000 * TOKEN * row.slash_bps // 10_000  # of the 5,000 + 1,000 staked
    recovered = slashed * row.recoverable_bps // 10_000

    assert contract("SwarmLens").functions.stateOf(incident).call() == Phase.CLOSED
    assert escrow.functions.stateOf(incident).call() == EscrowState.RELEASED
    assert manager.functions.getPool(me).call()[0] == 6_000 * TOKEN - slashed + recovered
    assert escrow.functions.insuranceBalance().call() == slashed - recovered
    assert manager.functions.getProvider(me).call()[2] == 0, "the pool is still frozen"
