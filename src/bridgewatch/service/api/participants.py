"""Participants: join, sessions, profiles with impact and enrollment (spec-extended §7.1, §7.4)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from bridgewatch.errors import NotFoundError, PermissionDeniedError
from bridgewatch.model import EnrollmentState
from bridgewatch.service.api import API_PREFIX
from bridgewatch.service.convert import enrollment_public
from bridgewatch.service.deps import (
    Actor,
    Db,
    Now,
    Principal,
    acting_participant,
    get_principal,
    get_settings,
    optional_principal,
)
from bridgewatch.service.errors import AuthenticationError
from bridgewatch.service.idempotency import Idempotency
from bridgewatch.service.schemas import (
    ContributorProfile,
    ErrorBody,
    ImpactPublic,
    ParticipantCreated,
    ParticipantPublic,
    SessionCreated,
    WritingAbility,
)
from bridgewatch.service.settings import Settings
from bridgewatch.service.throttle import client_address, reserve_signup
from bridgewatch.store.repositories.auth import create_session_token, delete_session_token
from bridgewatch.store.repositories.participants import (
    count_contributions,
    create_participant,
    get_contributor_scores,
    get_enrollment,
    get_participant,
)
from bridgewatch.usecases.impact import compute_impact, daily_note_limit
from bridgewatch.usecases.rules import WRITING_STATES

__all__ = ["participant_profile", "router"]

router = APIRouter(prefix=API_PREFIX, tags=["participants"])
_ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody} for code in (401, 403, 404, 409, 413, 422, 429)
}
ParticipantIdPath = Annotated[str, Path(min_length=1, max_length=64)]


@router.post("/participants", status_code=201, response_model=ParticipantCreated, responses=_ERRORS)
def join(
    request: Request,
    db: Db,
    now_ms: Now,
    settings: Annotated[Settings, Depends(get_settings)],
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> ParticipantCreated:
    """Join as a new contributor (state newUser: rating only until writing is earned).

    Needs an API key with scope ``participants:write`` unless the operator opened
    registration. Returns a session token for the web app. Anonymous sign-ups are
    throttled per client address (429 with ``Retry-After``; ``signups_per_address``).
    """
    if principal is None:
        if not settings.open_registration:
            raise AuthenticationError("joining needs an API key with scope participants:write")
        reserve_signup(
            request.app.state.session_factory,
            settings,
            now_ms=now_ms,
            address=client_address(request),
        )
    elif not (principal.api_key is not None and principal.allows("participants:write")):
        raise PermissionDeniedError("joining needs an API key with scope participants:write")
    participant = create_participant(db, now_ms=now_ms)
    token, expires = create_session_token(
        db, participant_id=participant.participant_id, now_ms=now_ms, ttl_s=settings.session_ttl_s
    )
    return ParticipantCreated(
        participant=ParticipantPublic(
            participant_id=participant.participant_id,
            alias=participant.alias,
            joined_at_millis=participant.created_at_ms,
        ),
        session_token=token,
        expires_at_millis=expires,
    )


@router.post("/sessions", status_code=201, response_model=SessionCreated, responses=_ERRORS)
def create_session(
    db: Db,
    now_ms: Now,
    idem: Idempotency,
    settings: Annotated[Settings, Depends(get_settings)],
    actor: Annotated[Actor, Depends(acting_participant("sessions:write"))],
) -> SessionCreated:
    """Issue a web-app session token for the participant named by a trusted integration."""
    if actor.principal.api_key is None:
        raise PermissionDeniedError("sessions are issued to API keys with scope sessions:write")
    token, expires = create_session_token(
        db, participant_id=actor.participant_id, now_ms=now_ms, ttl_s=settings.session_ttl_s
    )
    answer = SessionCreated(
        participant_id=actor.participant_id, session_token=token, expires_at_millis=expires
    )
    idem.remember(201, answer)
    return answer


@router.delete("/sessions/current", status_code=204, responses=_ERRORS)
def end_session(
    db: Db, request: Request, principal: Annotated[Principal, Depends(get_principal)]
) -> Response:
    """Log out: the session token used for this request stops working."""
    if principal.api_key is not None:
        raise PermissionDeniedError("only a session can end itself")
    token = request.headers["authorization"].partition(" ")[2].strip()
    delete_session_token(db, token)
    return Response(status_code=204)


def participant_profile(db: Db, participant_id: str) -> ContributorProfile:
    """A contributor's public profile: impact, enrollment and what writing still needs.

    Raises ``NotFoundError`` when the participant does not exist. Shared by the API route and
    the web app's profile page.
    """
    participant = get_participant(db, participant_id)
    if participant is None:
        raise NotFoundError(f"participant {participant_id!r} does not exist")
    enrollment = get_enrollment(db, participant_id)
    impact = compute_impact(get_contributor_scores(db, participant_id))
    state = enrollment.enrollment_state
    can_write = state in WRITING_STATES
    can_rate = state not in (
        EnrollmentState.removed,
        EnrollmentState.apiEarnedIn,
        EnrollmentState.apiEarnedOut,
        EnrollmentState.apiTestUser,
    )
    needed = (
        0
        if can_write
        else max(0, enrollment.successful_rating_needed_to_earn_in - impact.rating_impact)
    )
    if can_write:
        reason = "can write notes"
    elif state == EnrollmentState.removed:
        reason = "removed for rule violations"
    else:
        reason = f"needs Rating Impact {needed} more to earn writing ability"
    n_notes, n_ratings = count_contributions(db, participant_id)
    return ContributorProfile(
        participant=ParticipantPublic(
            participant_id=participant.participant_id,
            alias=participant.alias,
            joined_at_millis=participant.created_at_ms,
        ),
        enrollment=enrollment_public(enrollment),
        impact=ImpactPublic(**vars(impact)),
        writing_ability=WritingAbility(
            can_write=can_write,
            can_rate=can_rate,
            rating_impact_needed=needed,
            daily_note_limit=daily_note_limit(impact) if can_write else 0,
            reason=reason,
        ),
        notes_written=n_notes,
        ratings_given=n_ratings,
    )


@router.get("/participants/me", response_model=ContributorProfile, responses=_ERRORS)
def my_profile(
    db: Db, actor: Annotated[Actor, Depends(acting_participant("participants:write"))]
) -> ContributorProfile:
    """The caller's own profile: impact, enrollment and what writing ability still needs."""
    return participant_profile(db, actor.participant_id)


@router.get("/participants/{participant_id}", response_model=ContributorProfile, responses=_ERRORS)
def profile(db: Db, participant_id: ParticipantIdPath) -> ContributorProfile:
    """A contributor's public profile (all contributions are public, spec-extended §7.1)."""
    return participant_profile(db, participant_id)
