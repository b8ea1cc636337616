"""Valid ratings and Rating Impact (scoring-extended.md §2.2-§2.3, scoring-core.md §11.4).

A rating is *pre-status* when it was made less than 48 h after the note's creation and, for
notes created from 2022-05-19, before the note's latest CRH/CRNH decision (for older notes:
among the note's first 5 such ratings by time). A pre-status rating is *valid* when the note's
final status this run is CRH or CRNH and the rating is HELPFUL (1.0) or NOT_HELPFUL (0.0)::

    rating \\ note     CRH                        CRNH
    HELPFUL          successfulHelpful          unsuccessfulNotHelpful
    NOT_HELPFUL      unsuccessfulHelpful        successfulNotHelpful

    RI = successfulTotal - unsuccessfulTotal - unsuccessfulNotHelpful

The pre-status and validity rules are prescoring's (``bridgewatch.scoring.helpfulness.valid``,
core §4.4), applied here to all ratings against this run's final statuses.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import Ratings
from bridgewatch.scoring.enrollment.config import EnrollmentConfig
from bridgewatch.scoring.enrollment.notes import MISSING_MS, ScoredNoteFacts
from bridgewatch.scoring.helpfulness.valid import (
    RATING_BLOCK,
    classify_valid_ratings,
    created_after,
    ratings_before_note_status,
)

__all__ = [
    "OUTCOME_COUNTS",
    "RatingOutcomes",
    "outcome_counts",
    "outcomes_from_counts",
    "score_rating_outcomes",
]


@dataclass(frozen=True)
class RatingOutcomes:
    """Per-participant counts of valid ratings, and the per-rating validity.

    All count arrays are int64 of shape (n_participants,), indexed by ``rater_idx``.

    Parameters
    ----------
    successful_helpful : HELPFUL valid ratings on CRH notes.
    successful_not_helpful : NOT_HELPFUL valid ratings on CRNH notes.
    unsuccessful_helpful : NOT_HELPFUL valid ratings on CRH notes (the name follows the note).
    unsuccessful_not_helpful : HELPFUL valid ratings on CRNH notes.
    ratings_awaiting_more_ratings : pre-status ratings on notes that are NMR now.
    rated_after_decision : ratings made after the note's latest CRH/CRNH decision.
    has_counts : bool array of shape (n_participants,)
        The participant made at least one pre-status rating on a scored note; the reference
        leaves every count above empty (NaN) for the others.
    is_valid : bool array of shape (n_ratings,)
        Each rating's validity (§2.2), in input rating order (empty when the outcomes are
        running totals, :func:`outcomes_from_counts`).
    """

    successful_helpful: NDArray[np.int64]
    successful_not_helpful: NDArray[np.int64]
    unsuccessful_helpful: NDArray[np.int64]
    unsuccessful_not_helpful: NDArray[np.int64]
    ratings_awaiting_more_ratings: NDArray[np.int64]
    rated_after_decision: NDArray[np.int64]
    has_counts: NDArray[np.bool_]
    is_valid: NDArray[np.bool_]

    @property
    def successful_total(self) -> NDArray[np.int64]:
        """int64 (n_participants,): valid ratings that match the note's final status."""
        return self.successful_helpful + self.successful_not_helpful

    @property
    def unsuccessful_total(self) -> NDArray[np.int64]:
        """int64 (n_participants,): valid ratings that oppose the note's final status."""
        return self.unsuccessful_helpful + self.unsuccessful_not_helpful

    @property
    def rating_impact(self) -> NDArray[np.int64]:
        """int64 (n_participants,): RI of §2.3 (HELPFUL on a CRNH note costs 2)."""
        return self.successful_total - self.unsuccessful_total - self.unsuccessful_not_helpful


def score_rating_outcomes(
    ratings: Ratings, notes: ScoredNoteFacts, config: EnrollmentConfig
) -> RatingOutcomes:
    """Count each participant's valid ratings by outcome (§2.2-§2.3, core §11.4).

    Parameters
    ----------
    ratings : Ratings
        All preprocessed ratings *before* PSS filtering (contributor scoring sees them all).
    notes : ScoredNoteFacts
        Facts of every note in ``ratings.note_ids``, with this run's final statuses.
    config : EnrollmentConfig

    Returns
    -------
    RatingOutcomes
    """
    counts, valid = _tally(ratings, notes, config)
    return replace(outcomes_from_counts(counts), is_valid=valid)


OUTCOME_COUNTS: tuple[str, ...] = (
    "successful_helpful",
    "successful_not_helpful",
    "unsuccessful_helpful",
    "unsuccessful_not_helpful",
    "ratings_awaiting_more_ratings",
    "rated_after_decision",
    "pre_status",
    "ratings",
)
"""Columns of :func:`outcome_counts`: the counts of :class:`RatingOutcomes`, then each
participant's pre-status ratings and all their ratings."""


def _tally(
    ratings: Ratings, notes: ScoredNoteFacts, config: EnrollmentConfig
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Per-participant counts of :data:`OUTCOME_COUNTS` and per-rating validity.

    Each rating's class depends only on itself and its note's facts (and, for pre-status,
    on its note's other ratings: ``ratings_before_note_status`` runs on all of them first),
    so the classes are computed and counted a block of ratings at a time: a dozen boolean
    and gathered arrays per rating at once took ~3 GiB at 150M ratings. The counts are
    sums of integer counts, the same whatever the blocks.

    Returns
    -------
    counts : int64 array of shape (n_participants, len(OUTCOME_COUNTS)).
    valid : bool array of shape (n_ratings,), each rating's validity (§2.2).
    """
    if notes.n_notes != ratings.n_notes:
        raise ValueError(f"{notes.n_notes} note facts for {ratings.n_notes} notes in ratings")
    latest = notes.latest_non_nmr_ms
    latest_or_nan = np.where(latest == MISSING_MS, np.nan, latest.astype(np.float64))
    note_idx, created_at_ms = ratings.note_idx, ratings.created_at_ms
    rater_idx, helpful_num = ratings.rater_idx, ratings.helpful_num
    pre_status = ratings_before_note_status(
        note_idx, created_at_ms, notes.in_history, notes.created_at_ms, latest_or_nan, config.valid
    )
    n_part, n_ratings = ratings.n_participants, note_idx.shape[0]
    counts = np.zeros((n_part, len(OUTCOME_COUNTS)), dtype=np.int64)
    valid = np.empty(n_ratings, dtype=np.bool_)
    is_nmr, in_history = notes.is_nmr, notes.in_history
    for start in range(0, n_ratings, RATING_BLOCK):
        block = slice(start, start + RATING_BLOCK)
        notes_b, raters_b, pre_b = note_idx[block], rater_idx[block], pre_status[block]
        split = classify_valid_ratings(notes_b, helpful_num[block], pre_b, notes.final_status)
        valid[block] = split.valid
        # ``created > latest`` compared exactly on integers (``created_after``), as the
        # float64 comparison of the two gathered times gives for ms below 2**53.
        after = in_history[notes_b] & created_after(created_at_ms[block], notes_b, latest_or_nan)
        masks = (
            split.successful_helpful,
            split.successful_not_helpful,
            split.unsuccessful_helpful,
            split.unsuccessful_not_helpful,
            pre_b & is_nmr[notes_b],
            after,
            pre_b,
        )
        for k, mask in enumerate(masks):
            counts[:, k] += np.bincount(raters_b[mask], minlength=n_part)
        counts[:, len(masks)] += np.bincount(raters_b, minlength=n_part)
    return counts, valid


def outcome_counts(
    ratings: Ratings, notes: ScoredNoteFacts, config: EnrollmentConfig
) -> NDArray[np.int64]:
    """Per-participant counts of :data:`OUTCOME_COUNTS` over ``ratings``.

    Each rating's outcome depends only on its note's ratings and facts, so the counts over
    all ratings are the sum of the counts over any partition of the notes: a live pass keeps
    them as running totals, recounting the notes whose ratings or facts changed.

    Returns
    -------
    int64 array of shape (ratings.n_participants, len(OUTCOME_COUNTS)).
    """
    return _tally(ratings, notes, config)[0]


def outcomes_from_counts(counts: NDArray[np.int64]) -> RatingOutcomes:
    """The :class:`RatingOutcomes` of :func:`outcome_counts` totals (``is_valid`` is empty:
    the per-rating validity is not kept with running totals)."""
    if counts.ndim != 2 or counts.shape[1] != len(OUTCOME_COUNTS):
        raise ValueError(f"counts have shape {counts.shape}, expected (n, {len(OUTCOME_COUNTS)})")
    return RatingOutcomes(
        successful_helpful=counts[:, 0],
        successful_not_helpful=counts[:, 1],
        unsuccessful_helpful=counts[:, 2],
        unsuccessful_not_helpful=counts[:, 3],
        ratings_awaiting_more_ratings=counts[:, 4],
        rated_after_decision=counts[:, 5],
        has_counts=counts[:, 6] > 0,
        is_valid=np.zeros(0, dtype=np.bool_),
    )
