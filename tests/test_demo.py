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
