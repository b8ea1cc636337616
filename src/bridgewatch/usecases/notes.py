"""Writing and deleting a note: who may, and what a note's summary must satisfy
(spec-extended §7.2).

The API and the web app call these; each words a problem for its surface (an ``InputError``
naming the field for the API, a sentence next to the form field for the web app).
"""

from __future__ import annotations

import enum

from sqlalchemy.orm import Session

from bridgewatch.errors import InputError, PermissionDeniedError
from bridgewatch.model import EnrollmentState
from bridgewatch.store.repositories.notes import delete_own_note, insert_note
from bridgewatch.store.repositories.participants import Participant
from bridgewatch.store.rows import NoteContent, NoteRow, PostRow
from bridgewatch.usecases.limits import LimitSettings, check_note_limits
from bridgewatch.usecases.rules import WRITING_STATES, is_ai_writer
from bridgewatch.usecases.text import find_urls, summary_length

__all__ = [
    "SummaryProblem",
    "check_summary",
    "check_writer",
    "delete_note",
    "summary_problems",
    "write_note",
]


class SummaryProblem(enum.Enum):
    """What is wrong with a note's summary, in the order the API reports them."""

    TOO_LONG = "too_long"
    BLANK = "blank"
    NO_SOURCE = "no_source"


def summary_problems(summary: str, *, classification: str, max_chars: int) -> list[SummaryProblem]:
    """Every problem of ``summary`` (source links included in it), in reporting order.

    Parameters
    ----------
    summary : the note's text as it will be stored, source links included.
    classification : ``NOT_MISLEADING`` or ``MISINFORMED_OR_POTENTIALLY_MISLEADING``; a note
        saying the post is misleading needs a source link.
    max_chars : the limit on characters without URLs (``SUMMARY_MAX_CHARS`` by default in
        the service's settings).
    """
    problems = []
    if summary_length(summary) > max_chars:
        problems.append(SummaryProblem.TOO_LONG)
    if not summary.strip():
        problems.append(SummaryProblem.BLANK)
    if classification != "NOT_MISLEADING" and not find_urls(summary):
        problems.append(SummaryProblem.NO_SOURCE)
    return problems


def check_summary(summary: str, *, classification: str, max_chars: int) -> None:
    """Raise the API's ``InputError`` (field ``summary``) for the first summary problem."""
    problems = summary_problems(summary, classification=classification, max_chars=max_chars)
    if not problems:
        return
    if problems[0] is SummaryProblem.TOO_LONG:
        raise InputError(
            f"the summary has {summary_length(summary)} characters without its URLs; at most "
            f"{max_chars} are allowed",
            field="summary",
        )
    if problems[0] is SummaryProblem.BLANK:
        raise InputError("the summary is blank", field="summary")
    raise InputError(
        "a note saying the post is misleading needs a source link (a URL in the summary)",
        field="summary",
    )


def check_writer(author: Participant) -> None:
    """Refuse a participant without writing ability (spec-extended §7.2).

    Raises
    ------
    PermissionDeniedError : the state is not one of ``WRITING_STATES``.
    """
    state = author.enrollment_state
    if state not in WRITING_STATES:
        raise PermissionDeniedError(
            f"writing notes needs writing ability (enrollment state {state.name}); earn it "
            "by rating notes (see /api/v1/participants/me)"
        )


def delete_note(db: Session, *, note_id: int, author: Participant, now_ms: int) -> bool:
    """Soft-delete ``author``'s own note; a no-op if it is already deleted. The note leaves
    timelines and posts; its ratings and status history stay (spec-extended §7.2).

    Returns whether this call deleted it.

    Raises
    ------
    PermissionDeniedError : the author was removed, or someone else wrote the note.
    NotFoundError : no such note.
    """
    if author.enrollment_state == EnrollmentState.removed:
        raise PermissionDeniedError("this participant was removed")
    return delete_own_note(db, note_id=note_id, participant_id=author.participant_id, now_ms=now_ms)


def write_note(
    db: Session,
    *,
    now_ms: int,
    author: Participant,
    post: PostRow,
    content: NoteContent,
    limits: LimitSettings,
) -> NoteRow:
    """Store ``author``'s note on ``post`` if they may write it now, in the caller's
    transaction. The summary is checked before (:func:`check_summary`, or
    :func:`summary_problems` for a form), since a surface reports it with its other fields.

    Parameters
    ----------
    post : the post (``require_post``), for the per-post-author limit.
    content : the note; ``is_media_note`` decides whether the media-note rule applies.
    limits : the daily and per-post-author limits (the service's settings).

    Returns
    -------
    The stored note.

    Raises
    ------
    PermissionDeniedError : no writing ability, or a media note without the Writing Impact
        for it.
    RateLimitedError : a daily or per-post-author limit is reached.
    """
    check_writer(author)
    check_note_limits(
        db,
        settings=limits,
        now_ms=now_ms,
        participant_id=author.participant_id,
        post=post,
        is_media_note=content.is_media_note,
        ai_writer=is_ai_writer(
            is_api_writer=author.is_api_writer, enrollment_state=author.enrollment_state
        ),
    )
    if content.post_id != post.post_id:
        raise ValueError(f"a note on post {content.post_id!r} is not on post {post.post_id!r}")
    return insert_note(
        db, now_ms=now_ms, author_participant_id=author.participant_id, content=content
    )
