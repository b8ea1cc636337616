"""Ratings: one (the latest) per rater per note (spec-extended §7.3)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, bindparam, case, delete, func, insert, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bridgewatch.errors import NotFoundError
from bridgewatch.store.events import append_event, encode_payload
from bridgewatch.store.rows import RatingRow, RatingTarget
from bridgewatch.store.tables import events, notes, ratings

__all__ = [
    "delete_rating",
    "get_rating",
    "get_rating_target",
    "rating_event_payload",
    "save_rating",
    "upsert_rating",
]

_KEY = ("noteId", "raterParticipantId")


@functools.cache
def _upsert_statement(dialect: str) -> Any:
    # Built once per dialect with bound parameters so SQLAlchemy's statement cache applies
    # (building 35-column VALUES per request costs more than the database work). Any: the
    # dialect-specific Insert types differ.
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = builder(ratings)
    return stmt.on_conflict_do_update(
        index_elements=list(_KEY),
        set_={c.name: stmt.excluded[c.name] for c in ratings.columns if c.name not in _KEY},
    )


@functools.cache
def _pg_upsert_with_event() -> Any:
    # PostgreSQL: the upsert and its outbox event in one statement (one round trip, one
    # transaction). ``xmax <> 0`` on the returned row tells an update (a replaced rating)
    # from an insert; the event type follows from it.
    stmt = postgresql.insert(ratings).values(
        {c.name: bindparam(c.name, type_=c.type) for c in ratings.columns}
    )
    upsert = (
        stmt.on_conflict_do_update(
            index_elements=list(_KEY),
            set_={c.name: stmt.excluded[c.name] for c in ratings.columns if c.name not in _KEY},
        )
        .returning(literal_column("xmax <> 0").label("replaced"))
        .cte("upserted")
    )
    event_type = case(
        (upsert.c.replaced, "rating.replaced"),
        else_="rating.created",
    )
    rows = select(
        bindparam("ev_created_at_ms", type_=events.c.created_at_ms.type),
        event_type,
        bindparam("ev_actor", type_=events.c.actor_participant_id.type),
        bindparam("ev_entity", type_=events.c.entity_id.type),
        bindparam("ev_payload", type_=events.c.payload.type),
    ).select_from(upsert)
    return (
        insert(events)
        .from_select(
            ["created_at_ms", "event_type", "actor_participant_id", "entity_id", "payload"], rows
        )
        .returning(events.c.event_type)
    )


@functools.cache
def _target_statement(n_types: int) -> Select[Any]:
    recent = (
        select(func.count())
        .where(
            events.c.actor_participant_id == bindparam("rater"),
            events.c.event_type.in_([bindparam(f"type_{i}") for i in range(n_types)]),
            events.c.created_at_ms >= bindparam("since"),
        )
        .scalar_subquery()
    )
    return select(
        notes.c.noteId,
        notes.c.noteAuthorParticipantId,
        notes.c.deleted_at_ms,
        recent.label("recent_events"),
    ).where(notes.c.noteId == bindparam("note_id"))


def get_rating_target(
    session: Session,
    *,
    note_id: int,
    rater_participant_id: str,
    event_types: tuple[str, ...],
    since_ms: int,
) -> RatingTarget:
    """The note about to be rated and the rater's recent rating events, in one query.

    ``recent_events`` counts the events of ``event_types`` the rater caused at or after
    ``since_ms`` (what the rating rate limit counts).

    Raises
    ------
    NotFoundError : no such note.
    """
    params: dict[str, Any] = {f"type_{i}": t for i, t in enumerate(event_types)}
    params |= {"rater": rater_participant_id, "since": since_ms, "note_id": note_id}
    row = session.execute(_target_statement(len(event_types)), params).first()
    if row is None:
        raise NotFoundError(f"note {note_id} does not exist")
    return RatingTarget(
        note_id=int(row.noteId),
        author_participant_id=row.noteAuthorParticipantId,
        deleted_at_ms=row.deleted_at_ms,
        recent_events=int(row.recent_events),
    )


def get_rating(session: Session, *, note_id: int, rater_participant_id: str) -> RatingRow | None:
    """The rater's rating of the note, or ``None``."""
    row = session.execute(
        select(ratings).where(
            ratings.c.noteId == note_id, ratings.c.raterParticipantId == rater_participant_id
        )
    ).first()
    return None if row is None else RatingRow.from_columns(row._mapping)


def save_rating(session: Session, rating: RatingRow) -> bool:
    """Store the rating (:meth:`RatingRow.columns`), replacing the rater's previous one on
    the note; log the event at the rating's ``created_at_ms``.

    Returns whether an earlier rating was replaced (event ``rating.replaced``, else
    ``rating.created``).
    """
    return upsert_rating(session, now_ms=rating.created_at_ms, values=rating.columns())


def upsert_rating(session: Session, *, now_ms: int, values: Mapping[str, Any]) -> bool:
    """As :func:`save_rating`, for a row of ratings columns (public names) as a public
    dump holds it (legacy fields and tags kept as given); ``createdAtMillis`` is ``now_ms``.
    """
    row = {**values, "createdAtMillis": now_ms}
    rater = str(row["raterParticipantId"])
    entity_id = f"{row['noteId']}:{rater}"
    payload = _payload(row)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        params = {
            **row,
            "ev_created_at_ms": now_ms,
            "ev_actor": rater,
            "ev_entity": entity_id,
            "ev_payload": encode_payload(payload),
        }
        event_type = session.execute(_pg_upsert_with_event(), params).scalar_one()
        return bool(event_type == "rating.replaced")
    replaced = (
        session.execute(
            select(ratings.c.noteId).where(
                ratings.c.noteId == row["noteId"],
                ratings.c.raterParticipantId == rater,
            )
        ).first()
        is not None
    )
    session.execute(_upsert_statement(dialect), row)
    append_event(
        session,
        now_ms=now_ms,
        event_type="rating.replaced" if replaced else "rating.created",
        actor_participant_id=rater,
        entity_id=entity_id,
        payload=payload,
    )
    return replaced


def _payload(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**row, "noteId": str(row["noteId"])}


def rating_event_payload(rating: RatingRow) -> str:
    """The encoded outbox payload of a rating (every column, ``noteId`` as text)."""
    return encode_payload(_payload(rating.columns()))


def delete_rating(
    session: Session, *, note_id: int, rater_participant_id: str, now_ms: int
) -> bool:
    """Delete the rater's rating of the note; returns whether one existed."""
    result = session.execute(
        delete(ratings).where(
            ratings.c.noteId == note_id, ratings.c.raterParticipantId == rater_participant_id
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    append_event(
        session,
        now_ms=now_ms,
        event_type="rating.deleted",
        actor_participant_id=rater_participant_id,
        entity_id=f"{note_id}:{rater_participant_id}",
        payload={"noteId": str(note_id), "raterParticipantId": rater_participant_id},
    )
    return True
