"""The ASGI rating route in front of FastAPI (``service.fast_ratings``) answers exactly as the
general route: same status codes, bodies, headers, events and metrics, for valid input and
for every kind of bad input (most of which it hands on to FastAPI)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bridgewatch.model import EnrollmentState
from bridgewatch.service import fast_ratings
from bridgewatch.service.api import notes
from bridgewatch.store.tables import events
from tests.service.conftest import Service

_SETTINGS = {"ratings_per_minute": 4, "max_request_bytes": 2048}
_URL = "/api/v1/notes/{}/ratings"


class _Names:
    """Replaces the ids a run created (they differ between runs) by stable names."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def add(self, actual: str, name: str) -> None:
        self.names[actual] = name

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, str):
            if value in self.names:
                return self.names[value]
            value = re.sub(r"note (\d+)", lambda m: f"note {self(m.group(1))}", value)
            return re.sub(
                r"^(\d+):(\w+)$", lambda m: f"{self(m.group(1))}:{self(m.group(2))}", value
            )
        if isinstance(value, int) and not isinstance(value, bool) and str(value) in self.names:
            return self.names[str(value)]
        return value


def _answer(r: Any, names: _Names) -> tuple[int, Any, dict[str, str]]:
    try:
        body = r.json()
    except ValueError:
        body = r.text
    headers = {k: v for k, v in r.headers.items() if k != "x-request-id"}
    assert "x-request-id" in r.headers
    return r.status_code, names(body), headers


def _scenario(service: Service) -> tuple[list[Any], list[Any], list[str]]:
    """Every kind of rating request, in order; returns the normalized answers, the rating
    events and the ratings route's metrics lines."""
    names = _Names()
    author_id, author = service.writer()
    service.post(author)
    note = service.note(author)
    deleted = service.note(author, summary="Another note, https://example.org/x")
    other = service.note(author, summary="A third note, https://example.org/y")
    rater_id, rater = service.join()
    ai_id, ai = service.join()
    service.set_state(ai_id, EnrollmentState.apiEarnedIn)
    for actual, name in (
        (author_id, "author"),
        (rater_id, "rater"),
        (ai_id, "ai"),
        (note, "note"),
        (deleted, "deleted"),
        (other, "other"),
    ):
        names.add(actual, name)
    assert service.client.delete(f"/api/v1/notes/{deleted}", headers=author).status_code == 204
    url = _URL.format(note)
    ok = {"helpfulnessLevel": "HELPFUL", "helpfulTags": ["Clear"]}
    big = {"helpfulnessLevel": "HELPFUL", "ratedOnPostId": "x" * 3000}

    def chunks() -> Iterator[bytes]:
        yield b'{"helpfulnessLevel": "HELPFUL", '
        yield b'"ratedOnPostId": "' + b"y" * 3000 + b'"}'

    post = service.client.post
    json_header = {"Content-Type": "application/json"}
    answers = [
        post(url, json=ok, headers=rater),  # 201
        post(
            url,
            json={"helpfulnessLevel": "NOT_HELPFUL", "notHelpfulTags": ["Incorrect"]},
            headers=rater,
        ),  # 200
        post(url, content=b'{"helpfulnessLevel": ', headers=rater | json_header),  # bad JSON
        post(url, content=b"", headers=rater | json_header),  # no body
        post(url, content=b"[1, 2]", headers=rater | json_header),  # not an object
        post(url, json=ok | {"raterParticipantId": author_id}, headers=rater),  # unknown field
        post(
            url,
            json={"helpfulnessLevel": "HELPFUL", "notHelpfulTags": ["Incorrect"]},
            headers=rater,
        ),
        post(
            url, json={"helpfulnessLevel": "NOT_HELPFUL", "helpfulTags": ["Clear"]}, headers=rater
        ),
        post(
            url,
            json={"helpfulnessLevel": "HELPFUL", "helpfulTags": ["Clear", "Clear"]},
            headers=rater,
        ),
        post(url, json={"helpfulnessLevel": "VERY"}, headers=rater),
        post(url, json=ok | {"ratingSource": "POPULATION_SAMPLED"}, headers=rater),
        post(url, content=json.dumps(ok), headers=rater | {"Content-Type": "text/plain"}),
        post(url, content=json.dumps(ok), headers=rater),  # no content type
        post(url, json=ok),  # no credentials
        post(url, json=ok, headers={"Authorization": "Basic abc"}),
        post(url, json=ok, headers={"Authorization": "Bearer not-a-token"}),
        post(url, json={"helpfulnessLevel": "HELPFUL", "bogus": 1}),  # no credentials, bad body
        post(url, json=ok, headers=author),  # own note
        post(url, json=ok, headers=ai),  # AI note writer
        post(_URL.format(deleted), json=ok, headers=rater),  # deleted
        post(_URL.format(999_999), json=ok, headers=rater),  # no such note
        post(_URL.format(0), json=ok, headers=rater),
        post(_URL.format("007"), json=ok, headers=rater),
        post(_URL.format(2**63), json=ok, headers=rater),
        post(url, json=big, headers=rater),  # declared too large
        post(url, content=chunks(), headers=rater | json_header),  # streamed too large
        post(url, json=ok, headers=rater | {"Idempotency-Key": "k1"}),  # 200 via general path
        post(
            _URL.format(other),
            content=json.dumps(ok).encode(),
            headers=rater | {"Content-Type": "application/json; charset=utf-8"},
        ),  # 201
        post(url, json=ok, headers=rater),  # rate limited
    ]
    service.clock.advance(service.settings.session_ttl_s + 1)
    answers.append(post(url, json=ok, headers=rater))  # expired token
    normalized = [_answer(r, names) for r in answers]
    with service.engine.connect() as conn:
        logged = conn.execute(
            select(events)
            .where(events.c.event_type.like("rating.%"))
            .where(events.c.actor_participant_id.in_([rater_id, author_id, ai_id]))
            .order_by(events.c.id)
        )
        rows = [
            (e.event_type, e.created_at_ms, names(e.entity_id), names(json.loads(e.payload)))
            for e in logged
        ]
    metrics = [
        line
        for line in service.client.get("/metrics").text.splitlines()
        if "/ratings" in line
        and not line.startswith("#")
        and "_created" not in line
        and "duration_seconds" not in line
    ]
    return normalized, rows, metrics


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_the_fast_route_answers_as_the_general_route(
    make_service: Callable[..., Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    handled: list[int] = []
    write = notes.rate_on_postgresql

    async def counting(*args: Any, **kwargs: Any) -> Any:
        handled.append(kwargs["note_id"])
        return await write(*args, **kwargs)

    monkeypatch.setattr(f"{fast_ratings.__name__}.rate_on_postgresql", counting)
    general = _scenario(make_service(rating_fast_path=False, **_SETTINGS))
    assert handled == []
    fast = _scenario(make_service(rating_fast_path=True, **_SETTINGS))
    # The well-formed session requests were answered in front of FastAPI: valid ones,
    # the own note, the AI writer, the deleted and missing notes, the unknown token, the
    # rate limit and the expired token.
    assert len(handled) == 9
    for i, (g, f) in enumerate(zip(general[0], fast[0], strict=True)):
        assert g == f, f"request {i}"
    statuses = [s for s, _, _ in fast[0]]
    assert statuses == [
        201, 200, 422, 422, 422, 422, 422, 422, 422, 422, 403, 422, 422, 401, 401, 401,
        401, 403, 403, 409, 404, 422, 404, 422, 413, 413, 200, 201, 429, 401,
    ]  # fmt: skip
    assert general[1] == fast[1]
    assert [e[0] for e in fast[1]] == [
        "rating.created",
        "rating.replaced",
        "rating.replaced",
        "rating.created",
    ]
    assert general[2] == fast[2]
    assert any('status="201"' in line for line in fast[2])
