"""Idempotency keys on POSTs: a retried request with the same key never writes twice.

The first answer is stored in the same transaction as the write; a retry with the same key
and the same request gets that answer back (header ``Idempotent-Replayed: true``); the same
key with a different request is refused (422).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bridgewatch.errors import InputError
from bridgewatch.service.deps import Db, Now, Principal, RequestHash, get_principal
from bridgewatch.store.repositories.idempotency import (
    StoredResponse,
    find_response,
    store_response,
)

__all__ = [
    "Idempotency",
    "IdempotencyGuard",
    "IdempotencyKey",
    "IdempotentReplay",
    "install_replay_handler",
    "replay_stored_answer",
]


class IdempotentReplay(Exception):
    """Raised to answer a retried request with the stored response."""

    def __init__(self, stored: StoredResponse) -> None:
        self.stored = stored
        super().__init__("idempotent replay")


@dataclass
class IdempotencyGuard:
    """Remembers the answer of the current write when the request carried a key."""

    db: Db
    principal_name: str
    key: str | None
    request_hash: str
    now_ms: int

    def remember(self, status_code: int, body: BaseModel) -> None:
        """Store the answer (call just before returning it; no-op without a key)."""
        if self.key is None:
            return
        store_response(
            self.db,
            principal=self.principal_name,
            key=self.key,
            request_hash=self.request_hash,
            status_code=status_code,
            response_body=body.model_dump_json(by_alias=True),
            now_ms=self.now_ms,
        )


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Retries with the same key return the first answer; nothing is written twice",
    ),
]


def replay_stored_answer(db: Session, *, principal: str, key: str, request_hash: str) -> None:
    """Raise :class:`IdempotentReplay` when (principal, key) already has an answer.

    Raises
    ------
    IdempotentReplay : the stored answer, for the same request.
    InputError : the key was used for a different request (422).
    """
    stored = find_response(db, principal=principal, key=key)
    if stored is not None:
        if stored.request_hash != request_hash:
            raise InputError(
                "this Idempotency-Key was used for a different request",
                field="Idempotency-Key",
            )
        raise IdempotentReplay(stored)


async def _guard(
    db: Db,
    now_ms: Now,
    principal: Annotated[Principal, Depends(get_principal)],
    rhash: RequestHash,
    key: IdempotencyKey = None,
) -> IdempotencyGuard:
    # Async: without a key (the common case) there is nothing to look up and no thread hop.
    if key is not None:
        await run_in_threadpool(
            replay_stored_answer, db, principal=principal.name, key=key, request_hash=rhash
        )
    return IdempotencyGuard(db, principal.name, key, rhash, now_ms)


Idempotency = Annotated[IdempotencyGuard, Depends(_guard)]


async def _replay_handler(_request: Request, exc: Exception) -> Response:
    if not isinstance(exc, IdempotentReplay):  # pragma: no cover - registered for it only
        raise exc
    return Response(
        content=exc.stored.response_body,
        status_code=exc.stored.status_code,
        media_type="application/json",
        headers={"Idempotent-Replayed": "true"},
    )


def install_replay_handler(app: FastAPI) -> None:
    """Answer :class:`IdempotentReplay` with the stored response."""
    app.add_exception_handler(IdempotentReplay, _replay_handler)
