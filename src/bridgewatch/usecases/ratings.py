"""Rating a note: who may rate which note, how often, and the error that answers each refusal.

:func:`rate_note` is the one implementation of the rules on a SQLAlchemy session (the API's
general path, the web app). The PostgreSQL fast path (:mod:`bridgewatch.service.pg_ratings`)
evaluates the same rules in one statement and answers its verdicts with :func:`refusal`, so
both paths refuse alike (``tests/service/test_pg_ratings.py`` compares them).

Verdicts, in the order they are checked: ``unauthenticated``, ``removed``, ``ai_writer``,
``not_found``, ``own_note``, ``deleted``, ``population_sampled``, ``rate_limited``.
"""

from __future__ import annotations

from typing import Literal, Protocol

from sqlalchemy.orm import Session

from bridgewatch.errors import (
    AuthenticationError,
    BridgewatchError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
)
from bridgewatch.model import EnrollmentState
from bridgewatch.store.repositories.locks import lock_participant_writes
from bridgewatch.store.repositories.participants import Participant
from bridgewatch.store.repositories.ratings import get_rating_target, save_rating
from bridgewatch.store.rows import RatingRow
from bridgewatch.usecases.rules import is_ai_writer

__all__ = [
    "RATING_EVENT_TYPES",
    "RATING_WINDOW_MS",
    "RatedNote",
    "Verdict",
    "note_verdict",
    "rate_note",
    "rater_verdict",
    "refusal",
]

Verdict = Literal[
    "unauthenticated",
    "removed",
    "ai_writer",
    "not_found",
    "own_note",
    "deleted",
    "population_sampled",
    "rate_limited",
]

# The events the rating rate limit counts, over the last RATING_WINDOW_MS.
RATING_EVENT_TYPES = ("rating.created", "rating.replaced")
RATING_WINDOW_MS = 60 * 1000


def refusal(verdict: Verdict, *, note_id: int = 0, ratings_per_minute: int = 0) -> BridgewatchError:
    """The error that answers a refused rating (the API maps it to its HTTP status).

    ``note_id`` is named by ``not_found`` and ``deleted``, ``ratings_per_minute`` by
    ``rate_limited``.
    """
    if verdict == "unauthenticated":
        return AuthenticationError("unknown or expired session token")
    if verdict == "removed":
        return PermissionDeniedError("this participant was removed")
    if verdict == "ai_writer":
        return PermissionDeniedError("AI note writers cannot rate notes")
    if verdict == "not_found":
        return NotFoundError(f"note {note_id} does not exist")
    if verdict == "own_note":
        return PermissionDeniedError("you cannot rate your own note")
    if verdict == "deleted":
        return ConflictError(f"note {note_id} was deleted")
    if verdict == "population_sampled":
        return PermissionDeniedError("only an integration may mark a rating POPULATION_SAMPLED")
    return RateLimitedError(
        f"at most {ratings_per_minute} ratings per minute",
        limit_name="ratings_per_minute",
        retry_after_s=RATING_WINDOW_MS // 1000,
    )


def rater_verdict(rater: Participant) -> Verdict | None:
    """Why this participant may not rate at all (``removed``, ``ai_writer``), or ``None``."""
    if rater.enrollment_state == EnrollmentState.removed:
        return "removed"
    if is_ai_writer(is_api_writer=rater.is_api_writer, enrollment_state=rater.enrollment_state):
        return "ai_writer"
    return None


class RatedNote(Protocol):
    """What the note rules read of a note (``NoteView`` and ``RatingTarget`` have it)."""

    @property
    def author_participant_id(self) -> str: ...
    @property
    def deleted_at_ms(self) -> int | None: ...


def note_verdict(note: RatedNote, rater_participant_id: str) -> Verdict | None:
    """Why this note may not be rated by this rater (``own_note``, ``deleted``), or ``None``."""
    if note.author_participant_id == rater_participant_id:
        return "own_note"
    if note.deleted_at_ms is not None:
        return "deleted"
    return None


def rate_note(
    db: Session,
    *,
    rater: Participant,
    rating: RatingRow,
    ratings_per_minute: int,
    integration: bool = False,
) -> bool:
    """Store ``rater``'s ``rating`` (replacing an earlier one on the note) if the rules
    allow it, in the caller's transaction.

    Parameters
    ----------
    rating : the rating, by ``rater``; its ``created_at_ms`` is now (ms since the epoch).
    ratings_per_minute : the rater's limit over the last RATING_WINDOW_MS (exact: the
        rater's write lock is held while counting).
    integration : whether an API key acts (only an integration may mark a rating
        ``POPULATION_SAMPLED``).

    Returns
    -------
    Whether an earlier rating was replaced.

    Raises
    ------
    The error of :func:`refusal` for the first verdict that applies.
    """

    if rating.rater_participant_id != rater.participant_id:
        raise ValueError("a rating is stored for its own rater")
    note_id, now_ms = rating.note_id, rating.created_at_ms

    def refuse(verdict: Verdict) -> BridgewatchError:
        return refusal(verdict, note_id=note_id, ratings_per_minute=ratings_per_minute)

    verdict = rater_verdict(rater)
    if verdict is not None:
        raise refuse(verdict)
    # Before the count of recent ratings that comes with the note: the limit is exact.
    lock_participant_writes(db, rater.participant_id)
    note = get_rating_target(
        db,
        note_id=note_id,
        rater_participant_id=rater.participant_id,
        event_types=RATING_EVENT_TYPES,
        since_ms=now_ms - RATING_WINDOW_MS,
    )
    verdict = note_verdict(note, rater.participant_id)
    if verdict is not None:
        raise refuse(verdict)
    if rating.rating_source == "POPULATION_SAMPLED" and not integration:
        raise refuse("population_sampled")
    if note.recent_events >= ratings_per_minute:
        raise refuse("rate_limited")
    return save_rating(db, rating)
