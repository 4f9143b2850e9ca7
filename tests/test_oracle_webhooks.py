"""Webhook notifications: queued in SQLite, delivered once per key, retried with back-off."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from web3 import Web3

from swarm_stake.deploy import Registry
from swarm_stake.devnet import dev_account, devnet_params
from swarm_stake.oracle.daemon import OracleDaemon
from swarm_stake.oracle.localnet import devnet_daemon_config

pytestmark = pytest.mark.unit


class FlakyReceiver:
    """Answers 500 to the first ``failures`` posts, then 204; keeps every body it accepted."""

    def __init__(self, failures):
        self.failures = failures
        self.attempts = 0
        self.accepted = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.attempts += 1
                if receiver.attempts <= receiver.failures:
                    self.send_response(500)
                else:
                    receiver.accepted.append(body)
                    self.send_response(204)
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"


def make_daemon(tmp_path, url, clock):
    registry = Registry(network="devnet", chain_id=31337, start_block=0, params=devnet_params(),
                        contracts={name: "0x" + f"{i + 1:040x}" for i, name in enumerate(
                            ("StakeManager", "VerdictManager", "RecoveryEscrow", "OracleCommittee"))})
    w3 = Web3(Web3.HTTPProvider("http://127.0.0.1:9"))  # never called: delivery needs no chain
    config = devnet_daemon_config(tmp_path / "oracle", webhooks=[url])
    return OracleDaemon(config, w3, registry, dev_account(10), clock=clock)


def test_a_notification_is_retried_until_delivered_and_delivered_once(tmp_path):
    receiver = FlakyReceiver(failures=2)
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
    assert receiver.accepted == [{"event": "response", "incident_id": "0x01", "oracle": dev_account(10).address}]
    daemon.close()

    # After a restart on the same state, nothing is sent again.
    again = make_daemon(tmp_path, receiver.url, lambda: now[0])
    again.notify("response:0x01", "response", {"incident_id": "0x01"})
    assert again.deliver() == 0 and receiver.attempts == 3
    again.close()
    receiver.httpd.shutdown()


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
