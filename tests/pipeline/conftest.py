"""Fixtures of the pipeline tests: a migrated database per test on SQLite and PostgreSQL,
and a small community split into an imported history and later ratings.

PostgreSQL: URL from ``BRIDGEWATCH_TEST_PG_URL``; each test works in its own schema,
dropped afterwards. Unreachable server: skip, or fail when ``BRIDGEWATCH_REQUIRE_PG=1``.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from bridgewatch.io import read_ratings
from bridgewatch.io.columns import RATINGS_COLUMNS
from bridgewatch.service import make_engine, upgrade_database
from bridgewatch.store.dump import import_dump
from tests.scoring.community import write_small_community

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pg_url() -> str:
    return os.environ.get("BRIDGEWATCH_TEST_PG_URL", DEFAULT_PG_URL)


def pg_unavailable(reason: str) -> None:
    if os.environ.get("BRIDGEWATCH_REQUIRE_PG") == "1":
        pytest.fail(f"PostgreSQL is required (BRIDGEWATCH_REQUIRE_PG=1) but {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


@dataclass(frozen=True)
class Community:
    """A dump directory with the first 80% of the ratings, and the rest as rows."""

    dump: Path
    later: list[dict[str, Any]]


@pytest.fixture(scope="session")
def community(tmp_path_factory: pytest.TempPathFactory) -> Community:
    files = write_small_community(tmp_path_factory.mktemp("community"))
    dump = tmp_path_factory.mktemp("dump")
    shutil.copy(files.notes, dump / "notes-00000.tsv")
    shutil.copy(files.note_status_history, dump / "noteStatusHistory-00000.tsv")
    shutil.copy(files.user_enrollment, dump / "userEnrollment-00000.tsv")
    frame = read_ratings(files.ratings[0]).sort("createdAtMillis", "noteId", "raterParticipantId")
    cut = int(frame.height * 0.8)
    early = frame.head(cut)
    early.with_columns(
        [pl.col(c).cast(pl.String) for c, t in early.schema.items() if isinstance(t, pl.Enum)]
    ).write_csv(dump / "ratings-00000.tsv", separator="\t", null_value="")
    later = frame.tail(frame.height - cut).select(RATINGS_COLUMNS)
    later = later.with_columns(
        [pl.col(c).cast(pl.String) for c, t in later.schema.items() if isinstance(t, pl.Enum)]
    )
    return Community(dump, later.to_dicts())


def _sqlite(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'pipeline.sqlite3'}")
    upgrade_database(engine)
    return engine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A freshly migrated, empty database on each backend."""
    if request.param == "sqlite":
        eng = _sqlite(tmp_path)
        yield eng
        eng.dispose()
        return
    url = pg_url()
    schema = f"bw_pipe_{uuid.uuid4().hex[:12]}"
    try:
        admin = create_engine(url, connect_args={"connect_timeout": 5})
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        pg_unavailable(f"cannot connect to {url}: {exc.orig}")
    eng = make_engine(url, pool_size=4, search_path=schema)
    try:
        upgrade_database(eng)
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def loaded(engine: Engine, community: Community) -> Engine:
    """The database with the community's history imported."""
    import_dump(engine, community.dump, now_ms=1_700_000_000_000)
    return engine
