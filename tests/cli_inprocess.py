"""`swarm-stake` run in-process with click's CliRunner, against the module's devnet of cli_support.

Faster than a subprocess per command; the result has the shape of a finished subprocess
(returncode, stdout, stderr), so cli_support's assert_ok, assert_error and json_out apply as they are.
Exceptions are not caught: anything that escapes the CLI's own error handling fails the test.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

from click.testing import CliRunner

from swarm_stake.cli import main


def invoke(cli_chain: Any, *args: Any, keystore: str | None = None, **env: Any) -> subprocess.CompletedProcess[str]:
    """``swarm-stake [--keystore KEYSTORE] ARGS`` with the devnet's settings (``env`` adds or, with None, removes)."""
    settings = {key: None for key in os.environ if key.startswith("SWARM_STAKE_")}
    settings.update({key: value for key, value in cli_chain.env().items() if key.startswith("SWARM_STAKE_")})
    settings.update({key: None if value is None else str(value) for key, value in env.items()})
    prefix = ["--keystore", keystore] if keystore else []
    runner = CliRunner(mix_stderr=False)
    old_cwd = os.getcwd()
    os.chdir(cli_chain.work)  # no swarm-stake.toml of the checkout is read
    try:
        result = runner.invoke(main, [*prefix, *map(str, args)], env=settings, catch_exceptions=False)
    finally:
        os.chdir(old_cwd)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)
