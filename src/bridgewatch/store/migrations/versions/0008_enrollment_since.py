"""enrollment.enrolledSinceMillis: the establishment clock's start, which scoring never moves

The defences count a participant as established when its enrollment record is at least 90
days old (``EstablishmentConfig``). ``timestampOfLastStateChange`` is rewritten by every
state change scoring makes (earning in, at risk, earning out), so the established set
shrank with each refit or publish that fed scoring's enrollment back. This column keeps the
change time the platform first recorded; existing rows start from their current one.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("enrollment") as batch:
        batch.add_column(sa.Column("enrolledSinceMillis", sa.BigInteger(), nullable=True))
    op.execute('UPDATE enrollment SET "enrolledSinceMillis" = "timestampOfLastStateChange"')


def downgrade() -> None:
    with op.batch_alter_table("enrollment") as batch:
        batch.drop_column("enrolledSinceMillis")
