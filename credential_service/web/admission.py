"""Load shedding: each process works on at most ``CS_MAX_IN_FLIGHT`` requests at once (decision 043).

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
RETRY_AFTER_SECONDS = 1  # the queue is meant to empty within a second


class Overloaded(ServiceError):
    def __init__(self) -> None:
        super().__init__(
            message="服务繁忙，请稍后再试 / the service is busy: try again in a moment",
            code="overloaded",
            status=503,
        )


class AdmissionLimit:
    """At most ``max_in_flight`` requests in the app at once (0: no limit); up to ``max_waiting``
    more wait, each at most ``max_wait_seconds``, for a place; any other is answered 503 at once.

    One instance per process and event loop: the counts are plain attributes, changed only on the
    loop's thread. A place freed goes straight to the longest waiter, so none is overtaken."""

    def __init__(
        self, app: ASGIApp, *, max_in_flight: int, max_waiting: int, max_wait_seconds: float
    ) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.max_waiting = max_waiting
        self.max_wait_seconds = max_wait_seconds
        self.in_flight = 0
        self.waiting: deque[asyncio.Future[bool]] = deque()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.max_in_flight or scope.get("path") in ALWAYS_ADMITTED:
            await self.app(scope, receive, send)
            return
        if not await self._admit():
            SHED.inc()
            await self._refuse(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._leave()

    async def _admit(self) -> bool:
        """True once this request holds a place; False when it may not have one (refuse it)."""
        if self.in_flight < self.max_in_flight and not self.waiting:
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
                self._leave()  # a place was handed to it just before: pass it on
            elif place in self.waiting:
                self.waiting.remove(place)
            raise
        finally:
            expiry.cancel()

    def _give_up(self, place: asyncio.Future[bool]) -> None:
        if not place.done():
            place.set_result(False)
            self.waiting.remove(place)

    def _leave(self) -> None:
        """Hand the place to the longest waiter still waiting, or free it."""
        while self.waiting:
            place = self.waiting.popleft()
            if not place.done():
                place.set_result(True)
                return
        self.in_flight -= 1

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        wants_page = "text/html" in request.headers.get("accept", "")
        response = error_page(request, Overloaded()) if wants_page else problem(Overloaded())
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        await response(scope, receive, send)
