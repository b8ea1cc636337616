"""HTTP endpoints of the real-time pipeline: the status-change stream and on-demand refits.

``GET /api/v1/stream`` sends ``note.status_changed`` events as Server-Sent Events (``id`` is
the event log id, so a client resumes with ``Last-Event-ID`` or ``?after=``).
``POST /api/v1/admin/refit`` (API key with scope ``pipeline:admin``) asks the workers for a
full refit by appending ``pipeline.refit_requested`` to the log.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from bridgewatch.errors import PermissionDeniedError
from bridgewatch.service.deps import Db, Principal, get_now, get_principal
from bridgewatch.service.schemas import ErrorBody
from bridgewatch.store.event_types import REFIT_REQUESTED, STATUS_CHANGED
from bridgewatch.store.events import append_event
from bridgewatch.store.tables import events

__all__ = ["RefitRequested", "format_sse", "router"]

router = APIRouter(prefix="/api/v1", tags=["real-time"])

_POLL_S = 0.25
_PAGE = 500


def format_sse(event_id: int, event_type: str, data: dict[str, Any]) -> str:
    """One Server-Sent Events message."""
    body = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return f"id: {event_id}\nevent: {event_type}\ndata: {body}\n\n"


def _page(request: Request, after: int) -> list[tuple[int, int, str]]:
    stmt = (
        select(events.c.id, events.c.created_at_ms, events.c.payload)
        .where(events.c.id > after, events.c.event_type == STATUS_CHANGED)
        .order_by(events.c.id)
        .limit(_PAGE)
    )
    with request.app.state.engine.connect() as conn:
        return [(int(r[0]), int(r[1]), str(r[2])) for r in conn.execute(stmt)]


# Left out of the OpenAPI schema: an endless stream is no request/response operation (and
# schema-driven fuzzers would wait on it forever).
@router.get("/stream", response_class=StreamingResponse, include_in_schema=False)
async def stream(
    request: Request,
    after: Annotated[int | None, Query(ge=0, description="resume after this event id")] = None,
    limit: Annotated[
        int | None, Query(ge=1, description="close the stream after this many events")
    ] = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """Note status changes as Server-Sent Events, from ``after`` (default: now) on."""
    if after is None and last_event_id is not None and last_event_id.isdigit():
        after = int(last_event_id)
    if after is None:
        with request.app.state.engine.connect() as conn:
            latest = conn.execute(select(events.c.id).order_by(events.c.id.desc()).limit(1))
            after = int(latest.scalar() or 0)
    start = after

    async def messages() -> AsyncIterator[str]:
        position, sent = start, 0
        yield ": connected\n\n"
        while limit is None or sent < limit:
            rows = await run_in_threadpool(_page, request, position)
            for event_id, at_ms, payload in rows:
                data = json.loads(payload)
                data["at_ms"] = at_ms
                yield format_sse(event_id, STATUS_CHANGED, data)
                position, sent = event_id, sent + 1
                if limit is not None and sent >= limit:
                    return
            if not rows:
                if await request.is_disconnected():
                    return
                await asyncio.sleep(_POLL_S)

    return StreamingResponse(
        messages(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


class RefitRequested(BaseModel):
    """The answer to a refit request: the workers will refit."""

    status: Literal["requested"]


@router.post(
    "/admin/refit",
    status_code=202,
    response_model=RefitRequested,
    responses={code: {"model": ErrorBody} for code in (401, 403, 413, 422)},
)
def request_refit(
    db: Db,
    principal: Annotated[Principal, Depends(get_principal)],
    now_ms: Annotated[int, Depends(get_now)],
) -> JSONResponse:
    """Ask the workers for a full refit (done between micro-batches, then swapped in).

    Needs an API key with the scope ``pipeline:admin``: 401 without credentials, 403 with
    others."""
    if principal.api_key is None or not principal.allows("pipeline:admin"):
        raise PermissionDeniedError("needs an API key with the scope 'pipeline:admin'")
    append_event(
        db,
        now_ms=now_ms,
        event_type=REFIT_REQUESTED,
        actor_participant_id=None,
        entity_id="api",
        payload={"key": principal.api_key.name},
    )
    return JSONResponse({"status": "requested"}, status_code=202)
