"""Contributor scoring of one run: counts, impacts, recognitions and new enrollment (ext. §2).

``update_enrollment`` composes the kernels of this package in the reference's order: valid
ratings and RI (§2.2-2.3), all-time writing outcomes (§2.4), step 0 of the state machine,
the recent-notes window, Top Writer (§2.7), the state machine and targets (§2.5-2.6), and
the emerging-writer flag (§2.7).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import Ratings
from bridgewatch.scoring.enrollment.config import EnrollmentConfig
from bridgewatch.scoring.enrollment.notes import ScoredNoteFacts
from bridgewatch.scoring.enrollment.rating_outcomes import RatingOutcomes, score_rating_outcomes
from bridgewatch.scoring.enrollment.state import EnrollmentTable, transition_enrollment
from bridgewatch.scoring.enrollment.writing import (
    WritingOutcomes,
    count_window_crnh,
    score_writing_outcomes,
)
from bridgewatch.scoring.preprocess.high_volume import counts_after

__all__ = [
    "EnrollmentResult",
    "emerging_cutoff_ms",
    "find_emerging_writers",
    "find_top_writers",
    "update_enrollment",
]

_DAY_MS = 86_400_000
_EMERGING_WINDOW_DAYS = 28


@dataclass(frozen=True)
class EnrollmentResult:
    """Everything contributor scoring produces for one run.

    Parameters
    ----------
    table : EnrollmentTable
        The enrollment rows to persist for the next run.
    ratings : RatingOutcomes
        Valid-rating counts per participant (§2.2).
    writing : WritingOutcomes
        Note outcomes per author (§2.4, §2.7).
    rating_impact : int64 array of shape (n_participants,)
        RI of §2.3.
    window_crnh : int64 array of shape (n_participants,)
        CRNH notes in the recent window (after step 0).
    is_top_writer : bool array of shape (n_participants,)
    is_emerging_writer : bool array of shape (n_participants,)
    is_listed : bool array of shape (n_participants,)
        Participants who rated or authored a note: the rows the reference writes to
        helpfulness_scores.tsv (enrollment-only participants are left out).
    """

    table: EnrollmentTable
    ratings: RatingOutcomes
    writing: WritingOutcomes
    rating_impact: NDArray[np.int64]
    window_crnh: NDArray[np.int64]
    is_top_writer: NDArray[np.bool_]
    is_emerging_writer: NDArray[np.bool_]
    is_listed: NDArray[np.bool_]


def find_top_writers(writing: WritingOutcomes, config: EnrollmentConfig) -> NDArray[np.bool_]:
    """Top Writers: WI >= 10 and (CRH - CRNH) / max(1, notes) >= 0.04 (§2.7).

    Returns
    -------
    bool array of shape (n_participants,)
    """
    return np.asarray(
        (writing.writing_impact >= config.top_writer_writing_impact)
        & (writing.hit_rate >= config.top_writer_hit_rate)
    )


def emerging_cutoff_ms(now_ms: int) -> int:
    """The emerging-writer window's start: ratings created strictly after it are recent."""
    return now_ms - _EMERGING_WINDOW_DAYS * _DAY_MS


def find_emerging_writers(
    ratings: Ratings,
    notes: ScoredNoteFacts,
    core_note_intercepts: NDArray[np.float64],
    *,
    now_ms: int,
    config: EnrollmentConfig,
    recent_per_note: NDArray[np.int64] | None = None,
) -> NDArray[np.bool_]:
    """Emerging writers (§2.7): mean Core intercept > 0.3 and >= 10 ratings in 28 days.

    The mean is the sum of the available Core intercepts over the author's notes divided by
    the number of notes (notes without an intercept count in the denominator). Recent
    ratings are those created strictly after ``now_ms`` - 28 days on the author's notes.

    Parameters
    ----------
    ratings : Ratings
    notes : ScoredNoteFacts
    core_note_intercepts : float64 array of shape (n_notes,)
        Core model note intercept of each note, NaN where the Core model gave none.
    now_ms : int
    config : EnrollmentConfig
    recent_per_note : int64 array of shape (n_notes,), the ratings of each note created
        after :func:`emerging_cutoff_ms` of ``now_ms``, when the caller keeps them (a live
        pass); None: counted here.

    Returns
    -------
    bool array of shape (n_participants,)
    """
    n = ratings.n_participants
    authored = notes.in_history & (notes.author_idx >= 0)
    author = notes.author_idx[authored]
    intercepts = np.nan_to_num(core_note_intercepts[authored], nan=0.0)
    n_notes = np.bincount(author, minlength=n)
    score_sum = np.bincount(author, weights=intercepts, minlength=n)
    mean_score = np.divide(score_sum, n_notes, out=np.full(n, np.nan), where=n_notes > 0)
    if recent_per_note is None:
        cutoff = np.asarray([emerging_cutoff_ms(now_ms)], dtype=np.int64)
        # (``np.bincount(note_idx[created_at_ms > cutoff])`` in one scan of the ratings.)
        per_note = counts_after(ratings.note_idx, ratings.created_at_ms, cutoff, notes.n_notes)
        recent_per_note = per_note[0]
    recent_per_author = np.bincount(author, weights=recent_per_note[authored], minlength=n)
    with np.errstate(invalid="ignore"):
        good = mean_score > config.emerging_mean_note_score
    return np.asarray(good & (recent_per_author >= config.emerging_min_recent_ratings))


def update_enrollment(
    ratings: Ratings,
    notes: ScoredNoteFacts,
    table: EnrollmentTable,
    *,
    now_ms: int,
    config: EnrollmentConfig,
    core_note_intercepts: NDArray[np.float64] | None = None,
    rating_outcomes: RatingOutcomes | None = None,
    rated: NDArray[np.bool_] | None = None,
    recent_per_note: NDArray[np.int64] | None = None,
) -> EnrollmentResult:
    """Score contributors and advance the enrollment state machine for one run (§2).

    Parameters
    ----------
    ratings : Ratings
        All preprocessed ratings, before PSS filtering.
    notes : ScoredNoteFacts
        Facts of every note in ``ratings.note_ids`` with this run's final statuses and the
        updated status history.
    table : EnrollmentTable
        The loaded ``userEnrollment`` rows, indexed like ``ratings.participant_ids``.
    now_ms : int
        This run's "now" (ms since epoch).
    config : EnrollmentConfig
    core_note_intercepts : float64 array of shape (n_notes,), optional
        Core note intercepts for the emerging-writer flag; without them nobody is emerging.
    rating_outcomes : RatingOutcomes, optional
        ``score_rating_outcomes(ratings, notes, config)`` when the caller keeps it (a live
        pass's running totals, :func:`~bridgewatch.scoring.enrollment.outcome_counts`).
    rated : bool array of shape (n_participants,), optional
        The participants with a rating in ``ratings``, when the caller keeps it.
    recent_per_note : int64 array of shape (n_notes,), optional
        See :func:`find_emerging_writers`.

    Returns
    -------
    EnrollmentResult
    """
    n = ratings.n_participants
    if table.n_participants != n:
        raise ValueError(f"enrollment table has {table.n_participants} rows for {n} participants")
    if rating_outcomes is None:
        rating_outcomes = score_rating_outcomes(ratings, notes, config)
    writing = score_writing_outcomes(notes, n, config)
    window_crnh = count_window_crnh(notes, table.effective_last_earn_out_ms(now_ms), config)
    top = find_top_writers(writing, config)
    rating_impact = rating_outcomes.rating_impact
    new_table = transition_enrollment(
        table,
        rating_impact=rating_impact,
        window_crnh=window_crnh,
        notes_crh=writing.notes_crh,
        notes_crnh=writing.notes_crnh,
        is_top_writer=top,
        now_ms=now_ms,
        config=config,
    )
    if core_note_intercepts is None:
        emerging = np.zeros(n, dtype=np.bool_)
    else:
        emerging = find_emerging_writers(
            ratings,
            notes,
            core_note_intercepts,
            now_ms=now_ms,
            config=config,
            recent_per_note=recent_per_note,
        )
    return EnrollmentResult(
        table=new_table,
        ratings=rating_outcomes,
        writing=writing,
        rating_impact=rating_impact,
        window_crnh=window_crnh,
        is_top_writer=top,
        is_emerging_writer=emerging,
        is_listed=_listed(ratings, notes, rated),
    )


def _listed(
    ratings: Ratings, notes: ScoredNoteFacts, rated: NDArray[np.bool_] | None
) -> NDArray[np.bool_]:
    if rated is None:
        listed = np.zeros(ratings.n_participants, dtype=np.bool_)
        listed[ratings.rater_idx] = True
    else:
        listed = rated.copy()
    listed[notes.author_idx[notes.in_history & (notes.author_idx >= 0)]] = True
    return listed
