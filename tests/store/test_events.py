"""The outbox reader: events in log order after a position, payloads decoded."""

from __future__ import annotations

from sqlalchemy import Engine

from bridgewatch.store.db import make_session_factory
from bridgewatch.store.events import (
    append_event,
    count_recent_events,
    list_events,
)


def test_events_are_read_back_in_order_after_a_position(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as session, session.begin():
        for i in range(5):
            append_event(
                session,
                now_ms=1000 + i,
                event_type="rating.created" if i % 2 else "note.created",
                actor_participant_id="A",
                entity_id=str(i),
                payload={"i": i},
            )
    with factory() as session:
        first = list_events(session, limit=2)
        rest = list_events(session, after_id=first[-1]["id"])
        assert [e["payload"]["i"] for e in first + rest] == [0, 1, 2, 3, 4]
        assert (
            count_recent_events(
                session, actor_participant_id="A", event_types=("rating.created",), since_ms=1002
            )
            == 1
        )


def test_an_aborted_transaction_leaves_no_event(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as session:
        session.begin()
        append_event(
            session,
            now_ms=1,
            event_type="note.created",
            actor_participant_id=None,
            entity_id="x",
            payload={},
        )
        session.rollback()
    with factory() as session:
        assert list_events(session) == []
