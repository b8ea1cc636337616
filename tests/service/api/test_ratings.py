"""Rating notes: one rating per rater per note, tags per level, self-rating refused, limits."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from bridgewatch.model import EnrollmentState
from bridgewatch.store.tables import events, ratings
from tests.service.conftest import Service


def _setup(service: Service) -> tuple[str, str, dict[str, str]]:
    """A note by a writer and a fresh rater; returns (note id, rater id, rater headers)."""
    _, author = service.writer()
    service.post(author)
    note_id = service.note(author)
    rater_id, rater = service.join()
    return note_id, rater_id, rater


def _rows(service: Service) -> list[Any]:
    with service.engine.connect() as conn:
        return list(conn.execute(select(ratings)))


def test_rating_is_stored_with_the_matching_tsv_tags(service: Service) -> None:
    note_id, rater_id, rater = _setup(service)
    body = {
        "helpfulnessLevel": "SOMEWHAT_HELPFUL",
        "helpfulTags": ["Clear", "GoodSources"],
        "notHelpfulTags": ["MissingKeyPoints"],
        "ratedOnPostId": "1001",
    }
    r = service.client.post(f"/api/v1/notes/{note_id}/ratings", json=body, headers=rater)
    assert r.status_code == 201, r.text
    assert r.json()["raterParticipantId"] == rater_id
    assert r.json()["replaced"] is False
    (row,) = _rows(service)
    assert row.helpfulnessLevel == "SOMEWHAT_HELPFUL"
    assert (row.helpfulClear, row.helpfulGoodSources, row.helpfulOther) == (1, 1, 0)
    assert row.notHelpfulMissingKeyPoints == 1
    assert row.ratedOnTweetId == "1001"
    assert row.ratingSourceBucketed == "DEFAULT"
    assert row.createdAtMillis == service.clock.now_ms


def test_re_rating_replaces_the_earlier_rating(service: Service) -> None:
    note_id, _, rater = _setup(service)
    url = f"/api/v1/notes/{note_id}/ratings"
    service.client.post(url, json={"helpfulnessLevel": "HELPFUL"}, headers=rater)
    service.clock.advance(5)
    r = service.client.post(
        url,
        json={"helpfulnessLevel": "NOT_HELPFUL", "notHelpfulTags": ["Incorrect"]},
        headers=rater,
    )
    assert r.status_code == 200
    assert r.json()["replaced"] is True
    (row,) = _rows(service)
    assert row.helpfulnessLevel == "NOT_HELPFUL" and row.notHelpfulIncorrect == 1
    mine = service.client.get(f"/api/v1/notes/{note_id}/ratings/me", headers=rater).json()
    assert mine["notHelpfulTags"] == ["Incorrect"]
    with service.engine.connect() as conn:
        types = [e.event_type for e in conn.execute(select(events).order_by(events.c.id))]
    assert types[-2:] == ["rating.created", "rating.replaced"]


def test_rating_ones_own_note_is_refused(service: Service) -> None:
    _, author = service.writer()
    service.post(author)
    note_id = service.note(author)
    r = service.client.post(
        f"/api/v1/notes/{note_id}/ratings", json={"helpfulnessLevel": "HELPFUL"}, headers=author
    )
    assert r.status_code == 403
    assert "own note" in r.json()["message"]
    assert _rows(service) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"helpfulnessLevel": "HELPFUL", "notHelpfulTags": ["Incorrect"]}, "notHelpfulTags"),
        ({"helpfulnessLevel": "NOT_HELPFUL", "helpfulTags": ["Clear"]}, "helpfulTags"),
        ({"helpfulnessLevel": "HELPFUL", "helpfulTags": ["Clear", "Clear"]}, "helpfulTags"),
        ({"helpfulnessLevel": "VERY"}, "helpfulnessLevel"),
        ({"helpfulnessLevel": "HELPFUL", "helpfulTags": ["Funny"]}, "helpfulTags.0"),
        ({"helpfulnessLevel": "HELPFUL", "raterParticipantId": "X"}, "raterParticipantId"),
        ({}, "helpfulnessLevel"),
    ],
)
def test_bad_rating_is_422_naming_the_field(
    service: Service, body: dict[str, Any], field: str
) -> None:
    note_id, _, rater = _setup(service)
    r = service.client.post(f"/api/v1/notes/{note_id}/ratings", json=body, headers=rater)
    assert r.status_code == 422, r.text
    assert r.json()["details"][0]["field"] == field
    assert _rows(service) == []


def test_rating_an_unknown_or_deleted_note(service: Service) -> None:
    _, author = service.writer()
    service.post(author)
    note_id = service.note(author)
    _, rater = service.join()
    r = service.client.post(
        "/api/v1/notes/12345/ratings", json={"helpfulnessLevel": "HELPFUL"}, headers=rater
    )
    assert r.status_code == 404
    service.client.delete(f"/api/v1/notes/{note_id}", headers=author)
    r = service.client.post(
        f"/api/v1/notes/{note_id}/ratings", json={"helpfulnessLevel": "HELPFUL"}, headers=rater
    )
    assert r.status_code == 409


def test_ratings_per_minute_limit(make_service: Callable[..., Service]) -> None:
    service = make_service(ratings_per_minute=3)
    _, author = service.writer()
    service.post(author)
    note_ids = [service.note(author) for _ in range(3)]
    _, author2 = service.writer()
    service.post(author2, post_id="1002", author="zed")
    note_ids.append(service.note(author2, post_id="1002"))
    _, rater = service.join()
    body = {"helpfulnessLevel": "HELPFUL"}
    for note_id in note_ids[:3]:
        r = service.client.post(f"/api/v1/notes/{note_id}/ratings", json=body, headers=rater)
        assert r.status_code == 201
    r = service.client.post(f"/api/v1/notes/{note_ids[3]}/ratings", json=body, headers=rater)
    assert r.status_code == 429
    assert r.json()["details"][0]["reason"] == "ratings_per_minute"
    assert len(_rows(service)) == 3
    service.clock.advance(61)
    r = service.client.post(f"/api/v1/notes/{note_ids[3]}/ratings", json=body, headers=rater)
    assert r.status_code == 201


def test_population_sampled_is_reserved_to_integrations(service: Service) -> None:
    note_id, rater_id, rater = _setup(service)
    body = {"helpfulnessLevel": "HELPFUL", "ratingSource": "POPULATION_SAMPLED"}
    url = f"/api/v1/notes/{note_id}/ratings"
    assert service.client.post(url, json=body, headers=rater).status_code == 403
    key = service.api_key("ratings:write")
    r = service.client.post(
        url, json=body, headers={"X-API-Key": key, "X-Participant-Id": rater_id}
    )
    assert r.status_code == 201
    assert r.json()["raterParticipantId"] == rater_id
    assert _rows(service)[0].ratingSourceBucketed == "POPULATION_SAMPLED"


def test_api_key_without_the_ratings_scope_cannot_rate(service: Service) -> None:
    note_id, rater_id, _ = _setup(service)
    key = service.api_key("notes:write")
    r = service.client.post(
        f"/api/v1/notes/{note_id}/ratings",
        json={"helpfulnessLevel": "HELPFUL"},
        headers={"X-API-Key": key, "X-Participant-Id": rater_id},
    )
    assert r.status_code == 403


def test_ai_writers_cannot_rate(service: Service) -> None:
    note_id, rater_id, rater = _setup(service)
    service.set_state(rater_id, EnrollmentState.apiEarnedIn)
    r = service.client.post(
        f"/api/v1/notes/{note_id}/ratings", json={"helpfulnessLevel": "HELPFUL"}, headers=rater
    )
    assert r.status_code == 403


def test_withdrawing_a_rating(service: Service) -> None:
    note_id, _, rater = _setup(service)
    url = f"/api/v1/notes/{note_id}/ratings"
    service.client.post(url, json={"helpfulnessLevel": "HELPFUL"}, headers=rater)
    assert service.client.delete(f"{url}/me", headers=rater).status_code == 204
    assert _rows(service) == []
    assert service.client.delete(f"{url}/me", headers=rater).status_code == 404
    assert service.client.get(f"{url}/me", headers=rater).status_code == 404


def test_retried_rating_with_idempotency_key_is_written_once(service: Service) -> None:
    note_id, _, rater = _setup(service)
    url = f"/api/v1/notes/{note_id}/ratings"
    h = rater | {"Idempotency-Key": "r1"}
    first = service.client.post(url, json={"helpfulnessLevel": "HELPFUL"}, headers=h)
    service.clock.advance(1)
    second = service.client.post(url, json={"helpfulnessLevel": "HELPFUL"}, headers=h)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    with service.engine.connect() as conn:
        n_events = len(
            list(conn.execute(select(events).where(events.c.event_type.like("rating.%"))))
        )
    assert n_events == 1


def test_session_ratings_on_postgresql_take_the_one_statement_path(service: Service) -> None:
    """On PostgreSQL a session's rating runs off the SQLAlchemy engine (one statement on
    the asynchronous connection); on SQLite it goes through the engine."""
    from sqlalchemy import event

    note_id, _, rater = _setup(service)
    statements: list[str] = []

    def count(*args: Any, **_kw: Any) -> None:
        statements.append(str(args[2]))

    event.listen(service.engine, "before_cursor_execute", count)
    try:
        r = service.client.post(
            f"/api/v1/notes/{note_id}/ratings", json={"helpfulnessLevel": "HELPFUL"}, headers=rater
        )
    finally:
        event.remove(service.engine, "before_cursor_execute", count)
    assert r.status_code == 201
    if service.engine.dialect.name == "postgresql":
        assert statements == []
    else:
        assert statements
    assert len(_rows(service)) == 1


def test_a_logged_out_session_cannot_rate_at_once(service: Service) -> None:
    note_id, _, rater = _setup(service)
    url = f"/api/v1/notes/{note_id}/ratings"
    assert (
        service.client.post(url, json={"helpfulnessLevel": "HELPFUL"}, headers=rater).status_code
        == 201
    )
    assert service.client.delete("/api/v1/sessions/current", headers=rater).status_code == 204
    r = service.client.post(url, json={"helpfulnessLevel": "NOT_HELPFUL"}, headers=rater)
    assert r.status_code == 401
    assert _rows(service)[0].helpfulnessLevel == "HELPFUL"
    assert service.client.post(url, json={"helpfulnessLevel": "HELPFUL"}).status_code == 401


def test_expired_session_and_removed_participant_cannot_rate(service: Service) -> None:
    note_id, rater_id, rater = _setup(service)
    url = f"/api/v1/notes/{note_id}/ratings"
    service.set_state(rater_id, EnrollmentState.removed)
    r = service.client.post(url, json={"helpfulnessLevel": "HELPFUL"}, headers=rater)
    assert r.status_code == 403
    assert "removed" in r.json()["message"]
    service.set_state(rater_id, EnrollmentState.newUser)
    assert (
        service.client.post(url, json={"helpfulnessLevel": "HELPFUL"}, headers=rater).status_code
        == 201
    )
    service.clock.advance(service.settings.session_ttl_s + 1)
    r = service.client.post(url, json={"helpfulnessLevel": "HELPFUL"}, headers=rater)
    assert r.status_code == 401
    with service.engine.connect() as conn:
        n_events = len(
            list(conn.execute(select(events).where(events.c.event_type.like("rating.%"))))
        )
    assert n_events == 1


@pytest.mark.parametrize("fast_path", [True, False])
def test_both_rating_paths_answer_alike(
    make_service: Callable[..., Service], fast_path: bool
) -> None:
    """The one-statement PostgreSQL path and the general path give the same answers."""
    service = make_service(rating_fast_path=fast_path, ratings_per_minute=2)
    _, author = service.writer()
    service.post(author)
    note_id = service.note(author)
    rater_id, rater = service.join()
    url = f"/api/v1/notes/{note_id}/ratings"
    answers = [
        service.client.post(
            "/api/v1/notes/999/ratings", json={"helpfulnessLevel": "HELPFUL"}, headers=rater
        ),
        service.client.post(url, json={"helpfulnessLevel": "HELPFUL"}, headers=author),
        service.client.post(
            url, json={"helpfulnessLevel": "HELPFUL", "helpfulTags": ["Clear"]}, headers=rater
        ),
        service.client.post(url, json={"helpfulnessLevel": "NOT_HELPFUL"}, headers=rater),
        service.client.post(url, json={"helpfulnessLevel": "NOT_HELPFUL"}, headers=rater),
    ]
    assert [a.status_code for a in answers] == [404, 403, 201, 200, 429]
    assert answers[2].json() == {
        "noteId": note_id,
        "raterParticipantId": rater_id,
        "createdAtMillis": service.clock.now_ms,
        "helpfulnessLevel": "HELPFUL",
        "helpfulTags": ["Clear"],
        "notHelpfulTags": [],
        "ratedOnPostId": None,
        "ratingSource": "DEFAULT",
        "replaced": False,
    }
    assert answers[4].headers["Retry-After"] == "60"
    with service.engine.connect() as conn:
        logged = list(
            conn.execute(
                select(events).where(events.c.event_type.like("rating.%")).order_by(events.c.id)
            )
        )
    assert [e.event_type for e in logged] == ["rating.created", "rating.replaced"]
    assert logged[1].entity_id == f"{note_id}:{rater_id}"
    payload = json.loads(logged[1].payload)
    assert payload["noteId"] == note_id and payload["helpfulnessLevel"] == "NOT_HELPFUL"
