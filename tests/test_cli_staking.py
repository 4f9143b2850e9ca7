"""`swarm-stake provider` and `swarm-stake delegator` as a user runs them, against a real devnet.

Happy paths check the chain afterwards (pool, self-stake, positions, token balances); every
failure mode checks the exit code, a one-paragraph message saying what to do, no traceback,
and that no transaction was sent.
"""

import json

import pytest

from cli_support import (
    DEAD_RPC,
    PASSWORD,
    TOKEN,
    assert_error,
    assert_ok,
    cli_chain,  # noqa: F401 - the module's devnet
    json_out,
    sends_nothing,
)
from swarm_stake.staking import Staking

UNBONDING = 180  # devnet unbonding period, seconds


def position(cli_chain, provider, staker):
    shares, unbonding, end = cli_chain.manager.functions.getPosition(provider, staker).call()
    return shares, unbonding, end


def test_provider_register_with_password_file(cli_chain, tmp_path):
    owner = cli_chain.fresh("reg-owner", tokens=10_000)
    operator = cli_chain.fresh()
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\n")
    result = cli_chain.cli("--password-file", password_file, "provider", "register", "--operator", operator.address,
                       "--stake", "2500", "--metadata-uri", "http://node-1:9000/health", keystore="reg-owner",
                       env=cli_chain.env(SWARM_STAKE_PASSWORD=None))  # fmt: skip
    assert_ok(result)
    assert f"registered {owner.address} with 2500 SWARM" in result.stdout
    manager = cli_chain.manager.functions
    assert manager.statusOf(owner.address).call() == 1  # active
    assert manager.getProvider(owner.address).call()[0] == operator.address
    assert manager.selfStakeOf(owner.address).call() == 2_500 * TOKEN
    assert cli_chain.pool(owner.address) == 2_500 * TOKEN
    assert cli_chain.balance(owner.address) == 7_500 * TOKEN

    status = json_out(cli_chain.cli("provider", "status", owner.address, "--json"))
    assert status["status"] == 1
    assert status["operator"] == operator.address
    assert status["pool_assets"] == status["self_stake"] == 2_500 * TOKEN
    assert status["metadata_uri"] == "http://node-1:9000/health"
    assert status["open_incidents"] == 0


def test_provider_stake_add_and_status_at_a_block(cli_chain):
    owner, operator = cli_chain.provider(stake=2_000, name="staker-owner", spare=2_000)
    assert_ok(cli_chain.cli("provider", "stake", "1000", keystore="staker-owner"))
    assert cli_chain.manager.functions.selfStakeOf(owner.address).call() == 3_000 * TOKEN
    block_after_stake = cli_chain.w3.eth.block_number
    result = assert_ok(cli_chain.cli("provider", "add", "500.5", keystore="staker-owner"))
    assert f"added 500.5 SWARM to the self-stake of {owner.address}" in result.stdout
    assert cli_chain.manager.functions.selfStakeOf(owner.address).call() == 3_500_500 * TOKEN // 1_000
    assert cli_chain.balance(owner.address) == 499_500 * TOKEN // 1_000

    then = json_out(cli_chain.cli("--json", "provider", "status", owner.address, "--block", block_after_stake))
    assert then["block"] == block_after_stake
    assert then["pool_assets"] == 3_000 * TOKEN
    now = json_out(cli_chain.cli("provider", "status", owner.address, "--json"))
    assert now["pool_assets"] == now["self_stake"] == 3_500_500 * TOKEN // 1_000

    human = assert_ok(cli_chain.cli("provider", "status", owner.address))
    assert "active" in human.stdout and operator.address in human.stdout and "3,500.5" in human.stdout


def test_provider_unstake_amount_withdraw_then_all(cli_chain):
    owner, _ = cli_chain.provider(stake=3_000, name="leaver")
    result = assert_ok(cli_chain.cli("provider", "unstake", "1000", keystore="leaver"))
    assert "unbonding until" in result.stdout and "withdraw" in result.stdout
    shares, unbonding, end = position(cli_chain, owner.address, owner.address)
    assert unbonding > 0 and end >= cli_chain.now() + UNBONDING - 1
    assert cli_chain.manager.functions.convertToAssets(owner.address, unbonding).call() == pytest.approx(1_000 * TOKEN, abs=2)
    assert cli_chain.manager.functions.selfStakeOf(owner.address).call() == pytest.approx(2_000 * TOKEN, abs=2)

    cli_chain.jump(UNBONDING)
    expected = cli_chain.manager.functions.convertToAssets(owner.address, unbonding).call()
    before = cli_chain.balance(owner.address)
    result = assert_ok(cli_chain.cli("provider", "withdraw", keystore="leaver"))
    assert "withdrew 1,000" in result.stdout
    assert cli_chain.balance(owner.address) == before + expected
    assert position(cli_chain, owner.address, owner.address)[1] == 0

    assert_ok(cli_chain.cli("provider", "unstake", "--all", keystore="leaver"))
    shares_after, unbonding_after, _ = position(cli_chain, owner.address, owner.address)
    assert shares_after == 0 and unbonding_after == shares
    assert cli_chain.manager.functions.statusOf(owner.address).call() == 4  # below minimum: it is leaving


def test_delegator_delegate_positions_undelegate_withdraw(cli_chain):
    provider, _ = cli_chain.provider(stake=2_000)
    delegator = cli_chain.fresh("delegator", tokens=5_000)
    pool_before = cli_chain.pool(provider.address)
    result = assert_ok(cli_chain.cli("delegator", "delegate", provider.address, "3000", keystore="delegator"))
    assert f"delegated 3000 SWARM to {provider.address}" in result.stdout
    assert cli_chain.pool(provider.address) == pool_before + 3_000 * TOKEN
    assert cli_chain.balance(delegator.address) == 2_000 * TOKEN

    positions = json_out(cli_chain.cli("delegator", "positions", delegator.address, "--json"))
    assert len(positions) == 1
    assert positions[0]["provider"] == provider.address and positions[0]["staker"] == delegator.address
    assert positions[0]["assets"] == pytest.approx(3_000 * TOKEN, abs=1)
    assert positions[0]["unbonding_shares"] == 0

    assert_ok(cli_chain.cli("delegator", "undelegate", provider.address, "1000", keystore="delegator"))
    shares, unbonding, _ = position(cli_chain, provider.address, delegator.address)
    assert cli_chain.manager.functions.convertToAssets(provider.address, unbonding).call() == pytest.approx(1_000 * TOKEN, abs=2)
    assert_ok(cli_chain.cli("delegator", "undelegate", provider.address, "--all", keystore="delegator"))
    shares_after, unbonding_after, _ = position(cli_chain, provider.address, delegator.address)
    assert shares_after == 0 and unbonding_after == shares + unbonding

    listed = json_out(cli_chain.cli("--json", "delegator", "positions", delegator.address))
    assert listed[0]["shares"] == 0 and listed[0]["unbonding_assets"] == pytest.approx(3_000 * TOKEN, abs=2)

    cli_chain.jump(UNBONDING)
    assert_ok(cli_chain.cli("delegator", "withdraw", provider.address, keystore="delegator"))
    assert cli_chain.balance(delegator.address) == pytest.approx(5_000 * TOKEN, abs=2)
    assert cli_chain.pool(provider.address) == pytest.approx(pool_before, abs=2)
    assert json_out(cli_chain.cli("delegator", "positions", delegator.address, "--json")) == []
    assert "has no stake in any pool" in assert_ok(cli_chain.cli("delegator", "positions", delegator.address)).stdout


# -- keystores and passwords -------------------------------------------------------------------


def test_missing_password_without_a_terminal(cli_chain):
    provider, _ = cli_chain.provider()
    staker = cli_chain.address("dev5")
    with sends_nothing(cli_chain, staker):
        result = cli_chain.cli("delegator", "delegate", provider.address, "10", keystore="dev5",
                           env=cli_chain.env(SWARM_STAKE_PASSWORD=None))  # fmt: skip
    assert_error(result, "password", "no terminal", "--password-file", "SWARM_STAKE_PASSWORD")


def test_wrong_keystore_password(cli_chain, tmp_path):
    provider, _ = cli_chain.provider()
    wrong = tmp_path / "password"
    wrong.write_text("not-the-password\n")
    with sends_nothing(cli_chain, cli_chain.address("dev5")):
        result = cli_chain.cli("--password-file", wrong, "delegator", "delegate", provider.address, "10",
                           keystore="dev5", env=cli_chain.env(SWARM_STAKE_PASSWORD=None))  # fmt: skip
    assert_error(result, "wrong password", "dev5.json", "--password-file")


def test_missing_keystore(cli_chain):
    provider, _ = cli_chain.provider()
    with sends_nothing(cli_chain):
        result = cli_chain.cli("delegator", "delegate", provider.address, "10", keystore="nobody")
    assert_error(result, "keystore not found", "nobody.json", "accounts create")


def test_sending_without_a_keystore(cli_chain):
    provider, _ = cli_chain.provider()
    with sends_nothing(cli_chain):
        result = cli_chain.cli("delegator", "delegate", provider.address, "10")
    assert_error(result, "needs a key", "--keystore", "SWARM_STAKE_KEYSTORE")


# -- addresses and amounts ---------------------------------------------------------------------


def test_address_with_a_wrong_checksum(cli_chain):
    provider, _ = cli_chain.provider()
    body = provider.address[2:]
    flipped = next(i for i, c in enumerate(body) if c.isalpha())  # change the case of one letter
    typo = "0x" + body[:flipped] + body[flipped].swapcase() + body[flipped + 1:]
    with sends_nothing(cli_chain, cli_chain.address("dev5")):
        result = cli_chain.cli("delegator", "delegate", typo, "10", keystore="dev5")
    assert_error(result, "checksum", "lower case", code=2)


@pytest.mark.parametrize("address", ["0x1234", "provider-a", "0x" + "g" * 40])
def test_argument_that_is_not_an_address(cli_chain, address):
    with sends_nothing(cli_chain, cli_chain.address("dev5")):
        result = cli_chain.cli("delegator", "delegate", address, "10", keystore="dev5")
    assert_error(result, "not an address", "40 hex digits", code=2)


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("ten", ["not an amount of tokens", "e.g. 1000"]),
        ("-5", ["must be a positive number"]),
        ("0", ["must be a positive number"]),
        ("NaN", ["not an amount of tokens", "e.g. 1000"]),
        ("1" + "0" * 50, ["larger than any token supply"]),
        ("1e400000000", ["ambiguous", "e.g. 1000"]),
    ],
)
def test_amount_that_is_not_a_positive_number(cli_chain, amount, words):
    provider, _ = cli_chain.provider()
    with sends_nothing(cli_chain, cli_chain.address("dev5")):
        result = cli_chain.cli("delegator", "delegate", provider.address, "--", amount, keystore="dev5")
    assert_error(result, *words, code=2)


def test_amount_with_more_decimals_than_the_token(cli_chain):
    provider, _ = cli_chain.provider()
    with sends_nothing(cli_chain, cli_chain.address("dev5")):
        result = cli_chain.cli("delegator", "delegate", provider.address, "0.0000000000000000001", keystore="dev5")
    assert_error(result, "more than 18 decimals", "round")


def test_insufficient_token_balance(cli_chain):
    provider, _ = cli_chain.provider()
    broke = cli_chain.fresh("broke")  # ether for gas, no tokens
    with sends_nothing(cli_chain, broke.address):
        result = cli_chain.cli("delegator", "delegate", provider.address, "10", keystore="broke")
    assert_error(result, "balance is too low", "fund the account")


def test_register_with_the_zero_address_as_operator(cli_chain):
    owner = cli_chain.fresh("zero-op", tokens=5_000)
    with sends_nothing(cli_chain, owner.address):
        result = cli_chain.cli("provider", "register", "--operator", "0x" + "0" * 40, "--stake", "2000",
                           "--metadata-uri", "http://n/health", keystore="zero-op")  # fmt: skip
    assert_error(result, "zero address", "operator")


def test_register_below_the_minimum_self_stake(cli_chain):
    owner = cli_chain.fresh("small", tokens=5_000)
    with sends_nothing(cli_chain, owner.address):
        result = cli_chain.cli("provider", "register", "--operator", cli_chain.address("dev2"), "--stake", "999",
                           "--metadata-uri", "http://n/health", keystore="small")  # fmt: skip
    assert_error(result, "below the minimum", "at least")


# -- endpoints and deployments -----------------------------------------------------------------


def test_rpc_url_that_does_not_answer(cli_chain):
    provider, _ = cli_chain.provider()
    with sends_nothing(cli_chain, cli_chain.address("dev5")):
        result = cli_chain.cli("--rpc-url", DEAD_RPC, "delegator", "delegate", provider.address, "10", keystore="dev5")
    assert_error(result, "cannot reach", DEAD_RPC, "--rpc-url", "running")


def test_registry_of_another_chain(cli_chain, tmp_path):
    provider, _ = cli_chain.provider()
    other = json.loads(cli_chain.registry_path.read_text())
    other["chain_id"] = 11155111
    path = tmp_path / "sepolia.json"
    path.write_text(json.dumps(other))
    with sends_nothing(cli_chain, cli_chain.address("dev5")):
        result = cli_chain.cli("--registry", path, "delegator", "delegate", provider.address, "10", keystore="dev5")
    assert_error(result, "serves chain 31337", "chain 11155111", "--rpc-url and --registry")


def test_missing_registry(cli_chain, tmp_path):
    provider, _ = cli_chain.provider()
    with sends_nothing(cli_chain):
        result = cli_chain.cli("provider", "status", provider.address, env=cli_chain.env(SWARM_STAKE_REGISTRY=None))
    assert_error(result, "no deployment registry", "--registry", "SWARM_STAKE_REGISTRY")


# -- windows and pool states -------------------------------------------------------------------


def test_withdraw_before_unbonding_ends(cli_chain):
    provider, _ = cli_chain.provider()
    staker = cli_chain.fresh("early", tokens=1_000)
    cli_chain.delegate(staker, provider.address, 500)
    staking = Staking(cli_chain.client(staker), cli_chain.registry)
    staking.request_unstake(provider.address, position(cli_chain, provider.address, staker.address)[0])
    with sends_nothing(cli_chain, staker.address):
        result = cli_chain.cli("delegator", "withdraw", provider.address, keystore="early")
    assert_error(result, "unbonding period has not ended", "wait", "delegator positions")
    assert position(cli_chain, provider.address, staker.address)[1] > 0


def test_withdraw_with_nothing_unbonding(cli_chain):
    provider, _ = cli_chain.provider()
    with sends_nothing(cli_chain, cli_chain.address("dev6")):
        result = cli_chain.cli("delegator", "withdraw", provider.address, keystore="dev6")
    assert_error(result, "no unbonding stake", "unstake first")


def test_undelegate_more_than_held_is_refused(cli_chain):
    provider, _ = cli_chain.provider()
    staker = cli_chain.fresh("typo", tokens=1_000)
    cli_chain.delegate(staker, provider.address, 300)
    with sends_nothing(cli_chain, staker.address):
        result = cli_chain.cli("delegator", "undelegate", provider.address, "3000", keystore="typo")
    assert_error(result, "less than 3000 SWARM", "--all")
    assert position(cli_chain, provider.address, staker.address)[1] == 0


def test_undelegate_needs_an_amount_or_all(cli_chain):
    provider, _ = cli_chain.provider()
    with sends_nothing(cli_chain, cli_chain.address("dev5")):
        result = cli_chain.cli("delegator", "undelegate", provider.address, keystore="dev5")
    assert_error(result, "AMOUNT", "--all")


def test_provider_unstake_below_the_minimum(cli_chain):
    owner, _ = cli_chain.provider(stake=1_500, name="min-owner")
    with sends_nothing(cli_chain, owner.address):
        result = cli_chain.cli("provider", "unstake", "1000", keystore="min-owner")
    assert_error(result, "below the minimum", "--all")


def test_delegate_to_a_jailed_provider_with_a_frozen_pool(cli_chain):
    provider, _ = cli_chain.provider()
    cli_chain.execute_verdict(provider.address)
    assert cli_chain.manager.functions.statusOf(provider.address).call() == 2  # jailed, incident open
    with sends_nothing(cli_chain, cli_chain.address("dev5")):
        result = cli_chain.cli("delegator", "delegate", provider.address, "10", keystore="dev5")
    assert_error(result, "frozen", "incident", "wait")


def test_delegate_to_an_unregistered_address(cli_chain):
    stranger = cli_chain.fresh().address
    with sends_nothing(cli_chain, cli_chain.address("dev5")):
        result = cli_chain.cli("delegator", "delegate", stranger, "10", keystore="dev5")
    assert_error(result, "no provider is registered", "check the address")


def test_status_of_an_unknown_provider(cli_chain):
    stranger = cli_chain.fresh().address
    result = cli_chain.cli("provider", "status", stranger, "--json")
    assert_error(result, "no provider is registered", stranger, "check the address")
    assert result.stdout == ""


def test_status_at_a_block_not_yet_mined(cli_chain):
    provider, _ = cli_chain.provider()
    future = cli_chain.w3.eth.block_number + 1_000
    result = cli_chain.cli("provider", "status", provider.address, "--block", future)
    assert_error(result, f"block {future} does not exist yet", "earlier --block")
