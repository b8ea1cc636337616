"""An ASGI route in front of FastAPI for the service's most frequent request.

``POST /api/v1/notes/{note_id}/ratings`` by a session token, without an idempotency key, on
PostgreSQL (the one-statement path of ``service.pg_ratings``), is answered here without
FastAPI's routing, dependency solving and response machinery, which cost about a third of
the server's CPU per rating. The route stays declared in FastAPI (OpenAPI is unchanged) and
every other request, and every request this route is not sure to answer exactly as FastAPI
would, goes on to FastAPI untouched (its body replayed):

- only a well-formed request is handled here: a canonical note id in range, one
  ``Authorization: Bearer`` credential, ``Content-Type: application/json``, no API key,
  ``X-Participant-Id`` or ``Idempotency-Key`` header, a body that parses as JSON and
  validates against ``schemas.RatingCreate`` (the same model FastAPI validates with) with
  ``ratingSource`` DEFAULT. Anything else (bad JSON, unknown fields, tags that do not match
  the level, missing credentials, ...) takes the general route, so its 4xx answer is
  FastAPI's own;
- the checks and the write are the same function FastAPI's route calls
  (``api.notes.rate_on_postgresql``); its errors are answered by the app's own exception
  handlers, so the status codes, bodies and headers are the same;
- it sits inside the size-limit and metrics middleware, so body limits, ``X-Request-Id``,
  logs and ``/metrics`` (under the route's template) apply as before.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import ValidationError
from starlette.requests import Request

from bridgewatch.service.api import API_PREFIX, notes
from bridgewatch.service.api.notes import rate_on_postgresql
from bridgewatch.service.middleware import ASGIApp, Message, Receive, Scope, Send
from bridgewatch.service.schemas import RatingCreate

__all__ = ["FastRatingRoute"]

_TEMPLATE = f"{API_PREFIX}/notes/{{note_id}}/ratings"
# A canonical note id only (FastAPI's int parsing also takes "007" or "+7": those fall through).
_PATH = re.compile(re.escape(f"{API_PREFIX}/notes/") + r"([1-9][0-9]{0,18})/ratings")
_MAX_NOTE_ID = 2**63 - 1
# Headers that make the general path behave differently (or validate more).
_GENERAL_ONLY = frozenset((b"x-api-key", b"x-participant-id", b"idempotency-key"))
_JSON_HEADERS = [(b"content-type", b"application/json")]


def _rating_route() -> APIRoute:
    # The route as declared (the router's prefix is the API prefix).
    for route in notes.router.routes:
        if (
            isinstance(route, APIRoute)
            and route.path == _TEMPLATE
            and "POST" in (route.methods or ())
        ):
            return route
    raise LookupError(f"no POST {_TEMPLATE} is declared")  # pragma: no cover


class FastRatingRoute:
    """ASGI middleware answering session-token rating POSTs on PostgreSQL directly.

    Parameters
    ----------
    app : the next ASGI app (FastAPI's stack).
    fastapi_app : the FastAPI app, for its state (``rating_writer``, ``settings``,
        ``clock``), its exception handlers and the declared route (metrics label by it).
    """

    def __init__(self, app: ASGIApp, fastapi_app: FastAPI) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self._route: APIRoute | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        match = _PATH.fullmatch(scope["path"])
        state = self.fastapi_app.state
        writer = state.rating_writer
        if match is None or writer is None:
            await self.app(scope, receive, send)
            return
        note_id = int(match.group(1))
        token = self._session_token(scope) if note_id <= _MAX_NOTE_ID else None
        if token is None:
            await self.app(scope, receive, send)
            return
        # FastAPI's router would match the route before reading the body: metrics label by it
        # even if reading the body fails (too large).
        if self._route is None:
            self._route = _rating_route()
        scope["route"] = self._route
        body, more = await _read_body(receive)
        replay = _replaying(body, more, receive)
        rating = _valid_rating(body) if not more else None
        if rating is None:
            await self.app(scope, replay, send)
            return
        now_ms: int = state.clock()
        try:
            status, answer = await rate_on_postgresql(
                writer,
                settings=state.settings,
                now_ms=now_ms,
                note_id=note_id,
                body=rating,
                session_token=token,
            )
        except Exception as exc:
            await self._answer_error(exc, scope, replay, send)
            return
        content = answer.model_dump_json(by_alias=True).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-length", str(len(content)).encode()), *_JSON_HEADERS],
            }
        )
        await send({"type": "http.response.body", "body": content})

    @staticmethod
    def _session_token(scope: Scope) -> str | None:
        """The bearer token, if the request is one this route may answer (else ``None``)."""
        authorization: bytes | None = None
        json_body = False
        for name, value in scope["headers"]:
            if name in _GENERAL_ONLY:
                return None
            if name == b"authorization":
                if authorization is not None:
                    return None
                authorization = value
            elif name == b"content-type":
                if json_body:
                    return None
                json_body = value.lower() == b"application/json"
                if not json_body:
                    return None
        if authorization is None or not json_body:
            return None
        # FastAPI's own parsing of the header (HTTPBearer).
        scheme, credentials = get_authorization_scheme_param(authorization.decode("latin-1"))
        if scheme.lower() != "bearer" or not credentials:
            return None
        return credentials

    async def _answer_error(
        self, exc: Exception, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Answer ``exc`` with the app's own exception handler (re-raise if it has none)."""
        handlers: dict[Any, Any] = self.fastapi_app.exception_handlers
        for cls in type(exc).__mro__:
            handler = handlers.get(cls)
            if handler is not None:
                response = await handler(Request(scope, receive), exc)
                await response(scope, receive, send)
                return
        raise exc


def _valid_rating(body: bytes) -> RatingCreate | None:
    """The rating form, parsed as FastAPI parses it (``json.loads``, then the model in
    Python mode), if it is valid and one this route writes; else ``None``."""
    if not body:
        return None
    try:
        data = json.loads(body)
        rating = RatingCreate.model_validate(data)
    except (ValueError, ValidationError):
        return None
    return rating if rating.rating_source == "DEFAULT" else None


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The request body, and whether the client disconnected before its end."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), True
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), False


def _replaying(body: bytes, disconnected: bool, receive: Receive) -> Receive:
    """A ``receive`` that gives the already-read body once, then defers to ``receive``."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": disconnected}
        if disconnected:
            return {"type": "http.disconnect"}
        return await receive()

    return replay
