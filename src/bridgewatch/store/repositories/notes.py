"""Notes: writing, deleting, and the read views (post notes, timelines, details)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Select, and_, case, exists, func, insert, not_, or_, select, update
from sqlalchemy.orm import Session

from bridgewatch.errors import NotFoundError, PermissionDeniedError
from bridgewatch.store.events import append_event
from bridgewatch.store.identifiers import new_note_id
from bridgewatch.store.rows import NoteContent, NoteRow, NoteScoresRow, NoteView, StatusChangeRow
from bridgewatch.store.tables import (
    note_scores,
    note_status_changes,
    note_status_history,
    notes,
    posts,
    ratings,
)

__all__ = [
    "NEEDS_MORE_RATINGS",
    "PostAuthorHistory",
    "TimelinePosition",
    "TimelineTab",
    "count_recent_notes",
    "delete_own_note",
    "get_note",
    "get_scoring",
    "insert_note",
    "list_status_changes",
    "mark_note_deleted",
    "notes_on_post",
    "post_author_history",
    "require_note",
    "require_own_note",
    "timeline",
]

NEEDS_MORE_RATINGS = "NEEDS_MORE_RATINGS"
MISLEADING = "MISINFORMED_OR_POTENTIALLY_MISLEADING"
TimelineTab = Literal["new", "needs-your-help", "rated-helpful", "rated-not-helpful"]

_nsh = note_status_history
_status = func.coalesce(_nsh.c.currentStatus, NEEDS_MORE_RATINGS)
_num_ratings = (
    select(func.count())
    .select_from(ratings)
    .where(ratings.c.noteId == notes.c.noteId)
    .correlate(notes)
    .scalar_subquery()
)


@dataclass(frozen=True)
class TimelinePosition:
    """A keyset position: the last note of the previous page (creation ms, note id)."""

    created_at_ms: int
    note_id: int


def _note_view() -> Select[Any]:
    return select(
        notes,
        _status.label("status"),
        _nsh.c.currentDecidedBy.label("decided_by"),
        _nsh.c.lockedStatus.label("locked_status"),
        note_scores.c.first_tag,
        note_scores.c.second_tag,
        note_scores.c.core_note_intercept,
        _num_ratings.label("num_ratings"),
    ).select_from(
        notes.outerjoin(_nsh, _nsh.c.noteId == notes.c.noteId).outerjoin(
            note_scores, note_scores.c.note_id == notes.c.noteId
        )
    )


def insert_note(
    session: Session, *, now_ms: int, author_participant_id: str, content: NoteContent
) -> NoteRow:
    """Store a new note and log ``note.created`` (its payload: every stored column, public
    names, ``noteId`` as text).

    Returns the stored note with its new id and creation time.
    """
    row = {
        **content.columns(),
        "noteId": new_note_id(now_ms),
        "noteAuthorParticipantId": author_participant_id,
        "createdAtMillis": now_ms,
    }
    session.execute(insert(notes).values(**row))
    append_event(
        session,
        now_ms=now_ms,
        event_type="note.created",
        actor_participant_id=author_participant_id,
        entity_id=str(row["noteId"]),
        payload={**row, "noteId": str(row["noteId"])},
    )
    return NoteRow(**NoteRow.fields_from({**row, "deleted_at_ms": None}))


def mark_note_deleted(session: Session, *, note_id: int, now_ms: int, actor: str) -> None:
    """Soft-delete a note: it keeps ratings and status history (spec-extended §7.2)."""
    session.execute(
        update(notes)
        .where(notes.c.noteId == note_id, notes.c.deleted_at_ms.is_(None))
        .values(deleted_at_ms=now_ms)
    )
    append_event(
        session,
        now_ms=now_ms,
        event_type="note.deleted",
        actor_participant_id=actor,
        entity_id=str(note_id),
        payload={"noteId": str(note_id)},
    )


def require_own_note(session: Session, note_id: int, participant_id: str) -> NoteView:
    """The note, if ``participant_id`` wrote it: only the author deletes a note (the rule of
    the API's ``DELETE /notes/{id}`` and the web app's delete button).

    Raises
    ------
    NotFoundError : no such note.
    PermissionDeniedError : someone else wrote it.
    """
    note = require_note(session, note_id)
    if note.author_participant_id != participant_id:
        raise PermissionDeniedError("only the author can delete a note")
    return note


def delete_own_note(session: Session, *, note_id: int, participant_id: str, now_ms: int) -> bool:
    """Soft-delete the author's own note (a no-op if it is already deleted).

    Returns whether this call deleted it.

    Raises
    ------
    NotFoundError, PermissionDeniedError : as :func:`require_own_note`.
    """
    note = require_own_note(session, note_id, participant_id)
    if note.deleted_at_ms is not None:
        return False
    mark_note_deleted(session, note_id=note_id, now_ms=now_ms, actor=participant_id)
    return True


def _note_view_of(row: Any) -> NoteView:  # Any: a SQLAlchemy row of _note_view()
    m = row._mapping
    return NoteView(
        **NoteRow.fields_from(m),
        status=m["status"],
        decided_by=m["decided_by"],
        locked_status=m["locked_status"],
        first_tag=m["first_tag"],
        second_tag=m["second_tag"],
        core_note_intercept=m["core_note_intercept"],
        num_ratings=int(m["num_ratings"]),
    )


def get_note(session: Session, note_id: int) -> NoteView | None:
    """The note with status, decidedBy, explanation tags and rating count, or ``None``."""
    row = session.execute(_note_view().where(notes.c.noteId == note_id)).first()
    return None if row is None else _note_view_of(row)


def require_note(session: Session, note_id: int) -> NoteView:
    """As :func:`get_note`, raising ``NotFoundError`` for an unknown note."""
    note = get_note(session, note_id)
    if note is None:
        raise NotFoundError(f"note {note_id} does not exist")
    return note


def notes_on_post(session: Session, post_id: str) -> list[NoteView]:
    """Live notes on a post: decided notes first by helpfulness (core intercept), then the
    others by recency (spec-extended §6.2)."""
    rows = session.execute(
        _note_view().where(notes.c.tweetId == post_id, notes.c.deleted_at_ms.is_(None))
    ).all()
    items = [_note_view_of(r) for r in rows]
    decided = [n for n in items if n.status != NEEDS_MORE_RATINGS]
    pending = [n for n in items if n.status == NEEDS_MORE_RATINGS]
    decided.sort(key=lambda n: (-(n.core_note_intercept or 0.0), -n.note_id))
    pending.sort(key=lambda n: (-n.created_at_ms, -n.note_id))
    return decided + pending


def timeline(
    session: Session,
    *,
    tab: TimelineTab,
    viewer_participant_id: str | None,
    after: TimelinePosition | None,
    limit: int,
) -> list[NoteView]:
    """One page of a timeline, newest first, keyset-paginated by (createdAtMillis, noteId).

    Tabs (spec-extended §6.2): ``new`` every live note; ``needs-your-help`` live misleading
    notes that need more ratings, not written or already rated by the viewer;
    ``rated-helpful`` / ``rated-not-helpful`` notes currently CRH / CRNH.
    Returns up to ``limit`` rows.
    """
    stmt = _note_view().where(notes.c.deleted_at_ms.is_(None))
    if tab == "needs-your-help":
        stmt = stmt.where(_status == NEEDS_MORE_RATINGS, notes.c.classification == MISLEADING)
        if viewer_participant_id is not None:
            rated = exists().where(
                ratings.c.noteId == notes.c.noteId,
                ratings.c.raterParticipantId == viewer_participant_id,
            )
            stmt = stmt.where(notes.c.noteAuthorParticipantId != viewer_participant_id, not_(rated))
    elif tab == "rated-helpful":
        stmt = stmt.where(_nsh.c.currentStatus == "CURRENTLY_RATED_HELPFUL")
    elif tab == "rated-not-helpful":
        stmt = stmt.where(_nsh.c.currentStatus == "CURRENTLY_RATED_NOT_HELPFUL")
    if after is not None:
        stmt = stmt.where(
            or_(
                notes.c.createdAtMillis < after.created_at_ms,
                and_(
                    notes.c.createdAtMillis == after.created_at_ms,
                    notes.c.noteId < after.note_id,
                ),
            )
        )
    stmt = stmt.order_by(notes.c.createdAtMillis.desc(), notes.c.noteId.desc()).limit(limit)
    return [_note_view_of(r) for r in session.execute(stmt)]


def get_scoring(session: Session, note_id: int) -> NoteScoresRow | None:
    """The scorer's trace row for the note (``note_scores``), or ``None``."""
    row = session.execute(select(note_scores).where(note_scores.c.note_id == note_id)).first()
    return None if row is None else NoteScoresRow(**row._mapping)


def list_status_changes(session: Session, note_id: int) -> list[StatusChangeRow]:
    """The note's status changes, oldest first."""
    changes = note_status_changes.c
    rows = session.execute(
        select(changes.changed_at_ms, changes.status, changes.decided_by)
        .where(changes.note_id == note_id)
        .order_by(changes.changed_at_ms, changes.id)
    )
    return [StatusChangeRow(int(r.changed_at_ms), r.status, r.decided_by) for r in rows]


def count_recent_notes(session: Session, *, author_participant_id: str, since_ms: int) -> int:
    """Notes (deleted ones included) the author wrote at or after ``since_ms``."""
    return int(
        session.execute(
            select(func.count()).where(
                notes.c.noteAuthorParticipantId == author_participant_id,
                notes.c.createdAtMillis >= since_ms,
            )
        ).scalar_one()
    )


@dataclass(frozen=True)
class PostAuthorHistory:
    """A writer's notes on one post author's posts (deleted ones included).

    Attributes
    ----------
    notes : notes created at or after the history start.
    helpful : of those, notes whose current status is CURRENTLY_RATED_HELPFUL.
    last_day : notes created at or after ``day_since_ms``.
    last_week : notes created at or after ``week_since_ms``.
    """

    notes: int
    helpful: int
    last_day: int
    last_week: int


def post_author_history(
    session: Session,
    *,
    author_participant_id: str,
    post_author_id: str,
    history_since_ms: int,
    day_since_ms: int,
    week_since_ms: int,
) -> PostAuthorHistory:
    """Count the author's notes on posts by ``post_author_id``, in one query (§7.2.1)."""
    on_author = notes.c.noteAuthorParticipantId == author_participant_id
    in_history = notes.c.createdAtMillis >= history_since_ms

    def count_if(condition: Any) -> Any:  # Any: SQL expressions
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = session.execute(
        select(
            count_if(in_history),
            count_if(and_(in_history, _status == "CURRENTLY_RATED_HELPFUL")),
            count_if(notes.c.createdAtMillis >= day_since_ms),
            count_if(notes.c.createdAtMillis >= week_since_ms),
        )
        .select_from(
            notes.join(posts, posts.c.post_id == notes.c.tweetId).outerjoin(
                _nsh, _nsh.c.noteId == notes.c.noteId
            )
        )
        .where(on_author, posts.c.author_id == post_author_id)
    ).one()
    return PostAuthorHistory(*(int(v) for v in row))
