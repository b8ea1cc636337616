"""CSRF protection: a per-browser-session token in a cookie, repeated in every form.

Double-submit scheme: the ``bw_csrf`` cookie (random, SameSite=Strict) must equal the
``csrf_token`` field of each POST. A cross-site page can neither read the cookie nor set it,
so it cannot forge the field.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from bridgewatch.errors import PermissionDeniedError

__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "check_csrf", "csrf_token_for"]

CSRF_COOKIE = "bw_csrf"
CSRF_FIELD = "csrf_token"


def csrf_token_for(request: Request) -> str:
    """The browser's CSRF token: the cookie's value, or a fresh one (the page sets it)."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing and 20 <= len(existing) <= 100:
        return existing
    token: str | None = getattr(request.state, "csrf_token", None)
    if token is None:
        token = secrets.token_urlsafe(32)
        request.state.csrf_token = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a form whose CSRF field does not match the cookie.

    Raises
    ------
    PermissionDeniedError : missing or mismatched token (HTTP 403).
    """
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted or not hmac.compare_digest(cookie, submitted):
        raise PermissionDeniedError(
            "the form's security token is missing or stale; reload the page and try again"
        )
