"""pipeline and web tables

The real-time pipeline's tables (consumer offsets, stored refits, webhook endpoints and their
delivery log, the NOTIFY trigger on ``events`` on PostgreSQL) and the web app's accounts.
They were created at start-up before this revision, so every table is created only if it is
missing: a database that already has them upgrades without change.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 00:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_NOTIFY_FUNCTION = """
CREATE OR REPLACE FUNCTION bridgewatch_notify_events() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('bridgewatch_events', '');
  RETURN NULL;
END $$ LANGUAGE plpgsql
"""
_NOTIFY_TRIGGER = """
CREATE TRIGGER bridgewatch_events_notify AFTER INSERT ON events
FOR EACH STATEMENT EXECUTE FUNCTION bridgewatch_notify_events()
"""


def _tables() -> list[tuple[str, list[SchemaItem]]]:
    return [
        (
            "pipeline_offsets",
            [
                sa.Column("consumer", sa.String(length=64), nullable=False),
                sa.Column("last_event_id", sa.BigInteger(), nullable=False),
                sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
                sa.Column("last_refit_at_ms", sa.BigInteger(), nullable=True),
                sa.PrimaryKeyConstraint("consumer"),
            ],
        ),
        (
            "pipeline_refits",
            [
                sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
                sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
                sa.Column("snapshot_offset", sa.BigInteger(), nullable=False),
                sa.Column("payload", sa.LargeBinary(), nullable=False),
                sa.PrimaryKeyConstraint("id"),
            ],
        ),
        (
            "webhook_endpoints",
            [
                sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
                sa.Column("url", sa.String(length=2048), nullable=False),
                sa.Column("secret", sa.String(length=256), nullable=False),
                sa.Column("active", sa.Boolean(), nullable=False),
                sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
                sa.PrimaryKeyConstraint("id"),
            ],
        ),
        (
            "webhook_deliveries",
            [
                sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
                sa.Column("endpoint_id", sa.BigInteger(), nullable=False),
                sa.Column("event_id", sa.BigInteger(), nullable=False),
                sa.Column("state", sa.String(length=16), nullable=False),
                sa.Column("attempts", sa.SmallInteger(), nullable=False),
                sa.Column("next_attempt_at_ms", sa.BigInteger(), nullable=False),
                sa.Column("last_status_code", sa.SmallInteger(), nullable=True),
                sa.Column("last_error", sa.Text(), nullable=True),
                sa.Column("delivered_at_ms", sa.BigInteger(), nullable=True),
                sa.PrimaryKeyConstraint("id"),
            ],
        ),
        (
            "web_accounts",
            [
                sa.Column("username", sa.String(length=32), nullable=False),
                sa.Column("participant_id", sa.String(length=64), nullable=False),
                sa.Column("password_hash", sa.String(length=256), nullable=False),
                sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
                sa.PrimaryKeyConstraint("username"),
                sa.UniqueConstraint("participant_id"),
            ],
        ),
    ]


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for name, items in _tables():
        if name not in existing:
            op.create_table(name, *items)
    if "webhook_deliveries" not in existing:
        op.create_index(
            "ix_webhook_deliveries_state_next",
            "webhook_deliveries",
            ["state", "next_attempt_at_ms"],
        )
        op.create_index(
            "uq_webhook_deliveries_endpoint_event",
            "webhook_deliveries",
            ["endpoint_id", "event_id"],
            unique=True,
        )
    if op.get_bind().dialect.name == "postgresql":
        # Workers sleep on LISTEN bridgewatch_events; every insert into events wakes them.
        op.execute(_NOTIFY_FUNCTION)
        op.execute("DROP TRIGGER IF EXISTS bridgewatch_events_notify ON events")
        op.execute(_NOTIFY_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS bridgewatch_events_notify ON events")
        op.execute("DROP FUNCTION IF EXISTS bridgewatch_notify_events()")
    op.drop_index("uq_webhook_deliveries_endpoint_event", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_state_next", table_name="webhook_deliveries")
    for name, _items in reversed(_tables()):
        op.drop_table(name)
