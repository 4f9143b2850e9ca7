"""`swarm-stake demo` runs to the end and checks every step on chain.

The demo runs in real time: three oracle daemon processes measure two node simulators, slash
and jail provider A on their own, and attest its restoration epoch by epoch.
"""

import subprocess
import sys


def test_demo_runs_every_step():
    result = subprocess.run(
        [sys.executable, "-m", "swarm_stake.cli", "demo"], capture_output=True, text=True, timeout=240
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
        "3 oracle daemons measuring",
        "failure injected into node A",
        "detects and proposes",
        "confirms and co-signs",
        "verdict on B relayed (2 of 3)",
        "operator-b appeals",
        "arbiter overturns B's verdict",
        "auditor signs audit proof",
        "operator-a files recovery claim",
        "provider A fixes its node",
        "epoch 0 attested by the daemons",
        "epoch 1 attested by the daemons",
        "epoch 2 attested by the daemons",
        "evaluation report recorded",
        "escrow released after challenge",
        "provider A active again",
        "demo finished",
    ):
        assert step in result.stdout
    assert "1,500.00 SWARM" in result.stdout
    assert "A slashed 800.00 SWARM into escrow" in result.stdout
    assert "400.00 back to pool A pro rata, 400.00 to insurance" in result.stdout
    assert "insurance pool: 400.00 SWARM" in result.stdout
    assert "no daemon mistook it for an outage" in result.stdout
    assert "Oracle daemons" in result.stdout
