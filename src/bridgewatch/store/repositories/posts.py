"""Posts (a platform's posts that notes are written on) and note requests on them."""

from __future__ import annotations

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from bridgewatch.errors import ConflictError, NotFoundError
from bridgewatch.store.events import append_event
from bridgewatch.store.rows import NoteRequestRow, PostRequestRow, PostRow
from bridgewatch.store.tables import note_requests, posts

__all__ = [
    "count_post_requests",
    "count_recent_requests",
    "create_note_request",
    "create_post",
    "get_post",
    "list_post_requests",
    "require_post",
]


def create_post(
    session: Session,
    *,
    now_ms: int,
    actor_participant_id: str | None,
    post_id: str,
    author_id: str | None,
    text: str | None,
    url: str | None,
) -> PostRow:
    """Store a post; the same post registered twice with the same fields is a no-op.

    Raises
    ------
    ConflictError : the post id exists with different author, text or url.
    """
    row = {"post_id": post_id, "author_id": author_id, "text": text, "url": url}
    existing = get_post(session, post_id)
    if existing is not None:
        if (existing.author_id, existing.text, existing.url) != (author_id, text, url):
            raise ConflictError(f"post {post_id!r} exists with different fields")
        return existing
    session.execute(insert(posts).values(**row, created_at_ms=now_ms))
    append_event(
        session,
        now_ms=now_ms,
        event_type="post.created",
        actor_participant_id=actor_participant_id,
        entity_id=post_id,
        payload=row,
    )
    return PostRow(post_id, author_id, text, url, now_ms)


def get_post(session: Session, post_id: str) -> PostRow | None:
    """The post, or ``None``."""
    row = session.execute(select(posts).where(posts.c.post_id == post_id)).first()
    return None if row is None else PostRow(**row._mapping)


def require_post(session: Session, post_id: str) -> PostRow:
    """The post; raises ``NotFoundError`` if it does not exist."""
    post = get_post(session, post_id)
    if post is None:
        raise NotFoundError(f"post {post_id!r} does not exist")
    return post


def create_note_request(
    session: Session,
    *,
    now_ms: int,
    post_id: str,
    requester_participant_id: str,
    source_link: str | None,
    suggestion: str | None,
) -> NoteRequestRow:
    """Store a note request and log ``note_request.created``.

    Raises
    ------
    ConflictError : the participant already requested a note on this post.
    """
    exists = session.execute(
        select(note_requests.c.id).where(
            note_requests.c.post_id == post_id,
            note_requests.c.requester_participant_id == requester_participant_id,
        )
    ).first()
    if exists is not None:
        raise ConflictError(f"you already requested a note on post {post_id!r}")
    row = {
        "post_id": post_id,
        "requester_participant_id": requester_participant_id,
        "created_at_ms": now_ms,
        "source_link": source_link,
        "suggestion": suggestion,
    }
    session.execute(insert(note_requests).values(**row))
    append_event(
        session,
        now_ms=now_ms,
        event_type="note_request.created",
        actor_participant_id=requester_participant_id,
        entity_id=f"{post_id}:{requester_participant_id}",
        payload=row,
    )
    return NoteRequestRow(post_id, requester_participant_id, now_ms, source_link, suggestion)


def count_recent_requests(session: Session, *, requester_participant_id: str, since_ms: int) -> int:
    """Note requests the participant made at or after ``since_ms``."""
    return int(
        session.execute(
            select(func.count()).where(
                note_requests.c.requester_participant_id == requester_participant_id,
                note_requests.c.created_at_ms >= since_ms,
            )
        ).scalar_one()
    )


def count_post_requests(session: Session, post_id: str) -> int:
    """All note requests on a post."""
    return int(
        session.execute(select(func.count()).where(note_requests.c.post_id == post_id)).scalar_one()
    )


def list_post_requests(session: Session, post_id: str) -> list[PostRequestRow]:
    """The note requests on a post, oldest first (requesters left out)."""
    rows = session.execute(
        select(
            note_requests.c.created_at_ms,
            note_requests.c.source_link,
            note_requests.c.suggestion,
            note_requests.c.requester_participant_id.is_(None).label("imported"),
        )
        .where(note_requests.c.post_id == post_id)
        .order_by(note_requests.c.created_at_ms, note_requests.c.id)
    )
    return [
        PostRequestRow(int(r.created_at_ms), r.source_link, r.suggestion, bool(r.imported))
        for r in rows
    ]
