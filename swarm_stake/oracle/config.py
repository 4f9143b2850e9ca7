"""Settings of the oracle daemon: the ``[oracle]`` table of the config file, then the environment
(``SWARM_STAKE_ORACLE_*``), then defaults. The RPC endpoint, registry and keystore are the
CLI's common settings (``swarm-stake --rpc-url ... --registry ... --keystore ... oracle run``).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import ConfigError
from ..settings import default_home
from .detectors import DetectorParams


class DaemonConfig(BaseModel):
    """Everything the daemon measures and how it reacts; safe to log (no secrets)."""

    model_config = ConfigDict(extra="forbid")

    state_dir: Path = Field(default_factory=lambda: default_home() / "oracle",
                            description="SQLite state (oracle.db) and the evidence directory")  # fmt: skip
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(default=9464, ge=0, le=65535, description="evidence, /metrics and /health (0: any free port)")
    public_url: str | None = Field(default=None, description="the evidence server's base URL as providers and other "
                                   "oracles reach it, announced on chain at start when it changed (default: the "
                                   "listen address; nothing is announced for a wildcard listen address)")
    interval: float = Field(default=1.0, gt=0, le=60, description="seconds between measurement cycles")
    confirmations: int = Field(default=2, ge=0, le=64, description="blocks an event must be under before it is acted on")
    scan_chunk: int = Field(default=500, ge=1, description="most blocks scanned for events per cycle")
    probe_timeout: float = Field(default=0.8, gt=0, le=30, description="seconds a node has to answer one request")
    metrics_every: int = Field(default=5, ge=1, description="a metrics scrape of every provider every N cycles")
    integrity_every: int = Field(default=10, ge=1, description="a data-integrity challenge every N cycles per provider")
    probe_concurrency: int = Field(default=128, ge=1, le=65536, description="providers probed at once per process")
    probe_workers: int = Field(default=1, ge=1, le=256, description="processes the providers are sharded over "
                               "(1: the daemon's own process)")
    software_hash: str | None = Field(default=None, description="the registered build every node must report")
    dataset_seed: str = Field(default="swarm-demo", description="the dataset whose Merkle root nodes are challenged on")
    dataset_chunks: int = Field(default=64, ge=1)
    providers: dict[str, str] = Field(default_factory=dict, description="extra provider -> endpoint (over the registry's)")
    peers: list[str] = Field(default_factory=list, description="other oracles' evidence servers (base URLs)")
    webhooks: list[str] = Field(default_factory=list, description="URLs notified on detection, response, restoration")
    propose_stagger: float = Field(default=3.0, ge=0, description="seconds of delay per committee rank before proposing")
    confirm_window: float = Field(default=120.0, gt=0, description="how recent an own detection must be to co-sign")
    suspect_fraction: float = Field(default=0.5, gt=0, le=1, description="share of providers failing at once that "
                                    "makes the daemon suspect its own network and hold proposals back")
    suspect_min_providers: int = Field(default=3, ge=1)
    min_epoch_samples: int = Field(default=3, ge=1, description="health samples needed to attest an observation epoch")
    backoff_max: float = Field(default=10.0, gt=0, description="longest wait between attempts while the RPC is down")
    log_json: bool = True
    detectors: DetectorParams = Field(default_factory=DetectorParams)

    @field_validator("public_url")
    @classmethod
    def _announceable(cls, value: str | None) -> str | None:
        from ..models import evidence_url_problem

        problem = None if value is None else evidence_url_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("providers")
    @classmethod
    def _addresses(cls, value: dict[str, str]) -> dict[str, str]:
        from eth_utils import to_checksum_address

        try:
            return {to_checksum_address(k): v.rstrip("/") for k, v in value.items()}
        except ValueError as exc:
            raise ValueError(f"providers: {exc}") from exc

    @property
    def db_path(self) -> Path:
        return self.state_dir / "oracle.db"

    @property
    def evidence_dir(self) -> Path:
        return self.state_dir / "evidence"


_ENV_PREFIX = "SWARM_STAKE_ORACLE_"


def load_daemon_config(config_file: Path | None, **overrides: Any) -> DaemonConfig:
    """The ``[oracle]`` table of ``config_file``, overridden by ``SWARM_STAKE_ORACLE_*`` and ``overrides``."""
    import json

    data: dict[str, Any] = {}
    if config_file is not None:
        try:
            table = tomllib.loads(Path(config_file).read_text()).get("oracle", {})
            if not isinstance(table, dict):
                raise ConfigError(f"{config_file}: `oracle` must be a table ([oracle])")
            data = dict(table)
        except FileNotFoundError as exc:
            raise ConfigError(f"config file not found: {config_file}") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
            raise ConfigError(f"cannot read the config file {config_file}: {exc}; fix its TOML syntax") from exc
    fields = DaemonConfig.model_fields
    for key, value in os.environ.items():
        if key.startswith(_ENV_PREFIX):
            name = key[len(_ENV_PREFIX):].lower()
            if name not in fields:
                raise ConfigError(f"{key} is not an oracle setting (known: {', '.join(sorted(fields))})")
            # Lists and tables come as JSON; scalars as plain text.
            try:
                data[name] = json.loads(value) if value[:1] in "[{" else value
            except ValueError as exc:
                raise ConfigError(f"{key} is not valid JSON ({exc}); give lists and tables as JSON") from exc
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return DaemonConfig(**data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid oracle settings: {problems}; fix the [oracle] table of the config file or "
                          "the SWARM_STAKE_ORACLE_* environment") from exc  # fmt: skip
