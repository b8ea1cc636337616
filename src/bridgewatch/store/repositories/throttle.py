"""Recent log-in and sign-up attempts, per throttled scope and subject (``usecases.throttle``)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from bridgewatch.store.tables import auth_attempts

__all__ = ["RecentAttempts", "forget_attempts", "recent_attempts", "record_attempt"]


@dataclass(frozen=True)
class RecentAttempts:
    """Attempts of one subject since a time: how many, and when the last was (ms)."""

    count: int
    last_at_ms: int | None


def recent_attempts(session: Session, *, scope: str, subject: str, since_ms: int) -> RecentAttempts:
    """The attempts under ``scope``/``subject`` at or after ``since_ms``."""
    row = session.execute(
        select(func.count(), func.max(auth_attempts.c.created_at_ms)).where(
            auth_attempts.c.scope == scope,
            auth_attempts.c.subject == subject,
            auth_attempts.c.created_at_ms >= since_ms,
        )
    ).one()
    return RecentAttempts(int(row[0]), None if row[1] is None else int(row[1]))


def record_attempt(session: Session, *, scope: str, subject: str, now_ms: int) -> int:
    """Store one attempt; returns its id."""
    result = session.execute(
        insert(auth_attempts)
        .values(scope=scope, subject=subject, created_at_ms=now_ms)
        .returning(auth_attempts.c.id)
    )
    return int(result.scalar_one())


def forget_attempts(
    session: Session,
    *,
    ids: Collection[int] = (),
    scope: str | None = None,
    subject: str | None = None,
    before_ms: int | None = None,
) -> None:
    """Delete the attempts with these ids, and those of ``scope``/``subject`` (all of them,
    or only those before ``before_ms``); ``before_ms`` alone deletes every older attempt."""
    if ids:
        session.execute(delete(auth_attempts).where(auth_attempts.c.id.in_(list(ids))))
    conditions = []
    if scope is not None and subject is not None:
        conditions += [auth_attempts.c.scope == scope, auth_attempts.c.subject == subject]
    if before_ms is not None:
        conditions.append(auth_attempts.c.created_at_ms < before_ms)
    if conditions:
        session.execute(delete(auth_attempts).where(*conditions))
