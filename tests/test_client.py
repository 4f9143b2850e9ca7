"""The web3.py client against a real anvil chain started by swarm_stake.devnet."""

import pytest
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector
from rpc_proxy import RpcProxy

from swarm_stake.chain import Client, decode_revert
from swarm_stake.devnet import ORACLE_ACCOUNTS, Devnet
from swarm_stake.errors import ChainConnectionError, ContractError, TransactionFailed

TOKEN = 10**18


@pytest.fixture(scope="module")
def devnet():
    with Devnet() as chain:
        chain.deploy()
        yield chain


def test_decode_revert_names_error_and_arguments():
    selector = function_signature_to_4byte_selector("UnbondingNotFinished(uint256,uint256)")
    error = decode_revert("0x" + (selector + encode(["uint256", "uint256"], [200, 150])).hex())
    assert isinstance(error, ContractError)
    assert error.name == "UnbondingNotFinished"
    assert error.args_by_name == {"unbondingEnd": 200, "nowTime": 150}
    assert "unbonding period has not ended" in str(error)


def test_decode_revert_returns_none_for_unknown_data():
    assert decode_revert("0xdeadbeef") is None
    assert decode_revert(None) is None


def test_send_turns_custom_error_into_contract_error(devnet):
    client = devnet.client(5)
    manager = client.contract("StakeManager", devnet.registry.address("StakeManager"))
    stranger = devnet.accounts[9].address
    with pytest.raises(ContractError) as raised:
        client.send(manager.functions.stake(stranger, TOKEN))
    assert raised.value.name == "ProviderNotRegistered"
    assert raised.value.args_by_name == {"provider": stranger}


def test_send_manages_nonces_across_transactions_and_failures(devnet):
    client = devnet.client(6)
    token = client.contract("SwarmToken", devnet.registry.address("SwarmToken"))
    manager_address = devnet.registry.address("StakeManager")
    start = client.w3.eth.get_transaction_count(client.account.address)
    for amount in (1, 2, 3):
        client.send(token.functions.approve(manager_address, amount))
    with pytest.raises(ContractError):  # simulated and refused: no nonce consumed
        client.send(token.functions.transfer(devnet.accounts[7].address, 10**40))
    client.send(token.functions.approve(manager_address, 4))
    assert client.w3.eth.get_transaction_count(client.account.address) == start + 4
    assert token.functions.allowance(client.account.address, manager_address).call() == 4


def test_read_only_client_refuses_to_send(devnet):
    reader = Client.connect(devnet.rpc_url)
    token = reader.contract("SwarmToken", devnet.registry.address("SwarmToken"))
    with pytest.raises(TransactionFailed, match="no signing account"):
        reader.send(token.functions.approve(devnet.accounts[1].address, 1))


def test_connect_to_closed_port_raises_connection_error():
    with pytest.raises(ChainConnectionError, match="cannot reach"):
        Client.connect("http://127.0.0.1:9")


def test_devnet_funds_dev_accounts_and_seats_bonded_committee(devnet):
    client = devnet.client(0)
    token = client.contract("SwarmToken", devnet.registry.address("SwarmToken"))
    committee = client.contract("OracleCommittee", devnet.registry.address("OracleCommittee"))
    members = {devnet.accounts[i].address for i in ORACLE_ACCOUNTS[:3]}
    assert committee.functions.config().call() == [1, 3, 2]
    assert {committee.functions.memberAt(1, i).call() for i in range(3)} == members
    for account in devnet.accounts[1:]:
        bond = committee.functions.bondOf(account.address).call()[0]
        assert bond == (1_000 * TOKEN if account.address in members else 0)
        assert token.functions.balanceOf(account.address).call() + bond == 1_000_000 * TOKEN


def test_increase_time_moves_chain_clock(devnet):
    client = devnet.client(0)
    before = client.w3.eth.get_block("latest")["timestamp"]
    assert devnet.increase_time(3600) >= before + 3600


def test_contract_error_shows_times_as_dates_and_bytes_as_hex():
    selector = function_signature_to_4byte_selector("UnbondingNotFinished(uint256,uint256)")
    error = decode_revert("0x" + (selector + encode(["uint256", "uint256"], [1795790000, 1795789000])).hex())
    assert "unbondingEnd=1795790000 (2026-11-27 14:33:20 UTC)" in str(error)
    assert error.args_by_name["unbondingEnd"] == 1795790000
    selector = function_signature_to_4byte_selector("UnknownIncident(bytes32)")
    error = decode_revert("0x" + (selector + encode(["bytes32"], [b"\xab" * 32])).hex())
    assert "incidentId=0x" + "ab" * 32 in str(error)


def test_a_client_asks_the_chain_id_once_however_many_calls_it_makes(devnet):
    """web3.py validates each call against the chain id; a client caches it, so ten contract reads and a
    block lookup cost one eth_chainId request, not one each."""
    proxy = RpcProxy(devnet.rpc_url)
    try:
        reader = Client.connect(proxy.url)
        token = reader.contract("SwarmToken", devnet.registry.address("SwarmToken"))
        for account in devnet.accounts[:10]:
            token.functions.balanceOf(account.address).call()
        reader.w3.eth.get_block("latest")
        assert proxy.methods["eth_call"] == 10
        assert proxy.methods["eth_chainId"] == 2, proxy.methods  # connect's check, and the cache's own first look
        assert reader.w3.eth.chain_id == devnet.registry.chain_id
    finally:
        proxy.close()
