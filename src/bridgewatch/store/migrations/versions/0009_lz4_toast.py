"""PostgreSQL: lz4 instead of pglz for the two large values the worker writes

``note_scores.scorer_views`` (~4.7 KB of JSON per note, rewritten for every note a pass
rescores) and ``pipeline_refit_chunks.data`` (the stored refit, ~0.5 GB at a million
ratings) are compressed by PostgreSQL's TOAST. With its default, pglz, compression was
most of the server's CPU for these writes; lz4 compresses the same values about as well
(0.18 of the raw refit payload against 0.17) for a third of the server CPU
(``benchmarks/bench_toast.py``, ``benchmarks/results/session15/toast100k.txt``: a pass's
470 note rows 29-31 -> 9-9.5 ms per upsert, a 53 MB refit 0.72-0.89 -> 0.22-0.24 s).
Rows already stored keep their compression until rewritten.
Servers built without lz4 (or older than 14) and SQLite are left as they are.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 00:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_COLUMNS = (("note_scores", "scorer_views"), ("pipeline_refit_chunks", "data"))


def _lz4_available() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    row = bind.execute(
        sa.text(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
    ).first()
    return bool(row is not None and row[0])


def _set(method: str) -> None:
    for table, column in _COLUMNS:
        op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET COMPRESSION {method}')


def upgrade() -> None:
    if _lz4_available():
        _set("lz4")


def downgrade() -> None:
    if _lz4_available():
        _set("pglz")
