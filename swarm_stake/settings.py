"""Settings of the CLI and the library: flags, then environment (``SWARM_STAKE_*``), then a TOML
config file (``--config``, ``$SWARM_STAKE_CONFIG`` or ``./swarm-stake.toml``), then defaults.

Secrets never come from flags: the keystore password comes from a prompt, a file
(``password_file``) or ``SWARM_STAKE_PASSWORD``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from .errors import ConfigError

DEFAULT_CONFIG = Path("swarm-stake.toml")


def default_home() -> Path:
    """Where keystores live unless configured: $SWARM_STAKE_HOME or ~/.swarm-stake."""
    return Path(os.environ.get("SWARM_STAKE_HOME", Path.home() / ".swarm-stake"))


class Settings(BaseSettings):
    """Public settings are safe to log; `password` is a secret and never printed."""

    model_config = SettingsConfigDict(env_prefix="SWARM_STAKE_", extra="forbid")

    rpc_url: str = Field(default="http://127.0.0.1:8545", description="JSON-RPC endpoint")
    registry: Path | None = Field(default=None, description="deployment registry (JSON written by deploy)")
    keystore: str | None = Field(default=None, description="keystore name (in keystore_dir) or path")
    keystore_dir: Path = Field(default_factory=lambda: default_home() / "keystores")
    password_file: Path | None = None
    password: SecretStr | None = None
    confirmations: int = Field(default=0, ge=0, le=64)
    index_file: Path | None = Field(
        default=None, description="event index (SQLite); default: beside the registry, <registry>.index.sqlite3"
    )
    index_confirmations: int = Field(default=12, ge=0, le=10_000, description="blocks below the head the index takes as final")
    index_chunk: int = Field(default=2_000, ge=1, le=1_000_000, description="blocks per eth_getLogs request of the index")
    config: Path | None = Field(default=None, exclude=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config = _config_path(init_settings())
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if config is not None:
            sources.append(_CommonToml(settings_cls, toml_file=config))
        return tuple(sources)

    def public(self) -> dict[str, Any]:
        """The settings without secrets, for logs and `--json` output."""
        return self.model_dump(mode="json", exclude={"password"})


class _CommonToml(TomlConfigSettingsSource):
    """The config file's top-level settings; tables of other components (``[oracle]``) are theirs."""

    def __init__(self, settings_cls: type[BaseSettings], toml_file: Path):
        super().__init__(settings_cls, toml_file=toml_file)
        self.init_kwargs.pop("oracle", None)


def _config_path(init: dict[str, Any]) -> Path | None:
    explicit = init.get("config") or os.environ.get("SWARM_STAKE_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}; check --config or SWARM_STAKE_CONFIG")
        return path
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def load_settings(**overrides: Any) -> Settings:
    """Settings from flags (``overrides``; None means not given), environment and config file."""
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
        raise ConfigError(
            f"invalid settings: {problems}; fix the value in the config file, the SWARM_STAKE_* environment "
            "or the command-line flags"
        ) from exc
    except ConfigError:  # a missing config file, already explained
        raise
    except ValueError as exc:  # a malformed TOML file
        raise ConfigError(f"cannot read the config file: {exc}; fix its TOML syntax") from exc
