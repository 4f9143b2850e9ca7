"""`swarm-stake demo` runs to the end and checks every step on chain.

The demo runs in real time: three oracle daemon processes measure two node simulators, slash
and jail provider A on their own, and attest its restoration epoch by epoch.
"""

import os
import re
import shutil
import subprocess
import sys
import threading
import time

import pytest

from swarm_stake.dashboard import capture
from swarm_stake.devnet import dev_account

PROVIDER_A, PROVIDER_B = dev_account(1).address, dev_account(3).address


class Demo:
    """`swarm-stake demo` as a subprocess whose output is read line by line while it runs."""

    def __init__(self):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen([sys.executable, "-m", "swarm_stake.cli", "demo"], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, env=env)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_for_line(self, pattern, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                match = re.search(pattern, line)
                if match:
                    return match
            if self.process.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.1)
        pytest.fail(f"the demo never printed {pattern!r}:\n{''.join(self.lines)}")

    def finish(self, timeout):
        self.process.wait(timeout=timeout)
        self.reader.join(timeout=5)
        return self.process.returncode, "".join(self.lines)


def test_demo_runs_every_step_and_its_status_page_shows_the_incident_live():
    if shutil.which("chromium") is None:
        pytest.fail("chromium is not installed: apt-get install -y chromium (.ci/run installs it)")
    demo = Demo()
    url = demo.wait_for_line(r"status page: (http://\S+)", 60).group(1)
    demo.wait_for_line(r"confirms and co-signs", 120)
    # While the demo goes on, the page shows provider A jailed and its incident.
    dom = capture(url, wait_ms=4000)
    returncode, stdout = demo.finish(timeout=240)
    assert returncode == 0, stdout
    rows = re.findall(r"<tr [^>]*>.*?</tr>", dom, flags=re.S)
    provider_a = next(r for r in rows if f'data-provider="{PROVIDER_A}"' in r)
    assert 'data-status="jailed"' in provider_a and ">jailed</span>" in provider_a, provider_a
    assert ">frozen</span>" in provider_a
    assert any(f'data-provider="{PROVIDER_B}"' in r for r in rows)
    breach = [r for r in rows if "data-incident=" in r and "security breach" in r]
    assert len(breach) == 1, "the page does not show A's incident"
    assert re.search(r'data-phase="(responded|restoring)"', breach[0]), breach[0][:300]

    class Result:
        pass

    result = Result()
    result.stdout = stdout
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
    assert_phase_headings_in_order(stdout)
    assert_no_unix_timestamps(stdout)


#: The six phases of the recovery framework, in the order the demo goes through them.
PHASES = ("Detection", "Response", "Service restoration", "Stake recovery", "Evaluation", "Restoration")


def assert_phase_headings_in_order(stdout):
    """Each phase is a heading line of its own ("Phase: what happens"), in order, and the steps under it are
    that phase's (a step of each, as the demo prints it)."""
    lines = stdout.splitlines()
    headings = [(i, line.split(":")[0]) for i, line in enumerate(lines) if re.match(r"^[A-Z][a-z ]+: ", line)]
    names = [name for _, name in headings]
    assert names == ["Staking", *PHASES], names  # the set-up before the incident has a heading of its own
    step_of = {
        "Staking": "provider-a registers", "Detection": "detects and proposes", "Response": "confirms and co-signs",
        "Service restoration": "provider A fixes its node", "Stake recovery": "operator-a files recovery claim",
        "Evaluation": "evaluation report recorded", "Restoration": "escrow released after challenge",
    }  # fmt: skip
    for (start, name), (end, _) in zip(headings, [*headings[1:], (len(lines), "")]):
        steps = [line for line in lines[start + 1:end] if line.startswith("✓")]
        assert any(step_of[name] in step for step in steps), f"{name}: {lines[start:end]}"


def assert_no_unix_timestamps(stdout):
    """Times are dates (UTC) or durations: no 10-digit number (a unix time of 2001 to 2286) anywhere."""
    assert not re.findall(r"\b\d{10,}\b", stdout), re.findall(r".*\b\d{10,}\b.*", stdout)
    assert re.search(r"unbonding until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", stdout), stdout
    assert re.search(r"after \d+ (s|min|h|days?) of unbonding", stdout), stdout
