"""Fixtures of the web tests: a migrated SQLite database with a small seeded community
(seeded once per session, copied per test so tests do not see each other's writes)."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from bridgewatch.service import Settings, create_app, make_engine, upgrade_database
from bridgewatch.service.db import make_session_factory
from bridgewatch.web import install_web
from bridgewatch.web.accounts import ensure_web_schema
from bridgewatch.web.seed import SeedConfig, SeedResult, seed_community

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient

NOW_MS = 1_793_491_200_000  # 2026-11-01T00:00Z
SMALL = SeedConfig(n_raters=16, n_writers=4, n_posts=5, rating_probability=0.6, days=6, seed=3)


@dataclass(frozen=True)
class Seeded:
    path: Path
    result: SeedResult


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    path = tmp_path_factory.mktemp("webdb") / "seed.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_database(engine)
    ensure_web_schema(engine)
    with make_session_factory(engine)() as session, session.begin():
        result = seed_community(session, now_ms=NOW_MS, config=SMALL)
    engine.dispose()
    return Seeded(path, result)


@pytest.fixture
def db_engine(seeded_db: Seeded, tmp_path: Path) -> Iterator[Engine]:
    copy = tmp_path / "web.sqlite3"
    shutil.copyfile(seeded_db.path, copy)
    engine = make_engine(f"sqlite:///{copy}")
    yield engine
    engine.dispose()


class Clock:
    """A settable clock (ms)."""

    def __init__(self, now_ms: int) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        self.now_ms += 1000
        return self.now_ms


@pytest.fixture
def web_app(db_engine: Engine, tmp_path: Path) -> FastAPI:
    settings = Settings(data_dir=tmp_path, ratings_per_minute=1000)
    return install_web(create_app(settings, engine=db_engine, clock=Clock(NOW_MS + 3_600_000)))


@pytest.fixture
def client(web_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(web_app, follow_redirects=False) as c:
        yield c
