"""imported_note_requests

Note requests imported from a public dump (``batSignals-*`` / ``noteRequests-*``): the
dump has one row per requested post and does not name the requesters, so an imported
request has no requester; it keeps the post's comma-separated source links (of any
length) and the four feed-eligibility times of the public row.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_FEEDS = (
    "feed_eligible_at_ms",
    "api_small_feed_eligible_at_ms",
    "api_large_feed_eligible_at_ms",
    "api_xl_feed_eligible_at_ms",
)


def upgrade() -> None:
    with op.batch_alter_table("note_requests", schema=None) as batch_op:
        batch_op.alter_column(
            "requester_participant_id", existing_type=sa.String(length=64), nullable=True
        )
        batch_op.alter_column("source_link", existing_type=sa.String(length=2048), type_=sa.Text())
        for name in _FEEDS:
            batch_op.add_column(sa.Column(name, sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM note_requests WHERE requester_participant_id IS NULL")
    with op.batch_alter_table("note_requests", schema=None) as batch_op:
        for name in reversed(_FEEDS):
            batch_op.drop_column(name)
        batch_op.alter_column("source_link", existing_type=sa.Text(), type_=sa.String(length=2048))
        batch_op.alter_column(
            "requester_participant_id", existing_type=sa.String(length=64), nullable=False
        )
