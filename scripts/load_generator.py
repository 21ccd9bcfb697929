"""The load generator of ``scripts/bench load`` (scripts/bench_load.py): HTTP/1.1 on keep-alive
connections, a closed loop (to find the capacity) and an open loop (to hold a rate), and what each
kind of request got.

One asyncio process on the machine it measures: answers are parsed by httptools (uvicorn's own
parser), about 20 µs of CPU a request, where httpx's client took 1.1 ms here, which at these rates
would have taken a core from the service.

The open loop is wrk2's: requests leave at fixed times whatever the answers, and a request's latency
counts from the time it was due, so a server that falls behind cannot hide its queue.
"""

from __future__ import annotations

import asyncio
import collections
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httptools

TIMEOUT = 10.0  # seconds: an answer later than this counts as a timeout (an error)
MAX_CONNECTIONS = 512  # open loop: connections at most; a request beyond waits (and its wait counts)
RAN_OUT = "not prepared"  # the open loop wanted a request of a kind whose supply ran out


class _Answer:
    """httptools callbacks: only the end of the message matters (the body is not kept)."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = False

    def on_message_complete(self) -> None:
        self.done = True


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def exchange(self, request: bytes) -> tuple[int, bool]:
        """Send one request; the answer's status and whether the connection may be used again."""
        self.writer.write(request)
        answer = _Answer()
        parser = httptools.HttpResponseParser(answer)
        while not answer.done:
            data = await self.reader.read(65536)
            if not data:
                raise ConnectionResetError("the server closed the connection")
            parser.feed_data(data)
        return parser.get_status_code(), parser.should_keep_alive()

    def close(self) -> None:
        self.writer.close()


class Pool:
    """Keep-alive connections to one server, at most ``limit``; a request beyond waits for one."""

    def __init__(self, host: str, port: int, limit: int) -> None:
        self.host, self.port, self.limit = host, port, limit
        self.idle: list[Connection] = []
        self.opened = 0
        self.waiting: collections.deque[asyncio.Future[Connection | None]] = collections.deque()

    async def request(self, raw: bytes) -> int:
        """The answer's status; TimeoutError after ``TIMEOUT`` s, OSError on a broken connection."""
        async with asyncio.timeout(TIMEOUT):
            connection = await self._acquire()
            try:
                status, keep = await connection.exchange(raw)
            except BaseException:
                self._discard(connection)
                raise
        if keep:
            self._release(connection)
        else:
            self._discard(connection)
        return status

    async def _acquire(self) -> Connection:
        if self.idle:
            return self.idle.pop()
        if self.opened >= self.limit:
            waiter: asyncio.Future[Connection | None] = asyncio.get_running_loop().create_future()
            self.waiting.append(waiter)
            try:
                handed = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled() and (given := waiter.result()) is not None:
                    self._release(given)
                elif waiter in self.waiting:
                    self.waiting.remove(waiter)
                raise
            if handed is not None:
                return handed
        self.opened += 1  # a place freed by a discarded connection, or below the limit
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        except BaseException:
            self.opened -= 1
            self._wake(None)
            raise
        return Connection(reader, writer)

    def _wake(self, connection: Connection | None) -> bool:
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return True
        return False

    def _release(self, connection: Connection) -> None:
        if not self._wake(connection):
            self.idle.append(connection)

    def _discard(self, connection: Connection) -> None:
        connection.close()
        self.opened -= 1
        if self.opened < self.limit:
            self._wake(None)

    def close(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle.clear()


class Supply:
    """The prepared requests of one kind: sent in turn and again (a look-up may be repeated), or
    each once (``once``: an issuance request issues its batch only the first time)."""

    def __init__(self, items: list[bytes], *, once: bool = False) -> None:
        self.items, self.once, self.taken = list(items), once, 0

    def take(self) -> bytes | None:
        if self.once and self.taken >= len(self.items):
            return None
        item = self.items[self.taken % len(self.items)]
        self.taken += 1
        return item

    @property
    def left(self) -> int:
        return len(self.items) - self.taken if self.once else sys.maxsize


@dataclass(frozen=True)
class Target:
    """The server and the requests of each kind to send it."""

    host: str
    port: int
    supplies: dict[str, Supply]


@dataclass
class Sample:
    """What one kind's requests got in one phase or step."""

    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # seconds, successful answers only
    send_lag: list[float] = field(default_factory=list)  # open loop: seconds after the due time

    def record(self, outcome: str, seconds: float) -> None:
        self.statuses[outcome] += 1
        if outcome.startswith("2"):
            self.latencies.append(seconds)

    @property
    def ok(self) -> int:
        return sum(n for s, n in self.statuses.items() if s.startswith("2"))

    def summary(self, seconds: float) -> dict[str, Any]:
        return {
            "sent": sum(self.statuses.values()),
            "ok_per_second": round(self.ok / seconds, 1),
            "statuses": dict(sorted(self.statuses.items())),
            "p50_ms": percentile_ms(self.latencies, 0.50),
            "p99_ms": percentile_ms(self.latencies, 0.99),
            "max_ms": round(max(self.latencies) * 1000, 1) if self.latencies else None,
            "send_lag_p99_ms": percentile_ms(self.send_lag, 0.99),
        }


def percentile_ms(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


async def _one(pool: Pool, raw: bytes, due: float, sample: Sample) -> None:
    loop = asyncio.get_running_loop()
    try:
        outcome = str(await pool.request(raw))
    except TimeoutError:
        outcome = "timeout"
    except OSError:
        outcome = "connection error"
    sample.record(outcome, loop.time() - due)


def interleaved(mix: dict[str, float], length: int = 100) -> list[str]:
    """The kinds in proportion to ``mix``, each spread evenly over ``length`` slots (6:3:1 → v f v v …)."""
    total = sum(mix.values())
    slots: list[tuple[float, str]] = []
    for kind, share in mix.items():
        count = round(length * share / total)
        slots += [((i + 0.5) / count, kind) for i in range(count)]
    return [kind for _, kind in sorted(slots)]


async def closed_loop(
    target: Target, order: list[str], connections: int, seconds: float
) -> tuple[dict[str, Sample], float]:
    """``connections`` loops, each sending the next request of ``order`` (taken in turn by all loops)
    when its last is answered; the samples and the seconds it ran (less when a supply ran out)."""
    pool, supplies = Pool(target.host, target.port, connections), target.supplies
    samples = {kind: Sample() for kind in supplies}
    loop = asyncio.get_running_loop()
    start, turn = loop.time(), 0
    end = start + seconds
    ran_out = False

    async def sender() -> None:
        nonlocal turn, ran_out
        while loop.time() < end and not ran_out:
            kind = order[turn % len(order)]
            turn += 1
            raw = supplies[kind].take()
            if raw is None:
                ran_out = True
                return
            await _one(pool, raw, loop.time(), samples[kind])

    await asyncio.gather(*(sender() for _ in range(connections)))
    pool.close()
    return samples, loop.time() - start


async def open_loop(
    target: Target, rates: dict[str, float], seconds: float
) -> tuple[dict[str, Sample], float]:
    """Each kind's requests due at fixed intervals for ``seconds``, sent when due whatever came back
    before; the samples, and how long the last answers took to come back after the last was due."""
    pool, supplies = Pool(target.host, target.port, MAX_CONNECTIONS), target.supplies
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    samples = {kind: Sample() for kind in rates}
    pending: set[asyncio.Task[None]] = set()

    async def schedule(kind: str, rate: float) -> None:
        sample, n = samples[kind], 0
        while (due := start + n / rate) < start + seconds:
            if (wait := due - loop.time()) > 0:
                await asyncio.sleep(wait)
            sample.send_lag.append(max(0.0, loop.time() - due))
            n += 1
            raw = supplies[kind].take()
            if raw is None:
                sample.record(RAN_OUT, 0.0)
                continue
            task = asyncio.create_task(_one(pool, raw, due, sample))
            pending.add(task)
            task.add_done_callback(pending.discard)

    await asyncio.gather(*(schedule(kind, rate) for kind, rate in rates.items() if rate > 0))
    last_due = loop.time()
    while pending:
        await asyncio.gather(*list(pending))
    drained = loop.time() - last_due
    pool.close()
    return samples, drained
