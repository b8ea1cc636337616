"""Notes: write, read details, delete one's own; rate a note (spec-extended §7.2, §7.3)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bridgewatch.errors import NotFoundError
from bridgewatch.service.api import API_PREFIX
from bridgewatch.service.convert import note_content, note_public, rating_public, rating_row
from bridgewatch.service.deps import (
    Actor,
    Db,
    Now,
    OnBehalfOf,
    acting_participant,
    acting_participant_sync,
    api_key_header,
    bearer_header,
    get_settings,
    request_hash,
    resolve_principal,
    writer,
)
from bridgewatch.service.errors import AuthenticationError
from bridgewatch.service.idempotency import Idempotency, IdempotencyKey, replay_stored_answer
from bridgewatch.service.pg_ratings import RatingWriter
from bridgewatch.service.schemas import (
    ErrorBody,
    NoteCreate,
    NoteDetails,
    NoteHold,
    NotePublic,
    NoteScoring,
    PendingRatings,
    RatingCreate,
    RatingPublic,
    ScorerView,
    StatusChange,
)
from bridgewatch.service.settings import Settings
from bridgewatch.store.identifiers import hash_secret
from bridgewatch.store.pending import pending_ratings
from bridgewatch.store.repositories.idempotency import store_response
from bridgewatch.store.repositories.notes import (
    get_scoring,
    list_status_changes,
    require_note,
)
from bridgewatch.store.repositories.posts import require_post
from bridgewatch.store.repositories.ratings import delete_rating, get_rating
from bridgewatch.usecases import notes as usecases_notes
from bridgewatch.usecases import ratings as usecases_ratings
from bridgewatch.usecases.notes import check_summary
from bridgewatch.usecases.ratings import RATING_WINDOW_MS, refusal

__all__ = ["rate_on_postgresql", "router"]

router = APIRouter(prefix=API_PREFIX, tags=["notes"])
_ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody} for code in (401, 403, 404, 409, 413, 422, 429)
}
NoteIdPath = Annotated[int, Path(ge=1, le=2**63 - 1, description="noteId")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


@router.post("/notes", status_code=201, response_model=NotePublic, responses=_ERRORS)
def write_note(
    body: NoteCreate,
    db: Db,
    now_ms: Now,
    idem: Idempotency,
    settings: SettingsDep,
    actor: Annotated[Actor, Depends(writer)],
) -> NotePublic:
    """Write a note on a post. Needs writing ability (earnedIn or atRisk) and stays within
    the daily note limits; the author is the authenticated participant."""
    check_summary(
        body.summary, classification=body.classification, max_chars=settings.summary_max_chars
    )
    post = require_post(db, body.post_id)
    note = usecases_notes.write_note(
        db,
        now_ms=now_ms,
        author=actor.participant,
        post=post,
        content=note_content(body),
        limits=settings,
    )
    answer = note_public(require_note(db, note.note_id))
    idem.remember(201, answer)
    return answer


def _scorer_views(document: str | None) -> list[ScorerView]:
    """Every scorer's view of the note from ``note_scores.scorer_views`` (JSON)."""
    if not document:
        return []
    return [
        ScorerView(
            scorer=v["scorer"],
            family=v["family"],
            status=v["status"],
            intercept=v["intercept"],
            factor=v["factor"],
            active_rules=v["activeRules"],
            held=v["held"],
        )
        for v in json.loads(document)["scorers"]
    ]


@router.get("/notes/{note_id}", response_model=NoteDetails, responses=_ERRORS)
def note_details(db: Db, note_id: NoteIdPath) -> NoteDetails:
    """A note with its status, the rule that decided it (decidedBy), the scorer's figures
    behind it and its status history."""
    note = require_note(db, note_id)
    scoring = get_scoring(db, note_id)
    pending = pending_ratings(db, note_id)
    return NoteDetails(
        note=note_public(note),
        decided_by=note.decided_by,
        locked_status=note.locked_status,
        scoring=None
        if scoring is None
        else NoteScoring(
            scored_at_millis=scoring.scored_at_ms,
            final_rating_status=scoring.final_rating_status,
            decided_by=scoring.decided_by,
            core_rating_status=scoring.core_rating_status,
            core_active_rules=scoring.core_active_rules,
            meta_scorer_active_rules=scoring.meta_scorer_active_rules,
            active_filter_tags=scoring.active_filter_tags,
            core_note_intercept=scoring.core_note_intercept,
            core_note_factor1=scoring.core_note_factor1,
            core_note_intercept_min=scoring.core_note_intercept_min,
            core_note_intercept_max=scoring.core_note_intercept_max,
            num_ratings=scoring.num_ratings,
            core_num_final_round_ratings=scoring.core_num_final_round_ratings,
            scorers=_scorer_views(scoring.scorer_views),
            hold=None
            if scoring.hold_reason is None
            else NoteHold(reason=scoring.hold_reason, since_millis=scoring.held_since_ms),
        ),
        status_history=[
            StatusChange(
                changed_at_millis=c.changed_at_ms, status=c.status, decided_by=c.decided_by
            )
            for c in list_status_changes(db, note_id)
        ],
        pending=None
        if pending is None
        else PendingRatings(
            ratings=pending.ratings,
            next_refit_at_millis=pending.next_refit_at_ms,
            message=pending.message,
        ),
    )


@router.delete("/notes/{note_id}", status_code=204, responses=_ERRORS)
def delete_note(
    db: Db,
    now_ms: Now,
    note_id: NoteIdPath,
    actor: Annotated[Actor, Depends(acting_participant("notes:write"))],
) -> Response:
    """Delete one's own note. It leaves the public notes and timelines but keeps its
    ratings and status history (spec-extended §7.2)."""
    usecases_notes.delete_note(db, note_id=note_id, author=actor.participant, now_ms=now_ms)
    return Response(status_code=204)


@dataclass(frozen=True)
class _Credentials:
    session_token: str | None
    api_key: str | None
    on_behalf_of: str | None


async def _credentials(
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_header)],
    api_key: Annotated[str | None, Depends(api_key_header)],
    on_behalf_of: OnBehalfOf = None,
) -> _Credentials:
    # Resolved before the body is validated, so a request without credentials is a 401.
    if api_key is None and bearer is None:
        raise AuthenticationError("authentication required: a session token or an API key")
    return _Credentials(None if bearer is None else bearer.credentials, api_key, on_behalf_of)


@router.post(
    "/notes/{note_id}/ratings",
    status_code=201,
    response_model=RatingPublic,
    responses={**_ERRORS, 200: {"model": RatingPublic, "description": "rating replaced"}},
)
async def rate_note(
    request: Request,
    body: RatingCreate,
    note_id: NoteIdPath,
    credentials: Annotated[_Credentials, Depends(_credentials)],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Rate a note: one rating per rater per note, a new rating replaces the previous one
    (answer 200 instead of 201). Rating one's own note is refused."""
    # The hot path of the service: the clock and settings come from the app state rather
    # than from dependencies (each costs FastAPI work per request).
    state = request.app.state
    now_ms: int = state.clock()
    settings: Settings = state.settings
    fast: RatingWriter | None = state.rating_writer
    if (
        fast is not None
        and credentials.api_key is None
        and credentials.session_token is not None
        and idempotency_key is None
        and body.rating_source == "DEFAULT"
    ):
        status, answer = await rate_on_postgresql(
            fast,
            settings=settings,
            now_ms=now_ms,
            note_id=note_id,
            body=body,
            session_token=credentials.session_token,
        )
    else:
        status, answer = await run_in_threadpool(
            _rate_in_transaction,
            state.session_factory,
            settings=settings,
            now_ms=now_ms,
            note_id=note_id,
            body=body,
            credentials=credentials,
            idempotency_key=idempotency_key,
            request_hash=None if idempotency_key is None else await request_hash(request),
        )
    return Response(
        content=answer.model_dump_json(by_alias=True),
        status_code=status,
        media_type="application/json",
    )


async def rate_on_postgresql(
    writer: RatingWriter,
    *,
    settings: Settings,
    now_ms: int,
    note_id: int,
    body: RatingCreate,
    session_token: str,
) -> tuple[int, RatingPublic]:
    """A session's rating in one statement on PostgreSQL (see ``service.pg_ratings``).

    Shared by this route and the ASGI route in front of FastAPI (``service.fast_ratings``).
    """
    token_hash = hash_secret(session_token)
    rater_id = await writer.token_participant(token_hash, now_ms)
    if rater_id is None:
        raise refusal("unauthenticated")
    rating = rating_row(body, note_id=note_id, rater_participant_id=rater_id, now_ms=now_ms)
    outcome = await writer.write(
        token_hash=token_hash,
        rating=rating,
        since_ms=now_ms - RATING_WINDOW_MS,
        limit=settings.ratings_per_minute,
    )
    if outcome.verdict != "ok":
        raise refusal(
            outcome.verdict, note_id=note_id, ratings_per_minute=settings.ratings_per_minute
        )
    return (200 if outcome.replaced else 201), rating_public(rating, replaced=outcome.replaced)


def _rate_in_transaction(
    factory: sessionmaker[Session],
    *,
    settings: Settings,
    now_ms: int,
    note_id: int,
    body: RatingCreate,
    credentials: _Credentials,
    idempotency_key: str | None,
    request_hash: str | None,
) -> tuple[int, RatingPublic]:
    """The general rating path: every check and the write in one transaction, in one
    worker thread (API keys, idempotency keys, SQLite)."""
    with factory() as db, db.begin():
        principal = resolve_principal(
            db,
            now_ms=now_ms,
            session_token=credentials.session_token,
            api_key=credentials.api_key,
            on_behalf_of=credentials.on_behalf_of,
        )
        assert principal is not None  # _credentials saw some
        if idempotency_key is not None:
            assert request_hash is not None
            replay_stored_answer(
                db, principal=principal.name, key=idempotency_key, request_hash=request_hash
            )
        actor = acting_participant_sync(db, principal, "ratings:write")
        rating = rating_row(
            body, note_id=note_id, rater_participant_id=actor.participant_id, now_ms=now_ms
        )
        replaced = usecases_ratings.rate_note(
            db,
            rater=actor.participant,
            rating=rating,
            ratings_per_minute=settings.ratings_per_minute,
            integration=principal.api_key is not None,
        )
        answer = rating_public(rating, replaced=replaced)
        status = 200 if replaced else 201
        if idempotency_key is not None:
            assert request_hash is not None
            store_response(
                db,
                principal=principal.name,
                key=idempotency_key,
                request_hash=request_hash,
                status_code=status,
                response_body=answer.model_dump_json(by_alias=True),
                now_ms=now_ms,
            )
    return status, answer


@router.get("/notes/{note_id}/ratings/me", response_model=RatingPublic, responses=_ERRORS)
def my_rating(
    db: Db,
    note_id: NoteIdPath,
    actor: Annotated[Actor, Depends(acting_participant("ratings:write"))],
) -> RatingPublic:
    """The caller's rating of the note."""
    row = get_rating(db, note_id=note_id, rater_participant_id=actor.participant_id)
    if row is None:
        raise NotFoundError(f"you have not rated note {note_id}")
    return rating_public(row, replaced=False)


@router.delete("/notes/{note_id}/ratings/me", status_code=204, responses=_ERRORS)
def delete_my_rating(
    db: Db,
    now_ms: Now,
    note_id: NoteIdPath,
    actor: Annotated[Actor, Depends(acting_participant("ratings:write"))],
) -> Response:
    """Withdraw the caller's rating of the note."""
    if not delete_rating(
        db, note_id=note_id, rater_participant_id=actor.participant_id, now_ms=now_ms
    ):
        raise NotFoundError(f"you have not rated note {note_id}")
    return Response(status_code=204)
