"""The probe engine: every provider's node measured each cycle, thousands per second.

One asyncio event loop with one aiohttp session probes many nodes at once: each node keeps a
keep-alive connection from one cycle to the next, at most ``concurrency`` nodes are probed at
a time, and each request has a deadline (``timeout``) covering connecting, the answer's head and
its body. Nodes that ran out of time in the previous cycle are probed apart, all at once (up
to 4 x ``concurrency``), each with its requests of the cycle at once, so that waiting on their
deadlines holds up neither the other nodes nor the cycle beyond one deadline. Each cycle a node gets a health probe; every ``metrics_every`` cycles a metrics
scrape and every ``integrity_every`` cycles a data-integrity challenge, each node at its own
phase of those periods (from its address) so that the load is the same every cycle. A node's
requests of a cycle go one after the other on its connection (a node that turns slow can hold
its first slow cycle up to three deadlines).

What a node answers is as untrusted as with the collectors, and is turned into the very same
samples by the same code (:mod:`swarm_stake.oracle.collectors`): a body above MAX_BODY is
refused (by its announced length, or while reading), JSON is refused before parsing when it
nests too deep, bodies are never decompressed (``Accept-Encoding: identity``, so no
decompression bomb), redirects are not followed. A node that does not answer in time becomes a
failed sample; it never delays the others beyond its own deadline.

With ``workers`` above 1, providers are sharded (by address) over that many worker processes,
each with its own event loop and connections; the daemon's process gathers the samples and feeds
the detectors. A worker that dies or hangs is replaced; its providers get no samples that cycle
(the oracle's failure is not theirs).
"""

from __future__ import annotations

import asyncio
import errno
import gc
import logging
import math
import multiprocessing
import resource
import threading
import time
import zlib
from collections import deque
from collections.abc import Awaitable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from .collectors import (
    MAX_BODY,
    AnswerTooLarge,
    IntegrityChallenge,
    failed_sample,
    health_sample,
    metrics_sample,
)
from .samples import Sample

log = logging.getLogger("swarm_stake.oracle")
T = TypeVar("T")

_HEADERS = {"Accept-Encoding": "identity", "User-Agent": "swarm-stake-oracle"}
#: Bytes read at once (and buffered before reading pauses): a body up to the cap takes a few
#: turns of a busy event loop, not sixteen.
_READ = 1 << 18


@dataclass(frozen=True)
class ProbeSettings:
    """How the engine probes (the daemon's ``probe_*``, ``metrics_every`` and ``integrity_every``)."""

    timeout: float = 0.8
    metrics_every: int = 5
    integrity_every: int = 10
    concurrency: int = 128
    workers: int = 1
    keepalive: float = 30.0

    def __post_init__(self) -> None:
        if not self.timeout > 0 or min(self.metrics_every, self.integrity_every, self.concurrency, self.workers) < 1:
            raise ValueError("probe settings: a positive timeout and periods, concurrency and workers of at least 1")

    @classmethod
    def of(cls, config: Any) -> ProbeSettings:
        """The probe settings of a DaemonConfig (connections kept alive across at least 3 cycles)."""
        return cls(timeout=config.probe_timeout, metrics_every=config.metrics_every,
                   integrity_every=config.integrity_every, concurrency=config.probe_concurrency,
                   workers=config.probe_workers, keepalive=max(30.0, 3 * config.interval))  # fmt: skip


class OracleFault(Exception):
    """The oracle itself cannot probe (out of file descriptors or local ports): no node's fault."""


#: Errors of the oracle's own host, never evidence against a node.
_OWN_ERRNOS = frozenset((errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM, errno.EADDRNOTAVAIL))


def _fewer_collections() -> None:
    """Run Python's cyclic garbage collector less often in this process.

    Thousands of kept-alive connections are thousands of long-lived objects that every older
    generation pass walks again; with the default first threshold (700 allocations) those passes
    take about a quarter of the probing. Garbage without cycles is freed at once regardless.
    """
    first, *older = gc.get_threshold()
    if first < 20_000:
        gc.set_threshold(20_000, *older)


def raise_file_limit() -> int:
    """Raise this process's open-file limit to its hard limit (a connection per node); the limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            return soft
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def phase(provider: str, every: int, salt: bytes = b"") -> int:
    """A provider's stable phase in a period of ``every`` cycles (the same in every process)."""
    return zlib.crc32(salt + provider.lower().encode()) % every


def due(provider: str, cycle: int, every: int, salt: bytes = b"") -> bool:
    """Whether a request made every ``every`` cycles is due for ``provider`` in ``cycle``."""
    return every == 1 or (cycle + phase(provider, every, salt)) % every == 0


METRICS_SALT, INTEGRITY_SALT = b"metrics:", b"integrity:"


def shard(provider: str, workers: int) -> int:
    return phase(provider, workers, b"worker:")


class _Prober:
    """The probing done inside one event loop: one aiohttp session, its keep-alive connections."""

    def __init__(self, settings: ProbeSettings, root: bytes, chunk_count: int):
        self.settings = settings
        self.challenger = IntegrityChallenge(root, chunk_count, timeout=settings.timeout)
        self.session: Any = None
        self.file_limit = 0
        self.laggards: set[str] = set()  # providers whose latest request ran out of time
        self.deadlines = _Deadlines(settings.timeout)
        self._urls: dict[str, Any] = {}
        self._phases: dict[str, tuple[int, int]] = {}

    def _session(self) -> Any:
        if self.session is None:
            import aiohttp

            self.file_limit = raise_file_limit()
            _fewer_collections()

            connector = aiohttp.TCPConnector(limit=0, limit_per_host=0, keepalive_timeout=self.settings.keepalive)
            self.session = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(), auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(), headers=_HEADERS, read_bufsize=_READ,
            )  # fmt: skip
        return self.session

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None

    async def run(self, jobs: list[tuple[str, str]], cycle: int) -> list[Sample]:
        """Probe every (provider, base URL) of ``jobs``; the samples, provider by provider."""
        import aiohttp

        self._session()
        if len(jobs) > self.file_limit - 256:
            log.warning("more providers than open files allowed: raise the limit (ulimit -n) or add probe workers",
                        extra={"fields": {"providers": len(jobs), "open_file_limit": self.file_limit}})  # fmt: skip
        if len(self._urls) > 8 * len(jobs) + 1024:
            self._urls.clear()  # endpoints that left: keep the caches bounded
            self._phases.clear()
        samples: list[Sample] = []
        errors = (aiohttp.ClientError, AnswerTooLarge, TimeoutError, OSError, ValueError)
        faults: list[tuple[str, BaseException]] = []

        async def worker(pending: Iterator[tuple[str, str]], late: bool) -> None:
            for provider, base in pending:
                try:
                    samples.extend(await self.probe(provider, base.rstrip("/"), cycle, errors, late))
                except Exception as exc:  # the oracle's fault, not the node's: no sample rather than a wrong one
                    faults.append((provider, exc))

        # Nodes that ran out of time last cycle are probed apart, all at once (up to 4 x concurrency):
        # waiting on their deadlines they would otherwise hold up the others.
        laggards, self.laggards = self.laggards, set()
        late = [job for job in jobs if job[0] in laggards]
        prompt = [job for job in jobs if job[0] not in laggards] if late else jobs
        concurrency = self.settings.concurrency
        workers = []
        for group, width in ((prompt, concurrency), (late, 4 * concurrency)):
            pending = iter(group)
            workers += [worker(pending, group is late) for _ in range(min(width, len(group)))]
        sweeper = asyncio.ensure_future(self.deadlines.sweep())
        try:
            await asyncio.gather(*workers)
        finally:
            sweeper.cancel()
        if faults:
            provider, exc = faults[0]
            log.error("providers left unmeasured this cycle: the oracle could not probe them",
                      exc_info=None if isinstance(exc, OracleFault) else exc,
                      extra={"fields": {"providers": len(faults), "first": provider, "error": f"{type(exc).__name__}: {exc}"[:300]}})  # fmt: skip
        return samples

    async def probe(self, provider: str, base: str, cycle: int, errors: tuple[type[BaseException], ...],
                    late: bool = False) -> list[Sample]:  # fmt: skip
        """A node's samples of this cycle: health, and metrics and a challenge when they are due.

        One request after the other on the node's connection; all at once for a node that ran out
        of time last cycle (so that it costs one deadline, not three).
        """
        settings = self.settings
        phases = self._phases.get(provider)
        if phases is None:
            phases = self._phases[provider] = (phase(provider, settings.metrics_every, METRICS_SALT),
                                               phase(provider, settings.integrity_every, INTEGRITY_SALT))  # fmt: skip
        requests = [self._health]
        if (cycle + phases[0]) % settings.metrics_every == 0:
            requests.append(self._metrics)
        if (cycle + phases[1]) % settings.integrity_every == 0:
            requests.append(self._challenge)
        if late and len(requests) > 1:
            return list(await asyncio.gather(*(request(provider, base, errors) for request in requests)))
        return [await request(provider, base, errors) for request in requests]

    def _failed(self, kind: str, provider: str, at: float, exc: BaseException, latency: float | None = None,
                index: int | None = None) -> Sample:  # fmt: skip
        if isinstance(exc, TimeoutError):
            self.laggards.add(provider)
        return failed_sample(kind, provider, at, exc, latency, index)

    async def _health(self, provider: str, base: str, errors: tuple[type[BaseException], ...]) -> Sample:
        at = time.time()
        started = time.monotonic()
        try:
            status, body = await self.fetch(base + "/health")
        except errors as exc:
            return self._failed("health", provider, at, exc, (time.monotonic() - started) * 1000.0)
        return health_sample(provider, at, (time.monotonic() - started) * 1000.0, status, body, self.settings.timeout)

    async def _metrics(self, provider: str, base: str, errors: tuple[type[BaseException], ...]) -> Sample:
        at = time.time()
        try:
            status, body = await self.fetch(base + "/metrics")
        except errors as exc:
            return self._failed("metrics", provider, at, exc)
        return metrics_sample(provider, at, status, body)

    async def _challenge(self, provider: str, base: str, errors: tuple[type[BaseException], ...]) -> Sample:
        at = time.time()
        index, nonce, params = self.challenger.new()
        try:
            status, body = await self.fetch(base + "/challenge", params)
        except errors as exc:
            return self._failed("integrity", provider, at, exc, index=index)
        return self.challenger.judge(provider, at, index, nonce, status, body)

    async def fetch(self, url: str, params: dict[str, Any] | None = None) -> tuple[int, bytes]:
        """GET ``url``: (status, body) within the deadline, at most MAX_BODY bytes, on a kept-alive connection."""
        target = self._urls.get(url)
        if target is None:
            from yarl import URL

            target = self._urls[url] = URL(url)
        if params is not None:
            target = target.with_query(params)
        try:
            return await self.deadlines.within(self._get(target))
        except OSError as exc:
            if exc.errno in _OWN_ERRNOS:
                raise OracleFault(f"cannot connect: {exc}") from exc
            raise

    async def _get(self, target: Any) -> tuple[int, bytes]:
        async with self.session.get(target, allow_redirects=False) as response:
            length = response.content_length
            if length is not None and length > MAX_BODY:
                raise AnswerTooLarge(f"answer larger than {MAX_BODY} bytes (announced {length})")
            if length is not None:
                return response.status, await response.read()
            return response.status, await _capped(response.content)


class _Deadlines:
    """A deadline per request, enforced by one sweep every ``tick`` seconds rather than a timer per
    request (a timer per request costs about a quarter of the probing): a request that overruns
    its deadline is cancelled at the next sweep, so at most one tick late, and raises TimeoutError.

    The sweeps also watch the oracle's own event loop: when it stalled (a sweep came late by more
    than a quarter of the timeout: an overloaded or paused oracle) while a request was in flight,
    that request's running out of time is the oracle's fault, not the node's (OracleFault).
    """

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.tick = max(0.005, min(0.025, timeout / 20))
        self.inflight: dict[asyncio.Task[Any], tuple[float, float]] = {}  # task -> (started, deadline)
        self.expired: dict[asyncio.Task[Any], float] = {}  # task -> longest stall while it was in flight
        self.stalls: deque[tuple[float, float]] = deque(maxlen=math.ceil(timeout / self.tick) + 8)

    async def sweep(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(self.tick)
            now = time.monotonic()
            self.stalls.append((now, now - last - self.tick))
            last = now
            for task, (started, deadline) in list(self.inflight.items()):
                if deadline <= now:
                    del self.inflight[task]
                    self.expired[task] = max((lag for at, lag in self.stalls if at >= started), default=0.0)
                    task.cancel()

    async def within(self, request: Awaitable[T]) -> T:
        task = asyncio.current_task()
        assert task is not None
        now = time.monotonic()
        self.inflight[task] = (now, now + self.timeout)
        try:
            return await request
        except asyncio.CancelledError:
            stalled = self.expired.pop(task, None)
            if stalled is None:
                raise  # cancelled from outside: not ours to turn into a timeout
            task.uncancel()
            if stalled > self.timeout / 4:
                raise OracleFault(f"the oracle's own event loop stalled {stalled:.2f} s during the request") from None
            raise TimeoutError(f"no complete answer within {self.timeout} s") from None
        finally:
            self.inflight.pop(task, None)


async def _capped(stream: Any) -> bytes:
    """A body of unannounced length, refused as soon as it passes MAX_BODY bytes."""
    body = bytearray()
    while chunk := await stream.read(_READ):
        body += chunk
        if len(body) > MAX_BODY:
            raise AnswerTooLarge(f"answer larger than {MAX_BODY} bytes")
    return bytes(body)


# --- the engine: one loop in a thread, or worker processes --------------------------------------------


class ProbeEngine:
    """Measures every provider of a cycle; ``measure`` blocks until each has its samples.

    Starts on first use (a thread with the event loop, or the worker processes); ``close``
    stops them. Not for concurrent use: one cycle at a time.
    """

    def __init__(self, settings: ProbeSettings, root: bytes, chunk_count: int):
        IntegrityChallenge(root, chunk_count, timeout=settings.timeout)  # refuse a bad root or count now
        self.settings = settings
        self.root = bytes(root)
        self.chunk_count = chunk_count
        self._local: _LocalLoop | None = None
        self._workers: list[_Worker | None] = [None] * settings.workers if settings.workers > 1 else []

    def measure(self, endpoints: Mapping[str, str], cycle: int) -> list[Sample]:
        jobs = list(endpoints.items())
        if not jobs:
            return []
        if not self._workers:
            if self._local is None:
                self._local = _LocalLoop(_Prober(self.settings, self.root, self.chunk_count))
            return self._local.run(jobs, cycle)
        shards: list[list[tuple[str, str]]] = [[] for _ in self._workers]
        for job in jobs:
            shards[shard(job[0], len(shards))].append(job)
        for number, part in enumerate(shards):
            if part:
                self._worker(number).send(part, cycle)
        samples: list[Sample] = []
        for number, part in enumerate(shards):
            if part:
                samples.extend(self._collect(number, part))
        return samples

    def _worker(self, number: int) -> _Worker:
        worker = self._workers[number]
        if worker is None or not worker.alive():
            if worker is not None:
                log.error("probe worker died; starting another", extra={"fields": {"worker": number}})
            worker = self._workers[number] = _Worker(self.settings, self.root, self.chunk_count)
        return worker

    def _collect(self, number: int, part: list[tuple[str, str]]) -> list[Sample]:
        worker = self._workers[number]
        assert worker is not None
        # Each node takes at most three deadlines per cycle, ``concurrency`` nodes at a time.
        budget = 3 * self.settings.timeout * math.ceil(len(part) / self.settings.concurrency) + 10.0
        samples = worker.receive(budget)
        if samples is None:
            log.error("probe worker gave no answer; its providers have no samples this cycle",
                      extra={"fields": {"worker": number, "providers": len(part)}})  # fmt: skip
            worker.kill()
            self._workers[number] = None
            return []
        return samples

    def close(self) -> None:
        if self._local is not None:
            self._local.close()
            self._local = None
        for worker in self._workers:
            if worker is not None:
                worker.stop()
        self._workers = [None] * len(self._workers)


class _LocalLoop:
    """An event loop in a daemon thread of this process, running one prober."""

    def __init__(self, prober: _Prober):
        self.prober = prober
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="probe-loop", daemon=True)
        self.thread.start()

    def run(self, jobs: list[tuple[str, str]], cycle: int) -> list[Sample]:
        return asyncio.run_coroutine_threadsafe(self.prober.run(jobs, cycle), self.loop).result()

    def close(self) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self.prober.close(), self.loop).result(timeout=5)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=5)
            if not self.thread.is_alive():
                self.loop.close()


class _Worker:
    """A worker process probing the providers it is sent, cycle by cycle, over a pipe."""

    def __init__(self, settings: ProbeSettings, root: bytes, chunk_count: int):
        context = multiprocessing.get_context("spawn")  # never fork a process that has threads
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, settings, root, chunk_count),
                                       name="swarm-stake-probe", daemon=True)  # fmt: skip
        self.process.start()
        child.close()

    def alive(self) -> bool:
        return self.process.is_alive()

    def send(self, jobs: list[tuple[str, str]], cycle: int) -> None:
        try:
            self.conn.send((jobs, cycle))
        except (OSError, EOFError):
            pass  # dead: receive() reports it

    def receive(self, budget: float) -> list[Sample] | None:
        """The worker's samples; None if it dies first or takes longer than ``budget`` seconds."""
        from multiprocessing.connection import wait

        try:
            if self.conn in wait([self.conn, self.process.sentinel], budget):
                return self.conn.recv()
        except (OSError, EOFError):
            pass
        return None

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, EOFError):
            pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.kill()
        else:
            self.conn.close()


def _worker_main(conn: Any, settings: ProbeSettings, root: bytes, chunk_count: int) -> None:
    prober = _Prober(settings, root, chunk_count)
    loop = asyncio.new_event_loop()
    try:
        while (message := conn.recv()) is not None:
            jobs, cycle = message
            conn.send(loop.run_until_complete(prober.run(jobs, cycle)))
    except (EOFError, OSError, KeyboardInterrupt):
        pass  # the daemon is gone or stopping
    finally:
        loop.run_until_complete(prober.close())
        loop.close()
