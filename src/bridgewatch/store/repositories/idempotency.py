"""Stored answers to POST requests that carried an ``Idempotency-Key`` header."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bridgewatch.store.tables import idempotency_keys

__all__ = ["StoredResponse", "find_response", "store_response"]


@dataclass(frozen=True)
class StoredResponse:
    """A remembered answer: the request's digest, status code and JSON body."""

    request_hash: str
    status_code: int
    response_body: str


def find_response(session: Session, *, principal: str, key: str) -> StoredResponse | None:
    """The answer stored for (principal, key), or ``None``."""
    row = session.execute(
        select(
            idempotency_keys.c.request_hash,
            idempotency_keys.c.status_code,
            idempotency_keys.c.response_body,
        ).where(idempotency_keys.c.principal == principal, idempotency_keys.c.key == key)
    ).first()
    if row is None:
        return None
    return StoredResponse(row.request_hash, row.status_code, row.response_body)


def store_response(
    session: Session,
    *,
    principal: str,
    key: str,
    request_hash: str,
    status_code: int,
    response_body: str,
    now_ms: int,
) -> None:
    """Remember the answer, in the same transaction as the write it answers."""
    session.execute(
        insert(idempotency_keys).values(
            principal=principal,
            key=key,
            request_hash=request_hash,
            status_code=status_code,
            response_body=response_body,
            created_at_ms=now_ms,
        )
    )
