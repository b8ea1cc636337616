"""Per-participant write limits, counted from the database so they hold across workers.

Counting and writing share the request's transaction; two requests racing at the boundary
can both pass (the limit may be exceeded by the number of concurrent requests).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from bridgewatch.service.errors import RateLimitedError
from bridgewatch.service.impact import compute_impact, daily_note_limit
from bridgewatch.service.repositories.events import count_recent_events
from bridgewatch.service.repositories.notes import (
    count_recent_notes,
    count_recent_notes_on_post_author,
)
from bridgewatch.service.repositories.participants import get_contributor_scores
from bridgewatch.service.repositories.posts import count_recent_requests
from bridgewatch.service.settings import Settings

__all__ = [
    "RATING_EVENT_TYPES",
    "RATING_WINDOW_MS",
    "check_note_limits",
    "check_rating_rate",
    "check_request_rate",
    "rating_rate_error",
]

_DAY_MS = 24 * 3600 * 1000
_MINUTE_MS = 60 * 1000
#: The events the rating rate limit counts, and over how long a window (ms).
RATING_EVENT_TYPES = ("rating.created", "rating.replaced")
RATING_WINDOW_MS = _MINUTE_MS


def check_note_limits(
    db: Session,
    *,
    settings: Settings,
    now_ms: int,
    participant_id: str,
    post: Mapping[str, Any],
) -> None:
    """Refuse a note beyond the daily limit or the per-post-author limit (§7.2.1).

    Raises
    ------
    RateLimitedError : ``daily_notes`` or ``notes_per_post_author`` is exhausted.
    """
    since = now_ms - _DAY_MS
    limit = daily_note_limit(compute_impact(get_contributor_scores(db, participant_id)))
    written = count_recent_notes(db, author_participant_id=participant_id, since_ms=since)
    if written >= limit:
        raise RateLimitedError(
            f"daily note limit reached: {written} of {limit} notes in the last 24 h",
            limit_name="daily_notes",
            retry_after_s=3600,
        )
    if post["author_id"] is not None:
        on_author = count_recent_notes_on_post_author(
            db,
            author_participant_id=participant_id,
            post_author_id=post["author_id"],
            since_ms=since,
        )
        if on_author >= settings.notes_per_post_author_per_day:
            raise RateLimitedError(
                f"at most {settings.notes_per_post_author_per_day} notes per 24 h on one "
                "post author's posts",
                limit_name="notes_per_post_author",
                retry_after_s=3600,
            )


def check_rating_rate(
    db: Session,
    *,
    settings: Settings,
    now_ms: int,
    participant_id: str,
    recent: int | None = None,
) -> None:
    """Refuse a rating beyond ``settings.ratings_per_minute`` in the last 60 s.

    ``recent``: the participant's events of ``RATING_EVENT_TYPES`` since
    ``now_ms - RATING_WINDOW_MS`` when the caller already counted them in this transaction
    (the rating path does, with the note lookup); counted here otherwise.
    """
    if recent is None:
        recent = count_recent_events(
            db,
            actor_participant_id=participant_id,
            event_types=RATING_EVENT_TYPES,
            since_ms=now_ms - RATING_WINDOW_MS,
        )
    if recent >= settings.ratings_per_minute:
        raise rating_rate_error(settings)


def rating_rate_error(settings: Settings) -> RateLimitedError:
    """The error answering a rating beyond ``settings.ratings_per_minute``."""
    return RateLimitedError(
        f"at most {settings.ratings_per_minute} ratings per minute",
        limit_name="ratings_per_minute",
        retry_after_s=60,
    )


def check_request_rate(
    db: Session, *, settings: Settings, now_ms: int, participant_id: str
) -> None:
    """Refuse a note request beyond ``settings.note_requests_per_day`` (§6.1)."""
    recent = count_recent_requests(
        db, requester_participant_id=participant_id, since_ms=now_ms - _DAY_MS
    )
    if recent >= settings.note_requests_per_day:
        raise RateLimitedError(
            f"at most {settings.note_requests_per_day} note requests per 24 h",
            limit_name="note_requests_per_day",
            retry_after_s=3600,
        )
