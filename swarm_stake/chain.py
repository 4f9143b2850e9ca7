"""A web3.py client for the swarm-stake contracts.

It reads at a chosen block, simulates every transaction before sending it, manages the
sender's nonce, waits for the receipt, and turns the contracts' custom errors into
:class:`~swarm_stake.errors.ContractError` with a plain-language explanation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from eth_abi import decode as abi_decode
from eth_utils import function_signature_to_4byte_selector
from web3 import HTTPProvider, Web3
from web3.exceptions import ContractCustomError, ContractLogicError, TimeExhausted
from web3.types import RPCEndpoint

from .abis import SHIPPED_CONTRACTS, abi_type, load_abi, load_artifact
from .errors import ChainConnectionError, ConfigError, ContractError, TransactionFailed, TransactionPending

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3.contract import Contract
    from web3.contract.contract import ContractFunction
    from web3.types import TxReceipt

#: Plain-language explanations of the contracts' custom errors, keyed by error name.
EXPLANATIONS: dict[str, str] = {
    # StakeManager and the token
    "ZeroAmount": "the amount must be greater than zero",
    "ZeroAddress": "an address argument is the zero address; give a real address",
    "ZeroShares": "the amount is too small to buy a single share of this pool; stake more",
    "ProviderAlreadyRegistered": "this key is already registered as a provider; use `swarm-stake provider stake` to add stake",
    "ProviderNotRegistered": "no provider is registered under this address; check the address "
    "(`swarm-stake provider status ADDRESS`)",
    "ProviderTombstoned": "the provider is permanently excluded; choose another provider",
    "ProviderNotActive": "the provider is jailed, tombstoned or below its minimum self-stake and takes no delegations; "
    "check `swarm-stake provider status` and choose an active provider or wait",
    "NotProviderKey": "only the provider's owner or operator key may do this; use its keystore",
    "SelfStakeBelowMinimum": "the provider's self-stake would fall below the minimum; unstake less, or --all to leave",
    "InsufficientShares": "you hold fewer bonded shares than requested; check `swarm-stake delegator positions`",
    "NothingToWithdraw": "there is no unbonding stake to withdraw; unstake first, then withdraw after the unbonding period",
    "UnbondingNotFinished": "the unbonding period has not ended yet; wait until unbondingEnd "
    "(`swarm-stake delegator positions`), then withdraw",
    "PoolFrozen": "the pool is frozen while an incident is open; wait until its incidents close "
    "(`swarm-stake incidents list --provider ADDRESS`)",
    "PoolDepleted": "the pool was slashed to zero and takes no new stake; choose another provider",
    "TransferAmountMismatch": "the token delivered a different amount (fee-on-transfer tokens are refused)",
    "SlashExceedsStake": "the slash is larger than the pool",
    "PoolNotFrozen": "the pool has no open incident",
    "UnbondingPeriodOutOfRange": "the unbonding period is out of range",
    "JailNotInFuture": "the jail end must be in the future",
    "MetadataURILengthOutOfRange": "the metadata URI is empty or longer than the StakeManager allows (maxLength bytes); "
    "give the node's health endpoint, e.g. http://node:9000/health",
    "AccessControlUnauthorizedAccount": "the sender lacks the role this call needs; use a keystore that holds it",
    "ERC20InsufficientBalance": "the token balance is too low; fund the account or use a smaller amount",
    "ERC20InsufficientAllowance": "the token allowance is too low; approve the StakeManager first",
    "ReentrancyGuardReentrantCall": "re-entrant call refused",
    # VerdictManager and AppealCourt
    "AlreadyAppealed": "the verdict was already appealed; follow it with `swarm-stake incidents show INCIDENT`",
    "AppealWindowClosed": "the appeal window has closed and the verdict can no longer be appealed; "
    "see `swarm-stake incidents show INCIDENT`",
    "NotProviderOperator": "only the provider's operator key may do this; use the operator's keystore (--keystore)",
    "IncidentAlreadyExecuted": "this verdict was already executed; see `swarm-stake incidents show INCIDENT`",
    "PoorPerformanceWhileJailed": "the provider was already jailed when this poor performance was observed; "
    "a jailed node is not expected to serve",
    "IncidentIdMismatch": "the incident id does not match the provider, class and observation time; rebuild the verdict",
    "NotCommitteeMember": "a signature is not by a member of the current oracle committee; sign with a member's keystore",
    "InvalidSignature": "a signature does not recover; sign the message again",
    "DuplicateSigner": "one member signed twice; collect signatures from different members",
    "StaleCommitteeEpoch": "the message names an earlier committee epoch; build and sign it again",
    "VerdictDeadlinePassed": "the verdict's deadline has passed; build and sign a new verdict",
    "DeadlineTooFar": "the verdict's deadline is further out than allowed; build the verdict again",
    "ExecutionWindowPassed": "the verdict can no longer execute (its execution window passed); build a new verdict",
    "ObservationOutOfRange": "the observation time is in the future or older than the maximum verdict age; "
    "use a recent --observed-at",
    "QuorumNotReached": "not enough committee approvals yet; collect more signatures",
    "SeverityNotApplicable": "this severity is not used for this violation class; choose another severity",
    "ProviderNotSlashable": "the provider cannot be slashed (not registered or tombstoned); check the address",
    "SlashRateCapExceeded": "the rolling slashing caps allow nothing more now; collect again when the cap window "
    "has freed some (`swarm-stake incidents show INCIDENT`)",
    "NothingOwed": "nothing is owed on this incident: its remainder was collected, cancelled or written off",
    "RemainderOwed": "a remainder the slashing caps cut short is still owed on this incident; "
    "anyone can collect it (`swarm-stake incidents collect INCIDENT`) once the caps allow, then release again",
    "ExecutionPaused": "verdict execution is paused by the guardian; try again after pausedUntil",
    "UnknownIncident": "no such incident in this deployment; check the incident id (`swarm-stake incidents list`)",
    "VerdictMismatch": "the verdict differs from the one executed for this incident; check the incident id",
    "NoPendingAppeal": "the incident has no pending appeal",
    "ResolutionDeadlinePassed": "the appeal's resolution deadline has passed",
    "ResolutionDeadlineNotReached": "the appeal's resolution deadline has not been reached yet",
    # RecoveryEscrow
    "AuditProofRequired": "this recovery path needs an audit proof; pass --proof FILE signed by an auditor",
    "AuditProofMismatch": "the audit proof is for another incident or provider; "
    "ask the auditor to sign the bundle of this incident",
    "AuditProofNotValid": "the audit proof is expired, or issued before the incident or in the future; "
    "ask the auditor for a fresh proof",
    "AuditProofUsed": "this audit proof was already used; ask the auditor for a new one",
    "NotAuditor": "the audit proof is not signed by a registered auditor; ask a registered auditor to sign the bundle",
    "AuditorIsProviderKey": "the audit proof is signed by the provider's own key; an independent auditor must sign it",
    "ClaimDeadlinePassed": "the claim window of this incident has closed and no claim can be filed any more",
    "ClaimNotAllowed": "no claim can be filed in the escrow's current state; see `swarm-stake recovery status INCIDENT`",
    "EscrowNotOpen": "the escrow of this incident is not open (released, forfeited or refunded); "
    "see `swarm-stake recovery status INCIDENT`",
    "NotObserving": "the claim is not under observation (not filed, rejected, or every epoch attested); "
    "see `swarm-stake recovery status INCIDENT`",
    "WrongObservationEpoch": "the attestation is for an epoch already attested or missed; attest the epoch that "
    "ended last, while its attestation grace lasts (`swarm-stake recovery status INCIDENT`)",
    "EpochMissed": "the observation epoch's attestation grace has passed (lastChance): the epoch is missed, it "
    "neither vests nor resets; attest the next epoch after it ends",
    "ObservationEpochNotOver": "the observation epoch has not ended yet; submit after endsAt",
    "ObservationOutsideEpoch": "the attestation's observation time is outside its epoch; build it again with "
    "`swarm-stake oracle attest`",
    "NothingToRelease": "nothing can be released yet: no newly vested stake, or the challenge window has not ended "
    "(payableFrom); see `swarm-stake recovery status INCIDENT`",
    "EvaluationMissing": "the evaluation report is not recorded yet; the committee records it with "
    "`swarm-stake oracle evaluate`, then release",
    "EvaluationAlreadyRecorded": "the evaluation report of this incident is already recorded",
    "ChallengeWindowClosed": "the challenge window has closed; the claim can no longer be rejected",
    "AppealPending": "an appeal of this incident is pending; wait for the arbiter's decision",
    "AppealWindowOpen": "the incident can still be appealed (until windowEnd): nothing is released or closed "
    "before its appeal window ends",
    "ReleasesPaused": "releases and default closes are paused by the guardian; try again after pausedUntil",
    "LifetimeTooShort": "the escrow's maximum lifetime would not cover the appeal window, its resolution and a "
    "pause beyond the recovery path (slack < needed); lengthen maxLifetime first",
    "NotRecoverable": "the slashed stake of this incident is not recoverable",
    "NotClosable": "the escrow cannot be closed yet; try again after closableAt",
    # OracleCommittee
    "NoBond": "only an address holding an oracle bond may announce an evidence server; post a bond first",
    "EvidenceURLLengthOutOfRange": "the evidence server URL is empty or longer than maxLength bytes",
    "EvidenceURLCharacterNotVisible": "the evidence server URL holds a character that is not visible ASCII at "
    "position; percent-encode it",
}


@dataclass(frozen=True)
class _ErrorSpec:
    name: str
    names: tuple[str, ...]
    types: tuple[str, ...]


@cache
def _error_table() -> dict[bytes, _ErrorSpec]:
    table: dict[bytes, _ErrorSpec] = {}
    for contract in SHIPPED_CONTRACTS:
        for item in load_abi(contract):
            if item["type"] != "error":
                continue
            types = tuple(abi_type(i) for i in item["inputs"])
            selector = function_signature_to_4byte_selector(f"{item['name']}({','.join(types)})")
            table[selector] = _ErrorSpec(item["name"], tuple(i["name"] for i in item["inputs"]), types)
    return table


def decode_revert(data: str | bytes | None) -> ContractError | None:
    """Decode revert data into a :class:`ContractError`, or None if it is not a known custom error."""
    if data is None:
        return None
    raw = bytes.fromhex(data[2:] if data.startswith("0x") else data) if isinstance(data, str) else bytes(data)
    spec = _error_table().get(raw[:4])
    if spec is None:
        return None
    values = abi_decode(list(spec.types), raw[4:]) if spec.types else ()
    values = tuple(
        Web3.to_checksum_address(v) if t == "address" else "0x" + v.hex() if isinstance(v, bytes) else v
        for t, v in zip(spec.types, values, strict=True)
    )
    return ContractError(spec.name, dict(zip(spec.names, values)), EXPLANATIONS.get(spec.name))


def _translate(exc: Exception) -> Exception:
    data = getattr(exc, "data", None)
    if isinstance(exc, ContractCustomError) or isinstance(data, str):
        decoded = decode_revert(data if isinstance(data, str) else None)
        if decoded is not None:
            return decoded
    return TransactionFailed(f"the call reverted: {exc}")


@cache
def _function_selectors(name: str) -> tuple[tuple[bytes, str], ...]:
    """(selector, signature) of each function of the shipped contract ``name``."""
    functions = [item for item in load_abi(name) if item["type"] == "function"]
    signatures = [f"{item['name']}({','.join(abi_type(i) for i in item['inputs'])})" for item in functions]
    return tuple((function_signature_to_4byte_selector(sig), sig) for sig in signatures)


def check_deployment(w3: Web3, contracts: dict[str, str], source: str) -> None:
    """Refuse a registry whose addresses hold no code, or code that is not the contract named.

    The code of each shipped contract must hold the selector of every function of its ABI (the
    compiler's dispatcher pushes each one); another contract, a token or an account fails that.
    """
    chain_id = w3.eth.chain_id
    for name, address in contracts.items():
        if name not in SHIPPED_CONTRACTS:
            continue
        code = bytes(w3.eth.get_code(Web3.to_checksum_address(address)))
        if not code:
            raise ConfigError(
                f"{source} names {address} as {name}, but that address holds no code on chain {chain_id}; "
                "the registry is from another deployment (or the devnet was restarted): use the registry of this network"
            )
        missing = [sig for selector, sig in _function_selectors(name) if selector.lstrip(b"\x00") not in code]
        if missing:
            more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
            raise ConfigError(
                f"{source} names {address} as {name}, but the contract there on chain {chain_id} is not a {name} of this "
                f"swarm-stake version (it lacks {missing[0]}{more}); use the registry written for this deployment"
            )


def transaction_status(w3: Web3, tx_hash: str) -> dict[str, Any]:
    """Where the transaction ``tx_hash`` stands on ``w3``'s node: ``unknown`` to it, ``pending``,
    or mined (``succeeded`` or ``reverted``, with its block and confirmations)."""
    from web3.exceptions import TransactionNotFound

    try:
        tx = w3.eth.get_transaction(tx_hash)
    except TransactionNotFound:
        return {"hash": tx_hash, "state": "unknown"}
    status: dict[str, Any] = {"hash": tx_hash, "state": "pending", "from": tx["from"], "to": tx.get("to"),
                              "nonce": tx["nonce"]}  # fmt: skip
    try:
        receipt = w3.eth.get_transaction_receipt(tx_hash)
    except TransactionNotFound:
        return status
    block = receipt["blockNumber"]
    return {**status, "state": "succeeded" if receipt["status"] == 1 else "reverted", "block": block,
            "confirmations": w3.eth.block_number - block + 1}  # fmt: skip


@dataclass
class SentTransaction:
    """One transaction a :class:`Client` signed and handed to the node, and what became of it.

    ``state`` goes ``sending`` (the request is on its way) -> ``pending`` (the node accepted it) ->
    ``mined`` or ``reverted``; ``unknown`` when the connection failed while sending or waiting.
    """

    hash: str
    function: str
    to: str | None
    args: tuple[Any, ...]
    state: str = "sending"
    block: int | None = None

    @property
    def in_flight(self) -> bool:
        """Sent (or possibly sent) and its outcome not known to this client."""
        return self.state in ("sending", "pending", "unknown")


def _never_connected(exc: BaseException) -> bool:
    """Whether a connection error happened before the request left (refused, no route, bad host)."""
    from urllib3.exceptions import NameResolutionError, NewConnectionError

    seen: set[int] = set()
    pending: list[Any] = [exc]
    while pending:
        item = pending.pop()
        if id(item) in seen or item is None:
            continue
        seen.add(id(item))
        if isinstance(item, NewConnectionError | NameResolutionError):
            return True
        pending += [getattr(item, "reason", None), item.__cause__, item.__context__,
                    *(a for a in getattr(item, "args", ()) if isinstance(a, BaseException))]  # fmt: skip
    return False


@dataclass
class Client:
    """Sends transactions from one local account and reads contract state.

    ``confirmations`` blocks are waited for after each receipt (0 on a devnet).
    """

    w3: Web3
    account: LocalAccount | None = None
    confirmations: int = 0
    receipt_timeout: float = 120.0
    #: Called with each transaction the moment the node accepted it (before its receipt).
    on_sent: Callable[[SentTransaction], None] | None = None
    #: Every transaction this client signed and handed to the node, oldest first.
    sent: list[SentTransaction] = field(default_factory=list)
    _nonce: int | None = field(default=None, init=False, repr=False)

    @classmethod
    def connect(cls, rpc_url: str, account: LocalAccount | None = None, **kwargs: Any) -> Client:
        # web3.py checks the chain id before every call it validates; a node's chain id never changes, so
        # it is asked once per client (half of a read path's requests otherwise).
        w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": 30}, cache_allowed_requests=True,
                               cacheable_requests={RPCEndpoint("eth_chainId")}))  # fmt: skip
        try:
            w3.eth.chain_id
        except Exception as exc:  # requests' and web3's errors alike: the endpoint is unusable
            raise ChainConnectionError(
                f"cannot reach the JSON-RPC endpoint at {rpc_url} ({type(exc).__name__}); check that the node is "
                "running and that --rpc-url or SWARM_STAKE_RPC_URL points to it"
            ) from exc
        return cls(w3=w3, account=account, **kwargs)

    # -- contracts -------------------------------------------------------------------------

    def contract(self, name: str, address: str) -> Contract:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_abi(name))

    # -- transactions ----------------------------------------------------------------------

    def send(self, fn: ContractFunction, value: int = 0) -> TxReceipt:
        """Simulate ``fn``, then sign, send and wait for its receipt; raise on any revert."""
        sender = self.require_account()
        tx_params: dict[str, Any] = {"from": sender.address, "value": value}
        try:
            gas = fn.estimate_gas(tx_params)
        except (ContractCustomError, ContractLogicError) as exc:
            raise _translate(exc) from exc
        tx = fn.build_transaction({**tx_params, "gas": gas + gas // 5, "nonce": self._next_nonce()})
        return self._sign_and_wait(tx, SentTransaction("", fn.fn_name, fn.address, tuple(fn.args)))

    def deploy(self, name: str, *args: Any) -> tuple[str, TxReceipt]:
        """Deploy a shipped contract; return its address and the receipt."""
        sender = self.require_account()
        artifact = load_artifact(name)
        factory = self.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        constructor = factory.constructor(*args)
        try:
            gas = constructor.estimate_gas({"from": sender.address})
        except (ContractCustomError, ContractLogicError) as exc:
            raise _translate(exc) from exc
        tx = constructor.build_transaction(
            {"from": sender.address, "gas": gas + gas // 5, "nonce": self._next_nonce()}
        )
        receipt = self._sign_and_wait(tx, SentTransaction("", f"deploy {name}", None, tuple(args)))
        return receipt["contractAddress"], receipt

    def _sign_and_wait(self, tx: dict[str, Any], record: SentTransaction) -> TxReceipt:
        """Sign ``tx``, hand it to the node (reporting it through ``on_sent``), wait for its receipt.

        A failure before the node has the transaction raises with nothing sent; a failure after it
        (lost connection, no receipt in time) raises :class:`TransactionPending`, naming the hash."""
        signed = self.require_account().sign_transaction(tx)
        record.hash = "0x" + bytes(signed.hash).hex()
        self.sent.append(record)  # from here on, an interruption may leave the transaction sent
        self._hand_over(signed.raw_transaction, record)
        if self.on_sent is not None:
            self.on_sent(record)
        try:
            receipt = self.w3.eth.wait_for_transaction_receipt(record.hash, timeout=self.receipt_timeout)
        except TimeExhausted as exc:
            self._nonce = None
            raise TransactionPending(f"no receipt after {self.receipt_timeout:.0f} s", record.hash) from exc
        except OSError as exc:  # requests' connection errors: the node went away while we waited
            self._nonce, record.state = None, "unknown"
            raise TransactionPending(f"the connection to the node was lost ({type(exc).__name__})", record.hash) from exc
        record.block = receipt["blockNumber"]
        record.state = "mined" if receipt["status"] == 1 else "reverted"
        if receipt["status"] != 1:
            raise TransactionFailed(f"transaction {record.hash} reverted in block {receipt['blockNumber']}")
        if self.confirmations:
            self.wait_for_block(receipt["blockNumber"] + self.confirmations)
        return receipt

    def _hand_over(self, raw: bytes, record: SentTransaction) -> None:
        """eth_sendRawTransaction: on a refusal or a connection that never opened, nothing was sent."""
        try:
            self.w3.eth.send_raw_transaction(raw)
        except OSError as exc:
            self._nonce = None  # resynchronise from the node on the next send
            if _never_connected(exc):
                self.sent.remove(record)
                raise ChainConnectionError(
                    f"cannot reach the JSON-RPC endpoint to send {record.function} ({type(exc).__name__}); "
                    "nothing was sent"
                ) from exc
            record.state = "unknown"
            raise TransactionPending(f"the connection broke while sending ({type(exc).__name__})", record.hash) from exc
        except Exception as exc:  # the node answered with an error: it did not take the transaction
            self._nonce = None
            self.sent.remove(record)
            if "insufficient funds" in str(exc).lower():
                raise TransactionFailed(
                    f"{self.require_account().address} has too little ether to pay the gas of {record.function}; "
                    "send it some ether (on a devnet: `swarm-stake devnet fund ADDRESS`); it was not sent"
                ) from exc
            raise TransactionFailed(f"the node refused the {record.function} transaction ({exc}); it was not sent") from exc
        record.state = "pending"

    def wait_for_block(self, number: int, poll_interval: float = 0.5) -> None:
        """Block until the chain reaches block ``number``."""
        while self.w3.eth.block_number < number:
            time.sleep(poll_interval)

    def _next_nonce(self) -> int:
        sender = self.require_account()
        if self._nonce is None:
            self._nonce = self.w3.eth.get_transaction_count(sender.address, "pending")
        nonce = self._nonce
        self._nonce += 1
        return nonce

    def require_account(self) -> LocalAccount:
        if self.account is None:
            raise TransactionFailed("no signing account configured: this client can only read")
        return self.account
