"""A short seeded chaos run (the long one is `make chaos`): three `swarm-stake oracle run`
processes SIGKILLed at random moments, at least 10 times within 60 s, while a security breach
and a downtime are injected; the kills stop after 60 s, the harness carries both failures on to
release, and every check of the chaos run holds.

SWARM_STAKE_CHAOS_SEED=<seed> replays another run's decisions.
"""

import os

import pytest

from swarm_stake.oracle.chaos import ChaosPlan, print_report, run

pytestmark = pytest.mark.integration


def test_a_short_chaos_run_loses_nothing_and_sends_nothing_twice():
    plan = ChaosPlan(
        seed=int(os.environ.get("SWARM_STAKE_CHAOS_SEED", "1414")),
        failures=(("provider-a", "bad-software"), ("provider-b", "down")),
        min_kills=10, settle_seconds=0, kill_seconds=60, max_seconds=240,
    )  # fmt: skip
    report = run(plan)
    print_report(report)
    summary = report.summary()
    assert report.violations == [], f"seed {plan.seed}: " + "; ".join(report.violations)
    assert summary["kills"] >= 10
    assert summary["chaos_seconds"] <= 61
    assert summary["incidents"] == 2 and summary["epochs attested"] >= 2
    assert set(report.checks) >= {"exactly one executed verdict per incident and failure",
                                  "no daemon nonce gap or stuck nonce",
                                  "every observation epoch attested at most once, in order, passing",
                                  "every recovery claim carried to release", "every daemon healthy at the end",
                                  "no traceback in any log"}  # fmt: skip
