"""Ratings: one (the latest) per rater per note (spec-extended §7.3)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bridgewatch.service.repositories.events import append_event
from bridgewatch.service.tables import ratings

__all__ = ["delete_rating", "get_rating", "upsert_rating"]

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


def get_rating(
    session: Session, *, note_id: int, rater_participant_id: str
) -> dict[str, Any] | None:
    """The rater's rating of the note, or ``None``."""
    row = session.execute(
        select(ratings).where(
            ratings.c.noteId == note_id, ratings.c.raterParticipantId == rater_participant_id
        )
    ).first()
    return None if row is None else dict(row._mapping)


def upsert_rating(session: Session, *, now_ms: int, values: Mapping[str, Any]) -> bool:
    """Store the rating, replacing the rater's previous one on the note; log the event.

    ``values`` holds every ratings column (public names) except ``createdAtMillis``.
    Returns whether an earlier rating was replaced (event ``rating.replaced``, else
    ``rating.created``).
    """
    row = {**values, "createdAtMillis": now_ms}
    replaced = (
        session.execute(
            select(ratings.c.noteId).where(
                ratings.c.noteId == row["noteId"],
                ratings.c.raterParticipantId == row["raterParticipantId"],
            )
        ).first()
        is not None
    )
    session.execute(_upsert_statement(session.get_bind().dialect.name), row)
    append_event(
        session,
        now_ms=now_ms,
        event_type="rating.replaced" if replaced else "rating.created",
        actor_participant_id=str(row["raterParticipantId"]),
        entity_id=f"{row['noteId']}:{row['raterParticipantId']}",
        payload={**row, "noteId": str(row["noteId"])},
    )
    return replaced


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
