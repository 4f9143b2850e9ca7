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
        "oracle-1 proposes verdict on A",
        "oracle-2 co-signs: quorum",
        "verdict on B relayed (2 of 3)",
        "operator-b appeals",
        "arbiter overturns B's verdict",
        "auditor signs audit proof",
        "operator-a files recovery claim",
        "epoch 0 attested (2 of 3)",
        "epoch 2 attested (2 of 3)",
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
