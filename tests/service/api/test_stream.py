"""The SSE stream of status changes and the admin refit endpoint."""

from __future__ import annotations

import warnings

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bridgewatch.pipeline.worker import REFIT_REQUESTED, STATUS_CHANGED
from bridgewatch.service import Settings, create_app
from bridgewatch.service.api.stream import format_sse
from bridgewatch.store.events import append_event
from bridgewatch.store.repositories.auth import create_api_key
from bridgewatch.store.tables import events

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient


def _client(engine: Engine) -> TestClient:
    return TestClient(
        create_app(Settings(database_url="sqlite://"), engine=engine, clock=lambda: 7)
    )


def test_format_sse() -> None:
    assert format_sse(3, "x", {"b": 1, "a": 2}) == 'id: 3\nevent: x\ndata: {"a":2,"b":1}\n\n'


def test_stream_sends_status_changes_after_the_given_id(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        for i in range(3):
            append_event(
                s,
                now_ms=100 + i,
                event_type=STATUS_CHANGED if i != 1 else "rating.created",
                actor_participant_id=None,
                entity_id=str(i),
                payload={"noteId": str(i), "status": "CURRENTLY_RATED_HELPFUL"},
            )
    # The database is shared between tests: ids go on from earlier tests' events.
    with engine.connect() as conn:
        first = int(conn.execute(select(func.min(events.c.id))).scalar_one())
    with _client(engine) as client:
        r = client.get("/api/v1/stream", params={"after": first - 1, "limit": 2})
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        blocks = [b for b in r.text.split("\n\n") if b.startswith("id:")]
        assert [b.splitlines()[0] for b in blocks] == [f"id: {first}", f"id: {first + 2}"]
        assert '"noteId":"2"' in blocks[1] and '"at_ms":102' in blocks[1]
        # Resuming with Last-Event-ID skips what was seen.
        r = client.get("/api/v1/stream", params={"limit": 1}, headers={"Last-Event-ID": str(first)})
        assert f"id: {first + 2}" in r.text


def test_admin_refit_needs_the_scope_and_logs_a_request(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        admin = create_api_key(s, name="ops", scopes=["pipeline:admin"], now_ms=0)
        other = create_api_key(s, name="bot", scopes=["notes:write"], now_ms=0)
    with _client(engine) as client:
        denied = client.post("/api/v1/admin/refit", headers={"X-API-Key": other})
        assert denied.status_code == 403
        assert client.post("/api/v1/admin/refit").status_code in (401, 403)
        ok = client.post("/api/v1/admin/refit", headers={"X-API-Key": admin})
        assert ok.status_code == 202, ok.text
    with engine.connect() as conn:
        n = conn.execute(
            select(func.count()).where(events.c.event_type == REFIT_REQUESTED)
        ).scalar_one()
    assert n == 1
