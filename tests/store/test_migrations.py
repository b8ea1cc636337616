"""The packaged migrations create exactly the schema of the table definitions (the one
``MetaData`` of the store: service, real-time pipeline, web app), and revision 0002 upgrades
databases made before it."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, insert, inspect, select, text
from sqlalchemy.exc import OperationalError

from bridgewatch.service import make_engine, upgrade_database
from bridgewatch.store.migrate import (
    SchemaOutdatedError,
    alembic_config,
    ensure_pipeline_schema,
    ensure_web_schema,
)
from bridgewatch.store.tables import (
    PIPELINE_TABLES,
    WEB_TABLES,
    metadata,
    pipeline_offsets,
    web_accounts,
)
from tests.service.conftest import _pg_unavailable, pg_url

ADDED_IN_0002 = set(PIPELINE_TABLES) | set(WEB_TABLES)


def _diff(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))


def _trigger_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM information_schema.triggers "
                    "WHERE trigger_name = 'bridgewatch_events_notify' "
                    "AND event_object_schema = current_schema()"
                )
            ).scalar_one()
        )


def test_migrated_schema_matches_the_table_definitions(engine: Engine) -> None:
    assert _diff(engine) == []


def test_every_table_exists_with_the_public_columns(engine: Engine) -> None:
    names = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= names
    columns = {c["name"] for c in inspect(engine).get_columns("ratings")}
    assert {"helpfulnessLevel", "notHelpfulIrrelevantSources", "ratingSourceBucketed"} <= columns


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An empty database (no migration run) on each backend."""
    if request.param == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            eng = make_engine(f"sqlite:///{Path(tmp) / 'm.sqlite3'}")
            yield eng
            eng.dispose()
        return
    url = pg_url()
    schema = f"bw_mig_{uuid.uuid4().hex[:12]}"
    try:
        admin = create_engine(url, connect_args={"connect_timeout": 5})
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        _pg_unavailable(f"cannot connect to {url}: {exc.orig}")
    eng = make_engine(url, pool_size=2, search_path=schema)
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_0002_upgrades_and_downgrades(empty_engine: Engine) -> None:
    upgrade_database(empty_engine, "0001")
    assert not ADDED_IN_0002 & set(inspect(empty_engine).get_table_names())
    with pytest.raises(SchemaOutdatedError, match="bridgewatch db upgrade"):
        ensure_pipeline_schema(empty_engine)
    with pytest.raises(SchemaOutdatedError, match="web_accounts"):
        ensure_web_schema(empty_engine)
    upgrade_database(empty_engine)
    assert _diff(empty_engine) == []
    ensure_pipeline_schema(empty_engine)
    ensure_web_schema(empty_engine)
    if empty_engine.dialect.name == "postgresql":
        assert _trigger_count(empty_engine) == 1
    command.downgrade(alembic_config(empty_engine), "0001")
    assert not ADDED_IN_0002 & set(inspect(empty_engine).get_table_names())
    if empty_engine.dialect.name == "postgresql":
        assert _trigger_count(empty_engine) == 0
    upgrade_database(empty_engine)
    assert _diff(empty_engine) == []


def test_0002_keeps_tables_created_at_start_up_before_it(empty_engine: Engine) -> None:
    """A 0001 database whose pipeline and web tables were made by ``create_all`` at start-up
    (as bridgewatch did before 0002) upgrades without losing rows."""
    upgrade_database(empty_engine, "0001")
    # pipeline_pending (0003) and pipeline_refit_chunks (0007) came later, so start-up never
    # created them.
    before_0002 = [
        metadata.tables[name]
        for name in (*PIPELINE_TABLES, *WEB_TABLES)
        if name not in ("pipeline_pending", "pipeline_refit_chunks")
    ]
    metadata.create_all(empty_engine, tables=before_0002)
    with empty_engine.begin() as conn:
        conn.execute(
            insert(pipeline_offsets).values(consumer="worker", last_event_id=7, updated_at_ms=1)
        )
        conn.execute(
            insert(web_accounts).values(
                username="alice", participant_id="p1", password_hash="x", created_at_ms=1
            )
        )
    upgrade_database(empty_engine)
    assert _diff(empty_engine) == []
    with empty_engine.connect() as conn:
        assert conn.execute(select(pipeline_offsets.c.last_event_id)).scalar_one() == 7
        assert conn.execute(select(web_accounts.c.username)).scalar_one() == "alice"
    if empty_engine.dialect.name == "postgresql":
        assert _trigger_count(empty_engine) == 1


_COMPRESSION = text(
    "SELECT c.relname || '.' || a.attname, a.attcompression FROM pg_attribute a "
    "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND (c.relname, a.attname) IN "
    "(('note_scores', 'scorer_views'), ('pipeline_refit_chunks', 'data'))"
)


def test_0009_compresses_the_large_worker_values_with_lz4_on_postgresql(
    empty_engine: Engine,
) -> None:
    upgrade_database(empty_engine)
    if empty_engine.dialect.name != "postgresql":  # SQLite: nothing to set, nothing fails
        command.downgrade(alembic_config(empty_engine), "0008")
        upgrade_database(empty_engine)
        return
    with empty_engine.connect() as conn:
        available = conn.execute(
            text(
                "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                "WHERE name = 'default_toast_compression'"
            )
        ).scalar()
        methods: dict[str, str] = {str(k): str(v) for k, v in conn.execute(_COMPRESSION)}
    on = "l" if available else ""
    assert methods == {"note_scores.scorer_views": on, "pipeline_refit_chunks.data": on}
    command.downgrade(alembic_config(empty_engine), "0008")
    with empty_engine.connect() as conn:
        methods = {str(k): str(v) for k, v in conn.execute(_COMPRESSION)}
    off = "p" if available else ""
    assert methods == {"note_scores.scorer_views": off, "pipeline_refit_chunks.data": off}
