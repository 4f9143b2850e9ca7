"""Reading the runnable parts of the docs: fenced blocks by their info string, sections by their heading, and a
shell to run them in, so that tests run what the docs say, as written.

A block is found by the whole of its info string (```sh walkthrough, ```json typed-data): the docs
mark the blocks a test runs, and the other blocks stay free-form examples.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
#: The project's own tools (anvil, cast), as `make setup` installs them, and its virtualenv (swarm-stake).
TOOL_DIRS = (ROOT / ".tools" / "bin", ROOT / ".venv" / "bin")

_FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```[ \t]*$", re.M | re.S)


def fenced_blocks(path: Path, info: str) -> list[str]:
    """The bodies of the fenced blocks of ``path`` whose info string is exactly ``info``, in order."""
    return [body for found, body in _FENCE.findall(path.read_text()) if found.strip() == info]


def section(path: Path, heading: str) -> str:
    """The text of ``path`` under the heading line ``heading`` (any level), up to the next heading of
    the same or a higher level."""
    text = path.read_text()
    match = re.search(rf"^(#+) {re.escape(heading)}[ \t]*$", text, re.M)
    assert match, f"{path.name} has no heading {heading!r}"
    level = len(match.group(1))
    following = re.compile(rf"^#{{1,{level}}} ", re.M).search(text, match.end())
    return text[match.end():following.start() if following else len(text)]


def require_tools(*names: str) -> None:
    """Fail (not skip) when a tool the docs use is missing: the docs would then not work either."""
    missing = [name for name in names if shutil.which(name, path=tool_path()) is None]
    if missing:
        pytest.fail(f"the docs' commands need {', '.join(missing)} on PATH (`make setup` installs cast; "
                    "jq: apt-get install -y jq)")  # fmt: skip


def tool_path() -> str:
    return os.pathsep.join([*map(str, TOOL_DIRS), os.environ.get("PATH", "")])


def run_script(script: str, cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    """``script`` run by bash as a user would paste it, stopping at the first failing command; each
    command is echoed to stderr before it runs (``set -x``), so a failure names its command."""
    return subprocess.run(["bash", "-euo", "pipefail", "-x", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)  # fmt: skip
