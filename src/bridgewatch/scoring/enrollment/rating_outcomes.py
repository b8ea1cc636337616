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

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import Ratings
from bridgewatch.scoring.enrollment.config import EnrollmentConfig
from bridgewatch.scoring.enrollment.notes import MISSING_MS, ScoredNoteFacts
from bridgewatch.scoring.helpfulness.valid import classify_valid_ratings, ratings_before_note_status

__all__ = ["RatingOutcomes", "score_rating_outcomes"]


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
        Each rating's validity (§2.2), in input rating order.
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
    if notes.n_notes != ratings.n_notes:
        raise ValueError(f"{notes.n_notes} note facts for {ratings.n_notes} notes in ratings")
    n_participants = ratings.n_participants
    latest = notes.latest_non_nmr_ms
    latest_or_nan = np.where(latest == MISSING_MS, np.nan, latest.astype(np.float64))
    pre_status = ratings_before_note_status(
        ratings.note_idx,
        ratings.created_at_ms,
        notes.in_history,
        notes.created_at_ms,
        latest_or_nan,
        config.valid,
    )
    split = classify_valid_ratings(
        ratings.note_idx, ratings.helpful_num, pre_status, notes.final_status
    )
    nmr = notes.is_nmr[ratings.note_idx]
    after = notes.in_history[ratings.note_idx] & (
        ratings.created_at_ms.astype(np.float64) > latest_or_nan[ratings.note_idx]
    )

    def count(mask: NDArray[np.bool_]) -> NDArray[np.int64]:
        return np.bincount(ratings.rater_idx[mask], minlength=n_participants).astype(np.int64)

    return RatingOutcomes(
        successful_helpful=count(split.successful_helpful),
        successful_not_helpful=count(split.successful_not_helpful),
        unsuccessful_helpful=count(split.unsuccessful_helpful),
        unsuccessful_not_helpful=count(split.unsuccessful_not_helpful),
        ratings_awaiting_more_ratings=count(pre_status & nmr),
        rated_after_decision=count(after),
        has_counts=count(pre_status) > 0,
        is_valid=split.valid,
    )
