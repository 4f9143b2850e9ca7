"""The oracle daemon: measuring providers' nodes and turning measurements into verdicts.

The measuring half is pure Python and never touches the chain:

- :mod:`~swarm_stake.oracle.samples`: ``Sample`` (one measurement) and ``Detection`` (a rule
  that started failing, with its evidence bundle).
- :mod:`~swarm_stake.oracle.collectors`: HTTP health probes, Prometheus scrapes, data-integrity
  challenges, and JSONL feeds of samples for replay.
- :mod:`~swarm_stake.oracle.detectors`: the detection rules over sliding windows of wall-clock
  time, and the ``RestorationMeter`` that judges observation epochs.
- :mod:`~swarm_stake.oracle.nodesim`: a provider node simulator (a real HTTP server) for tests
  and demos.

Nothing heavy is imported here, so ``import swarm_stake.oracle`` stays cheap.
"""
