"""The rating rules on a session: every refusal, in order, and the exact rate limit."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import Engine

from bridgewatch.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
)
from bridgewatch.model import EnrollmentState
from bridgewatch.service.convert import rating_row
from bridgewatch.service.schemas import RatingCreate
from bridgewatch.store.db import make_session_factory
from bridgewatch.store.repositories.notes import insert_note, mark_note_deleted
from bridgewatch.store.repositories.participants import Participant, create_participant
from bridgewatch.store.repositories.posts import create_post
from bridgewatch.store.rows import NoteContent
from bridgewatch.usecases.ratings import RATING_WINDOW_MS, rate_note, refusal


def _setup(engine: Engine) -> tuple[int, Participant, Participant]:
    with make_session_factory(engine)() as db, db.begin():
        author = create_participant(db, now_ms=1)
        rater = create_participant(db, now_ms=1)
        create_post(
            db, now_ms=1, actor_participant_id=None, post_id="p1", author_id="a", text="t", url=None
        )
        note = insert_note(
            db,
            now_ms=1,
            author_participant_id=author.participant_id,
            content=NoteContent("p1", "NOT_MISLEADING", "fine"),
        )
    return note.note_id, author, rater


def _rate(
    engine: Engine,
    rater: Participant,
    note_id: int,
    *,
    now_ms: int = 10_000,
    limit: int = 30,
    source: str = "DEFAULT",
    integration: bool = False,
) -> bool:
    body = RatingCreate.model_validate({"helpfulnessLevel": "HELPFUL", "ratingSource": source})
    rating = rating_row(
        body, note_id=note_id, rater_participant_id=rater.participant_id, now_ms=now_ms
    )
    with make_session_factory(engine)() as db, db.begin():
        return rate_note(
            db,
            rater=rater,
            rating=rating,
            ratings_per_minute=limit,
            integration=integration,
        )


def test_a_rating_is_stored_then_replaced(engine: Engine) -> None:
    note_id, _author, rater = _setup(engine)
    assert _rate(engine, rater, note_id) is False
    assert _rate(engine, rater, note_id, now_ms=20_000) is True


def test_each_refusal_in_order(engine: Engine) -> None:
    note_id, author, rater = _setup(engine)
    ai = dataclasses.replace(rater, enrollment_state=EnrollmentState.apiEarnedOut)
    removed = dataclasses.replace(rater, enrollment_state=EnrollmentState.removed)
    with pytest.raises(PermissionDeniedError, match="was removed"):
        _rate(engine, removed, note_id + 1)  # before the note is looked up
    with pytest.raises(PermissionDeniedError, match="AI note writers"):
        _rate(engine, ai, note_id)
    with pytest.raises(NotFoundError, match=f"note {note_id + 1} does not exist"):
        _rate(engine, rater, note_id + 1)
    with pytest.raises(PermissionDeniedError, match="your own note"):
        _rate(engine, author, note_id)
    with pytest.raises(PermissionDeniedError, match="only an integration"):
        _rate(engine, rater, note_id, source="POPULATION_SAMPLED")
    assert _rate(engine, rater, note_id, source="POPULATION_SAMPLED", integration=True) is False
    with make_session_factory(engine)() as db, db.begin():
        mark_note_deleted(db, note_id=note_id, now_ms=2, actor=author.participant_id)
    with pytest.raises(ConflictError, match="was deleted"):
        _rate(engine, rater, note_id)


def test_the_rate_limit_counts_the_last_window_exactly(engine: Engine) -> None:
    note_id, _author, rater = _setup(engine)
    for i in range(3):
        _rate(engine, rater, note_id, now_ms=10_000 + i, limit=3)
    with pytest.raises(RateLimitedError, match="at most 3 ratings per minute") as info:
        _rate(engine, rater, note_id, now_ms=10_003, limit=3)
    assert info.value.retry_after_s == 60
    # Once the first rating leaves the window, one more is admitted.
    assert _rate(engine, rater, note_id, now_ms=10_000 + RATING_WINDOW_MS + 1, limit=3)


def test_refusal_words_the_fast_paths_verdicts() -> None:
    assert isinstance(refusal("unauthenticated"), AuthenticationError)
    assert str(refusal("not_found", note_id=7)) == "note 7 does not exist"
    assert str(refusal("rate_limited", ratings_per_minute=5)) == "at most 5 ratings per minute"
