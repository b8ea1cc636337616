"""The packaged migrations create exactly the schema of ``tables.metadata``."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from bridgewatch.service.tables import metadata


def test_migrated_schema_matches_the_table_definitions(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_every_table_exists_with_the_public_columns(engine: Engine) -> None:
    names = set(inspect(engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= names
    columns = {c["name"] for c in inspect(engine).get_columns("ratings")}
    assert {"helpfulnessLevel", "notHelpfulIrrelevantSources", "ratingSourceBucketed"} <= columns
