"""Stage 5 of the Core scorer: contributor statistics and enrollment (scoring-core.md §11.4,
scoring-extended.md §2), from this run's final statuses and new status history."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.model import IdIndex
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.enrollment import (
    MISSING_MS,
    EnrollmentResult,
    EnrollmentTable,
    RatingOutcomes,
    ScoredNoteFacts,
    update_enrollment,
)
from bridgewatch.scoring.history import StatusHistory
from bridgewatch.scoring.inputs import CoreInputs

__all__ = [
    "Contributors",
    "enrollment_table",
    "note_facts",
    "note_sort_keys",
    "score_contributors",
]


@dataclass(frozen=True)
class Contributors:
    """Contributor scoring of one run.

    Attributes
    ----------
    enrollment : the enrollment state machine's result (new states, targets, recognitions)
        with the rating and writing counts of ``helpfulness_scores`` (§11.4) in
        ``enrollment.ratings`` and ``enrollment.writing``.
    """

    enrollment: EnrollmentResult


def enrollment_table(frame: pl.DataFrame, participant_ids: IdIndex) -> EnrollmentTable:
    """The loaded ``userEnrollment`` rows as an ``EnrollmentTable`` over ``participant_ids``.

    Parameters
    ----------
    frame : enrollment frame with the io schema (``enrollmentState`` an Enum in code order).
    participant_ids : the participant index; absent participants are new users.
    """
    table = EnrollmentTable.empty(len(participant_ids))
    if frame.height == 0:
        return table
    rows = participant_ids.lookup(
        np.asarray(frame["participantId"].cast(pl.String).to_list(), dtype=np.str_)
    )

    def ints(column: str) -> NDArray[np.int64]:
        return frame[column].cast(pl.Float64).fill_null(-1.0).to_numpy().astype(np.int64)

    state = frame["enrollmentState"].to_physical().cast(pl.Int8).fill_null(-1).to_numpy()
    ok = rows >= 0
    table.state[rows[ok]] = state[ok]
    table.successful_rating_needed_to_earn_in[rows[ok]] = ints("successfulRatingNeededToEarnIn")[ok]
    table.last_state_change_ms[rows[ok]] = ints("timestampOfLastStateChange")[ok]
    table.last_earn_out_ms[rows[ok]] = ints("timestampOfLastEarnOut")[ok]
    table.times_earned_out[rows[ok]] = ints("numberOfTimesEarnedOut")[ok]
    return table


def note_sort_keys(note_ids: NDArray[np.str_]) -> NDArray[np.int64]:
    """Rank of each note id in numeric order (snowflake ids are time-ordered)."""
    lengths = np.char.str_len(note_ids)
    order = np.lexsort((note_ids, lengths))
    keys = np.empty(note_ids.shape[0], dtype=np.int64)
    keys[order] = np.arange(note_ids.shape[0], dtype=np.int64)
    return keys


def score_contributors(
    inputs: CoreInputs,
    enrollment: pl.DataFrame | EnrollmentTable,
    history: StatusHistory,
    final_status: NDArray[np.int8],
    num_ratings: NDArray[np.int64],
    core_intercept: NDArray[np.float64],
    as_of_ms: int,
    config: ScoringConfig,
    *,
    rating_outcomes: RatingOutcomes | None = None,
    rated: NDArray[np.bool_] | None = None,
    facts: ScoredNoteFacts | None = None,
    recent_per_note: NDArray[np.int64] | None = None,
) -> Contributors:
    """Contributor counts (§11.4) and the enrollment update (extended §2).

    Parameters
    ----------
    inputs : CoreInputs (the preprocessed, pre-PSS ratings are used).
    enrollment : the loaded ``userEnrollment`` frame, or its :func:`enrollment_table` over
        ``inputs.participant_ids`` (a caller scoring many runs from one table).
    history : the new status history (rows aligned with the notes).
    final_status : int8 array of shape (n_notes,), this run's final statuses.
    num_ratings : int64 array of shape (n_notes,), ``numRatings``.
    core_intercept : float64 array of shape (n_notes,), Core intercepts (NaN where none).
    as_of_ms : "now", ms since the epoch.
    config : ScoringConfig
    rating_outcomes, rated : the rating outcomes and the participants with a rating, when
        the caller keeps them as running totals (see ``update_enrollment``).
    facts : :func:`note_facts` of the same arguments, when the caller has them.
    recent_per_note : the emerging-writer window's ratings per note, when the caller keeps
        them (see ``find_emerging_writers``).
    """
    ratings = inputs.ratings
    if facts is None:
        facts = note_facts(inputs, history, final_status, num_ratings)
    result = update_enrollment(
        ratings,
        facts,
        (
            enrollment
            if isinstance(enrollment, EnrollmentTable)
            else enrollment_table(enrollment, inputs.participant_ids)
        ),
        now_ms=as_of_ms,
        config=config.enrollment,
        core_note_intercepts=core_intercept,
        rating_outcomes=rating_outcomes,
        rated=rated,
        recent_per_note=recent_per_note,
    )
    return Contributors(enrollment=result)


def note_facts(
    inputs: CoreInputs,
    history: StatusHistory,
    final_status: NDArray[np.int8],
    num_ratings: NDArray[np.int64],
    sort_key: NDArray[np.int64] | None = None,
) -> ScoredNoteFacts:
    """The per-note facts contributor scoring reads (arguments as for
    :func:`score_contributors`; ``sort_key``: :func:`note_sort_keys` of the history's note
    ids when the caller keeps them)."""
    latest = history.latest_non_nmr_ts
    return ScoredNoteFacts(
        author_idx=inputs.note_info.author_idx,
        created_at_ms=history.created_at_ms,
        sort_key=note_sort_keys(history.note_id) if sort_key is None else sort_key,
        final_status=final_status,
        latest_non_nmr_ms=np.where(np.isnan(latest), MISSING_MS, latest).astype(np.int64),
        num_ratings=num_ratings,
    )
