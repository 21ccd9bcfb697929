"""Each request measured and logged: its latency by route template and status (Prometheus), a request
id (``X-Request-ID``: the caller's when well-formed, else a new one; echoed in the answer) and one JSON
access-log line. Neither the metrics nor the log ever carry the raw path: ``/v/{token}`` and
``/s/{token}`` hold tokens, a query string may hold a name. The route template stands in for it."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from credential_service.platform.metrics import HTTP_DURATION

REQUEST_ID_HEADER = b"x-request-id"
_WELL_FORMED_ID = re.compile(rb"^[A-Za-z0-9._-]{8,64}$")
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
access_log = logging.getLogger("credential_service.access")


def route_template(scope: Scope) -> str:
    """``/v/{token}`` for ``/v/AB…``; ``unmatched`` when no route took the request (a 404)."""
    path = getattr(scope.get("route"), "path", None)  # set by the router on the route it matched
    if isinstance(path, str):
        return path
    return "static" if str(scope.get("path", "")).startswith("/static/") else "unmatched"


class RequestObservation:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers", [])).get(REQUEST_ID_HEADER, b"")
        rid = sent.decode() if _WELL_FORMED_ID.match(sent) else uuid.uuid4().hex
        token = request_id.set(rid)
        status = 500  # what the server answers if the app raises before starting a response
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (REQUEST_ID_HEADER, rid.encode())],
                }
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            method = str(scope.get("method", "GET"))
            HTTP_DURATION.labels(route=route, method=method, status=str(status)).observe(seconds)
            access_log.info(
                "request",
                extra={
                    "request_id": rid, "route": route, "method": method, "status": status,
                    "ms": round(seconds * 1000, 2),
                },
            )  # fmt: skip
            request_id.reset(token)


class JsonLines(logging.Formatter):
    """One JSON object per log line, with the request id of the request being served."""

    FIELDS = ("route", "method", "status", "ms")

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.get(),
            **{k: getattr(record, k) for k in self.FIELDS if hasattr(record, k)},
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def json_log_config(level: str = "INFO") -> dict[str, object]:
    """``logging.config.dictConfig`` for the server: JSON lines on stderr for ours and uvicorn's."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonLines}},
        "handlers": {"stderr": handler},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},  # raw paths
        },
    }
