"""Fixtures of the service tests: one parametrized fixture runs each API test on SQLite and
on PostgreSQL; every test starts from empty tables.

PostgreSQL: URL from ``BRIDGEWATCH_TEST_PG_URL`` (default the CI server). Each test session
works in its own freshly created schema, dropped at the end, so concurrent runs do not meet.
Unreachable server: skip, or fail when ``BRIDGEWATCH_REQUIRE_PG=1`` (CI).
"""

from __future__ import annotations

import os
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, delete, text, update
from sqlalchemy.exc import OperationalError

from bridgewatch.model import EnrollmentState
from bridgewatch.service import Settings, create_app, make_engine, upgrade_database
from bridgewatch.store.db import make_session_factory
from bridgewatch.store.repositories.auth import create_api_key
from bridgewatch.store.tables import contributor_scores, enrollment, metadata

with warnings.catch_warnings():
    # starlette asks for the httpx2 package, which is not available here.
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0_MS = 1_793_491_200_000  # 2026-11-01T00:00Z


def pg_url() -> str:
    return os.environ.get("BRIDGEWATCH_TEST_PG_URL", DEFAULT_PG_URL)


def _pg_unavailable(reason: str) -> None:
    if os.environ.get("BRIDGEWATCH_REQUIRE_PG") == "1":
        pytest.fail(f"PostgreSQL is required (BRIDGEWATCH_REQUIRE_PG=1) but {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


@pytest.fixture(scope="session")
def sqlite_engine() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'test.sqlite3'}")
        upgrade_database(engine)
        yield engine
        engine.dispose()


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    url = pg_url()
    schema = f"bw_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = create_engine(url, connect_args={"connect_timeout": 5})
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        _pg_unavailable(f"cannot connect to {url}: {exc.orig}")
    engine = make_engine(url, pool_size=4, search_path=schema)
    try:
        upgrade_database(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated database on each backend, emptied after the test."""
    eng: Engine = request.getfixturevalue(
        f"{'pg' if request.param == 'postgresql' else 'sqlite'}_engine"
    )
    yield eng
    with eng.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))


@dataclass
class Clock:
    """A settable clock for the app (ms since the epoch)."""

    now_ms: int = T0_MS

    def __call__(self) -> int:
        return self.now_ms

    def advance(self, seconds: float) -> None:
        self.now_ms += int(seconds * 1000)


@dataclass
class Service:
    """A test client over a fresh app on the test database, with helpers."""

    client: TestClient
    engine: Engine
    clock: Clock
    settings: Settings
    _tokens: dict[str, str] = field(default_factory=dict)

    def join(self) -> tuple[str, dict[str, str]]:
        """Join a new participant; returns its id and auth headers."""
        r = self.client.post("/api/v1/participants")
        assert r.status_code == 201, r.text
        body = r.json()
        pid = body["participant"]["participantId"]
        return pid, {"Authorization": f"Bearer {body['sessionToken']}"}

    def set_state(self, participant_id: str, state: EnrollmentState) -> None:
        """Set the enrollment state (what the scorer does between runs)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(enrollment)
                .where(enrollment.c.participantId == participant_id)
                .values(enrollmentState=int(state))
            )

    def set_scores(self, participant_id: str, **values: Any) -> None:
        """Store contributor-phase figures for the participant."""
        with self.engine.begin() as conn:
            conn.execute(
                delete(contributor_scores).where(
                    contributor_scores.c.participant_id == participant_id
                )
            )
            conn.execute(
                contributor_scores.insert().values(
                    participant_id=participant_id, scored_at_ms=self.clock.now_ms, **values
                )
            )

    def writer(self) -> tuple[str, dict[str, str]]:
        """A participant with writing ability."""
        pid, headers = self.join()
        self.set_state(pid, EnrollmentState.earnedIn)
        return pid, headers

    def api_key(self, *scopes: str, name: str | None = None) -> str:
        """A new API key with the given scopes."""
        factory = make_session_factory(self.engine)
        with factory() as session, session.begin():
            return create_api_key(
                session, name=name or uuid.uuid4().hex, scopes=scopes, now_ms=self.clock.now_ms
            )

    def post(self, headers: dict[str, str], post_id: str = "1001", author: str = "alice") -> str:
        r = self.client.post(
            "/api/v1/posts",
            json={"postId": post_id, "authorId": author, "text": "a claim", "url": None},
            headers=headers,
        )
        assert r.status_code in (200, 201), r.text
        return post_id

    def note(self, headers: dict[str, str], post_id: str = "1001", **overrides: Any) -> str:
        body = {
            "postId": post_id,
            "classification": "MISINFORMED_OR_POTENTIALLY_MISLEADING",
            "misleadingReasons": ["FactualError"],
            "trustworthySources": True,
            "summary": "The figure is wrong, see https://stats.example.org/report",
        } | overrides
        r = self.client.post("/api/v1/notes", json=body, headers=headers)
        assert r.status_code == 201, r.text
        return str(r.json()["noteId"])


@pytest.fixture
def make_service(engine: Engine) -> Iterator[Callable[..., Service]]:
    """A factory of services on the test database; keyword arguments override settings."""
    clients: list[TestClient] = []

    def factory(**overrides: Any) -> Service:
        # Tests join many participants from one address: the sign-up throttle is tested
        # on its own (tests/service/test_throttle.py).
        settings = Settings(
            database_url="sqlite://", **({"signups_per_address": 10**6} | overrides)
        )
        clock = Clock()
        client = TestClient(create_app(settings, engine=engine, clock=clock))
        clients.append(client)
        return Service(client=client, engine=engine, clock=clock, settings=settings)

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def service(make_service: Callable[..., Service]) -> Service:
    """A service with default settings on the test database."""
    return make_service()
