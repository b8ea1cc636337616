from __future__ import annotations

import pytest
from sqlalchemy import Engine

from bridgewatch.errors import ConflictError, InputError
from bridgewatch.store.db import make_session_factory
from bridgewatch.store.repositories.participants import get_session_participant
from bridgewatch.usecases.accounts import (
    authenticate,
    create_account,
    end_session,
    hash_password,
    join,
    start_session,
    verify_password,
)


def test_hash_is_salted_and_verifies() -> None:
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a != b  # fresh salt each time
    assert a.startswith("scrypt$")
    assert verify_password("correct horse", a)
    assert not verify_password("correct horsf", a)
    assert not verify_password("x", "not-a-hash")


def test_hash_with_fixed_salt_is_deterministic() -> None:
    salt = bytes(range(16))
    assert hash_password("pw-12345", salt=salt) == hash_password("pw-12345", salt=salt)


def test_create_and_authenticate(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as s, s.begin():
        created = create_account(s, username="alice_1", password="long enough", now_ms=1)
        with pytest.raises(ConflictError):
            create_account(s, username="alice_1", password="long enough", now_ms=2)
        with pytest.raises(InputError) as exc:
            create_account(s, username="a b", password="long enough", now_ms=2)
        assert exc.value.field == "username"
        with pytest.raises(InputError) as exc:
            create_account(s, username="bob", password="short", now_ms=2)
        assert exc.value.field == "password"
    with factory() as s:
        assert authenticate(s, username="alice_1", password="long enough") == created
        assert authenticate(s, username="alice_1", password="wrong one") is None
        assert authenticate(s, username="nobody", password="long enough") is None


def test_join_starts_a_session_that_ends_on_log_out(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as s, s.begin():
        participant, started = join(s, now_ms=1_000, ttl_s=60)
        later = start_session(s, participant_id=participant.participant_id, now_ms=2_000, ttl_s=60)
    assert started.expires_at_ms == 61_000 and later.expires_at_ms == 62_000
    assert started.token != later.token
    with factory() as s, s.begin():
        found = get_session_participant(s, started.token, now_ms=60_999)
        assert found == participant
        assert get_session_participant(s, started.token, now_ms=61_000) is None
        end_session(s, later.token)
        assert get_session_participant(s, later.token, now_ms=2_000) is None
        end_session(s, "bws_unknown")  # a no-op
