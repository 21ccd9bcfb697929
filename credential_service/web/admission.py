"""Load shedding: each process works on at most ``CS_MAX_IN_FLIGHT`` reads and
``CS_MAX_WRITES_IN_FLIGHT`` writes at once (decision 043).

Past its capacity a process without a bound takes every request it is sent: its queue and its
answers' latency grow without end, the database pool runs dry and requests fail after the pool's
timeout with a 500. Instead, a request finds one of the process's places free and is served, or
waits for one in a short queue (``CS_MAX_WAITING`` requests, ``CS_MAX_WAIT_SECONDS`` at most), or is
refused at once with 503 and ``Retry-After``, before any work is done for it. What is admitted is
answered in bounded time; what is refused costs almost nothing, so the process keeps its pace and
the service recovers as soon as the flood ends. Health checks and metrics are never refused: they
are how an operator (or a load balancer) sees the overload.
"""

from __future__ import annotations

import asyncio
from collections import deque

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from credential_service.core.errors import ServiceError
from credential_service.platform.metrics import SHED
from credential_service.web.http import problem
from credential_service.web.templating import error_page

ALWAYS_ADMITTED = frozenset({"/healthz", "/metrics"})
READS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_AFTER_SECONDS = 1  # the queue is meant to empty within a second


class Overloaded(ServiceError):
    def __init__(self) -> None:
        super().__init__(
            message="服务繁忙，请稍后再试 / the service is busy: try again in a moment",
            code="overloaded",
            status=503,
        )


class Lane:
    """At most ``limit`` requests at once; up to ``max_waiting`` more wait, each at most
    ``max_wait_seconds``, for a place; any other is refused.

    One instance per process and event loop: the counts are plain attributes, changed only on the
    loop's thread. A place freed goes straight to the longest waiter, so none is overtaken."""

    def __init__(self, limit: int, max_waiting: int, max_wait_seconds: float) -> None:
        self.limit, self.max_waiting, self.max_wait_seconds = limit, max_waiting, max_wait_seconds
        self.in_flight = 0
        self.waiting: deque[asyncio.Future[bool]] = deque()

    async def admit(self) -> bool:
        """True once this request holds a place (``leave`` when done); False: refuse it."""
        if self.in_flight < self.limit and not self.waiting:
            self.in_flight += 1
            return True
        if len(self.waiting) >= self.max_waiting or self.max_wait_seconds <= 0:
            return False
        loop = asyncio.get_running_loop()
        place: asyncio.Future[bool] = loop.create_future()
        self.waiting.append(place)
        expiry = loop.call_later(self.max_wait_seconds, self._give_up, place)
        try:
            return await place
        except asyncio.CancelledError:  # the server cancelled the request while it waited
            if place.done() and not place.cancelled() and place.result():
                self.leave()  # a place was handed to it just before: pass it on
            elif place in self.waiting:
                self.waiting.remove(place)
            raise
        finally:
            expiry.cancel()

    def _give_up(self, place: asyncio.Future[bool]) -> None:
        if not place.done():
            place.set_result(False)
            self.waiting.remove(place)

    def leave(self) -> None:
        """Hand the place to the longest waiter still waiting, or free it."""
        while self.waiting:
            place = self.waiting.popleft()
            if not place.done():
                place.set_result(True)
                return
        self.in_flight -= 1


class AdmissionLimit:
    """Reads (GET, HEAD) in one lane of ``max_in_flight`` places, writes in another of
    ``max_writes_in_flight`` (0: writes share the readers' lane), each with its own queue; with
    ``max_in_flight`` 0 every request is admitted.

    Writes have a lane of their own because every write that is audited queues on the same few
    single-writer chains in the database (the audit trail, the transparency log, decision 042):
    more of them at once only lengthen that queue, where they would hold their places for seconds
    and leave none to the look-ups, which need only a core."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_in_flight: int,
        max_writes_in_flight: int,
        max_waiting: int,
        max_wait_seconds: float,
    ) -> None:
        self.app = app
        writes = max_writes_in_flight
        self.reads = Lane(max_in_flight, max_waiting, max_wait_seconds) if max_in_flight else None
        self.writes = Lane(writes, max_waiting, max_wait_seconds) if writes else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lane = self._lane(scope)
        if lane is None:
            await self.app(scope, receive, send)
            return
        if not await lane.admit():
            SHED.inc()
            await self._refuse(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            lane.leave()

    def _lane(self, scope: Scope) -> Lane | None:
        if scope["type"] != "http" or self.reads is None or scope.get("path") in ALWAYS_ADMITTED:
            return None
        return self.reads if scope.get("method") in READS or self.writes is None else self.writes

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        wants_page = "text/html" in request.headers.get("accept", "")
        response = error_page(request, Overloaded()) if wants_page else problem(Overloaded())
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        await response(scope, receive, send)
