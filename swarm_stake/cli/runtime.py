"""What every command shares: settings, the chain client, the registry, output and errors.

Only click is imported at module level; web3, eth-account and rich load when a command needs
them, so that `swarm-stake --help` starts fast.

Every transaction is reported on stderr the moment the node has it (its hash and how to follow
it). Exit statuses: 0 done; 1 error (the message says what, if anything, was already mined);
2 usage error; 3 a transaction was sent and its outcome is unknown (interrupted, or the
connection was lost, while waiting for it: it may still be mined); 130 interrupted with no
transaction in flight ("nothing was sent", or the list of those already mined).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from ..chain import Client, SentTransaction
    from ..deploy import Registry
    from ..index import EventIndex
    from ..settings import Settings

#: Exit statuses (documented in docs/provider.md, "Errors and exit statuses").
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_SENT_UNKNOWN = 3
EXIT_INTERRUPTED = 130


# -- parameter types -------------------------------------------------------------------------


class AddressType(click.ParamType):
    """An Ethereum address: 0x and 40 hex digits; mixed case must be a valid EIP-55 checksum."""

    name = "ADDRESS"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        if not re.fullmatch(r"0x[0-9a-fA-F]{40}", text):
            self.fail(f"{text!r} is not an address (0x followed by 40 hex digits)", param, ctx)
        from eth_utils import is_checksum_address, to_checksum_address

        body = text[2:]
        if body != body.lower() and body != body.upper() and not is_checksum_address(text):
            self.fail(
                f"{text} has a wrong EIP-55 checksum (a typo?); copy the address again or give it in lower case",
                param,
                ctx,
            )
        return to_checksum_address(text)


class Bytes32Type(click.ParamType):
    name = "HEX32"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).lower()
        if not re.fullmatch(r"0x[0-9a-f]{64}", text):
            self.fail(f"{value!r} is not a 32-byte id (0x followed by 64 hex digits)", param, ctx)
        return text


class TokenAmountType(click.ParamType):
    """A token amount in whole tokens, decimals allowed ("1000", "2.5", "1_000"); converted with the
    token's decimals. Exponents ("1e18") are refused: tokens or base units would be a guess."""

    name = "AMOUNT"
    FORMS = "whole tokens written out in decimal, e.g. 1000, 2.5 or 1_000"

    def __init__(self, allow_zero: bool = False):
        self.allow_zero = allow_zero

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Decimal:
        text = str(value).strip()
        if re.fullmatch(r"[+-]?[0-9_.]*[eE][+-]?[0-9_]*", text) and re.search(r"[0-9]", text):
            self.fail(f"{value!r} is ambiguous (tokens or base units?); give {self.FORMS}", param, ctx)
        if not re.fullmatch(r"[+-]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)", text):
            self.fail(f"{value!r} is not an amount of tokens; give {self.FORMS}", param, ctx)
        try:
            amount = Decimal(text.replace("_", ""))
        except InvalidOperation:
            self.fail(f"{value!r} is not an amount of tokens; give {self.FORMS}", param, ctx)
        if amount < 0 or (amount == 0 and not self.allow_zero):
            self.fail(f"{value!r}: the amount must be a {'non-negative' if self.allow_zero else 'positive'} number "
                      "of tokens", param, ctx)  # fmt: skip
        if amount.adjusted() > 40:  # far beyond any token supply; also keeps the conversion exact
            self.fail(f"{value!r}: the amount is far larger than any token supply", param, ctx)
        return amount


class MetadataUriType(click.ParamType):
    """A provider's metadata URI: non-empty, at most MAX_METADATA_URI_BYTES bytes, visible ASCII only."""

    name = "URI"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from ..models import metadata_uri_problem

        problem = metadata_uri_problem(str(value))
        if problem:
            self.fail(problem, param, ctx)
        return str(value)


ADDRESS = AddressType()
BYTES32 = Bytes32Type()
TOKEN_AMOUNT = TokenAmountType()
METADATA_URI = MetadataUriType()


# -- the runtime -----------------------------------------------------------------------------


@dataclass
class Runtime:
    """Built once per invocation from the global options; everything is created on first use."""

    overrides: dict[str, Any]
    as_json: bool = False
    _settings: Settings | None = None
    _registry: Registry | None = None
    _clients: dict[bool, Client] = field(default_factory=dict)
    _index: EventIndex | None = None
    _account: Any = None  # a signing account given by the command instead of a keystore (the devnet faucet)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from ..settings import load_settings

            self._settings = load_settings(**self.overrides)
        return self._settings

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            from ..deploy import Registry
            from ..errors import ConfigError

            path = self.settings.registry
            if path is None:
                raise ConfigError(
                    "no deployment registry: pass --registry FILE (written by `swarm-stake deploy` or "
                    "`swarm-stake devnet up --registry FILE`) or set SWARM_STAKE_REGISTRY"
                )
            self._registry = Registry.load(path)
        return self._registry

    def client(self, signer: bool = False) -> Client:
        """A client on the configured RPC, checked against the registry's chain id; with ``signer``
        the keystore is unlocked (password from file, environment or prompt)."""
        if signer not in self._clients:
            from ..chain import Client
            from ..errors import ConfigError

            registry = self.registry  # a missing or malformed registry is reported before connecting
            account = self._unlock() if signer else None
            client = Client.connect(self.settings.rpc_url, account, confirmations=self.settings.confirmations)
            chain_id = client.w3.eth.chain_id
            if chain_id != registry.chain_id:
                raise ConfigError(
                    f"the RPC endpoint {self.settings.rpc_url} serves chain {chain_id} but the registry "
                    f"{self.settings.registry} is for chain {self.registry.chain_id} ({self.registry.network}); "
                    "point --rpc-url and --registry at the same network"
                )
            if not self._clients:  # once per invocation
                from ..chain import check_deployment

                check_deployment(client.w3, registry.contracts, f"the registry {self.settings.registry}")
            client.on_sent = self._report_sent
            self._clients[signer] = client
        return self._clients[signer]

    def index(self, sync: bool = True) -> EventIndex:
        """The deployment's event index (``index_file``, by default beside the registry), synced up
        to the chain's head unless ``sync`` is False."""
        if self._index is None:
            from ..index import EventIndex, default_index_path

            client, registry = self.client(), self.registry
            path = self.settings.index_file or default_index_path(self.settings.registry, registry)
            self._index = EventIndex.open(client, registry, path, confirmations=self.settings.index_confirmations,
                                          chunk=self.settings.index_chunk)  # fmt: skip
        if sync:
            with self.progress("reading new events into the index"):
                self._index.sync()
        return self._index

    def send(self, fn: Any, waiting: str = "waiting for the receipt", value: int = 0) -> Any:
        """Send the contract call ``fn`` from the keystore's account and return its receipt.

        It is simulated first (a revert is refused, decoded, with nothing sent), reported on stderr the
        moment the node has it, and its receipt awaited under a spinner saying ``waiting``."""
        client = self.client(signer=True)
        with self.progress(waiting):
            return client.send(fn, value=value)

    def describe(self, record: SentTransaction) -> str:
        """``approve on SwarmToken`` for a transaction (the registry's name of its target, if any)."""
        return record.function if record.to is None else f"{record.function} on {self.contract_name(record.to)}"

    def contract_name(self, address: str) -> str:
        """The registry's name of the contract at ``address`` (the address itself if it has none)."""
        from ..errors import ConfigError

        try:
            contracts = self.registry.contracts
        except ConfigError:  # a command without a registry (deploy writes one)
            return address
        names = {known.lower(): name for name, known in contracts.items()}
        return names.get(address.lower(), address)

    def adopt(self, client: Client) -> Client:
        """Make ``client`` (built by the command) this invocation's sender: its transactions are reported
        when sent and accounted for on an error or an interruption."""
        client.on_sent = self._report_sent
        self._clients[True] = client
        return client

    def _report_sent(self, record: SentTransaction) -> None:
        click.echo(f"sent {self.describe(record)}: transaction {record.hash}; "
                   f"follow it with `swarm-stake tx {record.hash}`", err=True)  # fmt: skip

    def allowance_note(self, record: SentTransaction, read_chain: bool = True) -> str | None:
        """For an approval this invocation sent, what the spender may still spend of the sender's tokens
        (without ``read_chain``, or when the node does not answer, what the approval allowed)."""
        if record.function != "approve" or record.to is None or record.state == "reverted":
            return None
        from ..units import format_amount

        client = self._clients[True]
        spender, amount = record.args[0], record.args[1]
        name = self.contract_name(spender)
        spender_name = f"the {name} ({spender})" if name != spender else spender
        owner = client.require_account().address
        decimals, left = 18, amount
        if read_chain:
            token = client.contract("SwarmToken", record.to).functions
            try:
                decimals = token.decimals().call()
                left = amount if record.in_flight else token.allowance(owner, spender).call()
            except Exception:  # the node is gone: say what the approval allowed
                decimals, left = 18, amount
        tokens = f"{format_amount(left, decimals, places=4)} SWARM of {owner}"
        if record.in_flight:
            return f"if the approval {record.hash} is mined, {spender_name} may spend {tokens} until a stake or bond uses it"
        if not left:
            return None
        return f"allowance left: {spender_name} may spend {tokens} (approval {record.hash}) until a stake or bond uses it"

    def transactions(self) -> list[SentTransaction]:
        """Every transaction this invocation handed to the node, oldest first."""
        client = self._clients.get(True)
        return list(client.sent) if client is not None else []

    def contract(self, name: str, signer: bool = False) -> Any:
        return self.client(signer).contract(name, self.registry.address(name))

    def check_signed_for(self, path: Path, what: str, chain_id: int, verifying: str, name: str,
                         remedy: str = "sign it again for this deployment") -> None:  # fmt: skip
        """Refuse a signed ``what`` in ``path`` whose EIP-712 domain (``chain_id``, ``verifying`` contract) is not
        this deployment's ``name`` contract, saying which chain it was signed for and which this is."""
        from ..errors import ConfigError

        here, address = self.registry.chain_id, self.registry.address(name)
        if chain_id != here:
            raise ConfigError(f"{path} holds a {what} signed for chain {chain_id}, but this is chain {here} "
                              f"({self.registry.network}); its signatures count only on chain {chain_id}: {remedy}")
        if verifying.lower() != address.lower():
            raise ConfigError(f"{path} holds a {what} signed for the {name} at {verifying}, not this deployment's "
                              f"{name} {address} (chain {here}): {remedy}")  # fmt: skip

    def use_account(self, account: Any) -> None:
        """Send with ``account`` instead of the keystore's (a devnet's own dev account)."""
        self._account = account

    def _unlock(self) -> Any:
        from ..accounts import keystore_path, unlock
        from ..errors import ConfigError

        if self._account is not None:
            return self._account
        settings = self.settings
        if not settings.keystore:
            raise ConfigError(
                "this command sends a transaction and needs a key: pass --keystore NAME "
                "(see `swarm-stake accounts list`) or set SWARM_STAKE_KEYSTORE"
            )
        path = keystore_path(settings.keystore_dir, settings.keystore)
        return unlock(path, self.password(f"Password for keystore {path.name}"))

    def password(self, prompt: str, confirm: bool = False) -> str:
        """The password from --password-file, SWARM_STAKE_PASSWORD, or a hidden prompt (interactive only)."""
        from ..accounts import read_password_file
        from ..errors import ConfigError

        settings = self.settings
        if settings.password_file is not None:
            return read_password_file(settings.password_file)
        if settings.password is not None and settings.password.get_secret_value():
            return settings.password.get_secret_value()
        if not sys.stdin.isatty():
            raise ConfigError(
                "a keystore password is needed and there is no terminal to ask: "
                "pass --password-file FILE or set SWARM_STAKE_PASSWORD"
            )
        return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm)

    # -- output --------------------------------------------------------------------------

    def output(self, data: Any, human: Callable[[], None]) -> None:
        """JSON (with --json) or the human rendering."""
        if self.as_json:
            click.echo(json.dumps(data, indent=2, default=str))
        else:
            human()

    def progress(self, message: str) -> Any:
        """A spinner on a terminal while waiting (confirmations, receipts); silent otherwise."""
        from contextlib import nullcontext

        if self.as_json or not sys.stderr.isatty():
            return nullcontext()
        from rich.console import Console

        return Console(stderr=True).status(message)

    def print_table(self, table: Any) -> None:
        """Print a rich table whole: folded in a terminal, on full-width lines when piped."""
        from rich.console import Console

        for column in table.columns:
            column.overflow = "fold"
        Console(width=None if _on_terminal() else 10_000).print(table)

    def done(self, message: str, receipt: Any = None) -> None:
        """A one-line result of a transaction (to stderr with --json, so stdout stays JSON)."""
        tx = f" (tx 0x{bytes(receipt['transactionHash']).hex()}, block {receipt['blockNumber']})" if receipt else ""
        click.echo(f"{message}{tx}", err=self.as_json)


pass_runtime = click.make_pass_decorator(Runtime)


def _on_terminal() -> bool:
    return sys.stdout.isatty()


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """`--json` on a read command (also accepted before the command name)."""

    def callback(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        if value:
            ctx.find_object(Runtime).as_json = True
        return value

    return click.option(
        "--json", "as_json", is_flag=True, expose_value=False, callback=callback, help="print JSON for scripts"
    )(func)


# -- errors ----------------------------------------------------------------------------------


class GuardedGroup(click.Group):
    """Turns every error and interruption into one `error: ...` paragraph and a documented exit status
    (see the module docstring), naming every transaction already sent: never a traceback, never a
    bare `Aborted!`."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().main(*args, **kwargs)
        except KeyboardInterrupt:  # Ctrl-C before the command line was parsed
            _fail("interrupted; nothing was sent", EXIT_INTERRUPTED)

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt:  # Ctrl-C while the command line is parsed (click would print a bare "Aborted!")
            _fail("interrupted; nothing was sent", EXIT_INTERRUPTED)

    def invoke(self, ctx: click.Context) -> Any:
        from ..errors import SwarmStakeError, TransactionPending

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException):
            raise
        except (KeyboardInterrupt, click.Abort):
            _stop(ctx, "interrupted")
        except TransactionPending as exc:
            _stop(ctx, exc.reason)
        except SwarmStakeError as exc:
            _stop(ctx, str(exc))
        except Exception as exc:  # a bug or an unforeseen library error: still no traceback by default
            if _is_connection_error(exc):
                rt = ctx.find_object(Runtime)
                where = rt.settings.rpc_url if rt is not None and rt._settings is not None else "the JSON-RPC endpoint"
                _stop(ctx, f"the connection to {where} failed ({type(exc).__name__})")
            if os.environ.get("SWARM_STAKE_DEBUG"):
                raise
            _stop(ctx, f"unexpected {type(exc).__name__}: {exc} (set SWARM_STAKE_DEBUG=1 for the traceback)")


def _is_connection_error(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and type(exc).__module__.split(".")[0] in ("requests", "urllib3")


def _stop(ctx: click.Context, reason: str) -> NoReturn:
    """Print ``reason`` with what became of this invocation's transactions; exit with the status that says so."""
    rt = ctx.find_object(Runtime)
    records = rt.transactions() if rt is not None else []
    interrupted = reason == "interrupted"
    flying = [r for r in records if r.in_flight]
    mined = [r for r in records if not r.in_flight]
    parts = [reason]
    for record in flying:
        verb = "may have been sent" if record.state == "sending" else "was sent"
        parts.append(f"transaction {record.hash} ({rt.describe(record)}) {verb} and may still be mined; "
                     f"follow it with `swarm-stake tx {record.hash}`")  # fmt: skip
    if mined:
        shown = [f"{rt.describe(r)} {r.hash} (block {r.block}, {'succeeded' if r.state == 'mined' else 'reverted'})"
                 for r in mined[-3:]]  # fmt: skip
        more = f"{len(mined) - 3} earlier transactions and " if len(mined) > 3 else ""
        parts.append(f"already mined: {more}{', '.join(shown)}")
    parts += _allowance_notes(rt, records)
    if interrupted and not records:
        parts.append("nothing was sent")
    elif interrupted and not flying:
        parts.append("nothing else was sent")
    code = EXIT_SENT_UNKNOWN if flying else EXIT_INTERRUPTED if interrupted else EXIT_ERROR
    _fail("; ".join(parts), code)


class _ReportTimeout(BaseException):
    """The chain reads of an error report took longer than REPORT_BUDGET seconds."""


REPORT_BUDGET = 5  # seconds the allowance reads of an error report may take


def _allowance_notes(rt: Runtime | None, records: list[SentTransaction]) -> list[str]:
    """The allowance notes of the approvals in ``records``, read from the chain within REPORT_BUDGET seconds.

    An interruption can land anywhere, even while the HTTP connection pool holds its lock; a read that
    then waits forever (or a node that stops answering) must not keep the report, and the exit, from
    happening: after the budget (an alarm, which interrupts a blocked lock acquire too), every note says
    what its approval allowed instead."""
    if rt is None or not any(r.function == "approve" for r in records):
        return []
    import signal

    def expire(_signum: int, _frame: Any) -> None:
        raise _ReportTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(REPORT_BUDGET)
    try:
        notes = [rt.allowance_note(r) for r in records]
    except _ReportTimeout:
        notes = [rt.allowance_note(r, read_chain=False) for r in records]
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return [note for note in notes if note]


def _fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    click.echo(f"error: {_one_line(message)}", err=True)
    sys.exit(code)


def _one_line(text: str) -> str:
    """``text`` with control, format and line-separator characters escaped (``\\r``, ``\\x1b``, ``\\u2028``):
    messages quote what they found in files, and an error stays one line that cannot drive the terminal."""
    import unicodedata

    def safe(char: str) -> str:
        category = unicodedata.category(char)
        return ascii(char)[1:-1] if category.startswith("C") or category in ("Zl", "Zp") else char

    return "".join(map(safe, text))


def to_base_units(amount: Decimal, decimals: int) -> int:
    from ..errors import ConfigError

    scaled = amount.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise ConfigError(f"{amount:f} has more than {decimals} decimals; round it to {decimals} decimals")
    return int(scaled)


def read_json_file(path: Path, what: str) -> Any:
    from ..errors import ConfigError

    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"{what} not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{what} {path} is not valid JSON ({exc.msg} at line {exc.lineno}); was it truncated?") from exc
    except RecursionError as exc:
        raise ConfigError(f"{what} {path} is nested too deeply to read") from exc
    except ValueError as exc:  # an integer of thousands of digits
        raise ConfigError(f"{what} {path} is not usable JSON ({str(exc).split(';')[0]})") from exc


def hash_json_file(path: Path, what: str) -> str:
    """The evidence hash (keccak256 of the canonical JSON) of the JSON document in ``path``."""
    from ..errors import ConfigError
    from ..evidence import evidence_hash

    document = read_json_file(path, what)
    try:
        return evidence_hash(document)
    except (ValueError, TypeError, RecursionError) as exc:  # NaN, Infinity, a lone surrogate, deep nesting
        raise ConfigError(f"{what} {path} has no canonical JSON form: {exc or type(exc).__name__}") from exc
