"""Fixtures of the web tests: a migrated SQLite database holding a small simulated community
scored by the Core scorer (``bridgewatch.cli.demo_seed.seed_demo``, the demo's own path), made
once per session and copied per test so tests do not see each other's writes.

``Seeded.pivot`` is a note whose status one rating by ``demo`` changes (found by trying
ratings on the worker's in-memory state, see :func:`_find_pivot`), so tests can rate it
and watch the real-time worker change its status.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, func, select

from bridgewatch.cli.demo_seed import DemoSeed, demo_scoring_config, seed_demo
from bridgewatch.pipeline.state import LiveState, Refit, load_snapshot
from bridgewatch.service import Settings, create_app, make_engine, upgrade_database
from bridgewatch.service.convert import rating_row
from bridgewatch.service.schemas import RatingCreate
from bridgewatch.sim import SimConfig
from bridgewatch.store.repositories.refits import load_refit_payload
from bridgewatch.store.tables import note_status_history, notes, pipeline_refits, ratings
from bridgewatch.web import install_web

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient

NOW_MS = 1_793_491_200_000  # 2026-11-01T00:00Z
RATE_AT_MS = NOW_MS + 3_600_000  # the apps' clock: an hour after the last scoring run
SIM = SimConfig(
    seed=3, n_notes=80, n_raters=120, n_ratings=2500, days=14.0, end_ms=NOW_MS - 3_600_000
)


def worker_clock() -> Callable[[], int]:
    """The workers' clock (ms): real time elapsing from ``RATE_AT_MS``, so the refit stored at
    ``NOW_MS`` is the one in use (the hourly refit is not due yet)."""
    base = time.monotonic_ns()
    return lambda: RATE_AT_MS + (time.monotonic_ns() - base) // 1_000_000


def rating_body(level: str) -> RatingCreate:
    """The rating the tests give a pivot note: the level and one matching tag."""
    if level == "HELPFUL":
        return RatingCreate(helpfulness_level=level, helpful_tags=["GoodSources"])
    return RatingCreate(helpfulness_level=level, not_helpful_tags=["Incorrect"])


@dataclass(frozen=True)
class Pivot:
    """A note, the rating by ``demo`` that changes its status, and the statuses."""

    note_id: int
    post_id: str
    level: str
    before: str
    after: str


@dataclass(frozen=True)
class Seeded:
    path: Path
    seed: DemoSeed
    pivot: Pivot
    post_id: str
    n_notes: int


def _find_pivot(engine: Engine, demo_pid: str) -> Pivot:
    """The first note (by id) whose status a Helpful (else a Not helpful) rating by ``demo``
    at ``RATE_AT_MS`` changes, tried on the worker's own state (stored refit, incremental pass)."""
    with engine.connect() as conn:
        frames, offset = load_snapshot(conn, "worker")
        newest = conn.execute(select(func.max(pipeline_refits.c.id))).scalar_one()
        payload = load_refit_payload(conn, int(newest))
        candidates = conn.execute(
            select(notes.c.noteId, notes.c.tweetId, note_status_history.c.currentStatus)
            .join(note_status_history, note_status_history.c.noteId == notes.c.noteId)
            .where(
                notes.c.noteAuthorParticipantId != demo_pid,
                notes.c.noteId.not_in(
                    select(ratings.c.noteId).where(ratings.c.raterParticipantId == demo_pid)
                ),
            )
            .order_by(notes.c.noteId)
        ).all()
    state = LiveState(frames=frames, position=offset, config=demo_scoring_config(), seed=SIM.seed)
    state.install(Refit.from_bytes(payload))
    saved = state.checkpoint()
    for level in ("HELPFUL", "NOT_HELPFUL"):
        for note_id, post_id, before in candidates:
            state.restore(saved)
            # Exactly the row (and event payload) the rating form stores.
            rating = rating_row(
                rating_body(level),
                note_id=note_id,
                rater_participant_id=demo_pid,
                now_ms=RATE_AT_MS,
            )
            row = {**rating.columns(), "noteId": str(note_id)}
            event = {"id": offset + 1, "event_type": "rating.created", "payload": row}
            state.apply_events([json.loads(json.dumps(event))])
            changed = {c.note_id: c.status for c in state.rescore(RATE_AT_MS).changes}
            if changed.get(str(note_id)) not in (None, before):
                return Pivot(
                    int(note_id), str(post_id), level, str(before), str(changed[str(note_id)])
                )
    raise AssertionError("no note in the test community changes status with one rating")


@contextmanager
def sqlite_rows(seeded: Seeded) -> Iterator[Callable[[str], list[Any]]]:
    """A query function over the seeded database (read it, do not write it)."""
    conn = sqlite3.connect(seeded.path)
    try:
        yield lambda sql: conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    root = tmp_path_factory.mktemp("webdb")
    path = root / "seed.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_database(engine)
    seed = seed_demo(engine, root / "dump", sim=SIM, now_ms=NOW_MS, release_held=False)
    pivot = _find_pivot(engine, seed.demo_participant_id)
    with engine.connect() as conn:
        post_id = conn.execute(
            select(notes.c.tweetId).order_by(notes.c.noteId).limit(1)
        ).scalar_one()
    engine.dispose()
    return Seeded(path, seed, pivot, str(post_id), seed.imported.notes)


@pytest.fixture
def db_engine(seeded_db: Seeded, tmp_path: Path) -> Iterator[Engine]:
    copy = tmp_path / "web.sqlite3"
    shutil.copyfile(seeded_db.path, copy)
    engine = make_engine(f"sqlite:///{copy}")
    yield engine
    engine.dispose()


class Clock:
    """A clock (ms) that ticks one second per reading."""

    def __init__(self, now_ms: int) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        self.now_ms += 1000
        return self.now_ms


@pytest.fixture
def web_app(db_engine: Engine, tmp_path: Path) -> FastAPI:
    settings = Settings(data_dir=tmp_path, ratings_per_minute=1000)
    return install_web(create_app(settings, engine=db_engine, clock=Clock(RATE_AT_MS)))


@pytest.fixture
def client(web_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(web_app, follow_redirects=False) as c:
        yield c
