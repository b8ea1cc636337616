"""Health, metrics, request size limit, error bodies and the transactional outbox."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

from sqlalchemy import select

from bridgewatch.store.tables import events
from tests.service.conftest import Service


def test_healthz_reports_the_database(service: Service) -> None:
    r = service.client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "up"}


def test_metrics_count_requests_by_route(service: Service) -> None:
    service.client.get("/api/v1/timelines/new")
    text = service.client.get("/metrics").text
    line = 'bridgewatch_http_requests_total{method="GET",route="/api/v1/timelines/{tab}",'
    assert line + 'status="200"} 1.0' in text
    assert "bridgewatch_http_request_duration_seconds_bucket" in text


def test_openapi_schema_is_served(service: Service) -> None:
    schema = service.client.get("/openapi.json").json()
    assert "/api/v1/notes/{note_id}/ratings" in schema["paths"]
    assert service.client.get("/docs").status_code == 200


def test_oversized_body_is_413(make_service: Callable[..., Service]) -> None:
    service = make_service(max_request_bytes=2048)
    _, headers = service.join()
    big = {"postId": "p", "text": "x" * 5000}
    r = service.client.post("/api/v1/posts", json=big, headers=headers)
    assert r.status_code == 413
    assert r.json()["error"] == "payload_too_large"


def test_streamed_oversized_body_is_413(make_service: Callable[..., Service]) -> None:
    service = make_service(max_request_bytes=2048)
    _, headers = service.join()

    def chunks() -> Iterator[bytes]:
        yield b'{"postId": "p", "text": "'
        for _ in range(10):
            yield b"x" * 500
        yield b'"}'

    r = service.client.post(
        "/api/v1/posts",
        content=chunks(),
        headers=headers | {"Content-Type": "application/json"},
    )
    assert r.status_code == 413


def test_malformed_json_is_422(service: Service) -> None:
    _, headers = service.join()
    r = service.client.post(
        "/api/v1/posts",
        content=b"{not json",
        headers=headers | {"Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert r.json()["error"] == "validation_error"


def test_every_write_appends_its_event_in_the_same_transaction(service: Service) -> None:
    pid, author = service.writer()
    service.post(author)
    note_id = service.note(author)
    rater_id, rater = service.join()
    service.client.post(
        f"/api/v1/notes/{note_id}/ratings", json={"helpfulnessLevel": "HELPFUL"}, headers=rater
    )
    service.client.post("/api/v1/posts/1001/requests", json={}, headers=rater)
    service.client.delete(f"/api/v1/notes/{note_id}", headers=author)
    with service.engine.connect() as conn:
        log = list(conn.execute(select(events).order_by(events.c.id)))
    assert [e.event_type for e in log] == [
        "participant.joined",
        "post.created",
        "note.created",
        "participant.joined",
        "rating.created",
        "note_request.created",
        "note.deleted",
    ]
    rating = json.loads(log[4].payload)
    assert rating["noteId"] == note_id and rating["raterParticipantId"] == rater_id
    assert rating["helpfulnessLevel"] == "HELPFUL"
    assert log[2].actor_participant_id == pid


def test_refused_writes_leave_no_event(service: Service) -> None:
    _, author = service.writer()
    service.post(author)
    note_id = service.note(author)
    with service.engine.connect() as conn:
        before = len(list(conn.execute(select(events))))
    service.client.post(
        f"/api/v1/notes/{note_id}/ratings", json={"helpfulnessLevel": "HELPFUL"}, headers=author
    )
    service.client.post("/api/v1/notes", json={"postId": "1001"}, headers=author)
    with service.engine.connect() as conn:
        assert len(list(conn.execute(select(events)))) == before
