"""swarm-stake: staking, slashing and stake recovery for decentralized compute networks.

The package is importable without side effects; heavy dependencies (web3.py) load only in the
modules that need them.
"""

__version__ = "0.1.0"
