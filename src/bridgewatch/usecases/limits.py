"""Per-participant write limits, counted from the database so they hold across workers.

Counting and writing share the request's transaction, and each check first takes the
participant's write lock (``repositories.locks``), so concurrent requests of one
participant count one after the other: a limit is exact under any concurrency, on SQLite
and PostgreSQL, and on every path (the asynchronous rating path takes the same lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from bridgewatch.errors import PermissionDeniedError, RateLimitedError
from bridgewatch.store.repositories.locks import lock_participant_writes
from bridgewatch.store.repositories.notes import (
    count_recent_notes,
    post_author_history,
)
from bridgewatch.store.repositories.participants import get_contributor_scores
from bridgewatch.store.repositories.posts import count_recent_requests
from bridgewatch.store.rows import PostRow
from bridgewatch.usecases.impact import compute_impact, daily_note_limit

__all__ = [
    "LimitSettings",
    "PostAuthorLimit",
    "check_note_limits",
    "check_request_rate",
    "post_author_note_limit",
]

_DAY_MS = 24 * 3600 * 1000
_WEEK_MS = 7 * _DAY_MS
# Per-post-author escalation (§7.2.1): the author-specific rate applies from this many
# notes on the author's posts, and a rate under 1 % means 1 note a week from this many.
_ESCALATION_AFTER_NOTES = 6
_WEEKLY_AFTER_NOTES = 15
# Writing Impact needed for a media note (§7.2.2): writers, and AI note writers.
_MEDIA_NOTE_MIN_WI = 2
_AI_MEDIA_NOTE_MIN_WI = 100


class LimitSettings(Protocol):
    """The limits the checks read (the service's ``Settings`` has them; see its fields)."""

    @property
    def ratings_per_minute(self) -> int: ...
    @property
    def note_requests_per_day(self) -> int: ...
    @property
    def notes_per_post_author_per_day(self) -> int: ...
    @property
    def post_author_history_since_ms(self) -> int: ...


@dataclass(frozen=True)
class PostAuthorLimit:
    """How many notes a writer may write on one post author's posts, and over what window.

    Attributes
    ----------
    notes : notes allowed per window.
    window_ms : the sliding window, ms (24 h or 7 days).
    reason : which rule of §7.2.1 applies, for the error message.
    """

    notes: int
    window_ms: int
    reason: str


def post_author_note_limit(
    history_notes: int, history_helpful: int, *, initial: int
) -> PostAuthorLimit:
    """The per-post-author note limit (spec-extended §7.2.1).

    ``history_notes`` notes on that author's posts since the history start, of which
    ``history_helpful`` are currently rated helpful (the author-specific CRH rate
    r = helpful / notes). Up to 6 notes, ``initial`` per 24 h (3 in the spec). From 6
    notes on: r >= 5 % allows floor(r in percent) per 24 h; 1 % <= r < 5 %, or r < 1 % with
    fewer than 15 notes, 1 per 24 h; r < 1 % with 15 notes or more, 1 per 7 days. The rate
    is compared in integers (100 * helpful against notes), so no rounding decides a
    boundary.
    """
    if history_notes < _ESCALATION_AFTER_NOTES:
        return PostAuthorLimit(initial, _DAY_MS, f"at most {initial} notes per 24 h")
    percent_times_notes = 100 * history_helpful
    rate = f"{history_helpful} of your {history_notes} notes on this author are rated helpful"
    if percent_times_notes >= 5 * history_notes:
        per_day = percent_times_notes // history_notes
        return PostAuthorLimit(per_day, _DAY_MS, f"{rate}: at most {per_day} notes per 24 h")
    if percent_times_notes >= history_notes or history_notes < _WEEKLY_AFTER_NOTES:
        return PostAuthorLimit(1, _DAY_MS, f"{rate}: at most 1 note per 24 h")
    return PostAuthorLimit(1, _WEEK_MS, f"{rate}: at most 1 note per 7 days")


def check_note_limits(
    db: Session,
    *,
    settings: LimitSettings,
    now_ms: int,
    participant_id: str,
    post: PostRow,
    is_media_note: bool = False,
    ai_writer: bool = False,
) -> None:
    """Refuse a note beyond the daily limit or the per-post-author limit (§7.2.1), or a
    media note by a writer without the Writing Impact for it (§7.2.2).

    Raises
    ------
    RateLimitedError : ``daily_notes`` or ``notes_per_post_author`` is exhausted.
    PermissionDeniedError : a media note needs WI >= 2 (AI writers: WI >= 100).
    """
    lock_participant_writes(db, participant_id)
    since = now_ms - _DAY_MS
    impact = compute_impact(get_contributor_scores(db, participant_id))
    if is_media_note:
        needed = _AI_MEDIA_NOTE_MIN_WI if ai_writer else _MEDIA_NOTE_MIN_WI
        if impact.writing_impact < needed:
            raise PermissionDeniedError(
                f"media notes need a Writing Impact of at least {needed} "
                f"(yours is {impact.writing_impact})"
            )
    limit = daily_note_limit(impact)
    written = count_recent_notes(db, author_participant_id=participant_id, since_ms=since)
    if written >= limit:
        raise RateLimitedError(
            f"daily note limit reached: {written} of {limit} notes in the last 24 h",
            limit_name="daily_notes",
            retry_after_s=3600,
        )
    if post.author_id is not None:
        history = post_author_history(
            db,
            author_participant_id=participant_id,
            post_author_id=post.author_id,
            history_since_ms=settings.post_author_history_since_ms,
            day_since_ms=since,
            week_since_ms=now_ms - _WEEK_MS,
        )
        rule = post_author_note_limit(
            history.notes, history.helpful, initial=settings.notes_per_post_author_per_day
        )
        recent = history.last_day if rule.window_ms == _DAY_MS else history.last_week
        if recent >= rule.notes:
            raise RateLimitedError(
                f"note limit on one post author's posts reached: {rule.reason}",
                limit_name="notes_per_post_author",
                retry_after_s=3600,
            )


def check_request_rate(
    db: Session, *, settings: LimitSettings, now_ms: int, participant_id: str
) -> None:
    """Refuse a note request beyond ``settings.note_requests_per_day`` (§6.1)."""
    lock_participant_writes(db, participant_id)
    recent = count_recent_requests(
        db, requester_participant_id=participant_id, since_ms=now_ms - _DAY_MS
    )
    if recent >= settings.note_requests_per_day:
        raise RateLimitedError(
            f"at most {settings.note_requests_per_day} note requests per 24 h",
            limit_name="note_requests_per_day",
            retry_after_s=3600,
        )
