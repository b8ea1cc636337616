"""Timelines with cursor pagination (spec-extended §6.2)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query

from bridgewatch.errors import InputError
from bridgewatch.service.api import API_PREFIX
from bridgewatch.service.convert import note_public
from bridgewatch.service.deps import Actor, Db, acting_participant, get_settings
from bridgewatch.service.schemas import ErrorBody, NotesPage
from bridgewatch.service.settings import Settings
from bridgewatch.store.repositories.notes import TimelinePosition, TimelineTab, timeline

__all__ = ["decode_cursor", "encode_cursor", "router"]

router = APIRouter(prefix=API_PREFIX, tags=["timelines"])
_ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody} for code in (401, 403, 422)
}
_CursorQuery = Annotated[
    str | None,
    Query(max_length=200, description="nextCursor of the previous page; omit for the first"),
]
_LimitQuery = Annotated[int, Query(ge=1, le=1000, description="page size")]


def encode_cursor(position: TimelinePosition) -> str:
    """An opaque cursor for the keyset position (URL-safe base64 of ``ms:noteId``)."""
    raw = f"{position.created_at_ms}:{position.note_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> TimelinePosition:
    """The keyset position in a cursor; raises ``InputError`` (field ``cursor``) if bad."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        ms, note_id = raw.split(":")
        position = TimelinePosition(int(ms), int(note_id))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InputError("not a cursor returned by this API", field="cursor") from exc
    if not (0 <= position.created_at_ms < 2**63 and 0 <= position.note_id < 2**63):
        raise InputError("not a cursor returned by this API", field="cursor")
    return position


def _page(
    db: Db,
    settings: Settings,
    tab: TimelineTab,
    viewer: str | None,
    cursor: str | None,
    limit: int,
) -> NotesPage:
    size = min(limit, settings.max_page_size)
    rows = timeline(
        db,
        tab=tab,
        viewer_participant_id=viewer,
        after=None if cursor is None else decode_cursor(cursor),
        limit=size + 1,
    )
    items = [note_public(r) for r in rows[:size]]
    next_cursor = None
    if len(rows) > size:
        last = rows[size - 1]
        next_cursor = encode_cursor(TimelinePosition(last.created_at_ms, last.note_id))
    return NotesPage(items=items, next_cursor=next_cursor)


@router.get("/timelines/needs-your-help", response_model=NotesPage, responses=_ERRORS)
def needs_your_help(
    db: Db,
    settings: Annotated[Settings, Depends(get_settings)],
    actor: Annotated[Actor, Depends(acting_participant("ratings:write"))],
    cursor: _CursorQuery = None,
    limit: _LimitQuery = 20,
) -> NotesPage:
    """Misleading notes that still need ratings, excluding the caller's own notes and the
    notes they rated (contributors only)."""
    return _page(db, settings, "needs-your-help", actor.participant_id, cursor, limit)


@router.get("/timelines/{tab}", response_model=NotesPage, responses=_ERRORS)
def public_timeline(
    db: Db,
    settings: Annotated[Settings, Depends(get_settings)],
    tab: Annotated[
        Literal["new", "rated-helpful", "rated-not-helpful"],
        Path(description="new, rated-helpful or rated-not-helpful"),
    ],
    cursor: _CursorQuery = None,
    limit: _LimitQuery = 20,
) -> NotesPage:
    """Newest first: ``new`` (every live note), ``rated-helpful`` (currently rated helpful),
    ``rated-not-helpful`` (currently rated not helpful)."""
    return _page(db, settings, tab, None, cursor, limit)
