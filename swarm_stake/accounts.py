"""Encrypted JSON keystores (eth-account, scrypt): create, import, list, unlock.

A private key never appears on a command line: it is generated, read from a file, or typed at
a hidden prompt. Passwords come from a prompt, a file or ``SWARM_STAKE_PASSWORD``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError, SwarmStakeError

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class KeystoreError(SwarmStakeError, ValueError):
    """A keystore is missing, malformed, or its password is wrong."""


@dataclass(frozen=True)
class KeystoreEntry:
    name: str
    address: str
    path: Path


def keystore_path(directory: Path, name_or_path: str) -> Path:
    """A keystore given by name (in ``directory``) or by path."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".json" or os.sep in name_or_path:
        return candidate
    if not _NAME.match(name_or_path):
        raise ConfigError(f"not a keystore name: {name_or_path!r} (letters, digits, '.', '_', '-')")
    return directory / f"{name_or_path}.json"


def create(directory: Path, name: str, password: str, private_key: bytes | None = None) -> KeystoreEntry:
    """Encrypt a new (or the given) key under ``name``; refuses to overwrite."""
    from eth_account import Account

    if not _NAME.match(name):
        raise ConfigError(f"not a keystore name: {name!r} (letters, digits, '.', '_', '-')")
    if not password:
        raise KeystoreError("an empty password is not allowed")
    path = directory / f"{name}.json"
    if path.exists():
        raise KeystoreError(f"a keystore named {name!r} already exists at {path}")
    account = Account.from_key(private_key) if private_key is not None else Account.create()
    document = Account.encrypt(account.key, password)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".json.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(document, handle)
    tmp.replace(path)
    return KeystoreEntry(name, account.address, path)


def read_private_key(path: Path) -> bytes:
    """A private key from a file holding 64 hex characters (0x optional)."""
    try:
        text = path.read_text().strip()
    except OSError as exc:
        raise KeystoreError(f"cannot read the key file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise KeystoreError(f"{path} does not hold a private key (64 hex characters)") from exc
    body = text.removeprefix("0x")
    if not re.fullmatch(r"[0-9a-fA-F]{64}", body):
        raise KeystoreError(f"{path} does not hold a private key (64 hex characters)")
    return bytes.fromhex(body)


def entries(directory: Path) -> list[KeystoreEntry]:
    """Keystores in ``directory`` (unreadable files are skipped)."""
    from eth_utils import to_checksum_address

    found = []
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        try:
            address = json.loads(path.read_text())["address"]
            found.append(KeystoreEntry(path.stem, to_checksum_address(address), path))
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            continue
    return found


def unlock(path: Path, password: str) -> LocalAccount:
    """Decrypt the keystore at ``path``."""
    from eth_account import Account

    try:
        document = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise KeystoreError(f"keystore not found: {path} (create one with `swarm-stake accounts create`)") from exc
    except (OSError, ValueError, RecursionError) as exc:  # unreadable, not UTF-8, not JSON, nested too deeply
        raise KeystoreError(f"{path} is not a keystore file") from exc
    try:
        key = Account.decrypt(document, password)
    except ValueError as exc:
        if "mismatch" not in str(exc):  # not the MAC (or checksum) check: a damaged field
            raise KeystoreError(f"{path} is not a valid keystore file ({exc})") from exc
        raise KeystoreError(
            f"wrong password for the keystore {path}; check the password in --password-file or "
            "SWARM_STAKE_PASSWORD (or the one typed at the prompt)"
        ) from exc
    except Exception as exc:  # noqa: BLE001 - missing fields, wrong types, an unknown version or KDF
        raise KeystoreError(f"{path} is not a keystore file ({type(exc).__name__}: {exc})") from exc
    return Account.from_key(key)


def read_password_file(path: Path) -> str:
    try:
        return path.read_text().rstrip("\n")
    except OSError as exc:
        raise KeystoreError(f"cannot read the password file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise KeystoreError(f"the password file {path} is not UTF-8 text") from exc
