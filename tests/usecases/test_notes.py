"""The summary rules and note deletion, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from bridgewatch.errors import InputError, NotFoundError, PermissionDeniedError
from bridgewatch.model import EnrollmentState
from bridgewatch.store.db import make_session_factory
from bridgewatch.store.repositories.notes import insert_note, require_note
from bridgewatch.store.repositories.participants import Participant, create_participant
from bridgewatch.store.repositories.posts import create_post
from bridgewatch.store.rows import NoteContent
from bridgewatch.usecases.notes import (
    SummaryProblem,
    check_summary,
    check_writer,
    delete_note,
    summary_problems,
)
from bridgewatch.usecases.rules import SUMMARY_MAX_CHARS

MISLEADING = "MISINFORMED_OR_POTENTIALLY_MISLEADING"


def test_a_summary_at_the_limit_passes_and_urls_do_not_count() -> None:
    # The space before the URL counts; the URL does not.
    text = "x" * (SUMMARY_MAX_CHARS - 1) + " https://example.org/a-long-source-path"
    assert summary_problems(text, classification=MISLEADING, max_chars=SUMMARY_MAX_CHARS) == []
    check_summary(text, classification=MISLEADING, max_chars=SUMMARY_MAX_CHARS)


def test_problems_come_in_the_api_order_and_the_first_is_raised() -> None:
    long = "y" * 11
    assert summary_problems(long, classification=MISLEADING, max_chars=10) == [
        SummaryProblem.TOO_LONG,
        SummaryProblem.NO_SOURCE,
    ]
    with pytest.raises(InputError, match="has 11 characters without its URLs; at most 10"):
        check_summary(long, classification=MISLEADING, max_chars=10)
    with pytest.raises(InputError, match="blank"):
        check_summary("   ", classification="NOT_MISLEADING", max_chars=10)
    with pytest.raises(InputError, match="needs a source link") as info:
        check_summary("no link", classification=MISLEADING, max_chars=10)
    assert info.value.field == "summary"


def _participant(state: EnrollmentState) -> Participant:
    return Participant("p", "alias", 1, False, state)


def test_only_writing_states_may_write() -> None:
    check_writer(_participant(EnrollmentState.earnedIn))
    with pytest.raises(PermissionDeniedError, match="enrollment state newUser"):
        check_writer(_participant(EnrollmentState.newUser))


def test_delete_note_is_the_authors_once_and_never_a_removed_one(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as db, db.begin():
        author = create_participant(db, now_ms=1)
        other = create_participant(db, now_ms=1)
        create_post(
            db, now_ms=1, actor_participant_id=None, post_id="p1", author_id="a", text="t", url=None
        )
        note_id = insert_note(
            db,
            now_ms=1,
            author_participant_id=author.participant_id,
            content=NoteContent("p1", "NOT_MISLEADING", "fine"),
        ).note_id
    with factory() as db, db.begin():
        with pytest.raises(PermissionDeniedError, match="only the author"):
            delete_note(db, note_id=note_id, author=other, now_ms=2)
        with pytest.raises(NotFoundError):
            delete_note(db, note_id=note_id + 1, author=author, now_ms=2)
        removed = Participant(
            author.participant_id, author.alias, 1, False, EnrollmentState.removed
        )
        with pytest.raises(PermissionDeniedError, match="removed"):
            delete_note(db, note_id=note_id, author=removed, now_ms=2)
        assert delete_note(db, note_id=note_id, author=author, now_ms=3) is True
        assert delete_note(db, note_id=note_id, author=author, now_ms=4) is False
        assert require_note(db, note_id).deleted_at_ms == 3


def test_write_note_needs_writing_ability_and_stays_within_the_daily_limit(
    engine: Engine,
) -> None:
    from dataclasses import dataclass

    from bridgewatch.errors import RateLimitedError
    from bridgewatch.store.repositories.posts import require_post
    from bridgewatch.usecases.impact import compute_impact, daily_note_limit
    from bridgewatch.usecases.notes import write_note

    @dataclass(frozen=True)
    class Limits:
        ratings_per_minute: int = 30
        note_requests_per_day: int = 5
        notes_per_post_author_per_day: int = 100
        post_author_history_since_ms: int = 0

    content = NoteContent("p1", "NOT_MISLEADING", "fine")
    factory = make_session_factory(engine)
    with factory() as db, db.begin():
        newcomer = create_participant(db, now_ms=1)
        create_post(
            db, now_ms=1, actor_participant_id=None, post_id="p1", author_id="a", text="t", url=None
        )
    writer = Participant(
        newcomer.participant_id, newcomer.alias, 1, False, EnrollmentState.earnedIn
    )
    with factory() as db, db.begin():
        post = require_post(db, "p1")
        with pytest.raises(PermissionDeniedError, match="writing ability"):
            write_note(db, now_ms=10, author=newcomer, post=post, content=content, limits=Limits())
        written = 0
        with pytest.raises(RateLimitedError):
            for i in range(100):
                note = write_note(
                    db, now_ms=10 + i, author=writer, post=post, content=content, limits=Limits()
                )
                assert note.author_participant_id == writer.participant_id
                assert (note.post_id, note.summary, note.created_at_ms) == ("p1", "fine", 10 + i)
                written += 1
        # The daily limit of a writer without impact, then refused.
        assert written == daily_note_limit(compute_impact(None)) > 0
