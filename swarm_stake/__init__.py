"""swarm-stake."""
