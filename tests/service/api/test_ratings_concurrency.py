"""The ratings-per-minute limit is exact under concurrency on every path (issue 13: 32 of 40
accepted against 30/min at 16-way concurrency on the API-key path)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import cast

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from bridgewatch.service.convert import note_content
from bridgewatch.service.schemas import NoteCreate
from bridgewatch.store.db import make_session_factory
from bridgewatch.store.repositories.notes import insert_note
from bridgewatch.store.tables import ratings
from tests.service.conftest import Service

_LIMIT = 30
_REQUESTS = 40
_CONCURRENCY = 16


def _notes(service: Service, n: int) -> list[int]:
    """``n`` notes by one writer on one post (written directly: the note limits are not
    what this tests)."""
    author_id, author = service.writer()
    service.post(author)
    body = NoteCreate.model_validate(
        {
            "postId": "1001",
            "classification": "MISINFORMED_OR_POTENTIALLY_MISLEADING",
            "misleadingReasons": ["FactualError"],
            "trustworthySources": True,
            "summary": "The figure is wrong, see https://stats.example.org/report",
        }
    )
    factory = make_session_factory(service.engine)
    with factory() as session, session.begin():
        return [
            insert_note(
                session,
                now_ms=service.clock.now_ms - n + i,
                author_participant_id=author_id,
                content=note_content(body),
            ).note_id
            for i in range(n)
        ]


async def _rate_all(service: Service, requests: list[tuple[int, dict[str, str]]]) -> Counter[int]:
    """Send every (note id, headers) rating at once, ``_CONCURRENCY`` in flight; the count
    of each status code."""
    gate = asyncio.Semaphore(_CONCURRENCY)
    app = cast(FastAPI, service.client.app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

        async def rate(note_id: int, headers: dict[str, str]) -> int:
            async with gate:
                r = await client.post(
                    f"/api/v1/notes/{note_id}/ratings",
                    json={"helpfulnessLevel": "HELPFUL"},
                    headers=headers,
                )
                return r.status_code

        codes = await asyncio.gather(*(rate(n, h) for n, h in requests))
    writer = app.state.rating_writer
    if writer is not None:
        writer.close()
    return Counter(codes)


# session: the one-statement asynchronous path on PostgreSQL (the general one on SQLite);
# api_key: the general path; mixed: both at once (session requests with and without an
# idempotency key, which takes the general path).
@pytest.mark.parametrize("path", ["session", "api_key", "mixed"])
def test_ratings_per_minute_is_exact_under_concurrency(
    make_service: Callable[..., Service], path: str
) -> None:
    service = make_service(ratings_per_minute=_LIMIT)
    note_ids = _notes(service, _REQUESTS)
    rater_id, headers = service.join()
    if path == "api_key":
        headers = {"X-API-Key": service.api_key("ratings:write"), "X-Participant-Id": rater_id}
    requests = [
        (note_id, headers | {"Idempotency-Key": f"k{i}"} if path == "mixed" and i % 2 else headers)
        for i, note_id in enumerate(note_ids)
    ]
    codes = asyncio.run(_rate_all(service, requests))
    assert codes == Counter({201: _LIMIT, 429: _REQUESTS - _LIMIT})
    with service.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(ratings)).scalar_one()
    assert stored == _LIMIT
