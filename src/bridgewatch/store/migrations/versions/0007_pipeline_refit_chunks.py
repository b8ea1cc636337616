"""pipeline_refit_chunks: a stored refit's payload in pieces

PostgreSQL cannot return a single value of 1 GB or more (a bytea's text form doubles it), and
a refit at 1M ratings is about half a gigabyte, so a second or restarted worker could not load
it. Refits stored from this revision on keep an empty ``pipeline_refits.payload`` and their
bytes here, in ``seq`` order; older rows keep theirs inline and still load.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 00:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "pipeline_refit_chunks",
        sa.Column(
            "refit_id",
            _BigId,
            sa.ForeignKey("pipeline_refits.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pipeline_refit_chunks")
