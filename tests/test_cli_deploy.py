"""`swarm-stake deploy` against a bare anvil (nothing deployed), with a keystore of dev account 0."""

import json
from pathlib import Path

import pytest
from web3 import Web3

from cli_support import (
    PASSWORD,
    TOKEN,
    assert_error,
    assert_ok,
    clean_env,
    json_out,
    run_cli,
    write_keystore,
)
from swarm_stake.abis import load_abi
from swarm_stake.devnet import Devnet, dev_account

PARAMS = Path(__file__).resolve().parents[1] / "deployments" / "params" / "local.json"
DEPLOYER = dev_account(0)


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    home = tmp_path_factory.mktemp("deploy-home")
    write_keystore(home / "keystores", "deployer", DEPLOYER)
    with Devnet() as devnet:  # started, nothing deployed
        yield devnet, home


def env_of(devnet, home):
    return clean_env(SWARM_STAKE_RPC_URL=devnet.rpc_url, SWARM_STAKE_HOME=home, SWARM_STAKE_PASSWORD=PASSWORD)


def test_deploy_then_refuse_to_overwrite_the_registry(bare, tmp_path):
    devnet, home = bare
    w3 = Web3(Web3.HTTPProvider(devnet.rpc_url))
    out = tmp_path / "registry.json"
    result = assert_ok(run_cli("--keystore", "deployer", "deploy", "--params", PARAMS, "--out", out, "--network",
                               "staging", env=env_of(devnet, home), cwd=tmp_path))  # fmt: skip
    assert f"registry written to {out}" in result.stdout

    registry = json.loads(out.read_text())
    assert registry["network"] == "staging" and registry["chain_id"] == 31337
    assert set(registry["contracts"]) == {"SwarmToken", "SwarmTimelock", "StakeManager", "OracleCommittee",
                                          "RecoveryEscrow", "VerdictManager", "AppealCourt", "SwarmLens", "VerdictBatcher"}  # fmt: skip
    for address in registry["contracts"].values():
        assert len(w3.eth.get_code(address)) > 0
    manager = w3.eth.contract(address=registry["contracts"]["StakeManager"], abi=load_abi("StakeManager"))
    assert manager.functions.unbondingPeriod().call() == 180  # from the parameter file
    assert manager.functions.minSelfStake().call() == 1_000 * TOKEN
    token = w3.eth.contract(address=registry["contracts"]["SwarmToken"], abi=load_abi("SwarmToken"))
    assert token.functions.balanceOf(DEPLOYER.address).call() == 1_000_000_000 * TOKEN

    # the registry serves the other commands
    assert json_out(run_cli("--registry", out, "incidents", "list", "--json", env=env_of(devnet, home),
                            cwd=tmp_path)) == []  # fmt: skip

    before = (out.read_bytes(), w3.eth.get_transaction_count(DEPLOYER.address), w3.eth.block_number)
    again = run_cli("--keystore", "deployer", "deploy", "--params", PARAMS, "--out", out,
                    env=env_of(devnet, home), cwd=tmp_path)  # fmt: skip
    assert_error(again, "exists", "another --out")
    assert (out.read_bytes(), w3.eth.get_transaction_count(DEPLOYER.address), w3.eth.block_number) == before


def test_deploy_with_an_invalid_parameter_file(bare, tmp_path):
    devnet, home = bare
    w3 = Web3(Web3.HTTPProvider(devnet.rpc_url))
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"unbonding_period": "soon", "min_self_stake": "1000 tokens"}))
    out = tmp_path / "registry.json"
    nonce = w3.eth.get_transaction_count(DEPLOYER.address)
    result = run_cli("--keystore", "deployer", "deploy", "--params", params, "--out", out,
                     env=env_of(devnet, home), cwd=tmp_path)  # fmt: skip
    assert_error(result, "parameter file", "unbonding_period", "not a duration")
    assert w3.eth.get_transaction_count(DEPLOYER.address) == nonce
    assert not out.exists()


def test_deploy_without_a_keystore(bare, tmp_path):
    devnet, home = bare
    out = tmp_path / "registry.json"
    result = run_cli("deploy", "--params", PARAMS, "--out", out, env=env_of(devnet, home), cwd=tmp_path)
    assert_error(result, "needs a key", "--keystore")
    assert not out.exists()
