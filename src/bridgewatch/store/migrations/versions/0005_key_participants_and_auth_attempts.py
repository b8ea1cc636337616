"""key participants and auth attempts

``api_key_participants``: the participants an operator restricted an API key to
(``bridgewatch apikey create NAME --participant ID``); a key without rows acts for anyone,
as before. ``auth_attempts``: recent log-in and sign-up attempts per client address and per
account, which the throttle counts (``service.throttle``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "api_key_participants",
        sa.Column("key_id", _BIG_ID, nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["api_keys.id"],
            name=op.f("fk_api_key_participants_key_id_api_keys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key_id", "participant_id", name=op.f("pk_api_key_participants")),
    )
    op.create_table(
        "auth_attempts",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=160), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_attempts")),
    )
    op.create_index(
        "ix_auth_attempts_scope_subject_created",
        "auth_attempts",
        ["scope", "subject", "created_at_ms"],
    )
    op.create_index("ix_auth_attempts_created", "auth_attempts", ["created_at_ms"])


def downgrade() -> None:
    op.drop_index("ix_auth_attempts_created", table_name="auth_attempts")
    op.drop_index("ix_auth_attempts_scope_subject_created", table_name="auth_attempts")
    op.drop_table("auth_attempts")
    op.drop_table("api_key_participants")
