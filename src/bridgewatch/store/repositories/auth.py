"""API keys for integrations and session tokens for the web app (stored as SHA-256 digests)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from bridgewatch.errors import ConflictError, InputError
from bridgewatch.store.identifiers import hash_secret, new_secret
from bridgewatch.store.tables import api_key_participants, api_keys, session_tokens

__all__ = [
    "API_KEY_SCOPES",
    "ApiKeyRecord",
    "create_api_key",
    "create_session_token",
    "delete_session_token",
    "find_api_key",
    "revoke_api_key",
]

_MAX_PARTICIPANT_ID = 64
# What an integration key may do on behalf of a participant.
API_KEY_SCOPES: frozenset[str] = frozenset(
    {
        "participants:write",
        "sessions:write",
        "posts:write",
        "notes:write",
        "ratings:write",
        "requests:write",
        # Operations of the real-time pipeline (POST /api/v1/admin/refit).
        "pipeline:admin",
    }
)


@dataclass(frozen=True)
class ApiKeyRecord:
    """A live API key: its id, name, scopes and, if the operator restricted it, the only
    participants it may act for (``None``: any participant)."""

    key_id: int
    name: str
    scopes: frozenset[str]
    participants: frozenset[str] | None = None

    def may_act_for(self, participant_id: str) -> bool:
        """Whether the key may act for ``participant_id``."""
        return self.participants is None or participant_id in self.participants


def create_api_key(
    session: Session,
    *,
    name: str,
    scopes: Collection[str],
    now_ms: int,
    participants: Collection[str] = (),
) -> str:
    """Store a new API key and return its secret (shown once, only its digest is kept).

    ``participants``: restrict the key to acting for these participant ids (empty: any).
    """
    unknown = sorted(set(scopes) - API_KEY_SCOPES)
    if unknown:
        raise InputError(
            f"unknown scope(s) {unknown}; allowed: {sorted(API_KEY_SCOPES)}", field="scopes"
        )
    bad = sorted(p for p in set(participants) if not 1 <= len(p) <= _MAX_PARTICIPANT_ID)
    if bad:
        raise InputError(
            f"participant ids have 1 to {_MAX_PARTICIPANT_ID} characters: {bad}",
            field="participants",
        )
    if session.execute(select(api_keys.c.id).where(api_keys.c.name == name)).first():
        raise ConflictError(f"an API key named {name!r} exists")
    secret = new_secret("bwk")
    key_id = session.execute(
        insert(api_keys)
        .values(
            name=name,
            key_hash=hash_secret(secret),
            scopes=" ".join(sorted(set(scopes))),
            created_at_ms=now_ms,
        )
        .returning(api_keys.c.id)
    ).scalar_one()
    if participants:
        session.execute(
            insert(api_key_participants),
            [{"key_id": key_id, "participant_id": p} for p in sorted(set(participants))],
        )
    return secret


def revoke_api_key(session: Session, *, name: str, now_ms: int) -> bool:
    """Revoke the key called ``name``; returns whether a live key was revoked."""
    result = session.execute(
        update(api_keys)
        .where(api_keys.c.name == name, api_keys.c.revoked_at_ms.is_(None))
        .values(revoked_at_ms=now_ms)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def find_api_key(session: Session, secret: str) -> ApiKeyRecord | None:
    """The live key whose secret is ``secret``, or ``None``."""
    row = session.execute(
        select(api_keys.c.id, api_keys.c.name, api_keys.c.scopes).where(
            api_keys.c.key_hash == hash_secret(secret), api_keys.c.revoked_at_ms.is_(None)
        )
    ).first()
    if row is None:
        return None
    allowed = frozenset(
        session.execute(
            select(api_key_participants.c.participant_id).where(
                api_key_participants.c.key_id == row.id
            )
        ).scalars()
    )
    return ApiKeyRecord(
        key_id=row.id,
        name=row.name,
        scopes=frozenset(row.scopes.split()),
        participants=allowed or None,
    )


def create_session_token(
    session: Session, *, participant_id: str, now_ms: int, ttl_s: int
) -> tuple[str, int]:
    """Issue a session token; returns the token and its expiry (ms)."""
    token = new_secret("bws")
    expires_at_ms = now_ms + ttl_s * 1000
    session.execute(
        insert(session_tokens).values(
            token_hash=hash_secret(token),
            participant_id=participant_id,
            created_at_ms=now_ms,
            expires_at_ms=expires_at_ms,
        )
    )
    return token, expires_at_ms


def delete_session_token(session: Session, token: str) -> None:
    """End a session (log out)."""
    session.execute(delete(session_tokens).where(session_tokens.c.token_hash == hash_secret(token)))
