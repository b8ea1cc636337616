"""FastAPI dependencies: the request's transaction, the clock, authentication and the
authorization rules (acting participant, scopes, writing ability, rating ability).

The acting rater or author always comes from here, never from a request body.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from starlette.concurrency import run_in_threadpool

from bridgewatch.errors import PermissionDeniedError
from bridgewatch.model import EnrollmentState
from bridgewatch.service.errors import AuthenticationError
from bridgewatch.service.settings import Settings
from bridgewatch.store.repositories.auth import ApiKeyRecord, find_api_key
from bridgewatch.store.repositories.participants import (
    Participant,
    get_participant,
    get_session_participant,
)
from bridgewatch.usecases.notes import check_writer
from bridgewatch.usecases.ratings import rater_verdict, refusal

__all__ = [
    "Actor",
    "Db",
    "Now",
    "OnBehalfOf",
    "Principal",
    "RequestHash",
    "acting_participant",
    "acting_participant_sync",
    "api_key_header",
    "bearer_header",
    "check_participant",
    "check_rater",
    "check_scope",
    "get_db",
    "get_now",
    "get_principal",
    "get_settings",
    "optional_principal",
    "rater",
    "request_hash",
    "resolve_principal",
    "writer",
]

_bearer = HTTPBearer(auto_error=False, description="Session token of a participant")
api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="API key of a platform integration; name the participant in X-Participant-Id",
)
bearer_header = _bearer
OnBehalfOf = Annotated[
    str | None,
    Header(
        alias="X-Participant-Id",
        max_length=64,
        description="With an API key: the participant the integration acts for",
    ),
]


async def get_db(request: Request) -> AsyncIterator[Session]:
    """The request's transaction: committed when the route returns, rolled back on error.

    Opening the session does no I/O (it connects on its first statement), so it happens on
    the event loop; only the commit or rollback goes to a worker thread (one thread hop per
    request instead of two).
    """
    factory: sessionmaker[Session] = request.app.state.session_factory
    session = factory()
    transaction = session.begin()
    try:
        yield session
    except BaseException:
        await run_in_threadpool(_finish, session, transaction, commit=False)
        raise
    await run_in_threadpool(_finish, session, transaction, commit=True)


def _finish(session: Session, transaction: SessionTransaction, *, commit: bool) -> None:
    try:
        if commit:
            transaction.commit()
        else:
            transaction.rollback()
    finally:
        session.close()


async def get_now(request: Request) -> int:
    """The current time in ms, from the app's clock (tests substitute their own)."""
    clock: Callable[[], int] = request.app.state.clock
    return clock()


async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


Db = Annotated[Session, Depends(get_db, scope="function")]
Now = Annotated[int, Depends(get_now)]


@dataclass(frozen=True)
class Principal:
    """Who is calling: a participant's session, or an integration's API key that may name
    the participant it acts for."""

    participant_id: str | None
    api_key: ApiKeyRecord | None
    # Loaded with the session token (saves a query); None for API keys.
    participant: Participant | None = None

    def allows(self, scope: str) -> bool:
        """Sessions may do everything a participant may; keys only their scopes."""
        return self.api_key is None or scope in self.api_key.scopes

    @property
    def name(self) -> str:
        """A stable name of the caller (idempotency keys are scoped by it)."""
        if self.api_key is None:
            return f"participant:{self.participant_id}"
        return f"key:{self.api_key.key_id}:{self.participant_id or '-'}"


def optional_principal(
    db: Db,
    now_ms: Now,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(api_key_header)],
    on_behalf_of: OnBehalfOf = None,
) -> Principal | None:
    """The authenticated caller, or ``None`` without credentials.

    Raises
    ------
    AuthenticationError : credentials given but unknown, expired or revoked.
    """
    return resolve_principal(
        db,
        now_ms=now_ms,
        session_token=None if bearer is None else bearer.credentials,
        api_key=api_key,
        on_behalf_of=on_behalf_of,
    )


def resolve_principal(
    db: Session,
    *,
    now_ms: int,
    session_token: str | None,
    api_key: str | None,
    on_behalf_of: str | None,
) -> Principal | None:
    """The caller of these credentials (an API key wins over a session token), or ``None``.

    Raises
    ------
    AuthenticationError : credentials given but unknown, expired or revoked.
    PermissionDeniedError : the key names a participant the operator did not allow it.
    """
    if api_key is not None:
        record = find_api_key(db, api_key)
        if record is None:
            raise AuthenticationError("unknown or revoked API key")
        if on_behalf_of is not None and not record.may_act_for(on_behalf_of):
            raise PermissionDeniedError(
                f"this API key may act only for the participants its operator named "
                f"(`bridgewatch apikey create {record.name} --participant ID`); "
                f"{on_behalf_of!r} is not one of them"
            )
        return Principal(participant_id=on_behalf_of, api_key=record)
    if session_token is not None:
        participant = get_session_participant(db, session_token, now_ms=now_ms)
        if participant is None:
            raise AuthenticationError("unknown or expired session token")
        return Principal(
            participant_id=participant.participant_id, api_key=None, participant=participant
        )
    return None


async def get_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    """The authenticated caller; raises ``AuthenticationError`` without credentials."""
    if principal is None:
        raise AuthenticationError("authentication required: a session token or an API key")
    return principal


@dataclass(frozen=True)
class Actor:
    """The participant acting in this request, and how they authenticated."""

    participant: Participant
    principal: Principal

    @property
    def participant_id(self) -> str:
        """The acting participant's id."""
        return self.participant.participant_id


def check_scope(principal: Principal, scope: str) -> str:
    """The participant id the principal acts for, if its key has ``scope``.

    Raises
    ------
    PermissionDeniedError : the key lacks the scope or names no participant.
    """
    if not principal.allows(scope):
        raise PermissionDeniedError(f"this API key lacks the scope {scope!r}")
    if principal.participant_id is None:
        raise PermissionDeniedError("an API key must name the participant in X-Participant-Id")
    return principal.participant_id


def check_participant(principal: Principal, participant: Participant | None) -> Actor:
    """The actor, if the participant exists and was not removed (else 403)."""
    if participant is None:
        raise PermissionDeniedError(f"participant {principal.participant_id!r} does not exist")
    if participant.enrollment_state == EnrollmentState.removed:
        raise PermissionDeniedError("this participant was removed")
    return Actor(participant=participant, principal=principal)


def acting_participant_sync(db: Session, principal: Principal, scope: str) -> Actor:
    """:func:`acting_participant` for code already running in a worker thread."""
    participant_id = check_scope(principal, scope)
    participant = principal.participant or get_participant(db, participant_id)
    return check_participant(principal, participant)


def acting_participant(scope: str) -> Callable[[Session, Principal], Awaitable[Actor]]:
    """A dependency giving the acting participant, checking the key scope ``scope``.

    Refuses (403) keys without the scope, keys that name no participant, unknown
    participants and participants removed for rule violations.
    """

    async def dependency(db: Db, principal: Annotated[Principal, Depends(get_principal)]) -> Actor:
        # Async: a session token already loaded the participant, so only an API key costs
        # a query (and a worker-thread hop for it).
        participant_id = check_scope(principal, scope)
        participant = principal.participant or await run_in_threadpool(
            get_participant, db, participant_id
        )
        return check_participant(principal, participant)

    return dependency


async def _writer(actor: Annotated[Actor, Depends(acting_participant("notes:write"))]) -> Actor:
    check_writer(actor.participant)
    return actor


def check_rater(actor: Actor) -> Actor:
    """The actor, if the rating rules let them rate at all (AI note writers cannot; 403)."""
    verdict = rater_verdict(actor.participant)
    if verdict is not None:
        raise refusal(verdict)
    return actor


async def _rater(actor: Annotated[Actor, Depends(acting_participant("ratings:write"))]) -> Actor:
    return check_rater(actor)


writer = _writer
rater = _rater


async def request_hash(request: Request) -> str:
    """SHA-256 of method, path and body: what an idempotency key is bound to."""
    body = await request.body()
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\0")
    digest.update(request.url.path.encode())
    digest.update(b"\0")
    digest.update(body)
    return digest.hexdigest()


RequestHash = Annotated[str, Depends(request_hash)]
