"""Service-only errors and the one exception handler mapping errors to JSON 4xx answers.

Every error body is ``{"error": code, "message": text, "details": [{"field", "reason"}]}``.
Domain errors from :mod:`bridgewatch.errors` map to 4xx; anything a client can send must end
in one of these, never in a 5xx.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic.alias_generators import to_camel
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from bridgewatch.errors import (
    AuthenticationError,
    BridgewatchError,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
)

__all__ = [
    "AuthenticationError",
    "PayloadTooLargeError",
    "RateLimitedError",
    "error_response",
    "install_error_handlers",
]

_log = logging.getLogger(__name__)


class PayloadTooLargeError(BridgewatchError):
    """The request body exceeds ``Settings.max_request_bytes``."""


def error_response(
    status: int,
    error: str,
    message: str,
    details: Sequence[dict[str, Any]] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The JSON error answer shared by every handler (and the size-limit middleware)."""
    body = {"error": error, "message": message, "details": list(details)}
    return JSONResponse(body, status_code=status, headers=headers)


def _field_path(loc: Sequence[Any]) -> str | None:
    # Fields left at their default are reported by their Python name: use the JSON one.
    parts = [
        to_camel(p) if isinstance(p, str) and "_" in p else str(p)
        for p in loc
        if p not in ("body", "query", "path", "header")
    ]
    return ".".join(parts) or None


async def _validation_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"field": _field_path(err.get("loc", ())), "reason": str(err.get("msg", "invalid"))}
        for err in exc.errors()
    ]
    return error_response(422, "validation_error", "the request is not valid", details)


async def _domain_handler(_request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, InputError):
        return error_response(
            422, "validation_error", exc.message, [{"field": exc.field, "reason": exc.message}]
        )
    if isinstance(exc, NotFoundError):
        return error_response(404, "not_found", str(exc))
    if isinstance(exc, AuthenticationError):
        return error_response(
            401, "unauthenticated", str(exc), headers={"WWW-Authenticate": "Bearer"}
        )
    if isinstance(exc, PermissionDeniedError):
        return error_response(403, "forbidden", str(exc))
    if isinstance(exc, ConflictError):
        return error_response(409, "conflict", str(exc))
    if isinstance(exc, RateLimitedError):
        return error_response(
            429,
            "rate_limited",
            str(exc),
            [{"field": None, "reason": exc.limit_name}],
            headers={"Retry-After": str(exc.retry_after_s)},
        )
    if isinstance(exc, PayloadTooLargeError):
        return error_response(413, "payload_too_large", str(exc))
    _log.exception("unmapped bridgewatch error", exc_info=exc)
    return error_response(400, "bad_request", str(exc))


async def _integrity_handler(_request: Request, exc: Exception) -> JSONResponse:
    # A unique or foreign-key violation that slipped past the checks: a concurrent write
    # of the same thing. Nothing was written (the transaction rolled back).
    _log.info("integrity conflict: %s", exc)
    return error_response(409, "conflict", "the request conflicts with a concurrent write")


async def _data_handler(_request: Request, exc: Exception) -> JSONResponse:
    # A value the database cannot store or compare (out of range, bad encoding).
    _log.info("data error: %s", exc)
    return error_response(422, "validation_error", "a value cannot be stored by the database")


async def _operational_handler(_request: Request, exc: Exception) -> JSONResponse:
    _log.warning("database unavailable: %s", exc)
    return error_response(
        503, "unavailable", "the database is busy, retry shortly", headers={"Retry-After": "1"}
    )


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at the request's path (``Allow`` of a 405).

    Starlette answers 405 from the first route whose path matches, naming only its own
    methods; a path served by several routes (GET and DELETE of a note) needs them all.
    Each method is tried against the app's routes (included routers answer for theirs).
    """
    allowed = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
        )
    ]
    return ", ".join(allowed)


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 400:
        # FastAPI's answer to a body it cannot decode (not UTF-8, say); a body that is not
        # JSON gets 422 from the validation handler: the same for both, as documented.
        return error_response(
            422,
            "validation_error",
            "the request body cannot be decoded",
            [{"field": None, "reason": str(exc.detail)}],
        )
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return error_response(exc.status_code, "http_error", str(exc.detail), headers=headers or None)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that map every known error to a JSON answer."""
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(BridgewatchError, _domain_handler)
    # The psycopg errors come from the asynchronous PostgreSQL rating path (pg_ratings).
    for integrity in (IntegrityError, psycopg.IntegrityError):
        app.add_exception_handler(integrity, _integrity_handler)
    for data in (DataError, psycopg.DataError):
        app.add_exception_handler(data, _data_handler)
    for operational in (OperationalError, psycopg.OperationalError):
        app.add_exception_handler(operational, _operational_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
