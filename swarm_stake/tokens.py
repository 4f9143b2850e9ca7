"""The staking token: finding it, and exact approvals checked against the balance first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ContractError

if TYPE_CHECKING:
    from .chain import Client
    from .deploy import Registry


def staking_token(client: Client, registry: Registry) -> Any:
    """The ERC-20 the StakeManager of ``registry`` holds."""
    manager = client.contract("StakeManager", registry.address("StakeManager"))
    return client.contract("SwarmToken", manager.functions.token().call())


def approve_exact(client: Client, token: Any, spender: str, amount: int, what: str) -> None:
    """Approve ``spender`` for exactly ``amount`` (unless already allowed), after checking the balance,
    so that a shortfall is refused before anything is sent. ``what`` names the amount in the message."""
    owner = client.require_account().address
    balance = token.functions.balanceOf(owner).call()
    if balance < amount:
        raise ContractError(
            "ERC20InsufficientBalance",
            {"sender": owner, "balance": balance, "needed": amount},
            f"the token balance is too low for {what}; fund the account (send it tokens) and try again",
        )
    if token.functions.allowance(owner, spender).call() < amount:
        client.send(token.functions.approve(spender, amount))
