"""Web accounts: a username and a scrypt-hashed password bound to a participant.

The backend knows participants and session tokens; the web app adds sign-in by password.
The ``web_accounts`` table is defined with every other in :mod:`bridgewatch.store.tables`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bridgewatch.errors import ConflictError, InputError
from bridgewatch.store.repositories.participants import create_participant
from bridgewatch.store.tables import web_accounts

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "authenticate",
    "create_account",
    "hash_password",
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
    taken = session.execute(
        select(web_accounts.c.username).where(web_accounts.c.username == username)
    ).first()
    if taken is not None:
        raise ConflictError(f"the username {username!r} is taken")
    pid = (
        create_participant(session, now_ms=now_ms).participant_id
        if participant_id is None
        else participant_id
    )
    session.execute(
        insert(web_accounts).values(
            username=username,
            participant_id=pid,
            password_hash=hash_password(password),
            created_at_ms=now_ms,
        )
    )
    return pid


def authenticate(session: Session, *, username: str, password: str) -> str | None:
    """The participant id of the account if the password matches, else ``None``."""
    row = session.execute(
        select(web_accounts.c.participant_id, web_accounts.c.password_hash).where(
            web_accounts.c.username == username
        )
    ).first()
    if row is None:
        # Spend the same time as a real check so that usernames cannot be probed by timing.
        verify_password(password, hash_password("x" * MIN_PASSWORD_LENGTH))
        return None
    return str(row.participant_id) if verify_password(password, row.password_hash) else None
