"""What every command shares: settings, the chain client, the registry, output and errors.

Only click is imported at module level; web3, eth-account and rich load when a command needs
them, so that `swarm-stake --help` starts fast.
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
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from ..chain import Client
    from ..deploy import Registry
    from ..settings import Settings


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
    """A token amount in whole tokens, decimals allowed ("1000", "2.5"); converted with the token's decimals."""

    name = "AMOUNT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Decimal:
        try:
            amount = Decimal(str(value).replace("_", ""))
        except InvalidOperation:
            self.fail(f"{value!r} is not an amount of tokens (e.g. 1000 or 2.5)", param, ctx)
        if not amount.is_finite() or amount <= 0:
            self.fail(f"{value!r}: the amount must be a positive number of tokens", param, ctx)
        if amount.adjusted() > 40:  # far beyond any token supply; also keeps the conversion exact
            self.fail(f"{value!r}: the amount is far larger than any token supply", param, ctx)
        return amount


ADDRESS = AddressType()
BYTES32 = Bytes32Type()
TOKEN_AMOUNT = TokenAmountType()


# -- the runtime -----------------------------------------------------------------------------


@dataclass
class Runtime:
    """Built once per invocation from the global options; everything is created on first use."""

    overrides: dict[str, Any]
    as_json: bool = False
    _settings: Settings | None = None
    _registry: Registry | None = None
    _clients: dict[bool, Client] = field(default_factory=dict)

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
            self._clients[signer] = client
        return self._clients[signer]

    def contract(self, name: str, signer: bool = False) -> Any:
        return self.client(signer).contract(name, self.registry.address(name))

    def _unlock(self) -> Any:
        from ..accounts import keystore_path, read_password_file, unlock
        from ..errors import ConfigError

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

    def done(self, message: str, receipt: Any = None) -> None:
        """A one-line result of a transaction (to stderr with --json, so stdout stays JSON)."""
        tx = f" (tx {receipt['transactionHash'].hex()}, block {receipt['blockNumber']})" if receipt else ""
        click.echo(f"{message}{tx}", err=self.as_json)


pass_runtime = click.make_pass_decorator(Runtime)


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
    """Turns every swarm-stake, connection and unexpected error into `error: ...` and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        from ..errors import SwarmStakeError

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except SwarmStakeError as exc:
            _fail(str(exc))
        except Exception as exc:  # a bug or an unforeseen library error: still no traceback by default
            if os.environ.get("SWARM_STAKE_DEBUG"):
                raise
            _fail(f"unexpected {type(exc).__name__}: {exc} (set SWARM_STAKE_DEBUG=1 for the traceback)")


def _fail(message: str) -> None:
    click.echo(f"error: {_one_line(message)}", err=True)
    sys.exit(1)


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
        raise ConfigError(f"{amount} has more than {decimals} decimals; round it to {decimals} decimals")
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
