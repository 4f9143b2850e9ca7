"""A fork server for CLI tests that signal the command: `swarm-stake` is imported once, and each
command runs in a child forked from this process, so that a run costs milliseconds, not the
second of a fresh interpreter. Each child is a real process that gets real signals.

Run as a script; it reads one JSON request a line on stdin:
    {"args": [...], "env": {...}, "cwd": DIR, "stdout": FILE, "stderr": FILE}
and answers on stdout with "started PID" once the child exists and "exited STATUS" when it has
ended (STATUS as subprocess returncodes are: negative for a signal).
"""

from __future__ import annotations

import faulthandler
import json
import os
import signal
import sys

# Everything the commands load lazily, loaded once here so that children start at once.
import eth_account  # noqa: F401
import rich.console  # noqa: F401
import rich.table  # noqa: F401
import web3  # noqa: F401

import swarm_stake.accounts  # noqa: F401
import swarm_stake.chain  # noqa: F401
import swarm_stake.deploy  # noqa: F401
import swarm_stake.settings  # noqa: F401
import swarm_stake.staking  # noqa: F401
import swarm_stake.tokens  # noqa: F401
from swarm_stake.cli import main


def _child(request: dict) -> None:
    """Run one command with its stdio on the request's files; never returns."""
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # a test that gives up on the child sees where it hung
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the child's own stdio on the new descriptors
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    status = 0
    try:
        main(request["args"], prog_name="swarm-stake")
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    except BaseException:  # what would reach the interpreter: a traceback, which the tests look for
        import traceback

        traceback.print_exc()
        status = 70
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def serve() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        print(f"started {pid}", flush=True)
        _, wait_status = os.waitpid(pid, 0)
        print(f"exited {os.waitstatus_to_exitcode(wait_status)}", flush=True)


if __name__ == "__main__":
    serve()
