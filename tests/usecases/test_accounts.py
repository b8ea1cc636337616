from __future__ import annotations

import pytest
from sqlalchemy import Engine

from bridgewatch.errors import ConflictError, InputError, NotFoundError
from bridgewatch.model import EnrollmentState
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
from bridgewatch.usecases.profile import contributor_profile


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


def test_profile_of_a_new_contributor_and_of_nobody(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as s, s.begin():
        participant, _ = join(s, now_ms=1, ttl_s=60)
        profile = contributor_profile(s, participant.participant_id)
        with pytest.raises(NotFoundError):
            contributor_profile(s, "nobody")
    assert profile.participant == participant
    assert profile.enrollment.enrollment_state is EnrollmentState.newUser
    assert (profile.notes_written, profile.ratings_given) == (0, 0)
    ability = profile.writing_ability
    assert (ability.can_write, ability.can_rate, ability.daily_note_limit) == (False, True, 0)
    # A new user needs the earn-in target (5) of Rating Impact, having none yet.
    assert ability.rating_impact_needed == 5
    assert ability.reason == "needs Rating Impact 5 more to earn writing ability"
