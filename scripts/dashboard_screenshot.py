"""Regenerate docs/dashboard.png: the status page during a real incident.

    .venv/bin/python scripts/dashboard_screenshot.py [--out docs/dashboard.png]

Starts a local swarm (anvil with a block a second, three providers with node simulators, three
oracle daemons), adds two delegations and an insurance deposit, makes provider A's node report
tampered software, waits until the oracles have slashed and jailed A, then serves the status
page and photographs it with headless Chromium (`chromium` on PATH).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from swarm_stake.dashboard import Dashboard, StatusReader, capture
from swarm_stake.models import ProviderStatus
from swarm_stake.oracle.localnet import TOKEN, LocalSwarm, wait_for
from swarm_stake.staking import Staking

ROOT = Path(__file__).resolve().parents[1]


def stage(swarm: LocalSwarm) -> None:
    """Delegations, an insurance deposit, then a security breach on provider A, answered by the oracles."""
    Staking(swarm.devnet.client(5), swarm.registry).stake(swarm.address("provider-a"), 2_500 * TOKEN)
    Staking(swarm.devnet.client(6), swarm.registry).stake(swarm.address("provider-b"), 4_000 * TOKEN)
    admin = swarm.devnet.client(0)
    escrow = admin.contract("RecoveryEscrow", swarm.registry.address("RecoveryEscrow"))
    token = admin.contract("SwarmToken", swarm.registry.address("SwarmToken"))
    admin.send(token.functions.approve(escrow.address, 5_000 * TOKEN))
    admin.send(escrow.functions.depositInsurance(5_000 * TOKEN))

    daemons = [swarm.start_daemon_thread(i) for i in range(len(swarm.oracles))]
    wait_for(lambda: all(h.daemon.cycles >= 4 for h in daemons), 60, what="oracle daemons cycling")
    swarm.nodes["provider-a"].node.set_mode("bad-software")
    wait_for(lambda: swarm.status_of("provider-a") == ProviderStatus.JAILED, 60, what="provider A jailed")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "dashboard.png")
    args = parser.parse_args()
    with LocalSwarm() as swarm:
        stage(swarm)
        with Dashboard(StatusReader(swarm.reader(), swarm.registry), "127.0.0.1", 0) as page:
            capture(page.url + "/", screenshot=args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
