"""The event index (swarm_stake.index) and the read path built on it, on real anvil chains and real
SQLite files: reorgs, restarts, bounded eth_getLogs ranges, the status snapshot's request count and
a lagging index reported.

Every expectation is read from the chain here (eth_getLogs from the deployment block, direct calls),
independently of the index's own code.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from cli_support import assert_error, assert_ok, clean_env, run_cli
from rpc_proxy import RpcProxy
from web3 import Web3
from web3.datastructures import AttributeDict

from swarm_stake import dashboard
from swarm_stake.abis import load_abi
from swarm_stake.chain import Client
from swarm_stake.dashboard import StatusReader
from swarm_stake.deploy import Registry
from swarm_stake.devnet import Devnet
from swarm_stake.index import EventIndex
from swarm_stake.multicall import MULTICALL3_ADDRESS
from swarm_stake.staking import Staking

TOKEN = 10**18


def chain_events(w3: Web3, registry: Registry) -> list[tuple[int, int, str]]:
    """(block, log index, transaction) of every event of the indexed contracts, straight from the node."""
    addresses = [a for name, a in registry.contracts.items() if name != "SwarmToken"]
    logs = w3.eth.get_logs({"fromBlock": registry.start_block, "toBlock": "latest", "address": addresses})
    return sorted((log["blockNumber"], log["logIndex"], "0x" + bytes(log["transactionHash"]).hex()) for log in logs)


def indexed(index: EventIndex) -> list[tuple[int, int, str]]:
    return [(log["blockNumber"], log["logIndex"], "0x" + bytes(log["transactionHash"]).hex()) for log in index.events()]


def registered(w3: Web3, registry: Registry) -> list[str]:
    """Every registered provider, in order of registration, from the chain's logs."""
    manager = w3.eth.contract(address=registry.address("StakeManager"), abi=load_abi("StakeManager"))
    logs = manager.events.ProviderRegistered().get_logs(from_block=registry.start_block)
    return [log["args"]["provider"] for log in sorted(logs, key=lambda log: (log["blockNumber"], log["logIndex"]))]


@pytest.fixture
def devnet() -> Iterator[Devnet]:
    with Devnet(accounts=12) as chain:
        chain.deploy(committee=())
        yield chain


def register(devnet: Devnet, index: int, uri: str = "http://node/health") -> Any:
    return Staking(devnet.client(index), devnet.registry).register(devnet.accounts[index].address, 1_000 * TOKEN, uri)


def test_the_devnet_has_multicall3_at_its_canonical_address(devnet):
    w3 = devnet.client(0).w3
    assert len(bytes(w3.eth.get_code(MULTICALL3_ADDRESS))) > 2_000


def test_a_reorg_replaces_the_reverted_events_with_the_new_chain_s(devnet):
    w3 = devnet.client(0).w3
    register(devnet, 1)
    index = EventIndex(w3, devnet.registry, confirmations=0, chunk=5)
    index.sync()
    fork = w3.provider.make_request("evm_snapshot", [])["result"]
    gone = register(devnet, 2, "http://reverted/health")
    register(devnet, 3, "http://reverted-too/health")
    index.sync()
    assert index.providers() == [devnet.accounts[i].address for i in (1, 2, 3)]

    # The chain goes back to the fork; different transactions make a longer chain in place of the old one.
    w3.provider.make_request("evm_revert", [fork])
    for _ in range(3):
        w3.provider.make_request("evm_mine", [])
    kept = register(devnet, 4, "http://new-chain/health")
    assert w3.eth.block_number > gone["blockNumber"]
    index.sync()

    gone_tx = "0x" + bytes(gone["transactionHash"]).hex()
    assert all(tx != gone_tx for _, _, tx in indexed(index)), "an event of a reverted block is still indexed"
    assert index.providers() == [devnet.accounts[i].address for i in (1, 4)] == registered(w3, devnet.registry)
    uris = index.latest("StakeManager", ("ProviderRegistered",), "metadataURI")
    assert uris[devnet.accounts[4].address] == "http://new-chain/health"
    assert (kept["blockNumber"], "0x" + bytes(kept["transactionHash"]).hex()) in {(b, t) for b, _, t in indexed(index)}
    assert indexed(index) == chain_events(w3, devnet.registry)


def test_anvil_reorg_under_the_unconfirmed_tail_and_the_confirmed_blocks(devnet):
    """anvil_reorg replaces the newest blocks: those the index took as confirmed are rewound and read
    again, those above (unconfirmed) are read anew at every sync."""
    w3 = devnet.client(0).w3
    index = EventIndex(w3, devnet.registry, confirmations=2, chunk=3)
    for i in (1, 2, 3, 4):
        register(devnet, i)
        index.sync()
    assert index.providers() == registered(w3, devnet.registry)
    head = w3.eth.block_number
    assert index.indexed_block == head - 2
    w3.provider.make_request("anvil_reorg", [5, []])  # the last 5 blocks, replaced by empty ones
    status = index.sync()
    assert status.head == w3.eth.block_number and status.block == status.head - 2
    assert indexed(index) == chain_events(w3, devnet.registry)
    assert index.providers() == registered(w3, devnet.registry) != [devnet.accounts[i].address for i in (1, 2, 3, 4)]


def test_a_restart_resumes_from_the_last_processed_block_with_no_duplicates(devnet, tmp_path):
    w3 = devnet.client(0).w3
    for i in range(1, 6):
        register(devnet, i)
    path = tmp_path / "index.sqlite3"
    first = EventIndex(w3, devnet.registry, path, confirmations=0, chunk=4)
    status = first.sync(max_chunks=3)
    assert status.stale and first.last_block == devnet.registry.start_block + 11
    done = first.count()
    first.close()

    # Killed in the middle of a chunk: its events and its mark are one transaction, so none is kept.
    crashing = EventIndex(w3, devnet.registry, path, confirmations=0, chunk=4)
    assert crashing.last_block == devnet.registry.start_block + 11 and crashing.count() == done

    def killed(*_: object) -> None:
        raise KeyboardInterrupt

    crashing.mark_processed = killed  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        crashing.sync()
    crashing.close()

    reopened = EventIndex(w3, devnet.registry, path, confirmations=0, chunk=4)
    assert reopened.last_block == devnet.registry.start_block + 11 and reopened.count() == done
    status = reopened.sync()
    assert not status.stale and status.block == w3.eth.block_number
    assert indexed(reopened) == chain_events(w3, devnet.registry)  # each event once
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == len(chain_events(w3, devnet.registry))
    reopened.close()


def test_each_eth_getlogs_covers_at_most_a_chunk_over_every_contract_at_once(devnet):
    for i in range(1, 4):
        register(devnet, i)
    proxy = RpcProxy(devnet.rpc_url)
    try:
        w3 = Client.connect(proxy.url).w3
        index = EventIndex(w3, devnet.registry, confirmations=3, chunk=7)
        proxy.reset()
        status = index.sync()
        ranges = [(int(c["params"][0]["fromBlock"], 16), int(c["params"][0]["toBlock"], 16), c["params"][0]["address"])
                  for c in proxy.calls if c["method"] == "eth_getLogs"]  # fmt: skip
    finally:
        proxy.close()
    confirmed, tail = ranges[:-1], ranges[-1]
    start, safe = devnet.registry.start_block, status.head - 3
    assert all(end - first + 1 <= 7 for first, end, _ in confirmed)
    assert [r[0] for r in confirmed] == [start, *(r[1] + 1 for r in confirmed[:-1])] and confirmed[-1][1] == safe
    assert len(confirmed) == -(-(safe - start + 1) // 7)
    assert (tail[0], tail[1]) == (safe + 1, status.head)
    expected = {a.lower() for name, a in devnet.registry.contracts.items() if name != "SwarmToken"}
    assert all({a.lower() for a in addresses} == expected for _, _, addresses in ranges)


def snapshot_requests(proxy: RpcProxy, reader: StatusReader) -> tuple[dict[str, Any], int]:
    proxy.reset()
    status = reader.snapshot()
    return status, proxy.requests


def test_the_snapshot_s_requests_do_not_grow_with_the_providers():
    with Devnet() as chain:
        registry = chain.deploy(committee=())
        chain.register_providers(30)
        proxy = RpcProxy(chain.rpc_url)
        try:
            reader = StatusReader(Client.connect(proxy.url), registry)
            reader.snapshot()  # the index catches up
            chain.increase_time(1)  # a new block: the index reads it
            status, thirty = snapshot_requests(proxy, reader)
            assert len(status["providers"]) == 30 and status["index"]["stale"] is False
            assert status["index"]["multicall"] is True
            assert thirty <= 5 + 1, proxy.methods  # one batched call for up to 500 providers
            assert proxy.methods["eth_call"] == 1

            chain.register_providers(60, first=30)
            reader.snapshot()
            chain.increase_time(1)
            status, ninety = snapshot_requests(proxy, reader)
            assert len(status["providers"]) == 90 and ninety == thirty, proxy.methods
        finally:
            proxy.close()

        # What the snapshot says is what the chain says.
        w3 = Web3(Web3.HTTPProvider(chain.rpc_url))
        manager = w3.eth.contract(address=registry.address("StakeManager"), abi=reader.staking.manager.abi)
        block = status["chain"]["block"]
        assert [p["address"] for p in status["providers"]] == registered(w3, registry)
        for row in status["providers"][::29]:
            operator, _jailed, open_incidents, _registered, _ = manager.functions.getProvider(row["address"]).call(
                block_identifier=block
            )
            pool = manager.functions.getPool(row["address"]).call(block_identifier=block)[0]
            assert (row["operator"], row["open_incidents"], int(row["pool_assets"])) == (operator, open_incidents, pool)
            assert row["metadata_uri"].startswith("http://provider-")


def test_a_lagging_index_is_reported_until_it_has_caught_up(devnet, monkeypatch):
    for i in range(1, 5):
        register(devnet, i)
    monkeypatch.setattr(dashboard, "CHUNKS_PER_SNAPSHOT", 2)
    client = devnet.client(0)
    reader = StatusReader(client, devnet.registry, EventIndex.open(client, devnet.registry, confirmations=1, chunk=4))
    first = reader.snapshot()["index"]
    head = first["head"]
    assert first["stale"] and first["block"] == devnet.registry.start_block + 7 and first["lag"] == head - first["block"]
    assert first["behind"] == first["lag"] - 1 and first["unconfirmed_read"] is False
    seen = [first]
    while seen[-1]["stale"]:
        seen.append(reader.snapshot()["index"])
        assert len(seen) < 20
    assert seen[-1] == {**seen[-1], "block": head - 1, "lag": 1, "behind": 0, "unconfirmed_read": True}
    assert [s["block"] for s in seen] == sorted(s["block"] for s in seen)


def test_the_cli_keeps_the_index_beside_the_registry_and_refuses_a_file_that_is_not_one(devnet, tmp_path):
    registry = tmp_path / "devnet.json"
    devnet.registry.save(registry)
    register(devnet, 1, "http://one/health")
    address = devnet.accounts[1].address
    common = ("--rpc-url", devnet.rpc_url, "--registry", registry)
    status = assert_ok(run_cli(*common, "--json", "provider", "status", address, env=clean_env(), cwd=tmp_path))
    assert '"metadata_uri": "http://one/health"' in status.stdout
    index_file = tmp_path / "devnet.index.sqlite3"
    with sqlite3.connect(index_file) as db:
        assert db.execute("SELECT COUNT(*) FROM events WHERE event = 'ProviderRegistered'").fetchone()[0] == 1

    not_an_index = tmp_path / "notes.txt"
    not_an_index.write_text("this is not a database\n" * 100)
    refused = run_cli(*common, "incidents", "list", env=clean_env(SWARM_STAKE_INDEX_FILE=not_an_index), cwd=tmp_path)
    assert_error(refused, "cannot use", str(not_an_index), "index")
    bad = run_cli(*common, "incidents", "list", env=clean_env(SWARM_STAKE_INDEX_CHUNK="0"), cwd=tmp_path)
    assert_error(bad, "invalid settings", "index_chunk")


def test_an_index_of_another_chain_is_emptied_and_filled_again(tmp_path):
    path = tmp_path / "index.sqlite3"
    with Devnet() as chain:
        registry = chain.deploy(committee=())
        chain.register_providers(2)
        with EventIndex(chain.client(0).w3, registry, path, confirmations=0) as index:
            index.sync()
            first = index.providers()
    with Devnet() as chain:  # the same chain id and addresses, another chain
        registry = chain.deploy(committee=())
        chain.register_providers(1, first=100)
        with EventIndex(chain.client(0).w3, registry, path, confirmations=0) as index:
            assert index.count() == 0
            index.sync()
            assert len(index.providers()) == 1 and index.providers()[0] not in first
            assert indexed(index) == chain_events(chain.client(0).w3, registry)


def plain(value: Any) -> Any:
    if isinstance(value, dict | AttributeDict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def test_the_scanner_decodes_every_event_as_web3_does_and_batches_read_as_single_calls():
    """The scanner's own log decoding and Multicall's written-out ABI coding give exactly what web3.py's
    process_log and contract calls give: every event of a deployment with providers and executed verdicts."""
    from swarm_stake.chainscan import ChainScanner
    from swarm_stake.devnet import ORACLE_ACCOUNTS, devnet_params
    from swarm_stake.multicall import Multicall, decode_aggregate3, encode_aggregate3, view

    params = devnet_params()
    params = params.model_copy(update={"limits": params.limits.model_copy(update={"rate_cap_bps": 10_000})})
    with Devnet() as chain:
        registry = chain.deploy(params, committee=ORACLE_ACCOUNTS, threshold=3)
        providers = chain.register_providers(30)
        chain.open_incidents(providers[:3])
        w3 = chain.client(0).w3
        contracts = {name: w3.eth.contract(address=address, abi=load_abi(name))
                     for name, address in registry.contracts.items() if name != "SwarmToken"}  # fmt: skip
        scanner = ChainScanner(w3, contracts, EventIndex(w3, registry), 0, 10_000, registry.start_block)
        ours = scanner.logs(registry.start_block, w3.eth.block_number)
        theirs = []
        for log in w3.eth.get_logs({"fromBlock": registry.start_block, "toBlock": "latest",
                                    "address": [c.address for c in contracts.values()]}):  # fmt: skip
            name = next(n for n, c in contracts.items() if c.address == log["address"])
            decoded = None
            for candidate in contracts[name].events:
                try:
                    decoded = candidate().process_log(log)
                    break
                except Exception:  # noqa: BLE001, S112 (another event's topic)
                    continue
            assert decoded is not None, log
            theirs.append((log["blockNumber"], log["logIndex"], name, decoded["event"], plain(decoded["args"])))
        assert {e.name for e in ours} >= {"ProviderRegistered", "VerdictExecuted", "RecoveryParamsSet", "RoleGranted"}
        assert [(e.block, e.log_index, e.contract, e.name, plain(e.args)) for e in ours] == theirs

        manager, verdicts, lens = contracts["StakeManager"], contracts["VerdictManager"], contracts["SwarmLens"]
        incidents = [e.args["incidentId"] for e in ours if e.name == "VerdictExecuted"]
        wanted = [(manager, f, (p,)) for p in providers for f in ("getProvider", "getPool", "statusOf", "selfStakeOf")]
        wanted += [(verdicts, "getIncident", (i,)) for i in incidents] + [(lens, "stateOf", (i,)) for i in incidents]
        wanted += [(manager, "token", ()), (verdicts, "limits", ())]
        calls = [view(contract, name, *args) for contract, name, args in wanted]
        block = w3.eth.block_number
        web3_results = [plain(getattr(contract.functions, name)(*args).call(block_identifier=block))
                        for contract, name, args in wanted]  # fmt: skip
        one_by_one = [plain(c.decode(bytes(w3.eth.call({"to": c.target, "data": c.data}, block)))) for c in calls]
        assert one_by_one == web3_results
        assert [plain(r) for r in Multicall(w3, batch_size=50).call(calls, block)] == web3_results

        from eth_abi import decode as abi_decode
        from eth_abi import encode as abi_encode

        encoded = encode_aggregate3(calls)
        assert encoded[4:] == abi_encode(["(address,bool,bytes)[]"], [[(c.target, True, c.data) for c in calls]])
        raw = bytes(w3.eth.call({"to": MULTICALL3_ADDRESS, "data": encoded}, block))
        assert decode_aggregate3(raw) == [tuple(r) for r in abi_decode(["(bool,bytes)[]"], raw)[0]]
