"""Who may write and who is an AI note writer, by enrollment state."""

from __future__ import annotations

import pytest

from bridgewatch.model import EnrollmentState
from bridgewatch.usecases.rules import AI_WRITER_STATES, WRITING_STATES, is_ai_writer


@pytest.mark.parametrize("state", list(EnrollmentState))
def test_ai_writers_are_the_api_states_or_a_registered_writer(state: EnrollmentState) -> None:
    assert is_ai_writer(is_api_writer=False, enrollment_state=state) == state.name.startswith("api")
    assert is_ai_writer(is_api_writer=True, enrollment_state=state)


def test_writing_states_are_earned_in_at_risk_and_api_earned_in() -> None:
    assert {s.name for s in WRITING_STATES} == {"earnedIn", "atRisk", "apiEarnedIn"}
    assert EnrollmentState.apiEarnedIn in AI_WRITER_STATES & WRITING_STATES
