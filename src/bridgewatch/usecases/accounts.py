"""Joining and sessions: sign-up, log-in by password, session start and end.

The backend knows participants and session tokens; the web app adds sign-in by password
(a username and a scrypt-hashed password bound to a participant, stored by
:mod:`bridgewatch.store.repositories.accounts`). The API's ``POST /participants`` and
``/sessions`` and the web app's forms call these; throttling comes first
(:mod:`bridgewatch.usecases.throttle`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bridgewatch.errors import ConflictError, InputError
from bridgewatch.store.repositories.accounts import find_account, insert_account
from bridgewatch.store.repositories.auth import create_session_token, delete_session_token
from bridgewatch.store.repositories.participants import Participant, create_participant

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "StartedSession",
    "authenticate",
    "create_account",
    "end_session",
    "hash_password",
    "join",
    "start_session",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 8
# scrypt cost: n=2**14, r=8, p=1 (16 MiB, ~50 ms): the interactive-login parameters.
_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt_hex$digest_hex`` of ``password`` with a fresh 16-byte salt."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the stored hash (constant-time comparison)."""
    try:
        scheme, n, r, p, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt_hex), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(digest.hex(), digest_hex)


def create_account(
    session: Session,
    *,
    username: str,
    password: str,
    now_ms: int,
    participant_id: str | None = None,
) -> str:
    """Create a participant (or bind an existing one by ``participant_id``) with a login.

    Returns the participant id.

    Raises
    ------
    InputError : username not 3-32 of ``A-Za-z0-9_.-``, or password shorter than 8.
    ConflictError : the username is taken.
    """
    if not _USERNAME.match(username):
        raise InputError(
            "a username has 3 to 32 letters, digits, '_', '.' or '-'", field="username"
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    if find_account(session, username) is not None:
        raise ConflictError(f"the username {username!r} is taken")
    pid = (
        create_participant(session, now_ms=now_ms).participant_id
        if participant_id is None
        else participant_id
    )
    insert_account(
        session,
        username=username,
        participant_id=pid,
        password_hash=hash_password(password),
        now_ms=now_ms,
    )
    return pid


def authenticate(session: Session, *, username: str, password: str) -> str | None:
    """The participant id of the account if the password matches, else ``None``."""
    account = find_account(session, username)
    if account is None:
        # Spend the same time as a real check so that usernames cannot be probed by timing.
        verify_password(password, hash_password("x" * MIN_PASSWORD_LENGTH))
        return None
    return account.participant_id if verify_password(password, account.password_hash) else None


@dataclass(frozen=True)
class StartedSession:
    """A started session: its bearer token (shown once; only its digest is stored) and
    when it expires, ms."""

    token: str
    expires_at_ms: int


def start_session(
    session: Session, *, participant_id: str, now_ms: int, ttl_s: int
) -> StartedSession:
    """Start a session of ``ttl_s`` seconds for the participant (web log-in, sign-up, join,
    an integration's ``POST /sessions``)."""
    token, expires_at_ms = create_session_token(
        session, participant_id=participant_id, now_ms=now_ms, ttl_s=ttl_s
    )
    return StartedSession(token, expires_at_ms)


def end_session(session: Session, token: str) -> None:
    """End the session of ``token`` (log out); an unknown token is a no-op."""
    delete_session_token(session, token)


def join(session: Session, *, now_ms: int, ttl_s: int) -> tuple[Participant, StartedSession]:
    """A new participant (state newUser: rating only until writing is earned) and its first
    session: the API's ``POST /participants``."""
    participant = create_participant(session, now_ms=now_ms)
    return participant, start_session(
        session, participant_id=participant.participant_id, now_ms=now_ms, ttl_s=ttl_s
    )
