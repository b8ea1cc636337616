"""Alembic environment: runs online against the engine handed over in the config.

The target schema is every table bridgewatch stores: the service's, the real-time
pipeline's and the web app's (each package keeps its own ``MetaData``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from bridgewatch.pipeline.tables import pipeline_metadata
from bridgewatch.service.tables import metadata
from bridgewatch.web.accounts import web_metadata

_engine = context.config.attributes.get("engine")
if not isinstance(_engine, Engine):  # pragma: no cover - misuse guard
    raise RuntimeError("bridgewatch migrations run through bridgewatch.service.migrate")

with _engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=[metadata, pipeline_metadata, web_metadata],
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()
