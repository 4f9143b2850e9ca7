"""Webhook notifications: queued in SQLite once per key, retried with back-off until accepted."""

import pytest
from web3 import Web3

from swarm_stake.deploy import Registry
from swarm_stake.devnet import dev_account, devnet_params
from swarm_stake.oracle.daemon import OracleDaemon
from swarm_stake.oracle.localnet import devnet_daemon_config

from oracle_support import WebhookReceiver

pytestmark = pytest.mark.unit


def make_daemon(tmp_path, url, clock):
    registry = Registry(network="devnet", chain_id=31337, start_block=0, params=devnet_params(),
                        contracts={name: "0x" + f"{i + 1:040x}" for i, name in enumerate(
                            ("StakeManager", "VerdictManager", "RecoveryEscrow", "OracleCommittee", "SwarmLens"))})
    w3 = Web3(Web3.HTTPProvider("http://127.0.0.1:9"))  # never called: delivery needs no chain
    config = devnet_daemon_config(tmp_path / "oracle", webhooks=[url])
    return OracleDaemon(config, w3, registry, dev_account(10), clock=clock)


def test_a_notification_is_retried_until_delivered_and_delivered_once(tmp_path):
    receiver = WebhookReceiver(failures=2)
    now = [1000.0]
    daemon = make_daemon(tmp_path, receiver.url, lambda: now[0])
    daemon.notify("response:0x01", "response", {"incident_id": "0x01"})
    daemon.notify("response:0x01", "response", {"incident_id": "0x01"})  # the same event seen again: not re-queued

    assert daemon.deliver() == 0 and receiver.attempts == 1
    assert daemon.deliver() == 0 and receiver.attempts == 1  # backing off: not due yet
    now[0] += 10
    assert daemon.deliver() == 0 and receiver.attempts == 2
    now[0] += 10
    assert daemon.deliver() == 1 and receiver.attempts == 3
    now[0] += 100
    assert daemon.deliver() == 0 and receiver.attempts == 3
    assert receiver.bodies == [{"event": "response", "incident_id": "0x01", "oracle": dev_account(10).address}]
    daemon.close()

    # After a restart on the same state, nothing is sent again.
    again = make_daemon(tmp_path, receiver.url, lambda: now[0])
    again.notify("response:0x01", "response", {"incident_id": "0x01"})
    assert again.deliver() == 0 and receiver.attempts == 3
    again.close()
    receiver.close()


def test_an_unreachable_endpoint_is_given_up_after_ten_attempts(tmp_path):
    now = [0.0]
    daemon = make_daemon(tmp_path, "http://127.0.0.1:9/hook", lambda: now[0])
    daemon.notify("detection:1", "detection", {"provider": "0x" + "11" * 20})
    for _ in range(12):
        daemon.deliver()
        now[0] += 120
    row = daemon.store.db.execute("SELECT attempts, delivered FROM outbox").fetchone()
    assert row["attempts"] == 10 and row["delivered"] is None
    assert daemon.metrics.webhooks.labels("failed")._value.get() == 10
    daemon.close()
