"""`swarm-stake demo` runs to the end and checks every step on chain."""

import subprocess
import sys


def test_demo_runs_every_step():
    result = subprocess.run(
        [sys.executable, "-m", "swarm_stake.cli", "demo"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for step in (
        "provider-a registers",
        "provider-b registers",
        "delegator-1 delegates to A",
        "delegator-2 delegates to A",
        "delegator-2 requests unstake",
        "early withdrawal refused",
        "delegator-2 withdraws",
        "demo finished",
    ):
        assert step in result.stdout
    assert "1,500.00 SWARM" in result.stdout
