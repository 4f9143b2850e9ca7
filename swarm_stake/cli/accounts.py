"""`swarm-stake accounts`: encrypted keystores."""

from __future__ import annotations

from pathlib import Path

import click

from .runtime import Runtime, json_option, pass_runtime


@click.group()
def accounts() -> None:
    """Create, import and list encrypted keystores."""


@accounts.command("create")
@click.argument("name")
@pass_runtime
def accounts_create(rt: Runtime, name: str) -> None:
    """Generate a new key and store it encrypted as NAME."""
    from ..accounts import create

    entry = create(rt.settings.keystore_dir, name, rt.password(f"New password for {name}", confirm=True))
    rt.output({"name": entry.name, "address": entry.address, "path": str(entry.path)},
              lambda: click.echo(f"created {entry.name}: {entry.address} ({entry.path})"))


@accounts.command("import")
@click.argument("name")
@click.option("--key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="file with the private key (hex); without it the key is asked for at a hidden prompt")
@pass_runtime
def accounts_import(rt: Runtime, name: str, key_file: Path | None) -> None:
    """Encrypt an existing private key as NAME (never pass a key on the command line)."""
    import sys

    from ..accounts import KeystoreError, create, read_private_key

    if key_file is not None:
        key = read_private_key(key_file)
    elif sys.stdin.isatty():
        text = click.prompt("Private key (hex)", hide_input=True).strip().removeprefix("0x")
        try:
            key = bytes.fromhex(text)
        except ValueError as exc:
            raise KeystoreError("that is not a hex private key") from exc
        if len(key) != 32:
            raise KeystoreError("a private key is 32 bytes (64 hex characters)")
    else:
        raise KeystoreError("no terminal to ask for the key: pass --key-file FILE")
    entry = create(rt.settings.keystore_dir, name, rt.password(f"New password for {name}", confirm=True), key)
    rt.output({"name": entry.name, "address": entry.address, "path": str(entry.path)},
              lambda: click.echo(f"imported {entry.name}: {entry.address} ({entry.path})"))


@accounts.command("list")
@json_option
@pass_runtime
def accounts_list(rt: Runtime) -> None:
    """List the keystores in the keystore directory."""
    from ..accounts import entries

    found = entries(rt.settings.keystore_dir)

    def human() -> None:
        if not found:
            click.echo(f"no keystores in {rt.settings.keystore_dir}; create one with `swarm-stake accounts create NAME`")
        for entry in found:
            click.echo(f"{entry.name:<20} {entry.address}")

    rt.output([{"name": e.name, "address": e.address, "path": str(e.path)} for e in found], human)


COMMANDS = [accounts]
