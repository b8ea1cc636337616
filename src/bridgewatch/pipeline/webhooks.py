"""Signed webhooks for note status changes, with retries and a delivery log.

Two steps, each in its own transaction:

1. :meth:`WebhookDispatcher.enqueue` reads ``note.status_changed`` events after the
   ``webhooks`` consumer offset and adds one pending delivery per active endpoint
   (unique per endpoint and event), advancing the offset in the same transaction.
2. :meth:`WebhookDispatcher.deliver_due` POSTs the due deliveries. A 2xx marks a delivery
   ``delivered``; anything else (or a transport error) schedules a retry after
   ``backoff_s * 2**attempts`` (capped), and after ``max_attempts`` it is ``failed``. On
   PostgreSQL due rows are claimed with ``FOR UPDATE SKIP LOCKED`` so several dispatchers
   never send one delivery at the same time.

Each request carries ``X-Bridgewatch-Signature: t=<ms>,v1=<hex>``, the HMAC-SHA256 of
``"<ms>.<body>"`` under the endpoint's secret, and ``X-Bridgewatch-Event-Id`` (receivers
deduplicate on it: delivery is at least once).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bridgewatch import clock as wall
from bridgewatch.errors import ConfigError
from bridgewatch.store.event_types import STATUS_CHANGED
from bridgewatch.store.migrate import ensure_pipeline_schema
from bridgewatch.store.tables import (
    events,
    pipeline_offsets,
    webhook_deliveries,
    webhook_endpoints,
)

__all__ = [
    "SIGNATURE_HEADER",
    "Sender",
    "WebhookConfig",
    "WebhookDispatcher",
    "add_endpoint",
    "run_dispatcher",
    "sign",
    "verify",
]

_log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Bridgewatch-Signature"
_CONSUMER = "webhooks"

Sender = Callable[[str, Mapping[str, str], bytes], int]
"""``send(url, headers, body) -> HTTP status``; raises on transport errors."""


def sign(secret: str, timestamp_ms: int, body: bytes) -> str:
    """The signature header value ``t=<ms>,v1=<hex HMAC-SHA256 of "<ms>.<body>">``."""
    mac = hmac.new(secret.encode(), f"{timestamp_ms}.".encode() + body, hashlib.sha256)
    return f"t={timestamp_ms},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes) -> bool:
    """Whether ``header`` is a valid signature of ``body`` under ``secret``."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def _httpx_sender(timeout_s: float) -> Sender:
    import httpx

    def send(url: str, headers: Mapping[str, str], body: bytes) -> int:
        return httpx.post(url, content=body, headers=dict(headers), timeout=timeout_s).status_code

    return send


@dataclass(frozen=True)
class WebhookConfig:
    """Delivery settings.

    Attributes
    ----------
    max_attempts : attempts before a delivery is ``failed`` (>= 1).
    backoff_s : first retry delay, s (> 0); doubles per attempt up to ``max_backoff_s``.
    timeout_s : HTTP timeout per attempt, s (> 0).
    """

    max_attempts: int = 8
    backoff_s: float = 1.0
    max_backoff_s: float = 3600.0
    timeout_s: float = 5.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigError("max_attempts", self.max_attempts, ">= 1")
        if self.backoff_s <= 0:
            raise ConfigError("backoff_s", self.backoff_s, "> 0")
        if self.max_backoff_s < self.backoff_s:
            raise ConfigError("max_backoff_s", self.max_backoff_s, ">= backoff_s")
        if self.timeout_s <= 0:
            raise ConfigError("timeout_s", self.timeout_s, "> 0")


def add_endpoint(engine: Engine, *, url: str, secret: str, now_ms: int) -> int:
    """Register an endpoint for status-change webhooks; returns its id."""
    if not url.startswith(("http://", "https://")):
        raise ConfigError("url", url, "an http(s) URL")
    if len(secret) < 16:
        raise ConfigError("secret", "<hidden>", "at least 16 characters")
    ensure_pipeline_schema(engine)
    with Session(engine) as s, s.begin():
        row = s.execute(
            insert(webhook_endpoints).returning(webhook_endpoints.c.id),
            {"url": url, "secret": secret, "active": True, "created_at_ms": now_ms},
        )
        return int(row.scalar_one())


class WebhookDispatcher:
    """Fans status changes out to webhook endpoints (see the module docstring).

    Parameters
    ----------
    engine : the service's database.
    config : WebhookConfig.
    clock : "now" in ms since the epoch (default the wall clock).
    sender : how a request is sent (default: httpx).
    """

    def __init__(
        self,
        engine: Engine,
        config: WebhookConfig,
        clock: wall.Clock = wall.now_ms,
        sender: Sender | None = None,
    ) -> None:
        self.engine = engine
        self.config = config
        self.clock = clock
        self.sender = sender if sender is not None else _httpx_sender(config.timeout_s)
        self._pg = engine.dialect.name == "postgresql"

    def setup(self) -> None:
        """Create the tables and the consumer offset (idempotent)."""
        ensure_pipeline_schema(self.engine)
        builder = postgresql.insert if self._pg else sqlite.insert
        stmt = builder(pipeline_offsets).on_conflict_do_nothing(index_elements=["consumer"])
        with Session(self.engine) as s, s.begin():
            s.execute(
                stmt,
                {"consumer": _CONSUMER, "last_event_id": 0, "updated_at_ms": self.clock()},
            )

    def enqueue(self, limit: int = 1000) -> int:
        """Pending deliveries for the next status changes; returns events consumed."""
        where = pipeline_offsets.c.consumer == _CONSUMER
        with Session(self.engine) as s, s.begin():
            if self._pg:
                offset_q = select(pipeline_offsets.c.last_event_id).where(where).with_for_update()
            else:
                s.execute(
                    update(pipeline_offsets)
                    .where(where)
                    .values(updated_at_ms=pipeline_offsets.c.updated_at_ms)
                )
                offset_q = select(pipeline_offsets.c.last_event_id).where(where)
            offset = int(s.execute(offset_q).scalar_one())
            rows = s.execute(
                select(events.c.id, events.c.event_type)
                .where(events.c.id > offset)
                .order_by(events.c.id)
                .limit(limit)
            ).all()
            if not rows:
                return 0
            endpoints = s.execute(
                select(webhook_endpoints.c.id).where(webhook_endpoints.c.active.is_(True))
            ).all()
            now = self.clock()
            deliveries = [
                {
                    "endpoint_id": int(ep[0]),
                    "event_id": int(ev[0]),
                    "state": "pending",
                    "attempts": 0,
                    "next_attempt_at_ms": now,
                }
                for ev in rows
                if ev[1] == STATUS_CHANGED
                for ep in endpoints
            ]
            if deliveries:
                s.execute(insert(webhook_deliveries), deliveries)
            s.execute(
                update(pipeline_offsets)
                .where(where)
                .values(last_event_id=int(rows[-1][0]), updated_at_ms=now)
            )
            return len(rows)

    def deliver_due(self, limit: int = 100) -> int:
        """Send the due deliveries; returns how many were attempted."""
        now = self.clock()
        d, ep = webhook_deliveries, webhook_endpoints
        with Session(self.engine) as s, s.begin():
            stmt = (
                select(d.c.id, d.c.event_id, d.c.attempts, ep.c.url, ep.c.secret, events.c.payload)
                .join(ep, ep.c.id == d.c.endpoint_id)
                .join(events, events.c.id == d.c.event_id)
                .where(d.c.state == "pending", d.c.next_attempt_at_ms <= now)
                .order_by(d.c.next_attempt_at_ms, d.c.id)
                .limit(limit)
            )
            if self._pg:
                stmt = stmt.with_for_update(skip_locked=True, of=d)
            due = s.execute(stmt).all()
            for delivery_id, event_id, attempts, url, secret, payload in due:
                self._attempt(
                    s, int(delivery_id), int(event_id), int(attempts), url, secret, payload
                )
        return len(due)

    def _attempt(
        self,
        s: Session,
        delivery_id: int,
        event_id: int,
        attempts: int,
        url: str,
        secret: str,
        payload: str,
    ) -> None:
        body = json.dumps(
            {"id": event_id, "type": STATUS_CHANGED, "data": json.loads(payload)},
            sort_keys=True,
            separators=(",", ":"),
        ).encode()
        now = self.clock()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(secret, now, body),
            "X-Bridgewatch-Event-Id": str(event_id),
        }
        status: int | None = None
        error: str | None = None
        try:
            status = self.sender(url, headers, body)
        except Exception as exc:  # any transport failure is retried
            error = f"{type(exc).__name__}: {exc}"[:500]
        attempts += 1
        values: dict[str, Any] = {"attempts": attempts, "last_status_code": status}
        if status is not None and 200 <= status < 300:
            values.update(state="delivered", delivered_at_ms=now, last_error=None)
        else:
            values["last_error"] = error or f"HTTP {status}"
            if attempts >= self.config.max_attempts:
                values["state"] = "failed"
                _log.warning("webhook %d to %s failed after %d attempts", event_id, url, attempts)
            else:
                delay = min(self.config.backoff_s * 2 ** (attempts - 1), self.config.max_backoff_s)
                values["next_attempt_at_ms"] = now + int(delay * 1000)
        s.execute(
            update(webhook_deliveries)
            .where(webhook_deliveries.c.id == delivery_id)
            .values(**values)
        )


def run_dispatcher(
    dispatcher: WebhookDispatcher,
    stop: threading.Event,
    *,
    interval_s: float = 0.5,
    max_rounds: int | None = None,
) -> int:
    """Enqueue and deliver until ``stop`` is set (or ``max_rounds``); returns rounds run.

    Errors of one round (a database restart) are logged and retried next round.
    """
    dispatcher.setup()
    rounds = 0
    while not stop.is_set() and (max_rounds is None or rounds < max_rounds):
        busy = False
        try:
            busy = dispatcher.enqueue() > 0
            busy = dispatcher.deliver_due() > 0 or busy
        except Exception as exc:  # keep delivering after transient failures
            _log.warning("webhook round failed: %s", exc)
        rounds += 1
        if not busy:
            stop.wait(interval_s)
    return rounds
