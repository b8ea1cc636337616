"""Notes: write, read details, delete one's own; rate a note (spec-extended §7.2, §7.3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response

from bridgewatch.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from bridgewatch.pipeline.pending import pending_ratings
from bridgewatch.service.api import API_PREFIX
from bridgewatch.service.convert import note_public, note_values, rating_public, rating_values
from bridgewatch.service.deps import Actor, Db, Now, acting_participant, get_settings, rater, writer
from bridgewatch.service.idempotency import Idempotency
from bridgewatch.service.limits import (
    RATING_EVENT_TYPES,
    RATING_WINDOW_MS,
    check_note_limits,
    check_rating_rate,
)
from bridgewatch.service.repositories.notes import (
    get_scoring,
    insert_note,
    list_status_changes,
    mark_note_deleted,
    require_note,
)
from bridgewatch.service.repositories.posts import require_post
from bridgewatch.service.repositories.ratings import (
    delete_rating,
    get_rating,
    get_rating_target,
    upsert_rating,
)
from bridgewatch.service.schemas import (
    ErrorBody,
    NoteCreate,
    NoteDetails,
    NotePublic,
    NoteScoring,
    PendingRatings,
    RatingCreate,
    RatingPublic,
    StatusChange,
)
from bridgewatch.service.settings import Settings
from bridgewatch.service.text import find_urls, summary_length

__all__ = ["router"]

router = APIRouter(prefix=API_PREFIX, tags=["notes"])
_ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody} for code in (401, 403, 404, 409, 413, 422, 429)
}
NoteIdPath = Annotated[int, Path(ge=1, le=2**63 - 1, description="noteId")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


@dataclass(frozen=True)
class _OwnedNote:
    actor: Actor
    note: dict[str, Any]


def _own_note(
    db: Db,
    note_id: NoteIdPath,
    actor: Annotated[Actor, Depends(acting_participant("notes:write"))],
) -> _OwnedNote:
    """The note, if the acting participant wrote it (only the author deletes a note)."""
    note = require_note(db, note_id)
    if note["noteAuthorParticipantId"] != actor.participant_id:
        raise PermissionDeniedError("only the author can delete a note")
    return _OwnedNote(actor, note)


@dataclass(frozen=True)
class _RatableNote:
    actor: Actor
    note: dict[str, Any]


def _ratable_note(
    db: Db, now: Now, note_id: NoteIdPath, actor: Annotated[Actor, Depends(rater)]
) -> _RatableNote:
    """The note, if the acting participant may rate it: it is live and not their own.

    The rater's recent rating events come with it (``recent_events``, one query less).
    """
    note = get_rating_target(
        db,
        note_id=note_id,
        rater_participant_id=actor.participant_id,
        event_types=RATING_EVENT_TYPES,
        since_ms=now - RATING_WINDOW_MS,
    )
    if note["noteAuthorParticipantId"] == actor.participant_id:
        raise PermissionDeniedError("you cannot rate your own note")
    if note["deleted_at_ms"] is not None:
        raise ConflictError(f"note {note_id} was deleted")
    return _RatableNote(actor, note)


def _check_summary(body: NoteCreate, settings: Settings) -> None:
    length = summary_length(body.summary)
    if length > settings.summary_max_chars:
        raise InputError(
            f"the summary has {length} characters without its URLs; at most "
            f"{settings.summary_max_chars} are allowed",
            field="summary",
        )
    if not body.summary.strip():
        raise InputError("the summary is blank", field="summary")
    if body.classification != "NOT_MISLEADING" and not find_urls(body.summary):
        raise InputError(
            "a note saying the post is misleading needs a source link (a URL in the summary)",
            field="summary",
        )


@router.post("/notes", status_code=201, response_model=NotePublic, responses=_ERRORS)
def write_note(
    body: NoteCreate,
    db: Db,
    now: Now,
    idem: Idempotency,
    settings: SettingsDep,
    actor: Annotated[Actor, Depends(writer)],
) -> NotePublic:
    """Write a note on a post. Needs writing ability (earnedIn or atRisk) and stays within
    the daily note limits; the author is the authenticated participant."""
    _check_summary(body, settings)
    post = require_post(db, body.post_id)
    check_note_limits(
        db, settings=settings, now_ms=now, participant_id=actor.participant_id, post=post
    )
    row = insert_note(
        db, now_ms=now, author_participant_id=actor.participant_id, values=note_values(body)
    )
    answer = note_public(require_note(db, row["noteId"]))
    idem.remember(201, answer)
    return answer


@router.get("/notes/{note_id}", response_model=NoteDetails, responses=_ERRORS)
def note_details(db: Db, note_id: NoteIdPath) -> NoteDetails:
    """A note with its status, the rule that decided it (decidedBy), the scorer's figures
    behind it and its status history."""
    note = require_note(db, note_id)
    scoring = get_scoring(db, note_id)
    pending = pending_ratings(db, note_id)
    return NoteDetails(
        note=note_public(note),
        decided_by=note["decided_by"],
        locked_status=note["locked_status"],
        scoring=None
        if scoring is None
        else NoteScoring(
            scored_at_millis=scoring["scored_at_ms"],
            final_rating_status=scoring["final_rating_status"],
            decided_by=scoring["decided_by"],
            core_rating_status=scoring["core_rating_status"],
            core_active_rules=scoring["core_active_rules"],
            meta_scorer_active_rules=scoring["meta_scorer_active_rules"],
            active_filter_tags=scoring["active_filter_tags"],
            core_note_intercept=scoring["core_note_intercept"],
            core_note_factor1=scoring["core_note_factor1"],
            core_note_intercept_min=scoring["core_note_intercept_min"],
            core_note_intercept_max=scoring["core_note_intercept_max"],
            num_ratings=scoring["num_ratings"],
            core_num_final_round_ratings=scoring["core_num_final_round_ratings"],
        ),
        status_history=[
            StatusChange(
                changed_at_millis=c["changed_at_ms"], status=c["status"], decided_by=c["decided_by"]
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
def delete_note(db: Db, now: Now, owned: Annotated[_OwnedNote, Depends(_own_note)]) -> Response:
    """Delete one's own note. It leaves the public notes and timelines but keeps its
    ratings and status history (spec-extended §7.2)."""
    if owned.note["deleted_at_ms"] is None:
        mark_note_deleted(
            db, note_id=owned.note["noteId"], now_ms=now, actor=owned.actor.participant_id
        )
    return Response(status_code=204)


@router.post(
    "/notes/{note_id}/ratings",
    status_code=201,
    response_model=RatingPublic,
    responses={**_ERRORS, 200: {"model": RatingPublic, "description": "rating replaced"}},
)
def rate_note(
    body: RatingCreate,
    db: Db,
    now: Now,
    idem: Idempotency,
    response: Response,
    settings: SettingsDep,
    target: Annotated[_RatableNote, Depends(_ratable_note)],
) -> RatingPublic:
    """Rate a note: one rating per rater per note, a new rating replaces the previous one
    (answer 200 instead of 201). Rating one's own note is refused."""
    if body.rating_source == "POPULATION_SAMPLED" and target.actor.principal.api_key is None:
        raise PermissionDeniedError("only an integration may mark a rating POPULATION_SAMPLED")
    check_rating_rate(
        db,
        settings=settings,
        now_ms=now,
        participant_id=target.actor.participant_id,
        recent=int(target.note["recent_events"]),
    )
    values = rating_values(
        body, note_id=target.note["noteId"], rater_participant_id=target.actor.participant_id
    )
    replaced = upsert_rating(db, now_ms=now, values=values)
    answer = rating_public({**values, "createdAtMillis": now}, replaced=replaced)
    status = 200 if replaced else 201
    response.status_code = status
    idem.remember(status, answer)
    return answer


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
    now: Now,
    note_id: NoteIdPath,
    actor: Annotated[Actor, Depends(acting_participant("ratings:write"))],
) -> Response:
    """Withdraw the caller's rating of the note."""
    if not delete_rating(
        db, note_id=note_id, rater_participant_id=actor.participant_id, now_ms=now
    ):
        raise NotFoundError(f"you have not rated note {note_id}")
    return Response(status_code=204)
