"""Deployment parameters, the shared plan, and the Ape deploy script on a real anvil."""

import json
import subprocess
from pathlib import Path

import pytest

from swarm_stake.deploy import GOVERNED_CONTRACTS, DeployParams, Registry, execute, plan, role
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
        ({"unbonding_period": 60, "min_self_stake": 1, "windows": {"appeal_window": "soon"}}, "not a duration"),
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


def test_plan_deploys_every_contract_wired_to_earlier_addresses():
    params = DeployParams(unbonding_period=86400, min_self_stake=5, min_oracle_bond=7, timelock_delay=60,
                          guardian=TIMELOCK, arbiter=DEPLOYER)
    executor = RecordingExecutor()
    addresses = execute(plan(params, DEPLOYER), executor)
    deploys = [action for action in executor.actions if action[0] == "deploy"]
    assert [d[1] for d in deploys] == [
        "SwarmToken", "SwarmTimelock", "StakeManager", "OracleCommittee", "RecoveryEscrow", "VerdictManager",
        "AppealCourt", "SwarmLens", "VerdictBatcher",
    ]  # fmt: skip
    by_name = {d[1]: d[2] for d in deploys}
    assert by_name["SwarmLens"] == ("addr:VerdictManager", "addr:RecoveryEscrow")
    assert by_name["VerdictBatcher"] == ("addr:VerdictManager",)
    assert by_name["SwarmToken"] == (DEPLOYER, params.token_supply)
    assert by_name["SwarmTimelock"] == (60, [DEPLOYER], ["0x" + "00" * 20])
    assert by_name["StakeManager"] == ("addr:SwarmToken", DEPLOYER, 86400, 5)
    assert by_name["OracleCommittee"] == ("addr:SwarmToken", "addr:StakeManager", DEPLOYER, 7)
    assert by_name["VerdictManager"][:4] == ("addr:StakeManager", "addr:OracleCommittee", "addr:RecoveryEscrow", DEPLOYER)
    assert by_name["VerdictManager"][4] == params.windows.as_tuple()
    assert by_name["VerdictManager"][6][1 * 3 + 2] == (3_000, 0, 30 * 86400, 0, True, True)  # security breach, severe
    assert addresses["AppealCourt"] == "addr:AppealCourt"


def test_plan_grants_roles_then_hands_admin_to_timelock():
    params = DeployParams(token=TOKEN_ADDRESS, unbonding_period=86400, min_self_stake=5, guardian=TIMELOCK,
                          arbiter=DEPLOYER)
    executor = RecordingExecutor()
    execute(plan(params, DEPLOYER), executor)
    calls = [action[1:] for action in executor.actions if action[0] == "call"]
    granted = {(c[0], c[3]) for c in calls if c[2] == "grantRole"}
    # Each contract holds only the StakeManager roles whose functions it calls: the VerdictManager slashes
    # (penalize, take) and unfreezes; the AppealCourt applies appeal outcomes (tombstone, unjail, unfreeze)
    # and upgrades (restand, take, refundCaps: the slasher's).
    assert {(r, grantee) for name, (r, grantee) in granted if name == "StakeManager"} == {
        (role("SLASHER_ROLE"), "addr:VerdictManager"), (role("UNFREEZER_ROLE"), "addr:VerdictManager"),
        (role("SLASHER_ROLE"), "addr:AppealCourt"),
        (role("UNFREEZER_ROLE"), "addr:RecoveryEscrow"), (role("UNFREEZER_ROLE"), "addr:AppealCourt"),
        (role("APPEALS_ROLE"), "addr:AppealCourt"), (role("RETURNER_ROLE"), "addr:RecoveryEscrow"),
        (role("RETURNER_ROLE"), "addr:OracleCommittee"), (role("DEFAULT_ADMIN_ROLE"), "addr:SwarmTimelock"),
    }  # fmt: skip
    # The AppealCourt penalizes the signers of an overturned verdict and refunds or forfeits its escrow;
    # the VerdictManager opens and adds to escrows.
    assert {(r, grantee) for name, (r, grantee) in granted if name == "OracleCommittee"} == {
        (role("PENALIZER_ROLE"), "addr:AppealCourt"), (role("DEFAULT_ADMIN_ROLE"), "addr:SwarmTimelock"),
    }  # fmt: skip
    assert {(r, grantee) for name, (r, grantee) in granted if name == "RecoveryEscrow"} == {
        (role("VERDICT_ROLE"), "addr:VerdictManager"), (role("APPEALS_ROLE"), "addr:AppealCourt"),
        (role("DEFAULT_ADMIN_ROLE"), "addr:SwarmTimelock"),
    }  # fmt: skip
    assert ("VerdictManager", "addr:VerdictManager", "grantRole", (role("GUARDIAN_ROLE"), TIMELOCK)) in calls
    assert ("VerdictManager", "addr:VerdictManager", "setAppealCourt", ("addr:AppealCourt",)) in calls
    assert ("AppealCourt", "addr:AppealCourt", "grantRole", (role("ARBITER_ROLE"), DEPLOYER)) in calls
    for name in GOVERNED_CONTRACTS:
        grant = (name, f"addr:{name}", "grantRole", (role("DEFAULT_ADMIN_ROLE"), "addr:SwarmTimelock"))
        renounce = (name, f"addr:{name}", "renounceRole", (role("DEFAULT_ADMIN_ROLE"), DEPLOYER))
        assert calls.index(grant) < calls.index(renounce)
    # Nothing runs after the deployer gave up its admin roles.
    assert calls[-1][2] == "renounceRole"
    assert not any(action[1] == "SwarmToken" for action in executor.actions)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"guardian": None}, "no guardian is named"),
        ({"arbiter": None}, "no arbiter is named"),
        ({"guardian": "0x" + "00" * 20}, "the guardian is the zero address"),
        ({"arbiter": "0x" + "00" * 20}, "the arbiter is the zero address"),
        ({"token": "0x" + "00" * 20}, "the token is the zero address"),
        ({"proposers": ["0x" + "00" * 20]}, "the timelock proposer is the zero address"),
    ],
)
def test_plan_refuses_a_system_the_governance_would_not_hold(changes, problem):
    """Attack (hole: deployment left power with the deployer): without a configured guardian or arbiter
    the deployer kept GUARDIAN_ROLE / ARBITER_ROLE outside the timelock, and zero-address placeholders
    deployed a system nobody could govern. The plan now refuses both before any step runs."""
    params = DeployParams(token=TOKEN_ADDRESS, unbonding_period=86400, min_self_stake=5, guardian=TIMELOCK,
                          arbiter=TIMELOCK).model_copy(update=changes)  # fmt: skip
    with pytest.raises(ConfigError, match=problem) as info:
        plan(params, DEPLOYER)
    assert "refusing to deploy" in str(info.value)


def test_the_sepolia_template_is_refused_until_filled_in():
    params = DeployParams.from_file(Path(__file__).parents[1] / "deployments" / "params" / "sepolia.json")
    with pytest.raises(ConfigError, match="the guardian is the zero address"):
        plan(params, DEPLOYER)


def test_params_reject_incomplete_matrix(tmp_path):
    with pytest.raises(ConfigError, match="matrix"):
        DeployParams.from_file(write(tmp_path, {"unbonding_period": 60, "min_self_stake": 1,
                                                "matrix": {"poor_performance": []}}))


def test_ape_deploy_script_writes_registry(tmp_path):
    registry_path = tmp_path / "registry.json"
    guardian = "0x" + "11" * 20
    params_path = write(tmp_path, {"unbonding_period": "30 days", "min_self_stake": "500 tokens",
                                   "guardian": guardian, "arbiter": guardian})  # fmt: skip
    result = ape_run(
        ["ape", "run", "deploy", "--network", "ethereum:local:foundry", "--account", "TEST::0",
         "--params", str(params_path), "--registry", str(registry_path)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    registry = Registry.load(registry_path)
    assert registry.chain_id == 31337
    assert set(registry.contracts) == {
        "SwarmToken", "SwarmTimelock", "StakeManager", "OracleCommittee", "RecoveryEscrow", "VerdictManager",
        "AppealCourt", "SwarmLens", "VerdictBatcher",
    }  # fmt: skip
    assert registry.params.unbonding_period == 30 * 86400
    assert f"deployed StakeManager at {registry.contracts['StakeManager']}" in result.stdout


def ape_run(command, **kwargs):
    """`ape run ...` as a subprocess. Ape gives the anvil it starts 20 s to answer; when a loaded
    machine misses that (`RPCTimeoutError` before the script runs), the run is tried once more.
    Nothing of the script has run in that case, so the retry changes no outcome."""
    result = subprocess.run(command, **kwargs)
    if result.returncode != 0 and "RPCTimeoutError" in result.stdout + result.stderr:
        result = subprocess.run(command, **kwargs)
    return result


def test_ape_deploy_script_refuses_placeholder_addresses(tmp_path):
    params_path = write(tmp_path, {"token": "0x" + "00" * 20, "unbonding_period": "30 days", "min_self_stake": 1})
    result = ape_run(
        ["ape", "run", "deploy", "--network", "ethereum:local:foundry", "--account", "TEST::0",
         "--params", str(params_path), "--registry", str(tmp_path / "r.json")],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode != 0
    assert "refusing to deploy" in result.stdout + result.stderr
    assert "the token is the zero address" in result.stdout + result.stderr
    assert not (tmp_path / "r.json").exists()
