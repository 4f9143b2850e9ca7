"""Deployment parameters, the shared plan, and the Ape deploy script on a real anvil."""

import json
import subprocess

import pytest

from swarm_stake.deploy import CallStep, DeployParams, DeployStep, Registry, execute, plan
from swarm_stake.errors import ConfigError

DEPLOYER = "0x" + "11" * 20
TOKEN_ADDRESS = "0x" + "22" * 20
TIMELOCK = "0x" + "33" * 20


def write(tmp_path, content):
    path = tmp_path / "params.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_params_accept_human_units(tmp_path):
    params = DeployParams.from_file(write(tmp_path, {"unbonding_period": "21 days", "min_self_stake": "10 tokens"}))
    assert params.unbonding_period == 21 * 86400
    assert params.min_self_stake == 10 * 10**18


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ({"unbonding_period": "soon", "min_self_stake": 1}, "not a duration"),
        ({"unbonding_period": 60}, "min_self_stake"),
        ({"unbonding_period": 60, "min_self_stake": 1, "colour": "red"}, "colour"),
        ({"unbonding_period": 60, "min_self_stake": 1, "token": "0x1234"}, "token"),
    ],
)
def test_params_reject_bad_files(tmp_path, content, message):
    with pytest.raises(ConfigError, match=message):
        DeployParams.from_file(write(tmp_path, content))


def test_params_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        DeployParams.from_file(tmp_path / "absent.json")


class RecordingExecutor:
    def __init__(self):
        self.actions = []

    def deploy(self, contract, args):
        self.actions.append(("deploy", contract, args))
        return f"addr:{contract}"

    def call(self, contract, address, function, args):
        self.actions.append(("call", contract, address, function, args))


def test_plan_deploys_dev_token_when_no_token_given():
    params = DeployParams(unbonding_period=60, min_self_stake=5)
    executor = RecordingExecutor()
    addresses = execute(plan(params, DEPLOYER), executor)
    assert executor.actions == [
        ("deploy", "SwarmToken", (DEPLOYER, params.token_supply)),
        ("deploy", "StakeManager", ("addr:SwarmToken", DEPLOYER, 60, 5)),
    ]
    assert addresses == {"SwarmToken": "addr:SwarmToken", "StakeManager": "addr:StakeManager"}


def test_plan_uses_given_token_and_governance():
    params = DeployParams(token=TOKEN_ADDRESS, admin=TIMELOCK, unbonding_period=60, min_self_stake=5)
    steps = plan(params, DEPLOYER)
    assert [step.contract for step in steps if isinstance(step, DeployStep)] == ["StakeManager"]
    assert not any(isinstance(step, CallStep) for step in steps)
    executor = RecordingExecutor()
    execute(steps, executor)
    assert executor.actions == [("deploy", "StakeManager", (TOKEN_ADDRESS, TIMELOCK, 60, 5))]


def test_ape_deploy_script_writes_registry(tmp_path):
    registry_path = tmp_path / "registry.json"
    params_path = write(tmp_path, {"unbonding_period": "3 days", "min_self_stake": "500 tokens"})
    result = subprocess.run(
        ["ape", "run", "deploy", "--network", "ethereum:local:foundry", "--account", "TEST::0",
         "--params", str(params_path), "--registry", str(registry_path)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    registry = Registry.load(registry_path)
    assert registry.chain_id == 31337
    assert set(registry.contracts) == {"SwarmToken", "StakeManager"}
    assert registry.params.unbonding_period == 3 * 86400
    assert f"deployed StakeManager at {registry.contracts['StakeManager']}" in result.stdout


def test_ape_deploy_script_refuses_placeholder_addresses(tmp_path):
    params_path = write(tmp_path, {"token": "0x" + "00" * 20, "unbonding_period": 60, "min_self_stake": 1})
    result = subprocess.run(
        ["ape", "run", "deploy", "--network", "ethereum:local:foundry", "--account", "TEST::0",
         "--params", str(params_path), "--registry", str(tmp_path / "r.json")],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode != 0
    assert "set the real token" in result.stdout + result.stderr
    assert not (tmp_path / "r.json").exists()
