"""The rating write path: upsert with its outbox event, and the one-query rating target."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from bridgewatch.errors import NotFoundError
from bridgewatch.service.convert import rating_row
from bridgewatch.service.schemas import RatingCreate
from bridgewatch.store.db import make_session_factory
from bridgewatch.store.events import list_events
from bridgewatch.store.repositories.notes import insert_note
from bridgewatch.store.repositories.participants import create_participant
from bridgewatch.store.repositories.posts import create_post
from bridgewatch.store.repositories.ratings import get_rating, get_rating_target, save_rating
from bridgewatch.store.rows import NoteContent

_TYPES = ("rating.created", "rating.replaced")


def _note_and_rater(engine: Engine) -> tuple[int, str]:
    with make_session_factory(engine)() as session, session.begin():
        author = create_participant(session, now_ms=1).participant_id
        rater = create_participant(session, now_ms=1).participant_id
        create_post(
            session,
            now_ms=1,
            actor_participant_id=None,
            post_id="p1",
            author_id="alice",
            text="a claim",
            url=None,
        )
        row = insert_note(
            session,
            now_ms=1,
            author_participant_id=author,
            content=NoteContent("p1", "NOT_MISLEADING", "fine"),
        )
        return row.note_id, rater


def _rate(engine: Engine, note_id: int, rater: str, level: str, now_ms: int) -> bool:
    body = RatingCreate.model_validate({"helpfulnessLevel": level})
    with make_session_factory(engine)() as session, session.begin():
        rating = rating_row(body, note_id=note_id, rater_participant_id=rater, now_ms=now_ms)
        return save_rating(session, rating)


def test_rerating_replaces_the_rating_and_logs_created_then_replaced(engine: Engine) -> None:
    note_id, rater = _note_and_rater(engine)
    assert _rate(engine, note_id, rater, "HELPFUL", now_ms=1000) is False
    assert _rate(engine, note_id, rater, "NOT_HELPFUL", now_ms=2000) is True
    with make_session_factory(engine)() as session:
        row = get_rating(session, note_id=note_id, rater_participant_id=rater)
        assert row is not None
        assert (row.helpfulness_level, row.created_at_ms) == ("NOT_HELPFUL", 2000)
        rating_events = [e for e in list_events(session) if e["event_type"] in _TYPES]
    assert [e["event_type"] for e in rating_events] == list(_TYPES)
    assert [e["created_at_ms"] for e in rating_events] == [1000, 2000]
    assert {e["entity_id"] for e in rating_events} == {f"{note_id}:{rater}"}
    assert rating_events[1]["payload"]["helpfulnessLevel"] == "NOT_HELPFUL"
    assert rating_events[1]["payload"]["noteId"] == str(note_id)


def test_rating_target_counts_the_raters_recent_rating_events(engine: Engine) -> None:
    note_id, rater = _note_and_rater(engine)
    _rate(engine, note_id, rater, "HELPFUL", now_ms=1000)
    _rate(engine, note_id, rater, "HELPFUL", now_ms=2000)
    with make_session_factory(engine)() as session:
        target = get_rating_target(
            session, note_id=note_id, rater_participant_id=rater, event_types=_TYPES, since_ms=1500
        )
        assert target.note_id == note_id
        assert target.deleted_at_ms is None
        assert target.recent_events == 1
        everyone_else = get_rating_target(
            session, note_id=note_id, rater_participant_id="other", event_types=_TYPES, since_ms=0
        )
        assert everyone_else.recent_events == 0
        with pytest.raises(NotFoundError):
            get_rating_target(
                session,
                note_id=note_id + 1,
                rater_participant_id=rater,
                event_types=_TYPES,
                since_ms=0,
            )
