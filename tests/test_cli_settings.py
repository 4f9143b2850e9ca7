"""Settings of the CLI: a TOML config file (--config, SWARM_STAKE_CONFIG, ./swarm-stake.toml),
overridden by the environment, overridden by flags; invalid values give a clean error."""

import json

import pytest
from eth_account import Account

from cli_support import (
    DEAD_RPC,
    PASSWORD,
    TOKEN,
    assert_error,
    assert_ok,
    cli_chain,  # noqa: F401 - the module's devnet
    clean_env,
    json_out,
    run_cli,
    write_keystore,
)
from swarm_stake.devnet import dev_account

WHALE = dev_account(0).address  # the large provider every CLI test chain registers


def toml(path, **values):
    path.write_text("".join(f"{key} = {json.dumps(str(value))}\n" for key, value in values.items()))
    return path


def test_config_file_given_with_the_flag(cli_chain, tmp_path):
    """Every setting from the file: endpoint, registry, keystore directory and name, password file."""
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD)
    config = toml(tmp_path / "staking.toml", rpc_url=cli_chain.rpc_url, registry=cli_chain.registry_path,
                  keystore_dir=cli_chain.keystores, keystore="dev7", password_file=password_file)  # fmt: skip
    staker = cli_chain.address("dev7")
    before = cli_chain.manager.functions.getPosition(WHALE, staker).call()[0]
    result = run_cli("--config", config, "delegator", "delegate", WHALE, "25", env=clean_env(), cwd=tmp_path)
    assert f"delegated 25 SWARM to {WHALE}" in assert_ok(result).stdout
    shares = cli_chain.manager.functions.getPosition(WHALE, staker).call()[0] - before
    assert cli_chain.manager.functions.convertToAssets(WHALE, shares).call() == pytest.approx(25 * TOKEN, abs=1)


def test_config_file_in_the_working_directory(cli_chain, tmp_path):
    toml(tmp_path / "swarm-stake.toml", rpc_url=cli_chain.rpc_url, registry=cli_chain.registry_path)
    status = json_out(run_cli("provider", "status", WHALE, "--json", env=clean_env(), cwd=tmp_path))
    assert status["address"] == WHALE and status["status"] == 1


def test_config_file_named_in_the_environment(cli_chain, tmp_path):
    config = toml(tmp_path / "elsewhere.toml", rpc_url=cli_chain.rpc_url, registry=cli_chain.registry_path)
    status = json_out(run_cli("provider", "status", WHALE, "--json", env=clean_env(SWARM_STAKE_CONFIG=config),
                              cwd=tmp_path))  # fmt: skip
    assert status["address"] == WHALE


def test_environment_overrides_the_config_file(cli_chain, tmp_path):
    toml(tmp_path / "swarm-stake.toml", rpc_url=DEAD_RPC, registry=cli_chain.registry_path)
    status = json_out(run_cli("provider", "status", WHALE, "--json", env=clean_env(SWARM_STAKE_RPC_URL=cli_chain.rpc_url),
                              cwd=tmp_path))  # fmt: skip
    assert status["address"] == WHALE

    toml(tmp_path / "swarm-stake.toml", rpc_url=cli_chain.rpc_url, registry=cli_chain.registry_path)
    result = run_cli("provider", "status", WHALE, env=clean_env(SWARM_STAKE_RPC_URL=DEAD_RPC), cwd=tmp_path)
    assert_error(result, "cannot reach", DEAD_RPC)


def test_flags_override_the_environment(cli_chain, tmp_path):
    env = cli_chain.env(SWARM_STAKE_RPC_URL=DEAD_RPC)
    status = json_out(cli_chain.cli("--rpc-url", cli_chain.rpc_url, "provider", "status", WHALE, "--json", env=env))
    assert status["address"] == WHALE


def test_keystore_directory_from_file_then_environment_then_flag(tmp_path):
    for name in ("from-file", "from-env", "from-flag"):
        write_keystore(tmp_path / name, name, Account.create())
    config = toml(tmp_path / "swarm-stake.toml", keystore_dir=tmp_path / "from-file")

    def names(env, *flags):
        listed = json.loads(assert_ok(run_cli(*flags, "accounts", "list", "--json", env=env, cwd=tmp_path)).stdout)
        return [entry["name"] for entry in listed]

    assert names(clean_env()) == ["from-file"]
    env = clean_env(SWARM_STAKE_KEYSTORE_DIR=tmp_path / "from-env")
    assert names(env) == ["from-env"]
    assert names(env, "--config", config, "--keystore-dir", tmp_path / "from-flag") == ["from-flag"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('confirmations = "many"\n', ["invalid settings", "confirmations", "valid integer", "config file"]),
        ("confirmations = 100\n", ["invalid settings", "confirmations", "less than or equal to 64"]),
        ('colour = "red"\n', ["invalid settings", "colour", "not permitted"]),
        ("rpc_url = \n", ["cannot read the config file", "TOML"]),
    ],
)
def test_invalid_config_file(tmp_path, content, words):
    (tmp_path / "swarm-stake.toml").write_text(content)
    result = run_cli("accounts", "list", env=clean_env(SWARM_STAKE_HOME=tmp_path), cwd=tmp_path)
    assert_error(result, *words)
    assert result.stdout == ""


def test_missing_config_file(tmp_path):
    result = run_cli("--config", tmp_path / "absent.toml", "accounts", "list", env=clean_env(), cwd=tmp_path)
    assert_error(result, "config file not found", "absent.toml", "--config")


def test_invalid_value_in_the_environment(tmp_path):
    result = run_cli("accounts", "list", env=clean_env(SWARM_STAKE_CONFIRMATIONS="-1"), cwd=tmp_path)
    assert_error(result, "invalid settings", "confirmations", "greater than or equal to 0")


def test_invalid_flag_value(tmp_path):
    result = run_cli("--confirmations", "100", "accounts", "list", env=clean_env(), cwd=tmp_path)
    assert_error(result, "--confirmations", "100", code=2)
