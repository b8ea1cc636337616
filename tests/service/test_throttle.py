"""Log-in and sign-up throttling per client address and per account, with backoff
(issue 13: 20 wrong passwords in 1.9 s, then the right one worked; 25 anonymous sign-ups in
a row each got a 30-day token)."""

from __future__ import annotations

import asyncio
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, delete, func, select

from bridgewatch.service import Settings, create_app
from bridgewatch.store.db import make_session_factory
from bridgewatch.store.tables import auth_attempts, web_accounts
from bridgewatch.usecases import accounts
from bridgewatch.usecases.accounts import create_account
from bridgewatch.usecases.throttle import ThrottleRule, address_key
from bridgewatch.web import install_web
from tests.service.conftest import Clock, Service

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient

PASSWORD = "correct horse battery"
_CSRF = "t" * 32


class Web:
    """The service with the web app, a client at a given address and a settable clock."""

    def __init__(self, app: FastAPI, engine: Engine, clock: Clock) -> None:
        self.app = app
        self.engine = engine
        self.clock = clock
        self.clients: list[TestClient] = []

    def client(self, address: str = "203.0.113.7") -> TestClient:
        client = TestClient(self.app, follow_redirects=False, client=(address, 50000))
        client.cookies.set("bw_csrf", _CSRF)
        self.clients.append(client)
        return client

    def account(self, username: str = "alice") -> str:
        factory = make_session_factory(self.engine)
        with factory() as session, session.begin():
            return create_account(
                session, username=username, password=PASSWORD, now_ms=self.clock.now_ms
            )


def login(client: TestClient, password: str, username: str = "alice") -> httpx.Response:
    form = {"username": username, "password": password, "csrf_token": _CSRF}
    response: httpx.Response = client.post("/login", data=form)
    return response


@pytest.fixture
def make_web(engine: Engine) -> Iterator[Callable[..., Web]]:
    webs: list[Web] = []

    def factory(clock: Clock | None = None, **overrides: Any) -> Web:
        clock = clock or Clock()
        settings = Settings(database_url="sqlite://", **overrides)
        web = Web(install_web(create_app(settings, engine=engine, clock=clock)), engine, clock)
        webs.append(web)
        return web

    yield factory
    for web in webs:
        for client in web.clients:
            client.close()
    with engine.begin() as conn:
        conn.execute(delete(web_accounts))


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The passwords the web app checked (the slow scrypt step), in order."""
    checked: list[str] = []
    real = accounts.verify_password

    def counting(password: str, stored: str) -> bool:
        checked.append(password)
        return real(password, stored)

    monkeypatch.setattr(accounts, "verify_password", counting)
    return checked


def test_backoff_doubles_after_the_free_attempts_up_to_the_cap() -> None:
    rule = ThrottleRule("login-account", 5, 3_600_000, 1000, 900_000, "failed log-ins")
    assert [rule.delay_ms(n) for n in range(4, 9)] == [0, 1000, 2000, 4000, 8000]
    assert rule.delay_ms(19) == 900_000
    assert rule.delay_ms(10**6) == 900_000


def test_wrong_passwords_lock_the_account_with_backoff_even_for_the_right_one(
    make_web: Callable[..., Web], password_checks: list[str]
) -> None:
    web = make_web()
    web.account()
    client = web.client()
    assert [login(client, f"wrong-{i}").status_code for i in range(5)] == [401] * 5
    refused = login(client, "wrong-5")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert "failed log-ins to this account" in refused.text
    web.clock.advance(1)
    assert login(client, "wrong-6").status_code == 401
    # The right password is refused too while the account waits, and never checked.
    refused = login(client, PASSWORD)
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "2")
    assert PASSWORD not in password_checks
    assert len(password_checks) == 6
    web.clock.advance(2)
    assert login(client, PASSWORD).status_code == 303
    # A successful log-in forgets the account's failures.
    assert [login(client, f"again-{i}").status_code for i in range(5)] == [401] * 5


def test_the_lock_is_per_account_and_per_address(make_web: Callable[..., Web]) -> None:
    web = make_web(login_attempts_per_address=8)
    web.account("alice")
    web.account("bob")
    attacker = web.client("198.51.100.1")
    for _ in range(5):
        assert login(attacker, "wrong-pass", "alice").status_code == 401
    # Another account from the same address: its own budget, the address's is shared.
    assert login(attacker, "wrong-pass", "bob").status_code == 401
    assert login(attacker, "wrong-pass", "bob").status_code == 401
    assert login(attacker, "wrong-pass", "carol").status_code == 401
    refused = login(attacker, "wrong-pass", "dave")
    assert refused.status_code == 429
    assert "failed log-ins from your address" in refused.text
    # Someone elsewhere logs in to bob (not locked), but not to alice (locked).
    elsewhere = web.client("192.0.2.44")
    assert login(elsewhere, PASSWORD, "bob").status_code == 303
    assert login(elsewhere, PASSWORD, "alice").status_code == 429


def test_concurrent_wrong_passwords_get_exactly_the_free_attempts(
    make_web: Callable[..., Web], password_checks: list[str]
) -> None:
    # Two apps on one database: two server workers share the throttle.
    clock = Clock()
    webs = [make_web(clock), make_web(clock)]
    webs[0].account()

    async def attempts() -> Counter[int]:
        clients = [
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=web.app, client=("203.0.113.9", 1)),
                base_url="http://test",
                cookies={"bw_csrf": _CSRF},
            )
            for web in webs
        ]
        form = {"username": "alice", "password": "wrong-pass", "csrf_token": _CSRF}
        answers = await asyncio.gather(
            *(clients[i % 2].post("/login", data=form) for i in range(16))
        )
        for client in clients:
            await client.aclose()
        return Counter(r.status_code for r in answers)

    assert asyncio.run(attempts()) == Counter({401: 5, 429: 11})
    assert len(password_checks) == 5


def test_anonymous_sign_ups_are_throttled_per_address(
    make_service: Callable[..., Service],
) -> None:
    service = make_service(signups_per_address=3, signup_backoff_s=60)
    assert [service.client.post("/api/v1/participants").status_code for _ in range(3)] == [201] * 3
    refused = service.client.post("/api/v1/participants")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert refused.json()["details"] == [{"field": None, "reason": "signup-address"}]
    service.clock.advance(60)
    assert service.client.post("/api/v1/participants").status_code == 201
    refused = service.client.post("/api/v1/participants")
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "120")
    # Another address, and an integration's key, are not held back.
    other = TestClient(service.client.app, client=("192.0.2.1", 1))
    assert other.post("/api/v1/participants").status_code == 201
    other.close()
    key = service.api_key("participants:write")
    joined = service.client.post("/api/v1/participants", headers={"X-API-Key": key})
    assert joined.status_code == 201


def test_web_sign_ups_share_the_address_throttle(make_web: Callable[..., Web]) -> None:
    web = make_web(signups_per_address=2)
    client = web.client()
    codes = []
    for i in range(3):
        form = {"username": f"user_{i}", "password": PASSWORD, "csrf_token": _CSRF}
        codes.append(client.post("/signup", data=form).status_code)
    assert codes == [303, 303, 429]
    refused = client.post("/api/v1/participants")
    assert refused.status_code == 429


def test_attempts_older_than_the_window_are_forgotten(make_web: Callable[..., Web]) -> None:
    web = make_web(throttle_window_s=600)
    web.account()
    client = web.client()
    for _ in range(5):
        login(client, "wrong-pass")
    assert login(client, "wrong-pass").status_code == 429
    web.clock.advance(601)
    assert login(client, "wrong-pass").status_code == 401
    with web.engine.connect() as conn:
        kept = conn.execute(select(func.count()).select_from(auth_attempts)).scalar_one()
    assert kept == 2  # this attempt, for the account and for the address


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.9", "192.0.2.9"),
        ("testclient", "testclient"),
    ],
)
def test_client_addresses_count_ipv6_by_their_64_network(host: str, expected: str) -> None:
    assert address_key(host) == expected
    assert address_key(None) == "unknown"
