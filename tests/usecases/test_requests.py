"""Requesting a note: the post must exist, removed participants cannot, one per post, and
the daily limit."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from bridgewatch.errors import ConflictError, NotFoundError, PermissionDeniedError, RateLimitedError
from bridgewatch.model import EnrollmentState
from bridgewatch.store.db import make_session_factory
from bridgewatch.store.repositories.participants import create_participant
from bridgewatch.store.repositories.posts import create_post
from bridgewatch.usecases.requests import request_note


@dataclass(frozen=True)
class _Limits:
    ratings_per_minute: int = 30
    note_requests_per_day: int = 2
    notes_per_post_author_per_day: int = 3
    post_author_history_since_ms: int = 0


def test_request_rules(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as db, db.begin():
        who = create_participant(db, now_ms=1)
        for post_id in ("p1", "p2", "p3"):
            create_post(
                db,
                now_ms=1,
                actor_participant_id=None,
                post_id=post_id,
                author_id="a",
                text="t",
                url=None,
            )

    def ask(post_id: str, requester: object = who) -> None:
        with factory() as db, db.begin():
            request_note(
                db,
                now_ms=10_000,
                requester=requester,  # type: ignore[arg-type]
                post_id=post_id,
                source_link=None,
                suggestion="why",
                limits=_Limits(),
            )

    with pytest.raises(NotFoundError):
        ask("nope")
    with pytest.raises(PermissionDeniedError, match="removed"):
        ask("p1", dataclasses.replace(who, enrollment_state=EnrollmentState.removed))
    ask("p1")
    with pytest.raises(ConflictError, match="already requested"):
        ask("p1")
    ask("p2")
    with pytest.raises(RateLimitedError, match="at most 2 note requests per 24 h"):
        ask("p3")
