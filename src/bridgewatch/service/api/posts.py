"""Posts, the notes on a post, and note requests (spec-extended §6.1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from bridgewatch.errors import PermissionDeniedError
from bridgewatch.service.api import API_PREFIX
from bridgewatch.service.convert import note_public, post_public
from bridgewatch.service.deps import (
    Actor,
    Db,
    Now,
    Principal,
    acting_participant,
    get_principal,
    get_settings,
)
from bridgewatch.service.idempotency import Idempotency
from bridgewatch.service.schemas import (
    ErrorBody,
    NoteRequestCreate,
    NoteRequestListed,
    NoteRequestPublic,
    NoteRequestsOnPost,
    PostCreate,
    PostNotes,
    PostPublic,
)
from bridgewatch.service.settings import Settings
from bridgewatch.store.repositories.notes import notes_on_post
from bridgewatch.store.repositories.posts import (
    count_post_requests,
    create_post,
    get_post,
    list_post_requests,
    require_post,
)
from bridgewatch.usecases import requests as usecases_requests

__all__ = ["router"]

router = APIRouter(prefix=API_PREFIX, tags=["posts"])
_ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody} for code in (401, 403, 404, 409, 413, 422, 429)
}
PostIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


@router.post(
    "/posts",
    status_code=201,
    response_model=PostPublic,
    responses={**_ERRORS, 200: {"model": PostPublic, "description": "post already registered"}},
)
def register_post(
    body: PostCreate,
    db: Db,
    now_ms: Now,
    idem: Idempotency,
    response: Response,
    principal: Annotated[Principal, Depends(get_principal)],
) -> PostPublic:
    """Register a platform's post (id, author, text, url) so notes can be written on it.

    Registering the same post again with the same fields answers 200; different fields 409.
    """
    if not principal.allows("posts:write"):
        raise PermissionDeniedError("this API key lacks the scope 'posts:write'")
    existed = get_post(db, body.post_id) is not None
    row = create_post(
        db,
        now_ms=now_ms,
        actor_participant_id=principal.participant_id,
        post_id=body.post_id,
        author_id=body.author_id,
        text=body.text,
        url=body.url,
    )
    answer = post_public(row, request_count=count_post_requests(db, body.post_id))
    status = 200 if existed else 201
    response.status_code = status
    idem.remember(status, answer)
    return answer


@router.get("/posts/{post_id}", response_model=PostPublic, responses=_ERRORS)
def read_post(db: Db, post_id: PostIdPath) -> PostPublic:
    """A registered post, with its number of note requests."""
    return post_public(require_post(db, post_id), request_count=count_post_requests(db, post_id))


@router.get("/posts/{post_id}/notes", response_model=PostNotes, responses=_ERRORS)
def post_notes(db: Db, post_id: PostIdPath) -> PostNotes:
    """The live notes on a post with status and explanation tags: decided notes by
    helpfulness first, then notes needing more ratings by recency."""
    post = require_post(db, post_id)
    count = count_post_requests(db, post_id)
    return PostNotes(
        post=post_public(post, request_count=count),
        notes=[note_public(row) for row in notes_on_post(db, post_id)],
        request_count=count,
    )


@router.get("/posts/{post_id}/requests", response_model=NoteRequestsOnPost, responses=_ERRORS)
def post_requests(db: Db, post_id: PostIdPath) -> NoteRequestsOnPost:
    """The note requests on a post, oldest first, without their requesters (as in the
    public export); requests imported from a public dump are marked ``imported``."""
    require_post(db, post_id)
    rows = list_post_requests(db, post_id)
    return NoteRequestsOnPost(
        post_id=post_id,
        request_count=len(rows),
        requests=[
            NoteRequestListed(
                created_at_millis=r.created_at_ms,
                source_link=r.source_link,
                suggestion=r.suggestion,
                imported=r.imported,
            )
            for r in rows
        ],
    )


@router.post(
    "/posts/{post_id}/requests",
    status_code=201,
    response_model=NoteRequestPublic,
    responses=_ERRORS,
)
def request_note(
    body: NoteRequestCreate,
    db: Db,
    now_ms: Now,
    idem: Idempotency,
    post_id: PostIdPath,
    settings: Annotated[Settings, Depends(get_settings)],
    actor: Annotated[Actor, Depends(acting_participant("requests:write"))],
) -> NoteRequestPublic:
    """Request a note on a post (limited to ``note_requests_per_day`` per participant)."""
    row = usecases_requests.request_note(
        db,
        now_ms=now_ms,
        requester=actor.participant,
        post_id=post_id,
        source_link=body.source_link,
        suggestion=body.suggestion,
        limits=settings,
    )
    answer = NoteRequestPublic(
        post_id=row.post_id,
        requester_participant_id=row.requester_participant_id,
        created_at_millis=row.created_at_ms,
        source_link=row.source_link,
        suggestion=row.suggestion,
    )
    idem.remember(201, answer)
    return answer
