"""Daemons that propose the same failure at once converge on one verdict; a lower-severity verdict
on chain is never "upgraded" by a transaction that would revert.

Real anvil, real HTTP nodes, daemons in threads of the test process. The race is forced: block
production is paused while the failure is injected, so every daemon proposes before it can see
any other proposal, and all proposals land in one block.
"""

import json

import pytest

from swarm_stake.evidence import evidence_hash
from swarm_stake.models import Level, ProviderStatus, ViolationClass
from swarm_stake.oracle.localnet import LocalSwarm, wait_for
from swarm_stake.verdicts import VerdictDesk

pytestmark = pytest.mark.integration


def manager_events(swarm, name):
    manager = swarm.reader().contract("VerdictManager", swarm.registry.address("VerdictManager"))
    return getattr(manager.events, name)().get_logs(from_block=0)


def first_approvals(swarm):
    """The first approval of each digest, in chain order: the proposals."""
    seen, proposals = set(), []
    for event in sorted(manager_events(swarm, "VerdictApproved"), key=lambda e: (e["blockNumber"], e["logIndex"])):
        digest = "0x" + bytes(event["args"]["digest"]).hex()
        if digest not in seen:
            seen.add(digest)
            proposals.append((digest, event))
    return proposals


def own_proposals_sent(handle):
    return [r for r in handle.daemon.store.signatures("sent") if r["role"] == "proposed"]


def mine_paused(w3):
    w3.provider.make_request("evm_setAutomine", [False])
    w3.provider.make_request("evm_setIntervalMining", [0])


def mine_resumed(w3):
    w3.provider.make_request("evm_mine", [])
    w3.provider.make_request("evm_setAutomine", [True])
    w3.provider.make_request("evm_setIntervalMining", [1])


def test_three_daemons_proposing_one_failure_at_once_converge_on_the_earliest_proposal():
    with LocalSwarm() as swarm:
        handles = [swarm.start_daemon_thread(i, propose_stagger=0) for i in range(3)]
        wait_for(lambda: all(h.daemon.cycles >= 4 and h.daemon.chain_ok for h in handles), 30, what="daemons cycling")
        w3 = swarm.reader().w3
        mine_paused(w3)
        try:
            swarm.nodes["provider-a"].node.set_mode("bad-software")
            wait_for(lambda: all(own_proposals_sent(h) for h in handles), 30, what="every daemon's own proposal sent")
        finally:
            mine_resumed(w3)

        wait_for(lambda: swarm.status_of("provider-a") == ProviderStatus.JAILED, 40, what="provider A jailed")
        target = max(h.daemon.cycles for h in handles) + 6
        wait_for(lambda: all(h.daemon.cycles >= target for h in handles), 30, what="daemons settled")

        proposals = first_approvals(swarm)
        # The race happened: three proposals of one failure, one per daemon, in one block.
        assert len(proposals) == 3
        assert len({e["args"]["signer"] for _, e in proposals}) == 3
        assert len({e["blockNumber"] for _, e in proposals}) == 1
        executed = manager_events(swarm, "VerdictExecuted")
        assert len(executed) == 1
        earliest_digest, earliest = proposals[0]
        assert "0x" + bytes(executed[0]["args"]["digest"]).hex() == earliest_digest
        assert executed[0]["args"]["verdict"]["violationClass"] == ViolationClass.SECURITY_BREACH

        # Each later proposer gave its own proposal up and co-signed the earliest one; nobody
        # approved a digest twice.
        approvals = manager_events(swarm, "VerdictApproved")
        pairs = [(e["args"]["signer"], bytes(e["args"]["digest"])) for e in approvals]
        assert len(pairs) == len(set(pairs))
        signers_of_earliest = {e["args"]["signer"] for e in approvals if "0x" + bytes(e["args"]["digest"]).hex() == earliest_digest}
        assert len(signers_of_earliest) == 2  # quorum, and no approval after execution
        for handle in handles:
            own = [r for r in handle.daemon.store.signatures("yielded", "executed", "submitted", "approved", "done")
                   if r["role"] == "proposed"]  # fmt: skip
            assert len(own) == 1
            if handle.daemon.address == earliest["args"]["signer"]:
                assert own[0]["digest"] == earliest_digest and own[0]["status"] == "executed"
            else:
                assert own[0]["status"] == "yielded"
                assert handle.daemon.store.proposal(earliest_digest)["status"] in ("signed", "executed")


def colluders_bundle(provider):
    return {"rule": "uptime", "provider": provider, "note": "a colluding member's low verdict"}


def warning_verdict(swarm, desk, provider):
    """A warning (the lowest severity) for a poor-performance failure of ``provider``, observed now."""
    now = swarm.reader().w3.eth.get_block("latest")["timestamp"]
    bundle = colluders_bundle(provider)
    return desk.build(provider, ViolationClass.POOR_PERFORMANCE, Level.WARNING, evidence_hash(bundle), now)


def test_a_higher_measurement_is_proposed_for_the_same_incident_while_the_lower_verdict_is_pending():
    """A colluding member proposes a warning for a failure the others measure as a penalty. The
    honest daemons propose the penalty for the same incident first (the chain takes it while no
    verdict of the incident has executed) and co-sign that, never the warning: the penalty executes."""
    with LocalSwarm() as swarm:
        colluder = swarm.oracles[2]
        desk = VerdictDesk(swarm.devnet.client(colluder), swarm.registry)
        provider = swarm.address("provider-b")
        handles = [swarm.start_daemon_thread(i) for i in (0, 1)]
        wait_for(lambda: all(h.daemon.cycles >= 4 and h.daemon.chain_ok for h in handles), 30, what="daemons cycling")
        for handle in handles:  # the colluder's evidence is available: nothing but the rules stops a co-signature
            handle.daemon.evidence.put(colluders_bundle(provider))
        low = warning_verdict(swarm, desk, provider)
        desk.approve(low)
        swarm.nodes["provider-b"].node.set_mode("down")

        wait_for(lambda: swarm.status_of("provider-b") == ProviderStatus.JAILED, 45, what="provider B jailed")
        executed = manager_events(swarm, "VerdictExecuted")
        assert len(executed) == 1
        verdict = executed[0]["args"]["verdict"]
        assert verdict["severity"] == Level.PENALTY
        assert "0x" + bytes(verdict["incidentId"]).hex() == low.incident_id  # the same incident, upgraded
        low_digest = "0x" + desk.manager.functions.hashVerdict(low.as_tuple()).call().hex()
        low_signers = [e["args"]["signer"] for e in manager_events(swarm, "VerdictApproved")
                       if "0x" + bytes(e["args"]["digest"]).hex() == low_digest]  # fmt: skip
        assert low_signers == [swarm.devnet.accounts[colluder].address]


def test_a_proposal_above_what_the_others_measured_does_not_stop_them_proposing_what_they_measured():
    """A colluding member over-accuses (severe instead of penalty). The others cannot confirm it
    and do not co-sign it, but it must not silence them either: they propose and co-sign the
    penalty they measured, and that executes."""
    with LocalSwarm() as swarm:
        colluder = swarm.oracles[2]
        desk = VerdictDesk(swarm.devnet.client(colluder), swarm.registry)
        provider = swarm.address("provider-b")
        handles = [swarm.start_daemon_thread(i) for i in (0, 1)]
        wait_for(lambda: all(h.daemon.cycles >= 4 and h.daemon.chain_ok for h in handles), 30, what="daemons cycling")
        for handle in handles:
            handle.daemon.evidence.put(colluders_bundle(provider))
        now = swarm.reader().w3.eth.get_block("latest")["timestamp"]
        high = desk.build(provider, ViolationClass.POOR_PERFORMANCE, Level.SEVERE, evidence_hash(colluders_bundle(provider)),
                          now)  # fmt: skip
        desk.approve(high)
        swarm.nodes["provider-b"].node.set_mode("down")

        wait_for(lambda: swarm.status_of("provider-b") == ProviderStatus.JAILED, 45, what="provider B jailed")
        executed = manager_events(swarm, "VerdictExecuted")
        assert len(executed) == 1
        assert executed[0]["args"]["verdict"]["severity"] == Level.PENALTY
        high_digest = "0x" + desk.manager.functions.hashVerdict(high.as_tuple()).call().hex()
        high_signers = [e["args"]["signer"] for e in manager_events(swarm, "VerdictApproved")
                        if "0x" + bytes(e["args"]["digest"]).hex() == high_digest]  # fmt: skip
        assert high_signers == [swarm.devnet.accounts[colluder].address]


def test_an_upgrade_of_an_executed_incident_is_proposed_co_signed_and_applied():
    """A colluding member's warning for provider B's failure executed before the honest daemons measured it
    as a penalty. DESIGN "No severity lock-in": their dry run sees that the chain takes the higher
    severity as an upgrade; one proposes it, the other co-signs, and the upgrade is applied once."""
    with LocalSwarm() as swarm:
        signers = [swarm.devnet.accounts[i] for i in swarm.oracles[1:3]]
        desk = VerdictDesk(swarm.devnet.client(swarm.oracles[1]), swarm.registry)
        provider = swarm.address("provider-b")
        low = warning_verdict(swarm, desk, provider)
        desk.submit(low, [desk.sign(low, account) for account in signers])
        assert len(manager_events(swarm, "VerdictExecuted")) == 1

        handles = [swarm.start_daemon_thread(i) for i in (0, 1)]
        for handle in handles:
            wait_for(lambda h=handle: swarm.announced(h.daemon.address), 20, what="the evidence server announced")
        swarm.nodes["provider-b"].node.set_mode("down")
        court = swarm.reader().contract("AppealCourt", swarm.registry.address("AppealCourt"))
        upgraded = lambda: court.events.VerdictUpgraded().get_logs(from_block=0)  # noqa: E731
        wait_for(upgraded, 60, what="the upgrade applied")
        target = handles[0].daemon.cycles + 6
        wait_for(lambda: handles[0].daemon.cycles >= target, 30, what="more cycles")

        (event,) = upgraded()
        assert "0x" + bytes(event["args"]["incidentId"]).hex() == low.incident_id
        assert (event["args"]["level"], event["args"]["verdict"]["severity"]) == (Level.PENALTY, Level.PENALTY)
        assert len(manager_events(swarm, "VerdictExecuted")) == 1
        lens = swarm.reader().contract("SwarmLens", swarm.registry.address("SwarmLens"))
        assert lens.functions.stateOf(low.incident_id).call() >= 2  # Responded: the pool frozen, B jailed
        digest = "0x" + bytes(event["args"]["digest"]).hex()
        for handle in handles:
            # Each signed the upgrade, and learns it was applied from the court's (confirmed) VerdictUpgraded.
            def done(store=handle.daemon.store):  # noqa: ANN202
                return [row["status"] for row in store.signatures("executed", "submitted", "approved", "sent")
                        if row["digest"] == digest] == ["executed"]  # fmt: skip

            wait_for(done, 30, what="the upgrade's signature marked executed")
            assert json.loads(json.dumps(handle.daemon.health()[1]))["chain_ok"] is True


def test_proposals_in_adjacent_incident_buckets_are_one_failure_and_only_the_earliest_is_co_signed(tmp_path):
    """Two members' clocks put one failure on both sides of an incident-bucket edge: different
    incident ids, one failure. The later proposal is marked `later` and never co-signed; a
    proposal two buckets away, or at another severity, is another matter."""
    from swarm_stake.oracle.daemon import OracleDaemon
    from swarm_stake.oracle.store import Store

    daemon = OracleDaemon.__new__(OracleDaemon)  # only the store and the windows are needed here
    daemon.store = Store(tmp_path / "oracle.db")
    daemon._windows = (600, 30, 60)  # max age, grace, bucket length
    provider, edge = "0x" + "11" * 20, 60 * 1000

    def propose(digest, observed_at, block, log_index, severity=Level.PENALTY):
        message = {"incident_id": f"0x{observed_at // 60:x}", "provider": provider, "violation_class": 0,
                   "severity": int(severity), "observed_at": observed_at}  # fmt: skip
        daemon.store.add_proposal(digest, message["incident_id"], provider, 0, "0xO", message, block, "0xt", log_index)
        return daemon.store.proposal(digest)

    first = propose("0xa", edge + 1, block=10, log_index=3)   # just after the edge, but first on chain
    later = propose("0xb", edge - 1, block=10, log_index=7)   # just before the edge, later in the block
    far = propose("0xc", edge + 125, block=11, log_index=0)   # two buckets on: another failure
    other_level = propose("0xd", edge - 2, block=12, log_index=0, severity=Level.SEVERE)
    assert daemon.same_failure(first["observed_at"], later["observed_at"])
    assert not daemon.same_failure(later["observed_at"], far["observed_at"])
    assert daemon._earliest_of_failure(first) is True
    assert daemon._earliest_of_failure(later) is False
    assert daemon.store.proposal("0xb")["status"] == "later"
    assert daemon._earliest_of_failure(far) is True
    assert daemon._earliest_of_failure(other_level) is True
    # Once the earliest is gone (expired), the next one of the failure is the one to co-sign.
    daemon.store.set_proposal_status("0xa", "expired")
    assert daemon._earliest_of_failure(daemon.store.proposal("0xb")) is True


def test_an_open_incident_of_another_failure_does_not_stop_a_proposal(tmp_path):
    """Attack (hole 1 on the oracle's side): provider B keeps a cheap incident of a class open (here a
    warning, which never closes, then a penalty) and then fails again in that class. The chain executes
    every verdict as its own incident, but the daemon counted any open incident of the class as the
    answer to every later failure of it (the old rule "one open incident per class") and proposed
    nothing: the new failure went unpunished.
    Defence: only an answer to the same failure (its bucket or an adjacent one) covers a detection; an
    open incident of the same failure still does, and a higher measurement of it is an upgrade."""
    from swarm_stake.oracle.daemon import OracleDaemon
    from swarm_stake.oracle.store import Store

    daemon = OracleDaemon.__new__(OracleDaemon)  # only the store, the windows and the address are needed here
    daemon.store = Store(tmp_path / "oracle.db")
    daemon._windows = (600, 30, 60)  # max age, grace, bucket length
    daemon.address = "0x" + "22" * 20
    provider, pp, now = "0x" + "11" * 20, int(ViolationClass.POOR_PERFORMANCE), 60 * 1000 + 30
    daemon.store.set_incident("0x01", provider, pp, "open", 1, int(Level.WARNING), now - 300)
    daemon.store.set_incident("0x02", provider, pp, "open", 2, int(Level.PENALTY), now - 180)

    assert daemon._covered(provider, pp, int(Level.PENALTY), now, now) is None  # a new failure: proposed

    daemon.store.set_incident("0x03", provider, pp, "open", 3, int(Level.WARNING), now - 50)  # this failure
    assert daemon._covered(provider, pp, int(Level.PENALTY), now, now) == ("responded", Level.WARNING, now - 50)


def test_an_executed_verdict_supersedes_only_the_proposals_of_its_own_failure(tmp_path):
    """Sibling of the shield: when a verdict of a class executed, every pending proposal of that class
    was marked superseded and never co-signed, the proposal of another failure of the provider
    included. Now only the proposals of the same failure at or below the executed severity are; a
    higher one (an upgrade) and another failure's stay pending."""
    from swarm_stake.oracle.chainwatch import ChainEvent
    from swarm_stake.oracle.daemon import OracleDaemon
    from swarm_stake.oracle.store import Store

    daemon = OracleDaemon.__new__(OracleDaemon)
    daemon.store = Store(tmp_path / "oracle.db")
    daemon._windows = (600, 30, 60)
    daemon._executed = {}
    daemon.notify = lambda *args, **kwargs: None
    provider, now = "0x" + "11" * 20, 60 * 1000 + 30

    def propose(digest, observed_at, severity, block):
        message = {"incident_id": f"0x{observed_at // 60:x}", "provider": provider, "violation_class": 0,
                   "severity": int(severity), "observed_at": observed_at}  # fmt: skip
        daemon.store.add_proposal(digest, message["incident_id"], provider, 0, "0xO", message, block, "0xt", 0)

    propose("0x" + "aa" * 32, now, Level.PENALTY, 1)  # the one that executes
    propose("0x" + "bb" * 32, now + 20, Level.PENALTY, 2)  # the same failure, the same severity
    propose("0x" + "cc" * 32, now - 10, Level.SEVERE, 3)  # the same failure, measured higher: an upgrade
    propose("0x" + "dd" * 32, now + 300, Level.PENALTY, 4)  # another failure
    executed = (bytes.fromhex("01" * 32), provider, 0, int(Level.PENALTY), bytes(32), now, now + 600, 1)
    args = {"incidentId": executed[0], "provider": provider, "verdict": executed, "digest": bytes.fromhex("aa" * 32),
            "level": int(Level.PENALTY), "amount": 0, "jailedUntil": 0}  # fmt: skip

    daemon._on_VerdictExecuted(ChainEvent("VerdictExecuted", args, 5, "0xt", 0), args)

    status = {d[:4]: daemon.store.proposal(d)["status"] for d in ("0x" + c * 32 for c in ("aa", "bb", "cc", "dd"))}
    assert status == {"0xaa": "executed", "0xbb": "superseded", "0xcc": "open", "0xdd": "open"}


def test_a_proposal_relayed_through_the_verdict_batcher_is_read_as_a_proposal():
    """A member's signature can reach the chain inside a VerdictBatcher batch: the daemons read the verdict
    from that transaction as from a direct submission, and record the proposal to co-sign it."""
    with LocalSwarm() as swarm:
        proposer = swarm.oracles[2]
        client = swarm.devnet.client(proposer)
        desk = VerdictDesk(client, swarm.registry)
        provider = swarm.address("provider-b")
        handle = swarm.start_daemon_thread(0)
        wait_for(lambda: handle.daemon.cycles >= 4 and handle.daemon.chain_ok, 30, what="the daemon cycling")
        verdict = warning_verdict(swarm, desk, provider)
        batcher = client.contract("VerdictBatcher", swarm.registry.address("VerdictBatcher"))
        account = swarm.devnet.accounts[proposer]
        client.send(batcher.functions.submitBatch([verdict.as_tuple()], [[desk.sign(verdict, account)]]))
        digest = "0x" + desk.manager.functions.hashVerdict(verdict.as_tuple()).call().hex()

        wait_for(lambda: handle.daemon.store.proposal(digest) is not None, 20, what="the proposal recorded")
        row = handle.daemon.store.proposal(digest)
        assert (row["incident_id"], row["provider"], row["proposer"]) == (verdict.incident_id, provider, account.address)
        assert json.loads(row["message"])["severity"] == Level.WARNING
