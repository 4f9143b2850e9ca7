"""`swarm-stake dashboard`: a read-only live status page of the deployment."""

from __future__ import annotations

import re
from typing import Any

import click

from .runtime import Runtime, pass_runtime


class ListenType(click.ParamType):
    """HOST:PORT (an IPv6 host in brackets); port 0 picks a free port."""

    name = "HOST:PORT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[str, int]:
        if isinstance(value, tuple):
            return value
        match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:(\d{1,5})|([^:\[\]\s]+):(\d{1,5})", str(value))
        if not match:
            self.fail(f"{value!r} is not HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)", param, ctx)
        host = match.group(1) or match.group(3)
        port = int(match.group(2) or match.group(4))
        if port > 65535:
            self.fail(f"{value!r}: the port must be at most 65535", param, ctx)
        return host, port


@click.command()
@click.option("--listen", type=ListenType(), default="127.0.0.1:8080", show_default=True,
              help="address of the status page (port 0: any free port)")
@click.option("--refresh", type=click.FloatRange(0.5, 600), default=2.0, show_default=True,
              help="seconds between two refreshes of the page")
@pass_runtime
def dashboard(rt: Runtime, listen: tuple[str, int], refresh: float) -> None:
    """Serve a read-only live status page: providers, incidents and their phases, escrows, the
    insurance pool. The page polls /api/status (JSON); no key is used."""
    import signal

    from ..dashboard import Dashboard, StatusReader

    from ..errors import ConfigError, SwarmStakeError

    # A bad registry, an unreachable RPC or an unusable index file fails here; the index catches up first.
    reader = StatusReader(rt.client(), rt.registry, rt.index())
    try:
        reader.snapshot()  # and so does a registry whose contracts are not on this chain
    except SwarmStakeError:
        raise
    except Exception as exc:
        raise ConfigError(
            f"cannot read the deployment in {rt.settings.registry} from {rt.settings.rpc_url} "
            f"({type(exc).__name__}: {exc}); is the registry for this chain?"
        ) from exc
    host, port = listen
    server = Dashboard(reader, host, port, refresh=refresh).bind()  # a port in use fails here

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    click.echo(f"status page on {server.url}/ (JSON at {server.url}/api/status); Ctrl-C stops it")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped", err=True)


COMMANDS = [dashboard]
