"""The asynchronous rating path's connection pool survives the server ending its sessions
(issue 13: after a PostgreSQL restart it handed out a dead connection, one 503 each)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, delete, text

from bridgewatch.service import Settings, create_app
from bridgewatch.service.pg_ratings import RatingWriter
from bridgewatch.store.db import psycopg_connect_kwargs
from bridgewatch.store.tables import metadata
from tests.service.conftest import Clock

pytestmark = pytest.mark.postgres

_RATERS = 6


async def _rate(client: httpx.AsyncClient, note_id: str, headers: dict[str, str]) -> int:
    r = await client.post(
        f"/api/v1/notes/{note_id}/ratings", json={"helpfulnessLevel": "HELPFUL"}, headers=headers
    )
    return r.status_code


async def _scenario(app: FastAPI, engine: Engine) -> tuple[list[int], list[int], int]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        joined = [(await client.post("/api/v1/participants")).json() for _ in range(_RATERS + 1)]
        headers = [{"Authorization": f"Bearer {j['sessionToken']}"} for j in joined]
        with engine.begin() as conn:
            conn.execute(
                text('UPDATE enrollment SET "enrollmentState" = 1 WHERE "participantId" = :p'),
                {"p": joined[0]["participant"]["participantId"]},
            )
        post = {"postId": "1001", "authorId": "alice", "text": "a claim", "url": None}
        assert (await client.post("/api/v1/posts", json=post, headers=headers[0])).is_success
        note = {
            "postId": "1001",
            "classification": "MISINFORMED_OR_POTENTIALLY_MISLEADING",
            "misleadingReasons": ["FactualError"],
            "trustworthySources": True,
            "summary": "The figure is wrong, see https://stats.example.org/report",
        }
        r = await client.post("/api/v1/notes", json=note, headers=headers[0])
        note_id = str(r.json()["noteId"])
        # Concurrent ratings open several pooled connections.
        before = await asyncio.gather(*(_rate(client, note_id, h) for h in headers[1:]))
        writer: RatingWriter = app.state.rating_writer
        pids = writer.pool.backend_pids()
        assert len(pids) >= 2
        # What a server restart does to every session: the server ends it.
        with engine.begin() as conn:
            for pid in pids:
                conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        await asyncio.sleep(0.1)
        after = await asyncio.gather(*(_rate(client, note_id, h) for h in headers[1:]))
        after += [await _rate(client, note_id, h) for h in headers[1:]]
        replaced = writer.pool.replaced
        writer.close()
    return before, after, replaced


def test_ratings_after_the_server_ends_every_pooled_session_get_no_503(
    pg_engine: Engine,
) -> None:
    settings = Settings(database_url="sqlite://", signups_per_address=100)
    app = create_app(settings, engine=pg_engine, clock=Clock())
    try:
        before, after, replaced = asyncio.run(_scenario(app, pg_engine))
    finally:
        with pg_engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(delete(table))
    assert before == [201] * _RATERS
    assert after == [200] * (2 * _RATERS)
    assert replaced >= 2


def test_connections_older_than_the_recycle_age_are_replaced(pg_engine: Engine) -> None:
    writer = RatingWriter(psycopg_connect_kwargs(pg_engine), pool_size=2, recycle_s=0.0)

    async def twice() -> list[int]:
        pids = []
        for _ in range(2):
            conn = await writer.pool.acquire()
            pids.append(conn.pgconn.backend_pid)
            writer.pool.release(conn)
        writer.close()
        return pids

    first, second = asyncio.run(twice())
    assert first != second
    assert writer.pool.replaced == 1
