"""The append-only event log (transactional outbox): every write appends here in the
same transaction as its data change; the worker and the webhook sender read it."""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import Select, bindparam, func, insert, select
from sqlalchemy.orm import Session

from bridgewatch.store.tables import events

__all__ = [
    "NOTIFY_CHANNEL",
    "append_event",
    "count_recent_events",
    "encode_payload",
    "list_events",
]

# On PostgreSQL a statement trigger on ``events`` (revision 0002) sends ``NOTIFY`` on this
# channel, so workers wake up without polling.
NOTIFY_CHANNEL = "bridgewatch_events"

_INSERT = insert(events)


def append_event(
    session: Session,
    *,
    now_ms: int,
    event_type: str,
    actor_participant_id: str | None,
    entity_id: str,
    payload: Mapping[str, Any],
) -> None:
    """Append one event in the caller's transaction.

    Parameters
    ----------
    now_ms : event time, ms since the epoch.
    event_type : ``note.created``, ``rating.created``, ``rating.replaced`` ...
    actor_participant_id : who acted (``None`` for system writes such as imports).
    entity_id : the id of the written entity (``noteId``, ``noteId:raterId`` ...).
    payload : the written record as JSON-serialisable values (Any: raw JSON boundary).
    """
    # Parameters, not .values(): the compiled INSERT is cached across calls.
    session.execute(
        _INSERT,
        {
            "created_at_ms": now_ms,
            "event_type": event_type,
            "actor_participant_id": actor_participant_id,
            "entity_id": entity_id,
            "payload": encode_payload(payload),
        },
    )


def encode_payload(payload: Mapping[str, Any]) -> str:
    """The stored form of an event payload: compact JSON with sorted keys (Any: raw JSON)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def count_recent_events(
    session: Session, *, actor_participant_id: str, event_types: Collection[str], since_ms: int
) -> int:
    """How many events of ``event_types`` the actor caused at or after ``since_ms``."""
    types = list(event_types)
    params: dict[str, Any] = {f"type_{i}": t for i, t in enumerate(types)}
    params |= {"actor": actor_participant_id, "since": since_ms}
    return int(session.execute(_count_statement(len(types)), params).scalar_one())


@functools.cache
def _count_statement(n_types: int) -> Select[int]:
    # One bound parameter per type instead of an expanding IN: the SQL text is the same on
    # every call, so neither SQLAlchemy nor the driver re-renders or re-prepares it.
    return select(func.count()).where(
        events.c.actor_participant_id == bindparam("actor"),
        events.c.event_type.in_([bindparam(f"type_{i}") for i in range(n_types)]),
        events.c.created_at_ms >= bindparam("since"),
    )


def list_events(session: Session, *, after_id: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
    """Events with id greater than ``after_id`` in log order (for the real-time pipeline).

    Returns dicts with ``id, created_at_ms, event_type, actor_participant_id, entity_id`` and
    the decoded ``payload`` (Any: raw JSON).
    """
    stmt = select(events).where(events.c.id > after_id).order_by(events.c.id).limit(limit)
    out = []
    for row in session.execute(stmt).mappings():
        item = dict(row)
        item["payload"] = json.loads(row["payload"])
        out.append(item)
    return out
