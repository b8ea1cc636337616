"""note_scores: every scorer's view and the live coordination hold

``scorer_views`` (JSON: each scorer's status, figures and rules for the note, and every
non-Core ``scored_notes`` column), ``hold_reason`` and ``held_since_ms`` (the worker holds a
note's status change while its recent ratings look coordinated, until the next refit).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 20:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("note_scores") as batch:
        batch.add_column(sa.Column("scorer_views", sa.Text(), nullable=True))
        batch.add_column(sa.Column("hold_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("held_since_ms", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("note_scores") as batch:
        batch.drop_column("held_since_ms")
        batch.drop_column("hold_reason")
        batch.drop_column("scorer_views")
