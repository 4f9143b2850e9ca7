"""`swarm-stake dashboard`: the JSON endpoint and the page as headless Chromium renders it, during a
real incident on a local swarm (anvil with a block a second, three providers with node simulators,
three oracle daemons that detect, sign and execute the verdict themselves).

Every expectation is read from the chain here, independently of the dashboard's own code.
Chromium (`chromium` on PATH, Debian's package; .ci/run installs it) is required: without it the
browser tests fail.
"""

from __future__ import annotations

import json
import shutil
import socket
import struct
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import requests
from cli_support import assert_error, clean_env, run_cli
from rpc_proxy import RpcProxy
from web3 import Web3

from swarm_stake.abis import load_abi
from swarm_stake.audit import load_proof, prepare, sign_bundle, write_json
from swarm_stake.dashboard import capture
from swarm_stake.devnet import AUDITOR_ACCOUNT, dev_account
from swarm_stake.incidents import Incidents
from swarm_stake.models import EscrowState, Phase, ProviderStatus
from swarm_stake.oracle.localnet import TOKEN, LocalSwarm, wait_for
from swarm_stake.recovery import RecoveryDesk
from swarm_stake.staking import Staking

INSURANCE = 1_234_500_000_000_000_000_000  # 1,234.5 tokens
DELEGATED_A = 2_500 * TOKEN
#: A provider controls its metadata URI; the page must show it as text, never as markup.
HOSTILE_URI = '<img src=x onerror="document.title=\'pwned\'"><i class="injected">x</i>'
HOSTILE_OWNER, HOSTILE_OPERATOR = 15, 16


def name(member: Any) -> str:
    return member.name.lower().replace("_", " ")


@dataclass
class Scene:
    swarm: LocalSwarm
    w3: Web3
    url: str
    process: subprocess.Popen[str]
    incident: str

    def contract(self, contract_name: str) -> Any:
        return self.w3.eth.contract(address=self.swarm.registry.address(contract_name), abi=load_abi(contract_name))

    def status(self) -> dict[str, Any]:
        response = requests.get(f"{self.url}/api/status", timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def logs(self, contract_name: str, event: str) -> list[Any]:
        found = getattr(self.contract(contract_name).events, event)().get_logs(
            from_block=self.swarm.registry.start_block
        )
        return sorted(found, key=lambda log: (log["blockNumber"], log["logIndex"]))


def start_dashboard(swarm: LocalSwarm, *extra: str) -> tuple[subprocess.Popen[str], str]:
    """`swarm-stake dashboard` as a user starts it; returns the process and the URL it prints."""
    command = [sys.executable, "-m", "swarm_stake.cli", "--rpc-url", swarm.devnet.rpc_url, "--registry",
               str(swarm.registry_path), "dashboard", "--listen", "127.0.0.1:0", *extra]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env())
    assert process.stdout is not None
    line = process.stdout.readline()
    if "status page on " not in line:
        process.kill()
        raise AssertionError(f"the dashboard did not start: {line}{process.stderr.read() if process.stderr else ''}")
    return process, line.split("status page on ", 1)[1].split("/ ", 1)[0]


@pytest.fixture(scope="module")
def scene():
    with LocalSwarm() as swarm:
        # Delegations and an insurance deposit, so that every column holds something to check.
        Staking(swarm.devnet.client(5), swarm.registry).stake(swarm.address("provider-a"), DELEGATED_A)
        admin = swarm.devnet.client(0)
        escrow = admin.contract("RecoveryEscrow", swarm.registry.address("RecoveryEscrow"))
        token = admin.contract("SwarmToken", swarm.registry.address("SwarmToken"))
        admin.send(token.functions.approve(escrow.address, INSURANCE))
        admin.send(escrow.functions.depositInsurance(INSURANCE))

        # A real incident: provider A's node reports tampered software; the oracles slash and jail A.
        daemons = [swarm.start_daemon_thread(i) for i in range(3)]
        wait_for(lambda: all(h.daemon.cycles >= 4 for h in daemons), 60, what="oracle daemons cycling")
        swarm.nodes["provider-a"].node.set_mode("bad-software")
        wait_for(lambda: swarm.status_of("provider-a") == ProviderStatus.JAILED, 60, what="provider A jailed")
        for handle in daemons:  # a quiet chain from here on: only what the tests do changes it
            swarm.stop_daemon(handle)
        # A fourth provider with a hostile metadata URI (registered once no oracle probes it).
        Staking(swarm.devnet.client(HOSTILE_OWNER), swarm.registry).register(
            dev_account(HOSTILE_OPERATOR).address, 1_000 * TOKEN, HOSTILE_URI
        )

        process, url = start_dashboard(swarm, "--refresh", "1")
        w3 = Web3(Web3.HTTPProvider(swarm.devnet.rpc_url))
        executed = Incidents(swarm.reader(), swarm.registry).list()
        assert len(executed) == 1, executed
        try:
            yield Scene(swarm, w3, url, process, executed[0].incident_id)
        finally:
            process.terminate()
            process.wait(timeout=10)


# -- the JSON endpoint -------------------------------------------------------------------------


def expected_providers(scene: Scene, block: int) -> list[dict[str, Any]]:
    """Every registered provider as the chain says at ``block``, in order of registration."""
    manager = scene.contract("StakeManager")
    rows = []
    for log in scene.logs("StakeManager", "ProviderRegistered"):
        address = log["args"]["provider"]
        pool = manager.functions.getPool(address).call(block_identifier=block)[0]
        own = manager.functions.selfStakeOf(address).call(block_identifier=block)
        operator, _jailed, open_incidents, _registered, _ = manager.functions.getProvider(address).call(
            block_identifier=block
        )
        rows.append({
            "address": address,
            "status": name(ProviderStatus(manager.functions.statusOf(address).call(block_identifier=block))),
            "operator": operator,
            "open_incidents": open_incidents,
            "frozen": open_incidents > 0,
            "pool_assets": str(pool),
            "self_stake": str(own),
            "delegated": str(pool - own),
            "metadata_uri": log["args"]["metadataURI"],
        })  # fmt: skip
    return rows


def expected_phases(scene: Scene) -> list[tuple[str, int]]:
    """(phase, block) of each phase event of the incident, from the contracts' events."""
    steps = [("detected", next(log["blockNumber"] for log in scene.logs("VerdictManager", "VerdictApproved")
                               if "0x" + bytes(log["args"]["incidentId"]).hex() == scene.incident))]  # fmt: skip
    for contract_name, event, phase in (("VerdictManager", "VerdictExecuted", "responded"),
                                        ("RecoveryEscrow", "ClaimFiled", "restoring")):  # fmt: skip
        steps += [(phase, log["blockNumber"]) for log in scene.logs(contract_name, event)]
    return sorted(steps, key=lambda step: step[1])


def check_against_chain(scene: Scene, status: dict[str, Any]) -> None:
    block = status["chain"]["block"]
    head = scene.w3.eth.get_block(block)
    assert status["chain"]["block_time"] == head["timestamp"]
    assert status["chain"]["chain_id"] == scene.w3.eth.chain_id
    assert status["token"] == {"symbol": "SWARM", "decimals": 18}

    providers = [{k: p[k] for k in ("address", "status", "operator", "open_incidents", "frozen", "pool_assets",
                                    "self_stake", "delegated", "metadata_uri")} for p in status["providers"]]  # fmt: skip
    assert providers == expected_providers(scene, block)

    verdicts, escrow = scene.contract("VerdictManager"), scene.contract("RecoveryEscrow")
    [executed] = scene.logs("VerdictManager", "VerdictExecuted")
    [incident] = status["incidents"]
    args = executed["args"]
    assert incident["incident_id"] == scene.incident == "0x" + bytes(args["incidentId"]).hex()
    assert incident["provider"] == args["provider"] == scene.swarm.address("provider-a")
    assert incident["violation_class"] == "security breach" and incident["level"] == "penalty"
    assert int(incident["amount"]) == args["amount"] > 0
    assert incident["phase"] == name(Phase(scene.contract("SwarmLens").functions.stateOf(scene.incident).call()))
    assert incident["executed_block"] == executed["blockNumber"]
    phases = [(step["phase"], step["block"]) for step in incident["phases"]]
    assert phases == expected_phases(scene)
    for step in incident["phases"]:
        assert step["time"] == scene.w3.eth.get_block(step["block"])["timestamp"]

    amount, _bps, _path, state, _opened, _version, _evaluated, _clock = escrow.functions.escrowOf(scene.incident).call(
        block_identifier=block
    )
    filed_at, _last, _next, vested_epochs, released, _vested_clock = escrow.functions.claimOf(scene.incident).call(
        block_identifier=block
    )
    [row] = status["escrows"]
    assert row["incident_id"] == scene.incident
    assert (int(row["amount"]), row["state"]) == (amount, name(EscrowState(state)))
    assert (row["vested_epochs"], row["epochs_required"], int(row["released"])) == (vested_epochs, 3, released)
    assert row["claim_filed_at"] == (filed_at or None)
    assert int(status["insurance_pool"]) == escrow.functions.insuranceBalance().call(block_identifier=block) == INSURANCE
    assert int(status["total_escrowed"]) == escrow.functions.totalEscrowed().call(block_identifier=block) == amount


def test_status_endpoint_reports_what_the_chain_says_during_an_incident_and_follows_it(scene):
    status = scene.status()
    check_against_chain(scene, status)
    by_address = {p["address"]: p for p in status["providers"]}
    a = by_address[scene.swarm.address("provider-a")]
    assert (a["status"], a["open_incidents"], a["frozen"]) == ("jailed", 1, True)
    assert int(a["delegated"]) > 0 and a["metadata_uri"] == scene.swarm.nodes["provider-a"].url
    for other in ("provider-b", "provider-c"):
        assert by_address[scene.swarm.address(other)]["status"] == "active"
    assert [p["phase"] for p in status["incidents"][0]["phases"]] == ["detected", "responded"]
    assert status["escrows"][0]["state"] == "escrowed"
    index = status["index"]  # the event index has caught up: only the confirmations separate it from the head
    assert (index["head"], index["stale"], index["multicall"]) == (status["chain"]["block"], False, True)
    assert index["lag"] == index["head"] - index["block"] <= index["confirmations"]

    # Provider A's operator files its recovery claim with an auditor's proof: the page follows
    # the incident into "restoring" and the escrow into "observing" on a later refresh.
    receipt = file_claim(scene, scene.swarm.address("provider-a"), scene.swarm.workdir / "audit")
    later = wait_for(lambda: (s := scene.status())["incidents"][0]["phase"] == "restoring" and s, 15,
                     what="the restoring phase on the status endpoint")  # fmt: skip
    check_against_chain(scene, later)
    steps = later["incidents"][0]["phases"]
    assert [s["phase"] for s in steps] == ["detected", "responded", "restoring"]
    assert steps[-1]["block"] == receipt["blockNumber"]
    assert steps[-1]["transaction"] == "0x" + bytes(receipt["transactionHash"]).hex()
    assert later["escrows"][0]["state"] == "observing" and later["chain"]["block"] >= receipt["blockNumber"]


def file_claim(scene: Scene, provider: str, directory: Path) -> Any:
    """The recovery claim of the incident, filed by the provider's operator key with an audit proof."""
    swarm = scene.swarm
    logs = directory / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    (logs / "node.log").write_text("rebuilt from the reproducible build\nhealth OK\n")
    (directory / "report.md").write_text("audit: the tampered binary is replaced\n")
    (directory / "remediation.md").write_text("image rebuilt and verified\n")
    bundle = prepare(scene.incident, provider, logs, directory / "report.md", directory / "remediation.md")
    now = scene.w3.eth.get_block("latest")["timestamp"]
    proof_path = directory / "proof.json"
    write_json(proof_path, sign_bundle(bundle, dev_account(AUDITOR_ACCOUNT), swarm.registry.chain_id,
                                       swarm.registry.address("RecoveryEscrow"), now, now + 3600))  # fmt: skip
    proof = load_proof(proof_path)
    operator = RecoveryDesk(swarm.devnet.client(swarm.nodes["provider-a"].operator_index), swarm.registry)
    verdict = Incidents(swarm.reader(), swarm.registry).verdict(scene.incident)
    return operator.file_claim(verdict, proof.proof, proof.signature_bytes)


def test_the_server_is_read_only_and_serves_a_self_contained_page(scene):
    page = requests.get(f"{scene.url}/", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy and "unsafe-inline" not in policy
    body = page.text
    assert "<script>" in body and "<style>" in body
    for remote in ("src=", "<link", "http://", "https://", "//cdn"):
        assert remote not in body, f"{remote!r}: the page must load nothing from elsewhere"
    for method in ("post", "put", "delete", "patch"):
        refused = requests.request(method, f"{scene.url}/api/status", timeout=10)
        assert refused.status_code == 405 and refused.headers["Allow"] == "GET, HEAD"
    assert requests.get(f"{scene.url}/nothing-here", timeout=10).status_code == 404
    assert requests.get(f"{scene.url}/health", timeout=10).text == "ok\n"
    status = requests.get(f"{scene.url}/api/status", timeout=10)
    assert status.headers["Content-Type"] == "application/json" and status.headers["Cache-Control"] == "no-store"
    assert json.loads(status.content)["refresh_seconds"] == 1


# -- the page in headless Chromium -------------------------------------------------------------


class Element:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Element | None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element | str] = []

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def iter(self):  # noqa: ANN201
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, predicate) -> list[Element]:  # noqa: ANN001
        return [e for e in self.iter() if predicate(e)]

    def one(self, predicate) -> Element:  # noqa: ANN001
        found = self.find_all(predicate)
        assert len(found) == 1, f"{len(found)} matching elements"
        return found[0]


class DomTree(HTMLParser):
    """The serialized DOM as a tree of elements (enough for Chromium's --dump-dom output)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self._open = self.root
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, self._open)
        self._open.children.append(element)
        if tag not in self.VOID:
            self._open = element

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self._open
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self._open = node.parent

    def handle_data(self, data: str) -> None:
        self._open.children.append(data)


def chromium_or_fail() -> None:
    if shutil.which("chromium") is None:
        pytest.fail("chromium is not installed, and the dashboard's browser tests need it: "
                    "apt-get install -y chromium (.ci/run installs it before `make test`)")  # fmt: skip


def has_class(element: Element, name: str) -> bool:
    return name in element.attrs.get("class", "").split()


def test_chromium_renders_the_jailed_provider_the_incident_phase_and_the_insurance_pool(scene, tmp_path):
    chromium_or_fail()
    block_before = scene.w3.eth.block_number
    dom = DomTree(capture(scene.url + "/", wait_ms=5000)).root

    title = dom.one(lambda e: e.tag == "title")
    assert title.text == "swarm-stake status"  # the hostile metadata URI ran no script
    assert int(dom.one(lambda e: e.tag == "body").attrs["data-block"]) >= block_before

    rows = {e.attrs["data-provider"]: e for e in dom.find_all(lambda e: e.tag == "tr" and "data-provider" in e.attrs)}
    manager = scene.contract("StakeManager")
    registered = [log["args"]["provider"] for log in scene.logs("StakeManager", "ProviderRegistered")]
    assert list(rows) == registered
    a = rows[scene.swarm.address("provider-a")]
    status_a = a.one(lambda e: has_class(e, "status")).text
    assert status_a == "jailed" == name(ProviderStatus(manager.functions.statusOf(a.attrs["data-provider"]).call()))
    assert a.find_all(lambda e: has_class(e, "frozen") and e.text == "frozen")
    for other in ("provider-b", "provider-c"):
        assert rows[scene.swarm.address(other)].one(lambda e: has_class(e, "status")).text == "active"
    pool_a = manager.functions.getPool(a.attrs["data-provider"]).call()[0]
    assert a.one(lambda e: has_class(e, "pool")).text == f"{pool_a / TOKEN:,.2f} SWARM"

    # The hostile URI is shown verbatim as text; no element came out of it.
    hostile = rows[dev_account(HOSTILE_OWNER).address]
    assert hostile.one(lambda e: has_class(e, "uri")).text == HOSTILE_URI
    assert not dom.find_all(lambda e: e.tag == "img" or has_class(e, "injected"))

    # The incident, its current phase (as the chain derives it) and its phase timeline.
    phase = name(Phase(scene.contract("SwarmLens").functions.stateOf(scene.incident).call()))
    incident = dom.one(lambda e: e.tag == "tr" and e.attrs.get("data-incident") == scene.incident)
    assert incident.attrs["data-phase"] == phase
    assert incident.one(lambda e: has_class(e, "phase")).text == phase
    assert incident.one(lambda e: has_class(e, "class")).text == "security breach"
    steps = incident.find_all(lambda e: e.tag == "li")
    assert [(s.attrs["data-phase"], s.text.split("#")[1].split()[0]) for s in steps] == [
        (p, str(b)) for p, b in expected_phases(scene)
    ]
    escrow_state = name(EscrowState(scene.contract("RecoveryEscrow").functions.stateOf(scene.incident).call()))
    escrow = dom.one(lambda e: e.tag == "tr" and e.attrs.get("data-escrow") == scene.incident)
    assert escrow.attrs["data-state"] == escrow_state

    card = dom.one(lambda e: e.attrs.get("id") == "insurance-pool")
    assert card.attrs["data-amount"] == str(INSURANCE)
    assert "insurance pool" in card.text and "1,234.50 SWARM" in card.text
    assert dom.one(lambda e: e.attrs.get("id") == "error").text == ""
    index = dom.one(lambda e: e.attrs.get("id") == "index")
    assert index.text.startswith("#") and "blocks below the head" in index.text and "catching up" not in index.text
    assert int(index.attrs["data-lag"]) <= 12

    # And a screenshot of it, at the window size asked for.
    shot = tmp_path / "dashboard.png"
    capture(scene.url + "/", screenshot=shot)
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (1400, 1000)


def test_the_page_reports_a_lost_chain_and_keeps_the_last_data(scene, tmp_path):
    """A dashboard whose RPC goes away: the JSON endpoint answers 503 with the reason, and the page
    shows an error banner above the last data it read."""
    chromium_or_fail()
    from swarm_stake.chain import Client
    from swarm_stake.dashboard import Dashboard, StatusReader

    proxy = RpcProxy(scene.swarm.devnet.rpc_url)

    class FirstTwoReads(StatusReader):
        """Breaks the chain once the page has had its first snapshot (the test reads the one before)."""

        reads = 0

        def snapshot(self) -> dict[str, Any]:
            data = super().snapshot()
            self.reads += 1
            if self.reads == 2:
                proxy.broken = True
            return data

    try:
        reader = FirstTwoReads(Client.connect(proxy.url), scene.swarm.registry)
        with Dashboard(reader, "127.0.0.1", 0, refresh=0.5) as page:
            # Chromium's virtual time polls far faster than real time: every poll must read the chain.
            page.cache.max_age = 0
            first = requests.get(f"{page.url}/api/status", timeout=10)
            assert first.status_code == 200, first.text
            dom = DomTree(capture(page.url + "/", wait_ms=1200)).root
            assert reader.reads == 2
            down = requests.get(f"{page.url}/api/status", timeout=60)
            assert down.status_code == 503 and "cannot read the chain" in down.json()["error"]
    finally:
        proxy.close()
    banner = dom.one(lambda e: e.attrs.get("id") == "error")
    assert banner.text.startswith("cannot refresh: cannot read the chain")
    assert dom.find_all(lambda e: e.tag == "tr" and e.attrs.get("data-status") == "jailed")


# -- the evidence behind each incident ---------------------------------------------------------


@contextmanager
def evidence_servers_back(swarm: LocalSwarm) -> Iterator[list[str]]:
    """The stopped daemons' evidence servers, serving again at their announced URLs over their own stores."""
    from swarm_stake.oracle.server import DaemonServer, EvidenceStore, Metrics

    servers = []
    try:
        for handle in swarm.daemons:
            port = int(handle.url.rsplit(":", 1)[1])
            store = EvidenceStore(handle.config.evidence_dir)
            servers.append(DaemonServer("127.0.0.1", port, store, Metrics(), lambda: (True, {})).start())
        yield [server.url for server in servers]
    finally:
        for server in servers:
            server.stop()


def test_each_incident_links_to_its_evidence_which_the_dashboard_serves_as_the_cli_does(scene, tmp_path):
    chromium_or_fail()
    dom = DomTree(capture(scene.url + "/", wait_ms=5000)).root
    incident = dom.one(lambda e: e.tag == "tr" and e.attrs.get("data-incident") == scene.incident)
    link = incident.one(lambda e: e.tag == "a" and has_class(e.parent, "evidence"))
    assert link.attrs["href"] == f"api/evidence/{scene.incident}" and link.text == "evidence"
    where = f"{scene.url}/{link.attrs['href']}"

    # The daemons are stopped: nobody serves the evidence, and the endpoint says so.
    down = requests.get(where, timeout=30)
    assert down.status_code == 502 and "unreachable" in down.json()["error"]

    with evidence_servers_back(scene.swarm) as urls:
        served = requests.get(where, timeout=30)
        cli = run_cli("--rpc-url", scene.swarm.devnet.rpc_url, "--registry", scene.swarm.registry_path,
                      "incidents", "evidence", scene.incident, "--json", env=clean_env(), cwd=tmp_path)  # fmt: skip
    assert served.status_code == 200 and served.headers["Content-Type"] == "application/json"
    assert cli.returncode == 0, cli.stderr
    assert served.json() == json.loads(cli.stdout)
    [verdict] = served.json()["verdicts"]
    [executed] = scene.logs("VerdictManager", "VerdictExecuted")
    assert verdict["evidence_hash"] == "0x" + bytes(executed["args"]["verdict"]["evidenceHash"]).hex()
    assert verdict["source"] in urls and verdict["bundle"]["rule"] == "software_hash"
    assert verdict["rerun"]["fires"] and verdict["rerun"]["reproduces"]

    unknown = requests.get(f"{scene.url}/api/evidence/0x{'00' * 32}", timeout=30)
    assert unknown.status_code == 404 and "no executed incident" in unknown.json()["error"]
    assert requests.get(f"{scene.url}/api/evidence/0x1234", timeout=10).status_code == 404


# -- clean errors ------------------------------------------------------------------------------


def test_bad_input_gives_a_clean_error(scene, tmp_path):
    registry = scene.swarm.registry_path
    no_registry = run_cli("--rpc-url", scene.swarm.devnet.rpc_url, "dashboard", env=clean_env(), cwd=tmp_path)
    assert_error(no_registry, "no deployment registry", "--registry")

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}"
    unreachable = run_cli("--rpc-url", dead, "--registry", registry, "dashboard", env=clean_env(), cwd=tmp_path)
    assert_error(unreachable, "cannot reach the JSON-RPC endpoint", dead)

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        in_use = run_cli("--rpc-url", scene.swarm.devnet.rpc_url, "--registry", registry, "dashboard",
                         "--listen", f"127.0.0.1:{port}", env=clean_env(), cwd=tmp_path)  # fmt: skip
    assert_error(in_use, f"cannot listen on 127.0.0.1:{port}", "--listen")

    malformed = run_cli("--rpc-url", scene.swarm.devnet.rpc_url, "--registry", registry, "dashboard",
                        "--listen", "localhost", env=clean_env(), cwd=tmp_path)  # fmt: skip
    assert_error(malformed, "--listen", "HOST:PORT", code=2)
