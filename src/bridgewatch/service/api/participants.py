"""Participants: join, sessions, profiles with impact and enrollment (spec-extended §7.1, §7.4)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from bridgewatch.errors import PermissionDeniedError
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
from bridgewatch.usecases import accounts as usecases_accounts
from bridgewatch.usecases.profile import contributor_profile
from bridgewatch.usecases.throttle import address_key, reserve_signup

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
            address=address_key(request.client.host if request.client else None),
        )
    elif not (principal.api_key is not None and principal.allows("participants:write")):
        raise PermissionDeniedError("joining needs an API key with scope participants:write")
    participant, started = usecases_accounts.join(db, now_ms=now_ms, ttl_s=settings.session_ttl_s)
    return ParticipantCreated(
        participant=ParticipantPublic(
            participant_id=participant.participant_id,
            alias=participant.alias,
            joined_at_millis=participant.created_at_ms,
        ),
        session_token=started.token,
        expires_at_millis=started.expires_at_ms,
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
    started = usecases_accounts.start_session(
        db, participant_id=actor.participant_id, now_ms=now_ms, ttl_s=settings.session_ttl_s
    )
    answer = SessionCreated(
        participant_id=actor.participant_id,
        session_token=started.token,
        expires_at_millis=started.expires_at_ms,
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
    usecases_accounts.end_session(db, token)
    return Response(status_code=204)


def participant_profile(db: Db, participant_id: str) -> ContributorProfile:
    """A contributor's public profile (``usecases.profile``) as its API body.

    Raises ``NotFoundError`` when the participant does not exist.
    """
    profile = contributor_profile(db, participant_id)
    participant = profile.participant
    return ContributorProfile(
        participant=ParticipantPublic(
            participant_id=participant.participant_id,
            alias=participant.alias,
            joined_at_millis=participant.created_at_ms,
        ),
        enrollment=enrollment_public(profile.enrollment),
        impact=ImpactPublic(**vars(profile.impact)),
        writing_ability=WritingAbility(**vars(profile.writing_ability)),
        notes_written=profile.notes_written,
        ratings_given=profile.ratings_given,
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
