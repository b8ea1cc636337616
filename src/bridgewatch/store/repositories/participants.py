"""Participants, their enrollment record and their contributor scores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bridgewatch.errors import NotFoundError
from bridgewatch.model import EnrollmentState
from bridgewatch.store.events import append_event
from bridgewatch.store.identifiers import hash_secret, new_alias, new_participant_id
from bridgewatch.store.rows import ContributorScoresRow, EnrollmentRow
from bridgewatch.store.tables import (
    contributor_scores,
    enrollment,
    notes,
    participants,
    ratings,
    session_tokens,
)

__all__ = [
    "NEW_USER_EARN_IN_TARGET",
    "Participant",
    "count_contributions",
    "create_participant",
    "get_contributor_scores",
    "get_enrollment",
    "get_participant",
    "get_session_participant",
]

# successfulRatingNeededToEarnIn of a new user (spec-extended §2.6).
NEW_USER_EARN_IN_TARGET = 5
# Modeling group of participants who join through the API: a Core-scope group
# (scoring-core.md §2.4) so that their ratings count in the Core model.
_DEFAULT_MODELING_GROUP = 1


@dataclass(frozen=True)
class Participant:
    """A participant with the enrollment fields that gate what they may do."""

    participant_id: str
    alias: str
    created_at_ms: int
    is_api_writer: bool
    enrollment_state: EnrollmentState


def create_participant(
    session: Session,
    *,
    now_ms: int,
    participant_id: str | None = None,
    is_api_writer: bool = False,
) -> Participant:
    """Create a participant (state ``newUser``, target 5) and log ``participant.joined``.

    A clash of the generated alias is retried with a fresh one (inside a savepoint).
    """
    pid = participant_id or new_participant_id()
    state = EnrollmentState.apiEarnedIn if is_api_writer else EnrollmentState.newUser
    for _attempt in range(5):
        alias = new_alias()
        try:
            with session.begin_nested():
                session.execute(
                    insert(participants).values(
                        participantId=pid,
                        alias=alias,
                        created_at_ms=now_ms,
                        is_api_writer=is_api_writer,
                    )
                )
            break
        except IntegrityError:
            if get_participant(session, pid) is not None:
                raise
    else:  # pragma: no cover - 2e11 aliases; five clashes in a row do not happen
        raise RuntimeError("could not find a free alias")
    session.execute(
        insert(enrollment).values(
            participantId=pid,
            enrollmentState=int(state),
            successfulRatingNeededToEarnIn=NEW_USER_EARN_IN_TARGET,
            timestampOfLastStateChange=now_ms,
            enrolledSinceMillis=now_ms,
            timestampOfLastEarnOut=1,
            modelingPopulation="CORE",
            modelingGroup=_DEFAULT_MODELING_GROUP,
            numberOfTimesEarnedOut=0,
        )
    )
    append_event(
        session,
        now_ms=now_ms,
        event_type="participant.joined",
        actor_participant_id=pid,
        entity_id=pid,
        payload={"participantId": pid, "alias": alias, "isApiWriter": is_api_writer},
    )
    return Participant(pid, alias, now_ms, is_api_writer, state)


# The columns a ``Participant`` is read from (participants outer-joined with enrollment).
_PARTICIPANT_COLUMNS = (
    participants.c.participantId,
    participants.c.alias,
    participants.c.created_at_ms,
    participants.c.is_api_writer,
    enrollment.c.enrollmentState,
)


def _participant_from_row(row: Any) -> Participant:
    """A ``Participant`` from a row of ``_PARTICIPANT_COLUMNS`` (no enrollment: newUser)."""
    state = (
        EnrollmentState.newUser
        if row.enrollmentState is None
        else EnrollmentState(row.enrollmentState)
    )
    return Participant(
        row.participantId, row.alias, row.created_at_ms, bool(row.is_api_writer), state
    )


def get_participant(session: Session, participant_id: str) -> Participant | None:
    """The participant with its enrollment state, or ``None``."""
    row = session.execute(
        select(*_PARTICIPANT_COLUMNS)
        .select_from(participants.outerjoin(enrollment))
        .where(participants.c.participantId == participant_id)
    ).first()
    return None if row is None else _participant_from_row(row)


# Built once with bound parameters: every authenticated request runs it.
_SESSION_PARTICIPANT = (
    select(*_PARTICIPANT_COLUMNS)
    .select_from(
        session_tokens.join(
            participants, participants.c.participantId == session_tokens.c.participant_id
        ).outerjoin(enrollment)
    )
    .where(
        session_tokens.c.token_hash == bindparam("token_hash"),
        session_tokens.c.expires_at_ms > bindparam("now"),
    )
)


def get_session_participant(session: Session, token: str, *, now_ms: int) -> Participant | None:
    """The participant of a live session token, with enrollment, in one query; or ``None``."""
    row = session.execute(
        _SESSION_PARTICIPANT, {"token_hash": hash_secret(token), "now": now_ms}
    ).first()
    return None if row is None else _participant_from_row(row)


def get_enrollment(session: Session, participant_id: str) -> EnrollmentRow:
    """The participant's userEnrollment record; the defaults of a new user for a missing one.

    Raises
    ------
    NotFoundError : no such participant.
    """
    row = session.execute(
        select(enrollment).where(enrollment.c.participantId == participant_id)
    ).first()
    if row is None:
        if get_participant(session, participant_id) is None:
            raise NotFoundError(f"participant {participant_id!r} does not exist")
        return EnrollmentRow(
            participant_id=participant_id,
            enrollment_state=EnrollmentState.newUser,
            successful_rating_needed_to_earn_in=NEW_USER_EARN_IN_TARGET,
            timestamp_of_last_state_change=None,
            timestamp_of_last_earn_out=1,
            modeling_population=None,
            modeling_group=None,
            number_of_times_earned_out=0,
        )
    return EnrollmentRow(
        participant_id=row.participantId,
        enrollment_state=EnrollmentState(row.enrollmentState),
        successful_rating_needed_to_earn_in=row.successfulRatingNeededToEarnIn,
        timestamp_of_last_state_change=row.timestampOfLastStateChange,
        timestamp_of_last_earn_out=row.timestampOfLastEarnOut,
        modeling_population=row.modelingPopulation,
        modeling_group=row.modelingGroup,
        number_of_times_earned_out=row.numberOfTimesEarnedOut,
    )


def get_contributor_scores(session: Session, participant_id: str) -> ContributorScoresRow | None:
    """The latest contributor-phase figures of the participant, if the scorer ran."""
    row = session.execute(
        select(contributor_scores).where(contributor_scores.c.participant_id == participant_id)
    ).first()
    return None if row is None else ContributorScoresRow(**row._mapping)


def count_contributions(session: Session, participant_id: str) -> tuple[int, int]:
    """(notes written and not deleted, ratings given) by the participant."""
    n_notes = session.execute(
        select(func.count()).where(
            notes.c.noteAuthorParticipantId == participant_id, notes.c.deleted_at_ms.is_(None)
        )
    ).scalar_one()
    n_ratings = session.execute(
        select(func.count()).where(ratings.c.raterParticipantId == participant_id)
    ).scalar_one()
    return int(n_notes), int(n_ratings)
