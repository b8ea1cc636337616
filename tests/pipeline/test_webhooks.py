"""Signed webhooks: one delivery per endpoint and status change, retries, delivery log."""

from __future__ import annotations

import threading
from collections.abc import Mapping

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bridgewatch.errors import ConfigError
from bridgewatch.pipeline.webhooks import (
    SIGNATURE_HEADER,
    WebhookConfig,
    WebhookDispatcher,
    add_endpoint,
    run_dispatcher,
    sign,
    verify,
)
from bridgewatch.pipeline.worker import STATUS_CHANGED
from bridgewatch.store.events import append_event
from bridgewatch.store.tables import webhook_deliveries

SECRET = "s3cret-s3cret-s3cret"


def test_signature_round_trip_and_tampering() -> None:
    header = sign(SECRET, 1234, b'{"a":1}')
    assert header.startswith("t=1234,v1=")
    assert verify(SECRET, header, b'{"a":1}')
    assert not verify(SECRET, header, b'{"a":2}')
    assert not verify("another-secret-value", header, b'{"a":1}')
    assert not verify(SECRET, "garbage", b'{"a":1}')


def _status_event(engine: Engine, note_id: str) -> None:
    with Session(engine) as s, s.begin():
        append_event(
            s,
            now_ms=5,
            event_type=STATUS_CHANGED,
            actor_participant_id=None,
            entity_id=note_id,
            payload={"noteId": note_id, "status": "CURRENTLY_RATED_HELPFUL"},
        )
        append_event(
            s,
            now_ms=5,
            event_type="rating.created",
            actor_participant_id="x",
            entity_id=f"{note_id}:x",
            payload={},
        )


def test_deliveries_retry_with_backoff_then_succeed(engine: Engine) -> None:
    now = [1_000_000]
    replies = [500, 200, 200]
    sent: list[tuple[str, dict[str, str], bytes]] = []

    def sender(url: str, headers: Mapping[str, str], body: bytes) -> int:
        sent.append((url, dict(headers), body))
        reply = replies.pop(0)
        if reply == 0:
            raise ConnectionError("refused")
        return reply

    dispatcher = WebhookDispatcher(
        engine, WebhookConfig(max_attempts=3, backoff_s=2.0), lambda: now[0], sender
    )
    dispatcher.setup()
    add_endpoint(engine, url="https://hooks.example.org/a", secret=SECRET, now_ms=now[0])
    add_endpoint(engine, url="https://hooks.example.org/b", secret=SECRET, now_ms=now[0])
    _status_event(engine, "42")
    assert dispatcher.enqueue() == 2  # both events consumed, one is a status change
    assert dispatcher.enqueue() == 0  # offset advanced with the deliveries
    assert dispatcher.deliver_due() == 2
    url, headers, body = sent[0]
    assert url.startswith("https://hooks.example.org/")
    assert verify(SECRET, headers[SIGNATURE_HEADER], body)
    assert b'"noteId":"42"' in body
    # The failed one waits for its backoff.
    assert dispatcher.deliver_due() == 0
    now[0] += 2_000
    assert dispatcher.deliver_due() == 1
    with engine.connect() as conn:
        rows = conn.execute(
            select(webhook_deliveries.c.state, webhook_deliveries.c.attempts).order_by(
                webhook_deliveries.c.id
            )
        ).all()
    assert sorted((r[0], r[1]) for r in rows) == [("delivered", 1), ("delivered", 2)]


def test_a_delivery_fails_after_max_attempts(engine: Engine) -> None:
    now = [0]

    def sender(url: str, headers: Mapping[str, str], body: bytes) -> int:
        raise ConnectionError("refused")

    dispatcher = WebhookDispatcher(
        engine, WebhookConfig(max_attempts=2, backoff_s=1.0), lambda: now[0], sender
    )
    dispatcher.setup()
    add_endpoint(engine, url="http://127.0.0.1:9/x", secret=SECRET, now_ms=0)
    _status_event(engine, "7")
    dispatcher.enqueue()
    dispatcher.deliver_due()
    now[0] += 1000
    dispatcher.deliver_due()
    with engine.connect() as conn:
        row = conn.execute(
            select(
                webhook_deliveries.c.state,
                webhook_deliveries.c.attempts,
                webhook_deliveries.c.last_error,
            )
        ).one()
    assert row[0] == "failed" and row[1] == 2 and "refused" in row[2]


def test_config_checks(engine: Engine) -> None:
    with pytest.raises(ConfigError):
        WebhookConfig(max_attempts=0)
    with pytest.raises(ConfigError):
        WebhookConfig(backoff_s=10.0, max_backoff_s=1.0)
    with pytest.raises(ConfigError):
        add_endpoint(engine, url="ftp://x", secret=SECRET, now_ms=0)
    with pytest.raises(ConfigError):
        add_endpoint(engine, url="https://x", secret="short", now_ms=0)


def test_run_dispatcher_enqueues_and_delivers(engine: Engine) -> None:
    got: list[bytes] = []

    def sender(url: str, headers: Mapping[str, str], body: bytes) -> int:
        got.append(body)
        return 204

    dispatcher = WebhookDispatcher(engine, WebhookConfig(), lambda: 0, sender)
    dispatcher.setup()
    add_endpoint(engine, url="https://hooks.example.org/a", secret=SECRET, now_ms=0)
    _status_event(engine, "9")
    stop = threading.Event()
    assert run_dispatcher(dispatcher, stop, interval_s=0.01, max_rounds=3) == 3
    assert len(got) == 1 and b'"noteId":"9"' in got[0]
