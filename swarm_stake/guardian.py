"""The guardian's pause of verdict execution and escrow releases (VerdictManager.pause / unpause)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from .deploy import role
from .appeals import utc
from .errors import ConfigError

if TYPE_CHECKING:
    from web3.types import TxReceipt

    from .chain import Client
    from .deploy import Registry


class PauseState(BaseModel):
    """Whether execution is paused, until when, and when the next pause may start."""

    paused: bool
    paused_until: int
    next_pause_from: int
    max_pause: int
    pause_cooldown: int
    now: int


class Guardian:
    def __init__(self, client: Client, registry: Registry):
        self.client = client
        self.verdicts = client.contract("VerdictManager", registry.address("VerdictManager"))

    def state(self) -> PauseState:
        fn = self.verdicts.functions
        windows = fn.windows().call()
        max_pause, cooldown = windows[6], windows[7]
        until = fn.pausedUntil().call()
        now = self.client.w3.eth.get_block("latest")["timestamp"]
        # The cooldown runs from the end of the last pause (an early unpause ends it); never paused: any time.
        return PauseState(paused=now < until, paused_until=until, next_pause_from=until + cooldown if until else 0,
                          max_pause=max_pause, pause_cooldown=cooldown, now=now)  # fmt: skip

    def pause(self) -> tuple[TxReceipt, PauseState]:
        me = self.client.require_account().address
        state = self.state()
        if not self._holds("GUARDIAN_ROLE", me):
            raise ConfigError(f"not paused: {me} is not the guardian of the VerdictManager {self.verdicts.address}; "
                              "use the guardian's keystore (governance appoints it)")  # fmt: skip
        if state.paused:
            raise ConfigError(f"not paused: execution is already paused until {utc(state.paused_until)}")
        if state.now + 1 < state.next_pause_from:  # the contract refuses while the next block is before it
            raise ConfigError(f"not paused: the pause cooldown runs until {utc(state.next_pause_from)} "
                              f"({state.next_pause_from - state.now} s from the last block); a pause cannot be "
                              "renewed before that")  # fmt: skip
        receipt = self.client.send(self.verdicts.functions.pause())
        return receipt, self.state()

    def unpause(self) -> tuple[TxReceipt, PauseState]:
        me = self.client.require_account().address
        state = self.state()
        if not (self._holds("GUARDIAN_ROLE", me) or self._holds("DEFAULT_ADMIN_ROLE", me)):
            raise ConfigError(f"not unpaused: {me} is not the guardian of the VerdictManager {self.verdicts.address}; "
                              "use the guardian's keystore")  # fmt: skip
        if not state.paused:
            raise ConfigError("not unpaused: verdict execution is not paused (see `swarm-stake guardian status`)")
        receipt = self.client.send(self.verdicts.functions.unpause())
        return receipt, self.state()

    def _holds(self, role_name: str, account: str) -> bool:
        return self.verdicts.functions.hasRole(role(role_name), account).call()

