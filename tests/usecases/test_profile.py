"""A contributor's profile: enrollment, impact and what writing still needs."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, update

from bridgewatch.errors import NotFoundError
from bridgewatch.model import EnrollmentState
from bridgewatch.store.db import make_session_factory
from bridgewatch.store.tables import contributor_scores, enrollment
from bridgewatch.usecases.accounts import join
from bridgewatch.usecases.profile import contributor_profile


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


def test_a_writer_with_impact_has_a_daily_limit(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as s, s.begin():
        participant, _ = join(s, now_ms=1, ttl_s=60)
        pid = participant.participant_id
        s.execute(
            update(enrollment)
            .where(enrollment.c.participantId == pid)
            .values(enrollmentState=int(EnrollmentState.earnedIn))
        )
        s.execute(
            contributor_scores.insert().values(
                participant_id=pid,
                scored_at_ms=5,
                successful_rating_helpful_count=7,
                notes_currently_rated_helpful=3,
                notes_awaiting_more_ratings=1,
            )
        )
        profile = contributor_profile(s, pid)
    ability = profile.writing_ability
    assert (ability.can_write, ability.rating_impact_needed, ability.reason) == (
        True,
        0,
        "can write notes",
    )
    # WI = 3, hit rate 3/4: min(WI + 5, 0.75 x 200) = 8 notes a day.
    assert ability.daily_note_limit == 8
    assert (profile.impact.rating_impact, profile.impact.writing_impact) == (7, 3)
    assert profile.impact.scored_at_millis == 5


def test_a_removed_participant_can_neither_write_nor_rate(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as s, s.begin():
        participant, _ = join(s, now_ms=1, ttl_s=60)
        s.execute(
            update(enrollment)
            .where(enrollment.c.participantId == participant.participant_id)
            .values(enrollmentState=int(EnrollmentState.removed))
        )
        ability = contributor_profile(s, participant.participant_id).writing_ability
    assert (ability.can_write, ability.can_rate) == (False, False)
    assert ability.reason == "removed for rule violations"
