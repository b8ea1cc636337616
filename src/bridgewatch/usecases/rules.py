"""Who may do what, by enrollment state, and the limits of a note's text (spec-extended §7).

Constants and predicates only: no storage, no I/O.
"""

from __future__ import annotations

from bridgewatch.model import EnrollmentState

__all__ = [
    "AI_WRITER_STATES",
    "SUMMARY_MAX_CHARS",
    "WRITING_STATES",
    "is_ai_writer",
]

# States that may write notes (spec-extended §7.2).
WRITING_STATES: frozenset[EnrollmentState] = frozenset(
    {EnrollmentState.earnedIn, EnrollmentState.atRisk, EnrollmentState.apiEarnedIn}
)
# States of AI note writers (spec-extended §7.8): they write notes but never rate them.
AI_WRITER_STATES: frozenset[EnrollmentState] = frozenset(
    {EnrollmentState.apiEarnedIn, EnrollmentState.apiEarnedOut, EnrollmentState.apiTestUser}
)
# A note's summary: at most this many characters, URLs not counted (spec-extended §7.2).
# The service's ``Settings.summary_max_chars`` defaults to it.
SUMMARY_MAX_CHARS = 280


def is_ai_writer(*, is_api_writer: bool, enrollment_state: EnrollmentState) -> bool:
    """Whether a participant is an AI note writer (spec-extended §7.8): registered as one,
    or in one of ``AI_WRITER_STATES``."""
    return is_api_writer or enrollment_state in AI_WRITER_STATES
