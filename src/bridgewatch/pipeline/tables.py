"""Tables of the real-time pipeline: consumer offsets, refits, ratings waiting for a refit,
webhooks and their delivery log.

They live in their own ``MetaData`` (created by :func:`ensure_pipeline_schema`, idempotent)
so the service's migrations stay the backend's. On PostgreSQL a statement trigger on
``events`` sends ``NOTIFY bridgewatch_events`` so workers wake up without polling.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)

__all__ = [
    "NOTIFY_CHANNEL",
    "ensure_pipeline_schema",
    "pipeline_metadata",
    "pipeline_offsets",
    "pipeline_pending",
    "pipeline_refits",
    "webhook_deliveries",
    "webhook_endpoints",
]

NOTIFY_CHANNEL = "bridgewatch_events"

_BigId = BigInteger().with_variant(Integer(), "sqlite")

pipeline_metadata = MetaData()

# One row per consumer ("worker", "webhooks"): the id of the last event whose effects are
# committed. Updated in the same transaction as the effects.
pipeline_offsets = Table(
    "pipeline_offsets",
    pipeline_metadata,
    Column("consumer", String(64), primary_key=True),
    Column("last_event_id", BigInteger, nullable=False),
    Column("updated_at_ms", BigInteger, nullable=False),
    Column("last_refit_at_ms", BigInteger, nullable=True),
)

# Full refits, newest last: every worker scores with the newest one, so all workers give the
# same statuses. ``payload`` is the pickled refit (prescoring arrays, id indexes, fit cache),
# written and read only by the workers.
pipeline_refits = Table(
    "pipeline_refits",
    pipeline_metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("snapshot_offset", BigInteger, nullable=False),
    Column("payload", LargeBinary, nullable=False),
)

# Notes with ratings by raters the last refit does not know: those ratings wait for the next
# refit (expected at ``next_refit_at_ms``). Rewritten at each refit, kept current by the
# worker's passes for the notes they touch; no row: nothing waits.
pipeline_pending = Table(
    "pipeline_pending",
    pipeline_metadata,
    Column("note_id", BigInteger, primary_key=True, autoincrement=False),
    Column("pending_ratings", Integer, nullable=False),
    Column("next_refit_at_ms", BigInteger, nullable=False),
    Column("updated_at_ms", BigInteger, nullable=False),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    pipeline_metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("url", String(2048), nullable=False),
    Column("secret", String(256), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at_ms", BigInteger, nullable=False),
)

# One row per (endpoint, event): state pending -> delivered | failed, with the attempts.
webhook_deliveries = Table(
    "webhook_deliveries",
    pipeline_metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("endpoint_id", BigInteger, nullable=False),
    Column("event_id", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", SmallInteger, nullable=False, default=0),
    Column("next_attempt_at_ms", BigInteger, nullable=False),
    Column("last_status_code", SmallInteger, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("delivered_at_ms", BigInteger, nullable=True),
    Index("ix_webhook_deliveries_state_next", "state", "next_attempt_at_ms"),
    Index("uq_webhook_deliveries_endpoint_event", "endpoint_id", "event_id", unique=True),
)

_TRIGGER_SQL = (
    f"""
CREATE OR REPLACE FUNCTION bridgewatch_notify_events() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('{NOTIFY_CHANNEL}', '');
  RETURN NULL;
END $$ LANGUAGE plpgsql
""",
    "DROP TRIGGER IF EXISTS bridgewatch_events_notify ON events",
    """
CREATE TRIGGER bridgewatch_events_notify AFTER INSERT ON events
FOR EACH STATEMENT EXECUTE FUNCTION bridgewatch_notify_events()
""",
)


def ensure_pipeline_schema(engine: Engine) -> None:
    """Create the pipeline tables (and the NOTIFY trigger on PostgreSQL) if missing."""
    pipeline_metadata.create_all(engine, checkfirst=True)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            # Serialise concurrent installs (several workers starting at once).
            conn.execute(text("SELECT pg_advisory_xact_lock(724515)"))
            for statement in _TRIGGER_SQL:
                conn.execute(text(statement))
