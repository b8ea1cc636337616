"""Tables of the real-time pipeline: consumer offsets, refits, ratings waiting for a refit,
webhooks and their delivery log.

They live in their own ``MetaData``; the service's Alembic migrations create them (revision
0002, with the PostgreSQL statement trigger on ``events`` that sends ``NOTIFY
bridgewatch_events`` so workers wake up without polling). ``tests/service/test_migrations.py``
checks that the migrated schema matches these definitions.
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
)

from bridgewatch.service.migrate import require_tables

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


def ensure_pipeline_schema(engine: Engine) -> None:
    """Check that the pipeline tables exist (``bridgewatch db upgrade`` creates them).

    Raises
    ------
    SchemaOutdatedError : a table is missing.
    """
    require_tables(engine, pipeline_metadata.tables)
