"""A contributor's profile: impact, enrollment and what writing ability still needs
(spec-extended §2.3-§2.7, §7.1). The API's ``/participants/{id}`` and the web app's profile
and note-writing pages show it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bridgewatch.errors import NotFoundError
from bridgewatch.model import EnrollmentState
from bridgewatch.store.repositories.participants import (
    Participant,
    count_contributions,
    get_contributor_scores,
    get_enrollment,
    get_participant,
)
from bridgewatch.store.rows import EnrollmentRow
from bridgewatch.usecases.impact import Impact, compute_impact, daily_note_limit
from bridgewatch.usecases.rules import WRITING_STATES

__all__ = ["Profile", "WritingAbility", "contributor_profile"]

# States that may not rate: removed participants and AI note writers.
_CANNOT_RATE = (
    EnrollmentState.removed,
    EnrollmentState.apiEarnedIn,
    EnrollmentState.apiEarnedOut,
    EnrollmentState.apiTestUser,
)


@dataclass(frozen=True)
class WritingAbility:
    """What the contributor may do now and, if they cannot write, what writing needs.

    Attributes
    ----------
    can_write, can_rate : by the enrollment state.
    rating_impact_needed : Rating Impact still needed to earn writing ability (0 if they can).
    daily_note_limit : notes per 24 h (0 if they cannot write).
    reason : the state in words.
    """

    can_write: bool
    can_rate: bool
    rating_impact_needed: int
    daily_note_limit: int
    reason: str


@dataclass(frozen=True)
class Profile:
    """A contributor's public profile (all contributions are public, spec-extended §7.1)."""

    participant: Participant
    enrollment: EnrollmentRow
    impact: Impact
    writing_ability: WritingAbility
    notes_written: int
    ratings_given: int


def contributor_profile(db: Session, participant_id: str) -> Profile:
    """The profile of ``participant_id``.

    Raises
    ------
    NotFoundError : no such participant.
    """
    participant = get_participant(db, participant_id)
    if participant is None:
        raise NotFoundError(f"participant {participant_id!r} does not exist")
    enrollment = get_enrollment(db, participant_id)
    impact = compute_impact(get_contributor_scores(db, participant_id))
    state = enrollment.enrollment_state
    can_write = state in WRITING_STATES
    needed = (
        0
        if can_write
        else max(0, enrollment.successful_rating_needed_to_earn_in - impact.rating_impact)
    )
    if can_write:
        reason = "can write notes"
    elif state == EnrollmentState.removed:
        reason = "removed for rule violations"
    else:
        reason = f"needs Rating Impact {needed} more to earn writing ability"
    n_notes, n_ratings = count_contributions(db, participant_id)
    return Profile(
        participant=participant,
        enrollment=enrollment,
        impact=impact,
        writing_ability=WritingAbility(
            can_write=can_write,
            can_rate=state not in _CANNOT_RATE,
            rating_impact_needed=needed,
            daily_note_limit=daily_note_limit(impact) if can_write else 0,
            reason=reason,
        ),
        notes_written=n_notes,
        ratings_given=n_ratings,
    )
