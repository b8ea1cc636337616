"""ASGI middleware: request size limit, Prometheus metrics and one structured log per request."""

from __future__ import annotations

import itertools
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from bridgewatch.service.errors import error_response

__all__ = ["BodySizeLimit", "Metrics", "RequestObserver"]

_log = logging.getLogger("bridgewatch.service.access")

# ASGI types; Any because ASGI messages are plain dicts of mixed values.
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _TooLarge(BaseException):
    # BaseException: FastAPI turns any Exception raised while reading a body into a 400.
    pass


class BodySizeLimit:
    """Answer 413 to requests whose body exceeds ``max_bytes`` (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > self.max_bytes:
                    await self._refuse(scope, receive, send)
                    return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if started:  # pragma: no cover - the app answered before reading it all
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, "payload_too_large", f"the request body exceeds {self.max_bytes} bytes"
        )
        await response(scope, receive, send)


class Metrics:
    """The app's Prometheus registry: request counts and latency by route template."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "bridgewatch_http_requests",
            "HTTP requests by method, route and status",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "bridgewatch_http_request_duration_seconds",
            "HTTP request latency by method and route",
            ("method", "route"),
            buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=self.registry,
        )
        # The labelled children, cached: ``labels()`` validates and locks on every call.
        self._counts: dict[tuple[str, str, int], Any] = {}
        self._latencies: dict[tuple[str, str], Any] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request and record its latency."""
        counted = self._counts.get((method, route, status))
        if counted is None:
            counted = self._counts[method, route, status] = self.requests.labels(
                method, route, str(status)
            )
        counted.inc()
        timed = self._latencies.get((method, route))
        if timed is None:
            timed = self._latencies[method, route] = self.latency.labels(method, route)
        timed.observe(seconds)


def _request_ids() -> Iterator[bytes]:
    """Unique request ids: 32 hex digits, a random per-process prefix and a counter (a
    fresh ``uuid4`` per request costs a system call)."""
    prefix = os.urandom(8).hex()
    for n in itertools.count():
        yield f"{prefix}{n & 0xFFFFFFFFFFFFFFFF:016x}".encode()


class RequestObserver:
    """Counts, times and logs every request as one JSON line (logger
    ``bridgewatch.service.access``), tagging it with an ``X-Request-Id``."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self._ids = _request_ids()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = next(self._ids)
        status = 500

        async def observing_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", request_id)]
            await send(message)

        try:
            await self.app(scope, receive, observing_send)
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = str(scope.get("method", ""))
            self.metrics.observe(method, template, status, elapsed)
            if _log.isEnabledFor(logging.INFO):
                _log.info(
                    "%s",
                    json.dumps(
                        {
                            "event": "request",
                            "request_id": request_id.decode(),
                            "method": method,
                            "path": scope.get("path"),
                            "route": template,
                            "status": status,
                            "duration_ms": round(elapsed * 1000, 3),
                        }
                    ),
                )
