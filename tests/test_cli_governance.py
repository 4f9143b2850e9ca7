"""`swarm-stake governance`: every timelock operation of docs/operator.md built, scheduled, followed
(unset, waiting, ready, done) and executed from the CLI alone, on a devnet whose timelock delay is
set to a minute; --calldata-only for multisig proposers; each refusal sends nothing."""

import pytest
from cli_inprocess import invoke
from cli_support import TOKEN, assert_error, assert_ok, cli_chain, json_out, sends_nothing  # noqa: F401
from eth_utils import keccak

from swarm_stake.devnet import dev_account
from swarm_stake.governance import timelock_execute

DELAY = 60
GOV = "gov"  # the deployer's keystore: the devnet's only proposer


@pytest.fixture(scope="module")
def chain(cli_chain):
    """The module's devnet with a timelock delay of DELAY seconds and the deployer's keystore."""
    cli_chain.add_keystore(GOV, dev_account(0))
    timelock = cli_chain.contract("SwarmTimelock")
    client = cli_chain.client(dev_account(0))
    timelock_execute(client, timelock.address, client.contract("SwarmTimelock", timelock.address).functions.updateDelay(DELAY))
    assert timelock.functions.getMinDelay().call() == DELAY
    cli_chain.timelock = timelock
    return cli_chain


def schedule(chain, *args, keystore=GOV):
    return json_out(invoke(chain, "governance", "schedule", *args, "--json", keystore=keystore))


def status(chain, operation_id):
    return json_out(invoke(chain, "governance", "status", operation_id, "--json"))


def test_seating_a_committee_from_the_cli_alone(chain):
    committee = chain.contract("OracleCommittee")
    members = []
    for index in (13, 14):  # two fresh members bond with the CLI
        name = f"dev{index}"
        chain.add_keystore(name, dev_account(index))
        assert_ok(invoke(chain, "oracle", "bond", "1000", keystore=name))
        members.append(dev_account(index).address)
    members.append(chain.address("dev10"))
    epoch = committee.functions.epoch().call()

    scheduled = schedule(chain, "committee", *members, "--threshold", 2)
    operation_id = scheduled["operation_id"]
    assert scheduled["state"] == "waiting" and len(scheduled["transaction"]) == 66
    assert chain.w3.eth.get_transaction_receipt(scheduled["transaction"])["blockNumber"] == scheduled["block"]
    assert scheduled["call"] == f"OracleCommittee.setCommittee(members=[{', '.join(members)}], threshold=2)"
    assert scheduled["ready_at"] == chain.now() + DELAY
    assert chain.timelock.functions.getOperationState(operation_id).call() == 1  # Waiting
    shown = status(chain, operation_id)
    assert {key: shown[key] for key in ("call", "data", "salt", "target", "ready_at", "state")} == {
        key: scheduled[key] for key in ("call", "data", "salt", "target", "ready_at", "state")}
    assert "waiting: ready at" in assert_ok(invoke(chain, "governance", "status", operation_id)).stdout

    with sends_nothing(chain, chain.address("dev5")):
        assert_error(invoke(chain, "governance", "execute", operation_id, keystore="dev5"), "not ready", "waiting until")
    chain.jump(DELAY)
    assert status(chain, operation_id)["state"] == "ready"

    executed = json_out(invoke(chain, "governance", "execute", operation_id, "--json", keystore="dev5"))  # anyone
    assert executed["state"] == "done" and executed["call"] == scheduled["call"]
    assert committee.functions.epoch().call() == epoch + 1
    assert [committee.functions.memberAt(epoch + 1, i).call() for i in range(3)] == members
    assert committee.functions.threshold().call() == 2
    assert status(chain, operation_id)["state"] == "done"
    with sends_nothing(chain, chain.address("dev5"), dev_account(0).address):
        assert_error(invoke(chain, "governance", "execute", operation_id, keystore="dev5"), "already executed")
        assert_error(invoke(chain, "governance", "schedule", "committee", *members, "--threshold", 2, "--salt",
                            scheduled["salt"], keystore=GOV), "already operation", operation_id)  # fmt: skip


def test_every_change_of_the_operator_guide_executes(chain):
    """Each operation is scheduled, waits out the delay once, executes, and changes what it names."""
    verdicts, escrow, manager = chain.verdicts, chain.escrow, chain.manager
    committee, court = chain.contract("OracleCommittee"), chain.court
    auditor, guardian, arbiter, payee = (chain.fresh().address for _ in range(4))
    donor = chain.fresh(tokens=500)
    donor_client = chain.client(donor)
    donor_client.send(donor_client.contract("SwarmToken", chain.token.address).functions.approve(escrow.address, 500 * TOKEN))
    donor_client.send(donor_client.contract("RecoveryEscrow", escrow.address).functions.depositInsurance(500 * TOKEN))
    version = escrow.functions.currentParamsVersion().call()
    changes = [
        ("windows", "--appeal-window", "45s", "--lookback", "10m"),
        ("limits", "--appeal-bond", "150", "--provider-cap-bps", "4000"),
        ("penalty-row", "protocol-violation", "penalty", "--slash-bps", "250", "--jail", "1h", "--tombstone"),
        ("recovery-params", "--epochs-required", "4", "--all-at-once"),
        ("unbonding-period", "200s"),
        ("min-self-stake", "1500"),
        ("min-bond", "1200.5"),
        ("add-auditor", auditor),
        ("grant-role", "guardian", guardian),
        ("grant-role", "arbiter", arbiter),
        ("spend-insurance", payee, "120"),
    ]  # fmt: skip
    ids = [schedule(chain, *change)["operation_id"] for change in changes]
    listed = {op["operation_id"]: op for op in json_out(invoke(chain, "governance", "status", "--json"))}
    assert all(listed[i]["state"] == "waiting" for i in ids)
    table = assert_ok(invoke(chain, "governance", "status")).stdout
    assert all(operation_id in table for operation_id in ids)  # whole: piped output is never cut
    chain.jump(DELAY)
    for operation_id in ids:
        assert_ok(invoke(chain, "governance", "execute", operation_id, keystore="dev5"))

    windows = verdicts.functions.windows().call()
    assert (windows[2], windows[4]) == (45, 600)
    assert windows[0] == chain.registry.params.windows.max_verdict_age  # not given: kept
    limits = verdicts.functions.limits().call()
    assert (limits[0], limits[3]) == (150 * TOKEN, 4000) and limits[1] == 50 * TOKEN
    assert verdicts.functions.penaltyRow(2, 1).call() == (250, 7_500, 3600, 3, True, True)  # recoverable, path: kept
    assert escrow.functions.currentParamsVersion().call() == version + 1
    params = escrow.functions.recoveryParams(version + 1).call()
    assert (params[2], params[5]) == (4, False)
    assert params[0] == escrow.functions.recoveryParams(version).call()[0]
    assert manager.functions.unbondingPeriod().call() == 200
    assert manager.functions.minSelfStake().call() == 1500 * TOKEN
    assert committee.functions.minBond().call() == 1200 * TOKEN + TOKEN // 2
    assert escrow.functions.isAuditor(auditor).call()
    assert verdicts.functions.hasRole(keccak(text="GUARDIAN_ROLE"), guardian).call()
    assert court.functions.hasRole(keccak(text="ARBITER_ROLE"), arbiter).call()
    assert chain.balance(payee) == 120 * TOKEN

    # and back: remove the auditor, revoke the roles
    undo = [("remove-auditor", auditor), ("revoke-role", "guardian", guardian), ("revoke-role", "arbiter", arbiter)]
    ids = [schedule(chain, *change)["operation_id"] for change in undo]
    chain.jump(DELAY)
    for operation_id in ids:
        assert_ok(invoke(chain, "governance", "execute", operation_id, keystore="dev5"))
    assert not escrow.functions.isAuditor(auditor).call()
    assert not verdicts.functions.hasRole(keccak(text="GUARDIAN_ROLE"), guardian).call()
    assert not court.functions.hasRole(keccak(text="ARBITER_ROLE"), arbiter).call()


def send_as_multisig(chain, printed):
    """Send the printed transaction (to, value, data) as is from the deployer, the devnet's proposer."""
    account = dev_account(0)
    tx = {"to": printed["to"], "data": printed["data"], "value": printed["value"], "gas": 300_000,
          "nonce": chain.nonce(account.address), "chainId": chain.registry.chain_id, "gasPrice": chain.w3.eth.gas_price}
    receipt = chain.w3.eth.wait_for_transaction_receipt(
        chain.w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction))
    assert receipt["status"] == 1


def test_calldata_only_prints_the_transaction_a_multisig_sends(chain):
    new_auditor = chain.fresh().address
    with sends_nothing(chain, dev_account(0).address):
        printed = json_out(invoke(chain, "governance", "schedule", "add-auditor", new_auditor, "--calldata-only", "--json"))
    assert printed["to"] == chain.timelock.address and printed["value"] == 0 and printed["delay"] == DELAY
    assert printed["call"] == f"RecoveryEscrow.setAuditor(auditor={new_auditor}, registered=True)"
    human = assert_ok(invoke(chain, "governance", "schedule", "add-auditor", new_auditor, "--calldata-only",
                             "--salt", printed["salt"]))  # fmt: skip
    assert "Nothing was sent" in human.stdout and printed["data"] in human.stdout

    # the proposer (standing in for a multisig) sends exactly the printed transaction
    send_as_multisig(chain, printed)
    assert status(chain, printed["operation_id"])["state"] == "waiting"

    execute = json_out(invoke(chain, "governance", "execute", printed["operation_id"], "--calldata-only", "--json"))
    assert execute["to"] == chain.timelock.address and execute["operation_id"] == printed["operation_id"]
    chain.jump(DELAY)
    send_as_multisig(chain, execute)
    assert chain.escrow.functions.isAuditor(new_auditor).call()
    assert status(chain, printed["operation_id"])["state"] == "done"
    assert_error(invoke(chain, "governance", "execute", printed["operation_id"], "--calldata-only"), "already executed")


def test_refusals_send_nothing(chain):
    stranger = chain.address("dev5")
    unbonded = chain.fresh().address
    with sends_nothing(chain, stranger, dev_account(0).address):
        assert_error(invoke(chain, "governance", "schedule", "min-bond", "10", keystore="dev5"),
                     "not a proposer", "--calldata-only")  # fmt: skip
        assert_error(invoke(chain, "governance", "schedule", "windows", keystore=GOV), "nothing to change",
                     "--appeal-window")  # fmt: skip
        assert_error(invoke(chain, "governance", "schedule", "unbonding-period", "10s", keystore=GOV),
                     "would revert", "UnbondingTooShort", "--no-simulate")  # fmt: skip
        assert_error(invoke(chain, "governance", "schedule", "committee", unbonded, "--threshold", 1, keystore=GOV),
                     "would revert", "BondBelowMinimum")  # fmt: skip
        assert_error(invoke(chain, "governance", "schedule", "spend-insurance", stranger, "1000000000", keystore=GOV),
                     "would revert", "InsufficientInsurance")  # fmt: skip
        assert_error(invoke(chain, "governance", "schedule", "penalty-row", "poor-performance", "warning", "--slash-bps",
                            "100", keystore=GOV), "would revert", "InvalidParameter")  # fmt: skip
        assert_error(invoke(chain, "governance", "schedule", "min-self-stake", "1" + "0" * 29, keystore=GOV),
                     "does not fit", "uint96")  # fmt: skip
        assert_error(invoke(chain, "governance", "schedule", "limits", "--appeal-bond", "1" + "0" * 18, keystore=GOV),
                     "does not fit", "setLimits")  # fmt: skip
        assert_error(invoke(chain, "governance", "schedule", "limits", "--rate-cap-bps", "10001", keystore=GOV),
                     "10001", code=2)  # fmt: skip
        assert_error(invoke(chain, "governance", "schedule", "windows", "--appeal-window", "soon", keystore=GOV),
                     "not a duration", code=2)  # fmt: skip
        assert_error(invoke(chain, "governance", "schedule", "grant-role", "admin", stranger, keystore=GOV),
                     "admin", code=2)  # fmt: skip
        assert_error(invoke(chain, "governance", "execute", "0x" + "12" * 32, keystore="dev5"), "no operation")
        assert_error(invoke(chain, "governance", "status", "0x" + "12" * 32), "no operation")


def test_no_simulate_schedules_a_call_that_would_revert_today(chain):
    unbonded = chain.fresh().address
    scheduled = schedule(chain, "committee", unbonded, "--threshold", 1, "--no-simulate")
    assert scheduled["state"] == "waiting"
    chain.jump(DELAY)
    with sends_nothing(chain, chain.address("dev5")):  # still unbonded: the execution is refused before sending
        assert_error(invoke(chain, "governance", "execute", scheduled["operation_id"], keystore="dev5"),
                     "BondBelowMinimum")  # fmt: skip
