"""Throttling of log-ins and sign-ups per client address and per account, with backoff.

Password checks are slow on purpose (scrypt, ~50-100 ms of CPU) and sign-ups hand out
session tokens, so both are throttled before any of that work:

- a log-in is an attempt for its account (the username) and for its client address; a
  sign-up (web form, or an anonymous ``POST /api/v1/participants``) for its client address;
- within ``Settings.throttle_window_s`` the first attempts of a subject are free
  (``login_attempts_per_account``, ``login_attempts_per_address``, ``signups_per_address``);
  each further attempt must wait a delay after the previous one that doubles each time,
  from ``login_backoff_s`` (sign-ups: ``signup_backoff_s``) up to
  ``throttle_max_delay_s``. An attempt too early is refused with ``RateLimitedError``
  (HTTP 429 with ``Retry-After``), checks no password and counts as nothing;
- a successful log-in forgets its account's failures and its own address attempt, so
  only failures count toward an address; sign-ups all count.

Attempts are rows of ``auth_attempts``, checked and recorded in a short transaction of
their own that holds each subject's lock (``repositories.locks``) and commits before the
password is checked: the throttle holds across server workers and concurrent requests,
and no database lock is held during the slow hash.

Addresses are the ASGI client address (run uvicorn with ``--proxy-headers`` and
``--forwarded-allow-ips`` behind a proxy); an IPv6 address counts by its /64 network, the
block one host usually holds (:func:`address_key`).

The API (anonymous ``POST /participants``) and the web app (log-in, sign-up forms) call
these with the service's ``Settings`` (:class:`ThrottleSettings` are the fields read).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from bridgewatch.errors import RateLimitedError
from bridgewatch.store.repositories.locks import lock_name
from bridgewatch.store.repositories.throttle import (
    forget_attempts,
    recent_attempts,
    record_attempt,
)

__all__ = [
    "LoginAttempt",
    "ThrottleRule",
    "ThrottleSettings",
    "address_key",
    "login_succeeded",
    "reserve_login",
    "reserve_signup",
]

_IPV6_NETWORK_BITS = 64
# Shifts beyond this cannot matter (the delay is capped long before) and keep ints small.
_MAX_DOUBLINGS = 40


class ThrottleSettings(Protocol):
    """The throttle's settings (the service's ``Settings`` has them; see its fields)."""

    @property
    def throttle_window_s(self) -> int: ...
    @property
    def throttle_max_delay_s(self) -> int: ...
    @property
    def login_backoff_s(self) -> int: ...
    @property
    def login_attempts_per_account(self) -> int: ...
    @property
    def login_attempts_per_address(self) -> int: ...
    @property
    def signups_per_address(self) -> int: ...
    @property
    def signup_backoff_s(self) -> int: ...


@dataclass(frozen=True)
class ThrottleRule:
    """Free attempts per window, then a doubling delay between attempts.

    Attributes
    ----------
    scope : what is throttled and by what (``login-account``, ``login-address``,
        ``signup-address``); also the limit name in the 429 answer.
    free : attempts within the window that need no wait.
    window_ms : how long an attempt counts, ms.
    first_delay_ms : the wait after the last attempt once ``free`` are used, ms.
    max_delay_ms : the longest wait, ms.
    what : the attempts in words, for the error message.
    """

    scope: str
    free: int
    window_ms: int
    first_delay_ms: int
    max_delay_ms: int
    what: str

    def delay_ms(self, n_recent: int) -> int:
        """The wait (ms) after the last of ``n_recent`` attempts in the window:
        0 below ``free``, then ``first_delay_ms * 2 ** (n_recent - free)``, capped."""
        if n_recent < self.free:
            return 0
        doublings = min(n_recent - self.free, _MAX_DOUBLINGS)
        return min(self.max_delay_ms, self.first_delay_ms << doublings)


def _rules(settings: ThrottleSettings) -> tuple[ThrottleRule, ThrottleRule, ThrottleRule]:
    window = settings.throttle_window_s * 1000
    cap = settings.throttle_max_delay_s * 1000
    login = settings.login_backoff_s * 1000
    return (
        ThrottleRule(
            "login-account",
            settings.login_attempts_per_account,
            window,
            login,
            cap,
            "failed log-ins to this account",
        ),
        ThrottleRule(
            "login-address",
            settings.login_attempts_per_address,
            window,
            login,
            cap,
            "failed log-ins from your address",
        ),
        ThrottleRule(
            "signup-address",
            settings.signups_per_address,
            window,
            settings.signup_backoff_s * 1000,
            cap,
            "sign-ups from your address",
        ),
    )


def address_key(host: str | None) -> str:
    """The throttled address of a client host (the ASGI ``request.client.host``, ``None``
    if unknown): IPv4 as is, IPv6 by its /64."""
    host = host or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:160] or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/{_IPV6_NETWORK_BITS}", strict=False))
    return str(address)


@dataclass(frozen=True)
class LoginAttempt:
    """A log-in the throttle admitted: forget it with :func:`login_succeeded` if the
    password matched."""

    username: str
    attempt_ids: tuple[int, ...]


def _reserve(
    factory: sessionmaker[Session],
    keys: Sequence[tuple[ThrottleRule, str]],
    *,
    now_ms: int,
) -> tuple[int, ...]:
    """Check every (rule, subject) and, if all admit an attempt now, record one under each,
    committed at once; returns the new attempt ids.

    Raises
    ------
    RateLimitedError : some subject must wait (the longest wait is the ``Retry-After``);
        nothing is recorded.
    """
    with factory() as session, session.begin():
        # Locks in one order: two requests sharing subjects cannot wait on each other.
        for rule, subject in sorted(keys, key=lambda k: (k[0].scope, k[1])):
            lock_name(session, rule.scope, subject)
        refusals: list[tuple[int, ThrottleRule, int]] = []
        for rule, subject in keys:
            recent = recent_attempts(
                session, scope=rule.scope, subject=subject, since_ms=now_ms - rule.window_ms
            )
            delay = rule.delay_ms(recent.count)
            if delay and recent.last_at_ms is not None and now_ms < recent.last_at_ms + delay:
                wait_ms = recent.last_at_ms + delay - now_ms
                refusals.append((wait_ms, rule, recent.count))
        if refusals:
            wait_ms, rule, count = max(refusals, key=lambda r: r[0])
            retry_after_s = -(-wait_ms // 1000)
            raise RateLimitedError(
                f"too many {rule.what} ({count} in the last "
                f"{rule.window_ms // 60_000} min): try again in {retry_after_s} s",
                limit_name=rule.scope,
                retry_after_s=retry_after_s,
            )
        ids = tuple(
            record_attempt(session, scope=rule.scope, subject=subject, now_ms=now_ms)
            for rule, subject in keys
        )
        # Attempts older than the window never count again.
        forget_attempts(session, before_ms=now_ms - max(rule.window_ms for rule, _ in keys))
    return ids


def reserve_login(
    factory: sessionmaker[Session],
    settings: ThrottleSettings,
    *,
    now_ms: int,
    address: str,
    username: str,
) -> LoginAttempt:
    """Admit a log-in attempt for ``username`` from ``address``, or refuse it (before any
    password is checked).

    Raises
    ------
    RateLimitedError : the account or the address must wait (429, ``Retry-After``).
    """
    account, by_address, _ = _rules(settings)
    ids = _reserve(factory, [(account, username[:160]), (by_address, address)], now_ms=now_ms)
    return LoginAttempt(username[:160], ids)


def login_succeeded(session: Session, attempt: LoginAttempt) -> None:
    """The password matched: forget the account's failures and this attempt (in the
    request's transaction, with the new session)."""
    forget_attempts(
        session, ids=attempt.attempt_ids, scope="login-account", subject=attempt.username
    )


def reserve_signup(
    factory: sessionmaker[Session], settings: ThrottleSettings, *, now_ms: int, address: str
) -> None:
    """Admit a sign-up from ``address``, or refuse it.

    Raises
    ------
    RateLimitedError : the address must wait (429, ``Retry-After``).
    """
    _, _, signup = _rules(settings)
    _reserve(factory, [(signup, address)], now_ms=now_ms)
