"""Alembic environment: runs online against the engine handed over in the config.

The target schema is every table bridgewatch stores, all in the one ``MetaData`` of
:mod:`bridgewatch.store.tables`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from bridgewatch.store.tables import metadata

_engine = context.config.attributes.get("engine")
if not isinstance(_engine, Engine):  # pragma: no cover - misuse guard
    raise RuntimeError("bridgewatch migrations run through bridgewatch.store.migrate")

with _engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()
