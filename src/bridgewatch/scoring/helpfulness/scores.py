"""Author and rater helpfulness and the ``aboveHelpfulnessThreshold`` gate (§4.5, §4.6 step 7)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import NoteStatus
from bridgewatch.scoring.helpfulness.config import HelpfulnessConfig
from bridgewatch.scoring.helpfulness.valid import ValidRatingCounts

__all__ = ["HelpfulnessScores", "compute_helpfulness_scores"]


@dataclass(frozen=True)
class HelpfulnessScores:
    """Per-participant helpfulness; every array has shape (n_participants,).

    Attributes
    ----------
    has_row : bool, the participant authored a note with an intercept or has a valid rating
        (the reference's outer join of author and rater tables).
    crh_crnh_ratio_difference : float64, CRH/notes - multiplier * CRNH/notes; NaN if no note.
    mean_note_score : float64, mean intercept of the author's notes; NaN if no note.
    rater_agree_ratio : float64, agree / valid; NaN without valid ratings.
    total_helpful_harassment_penalty : float64, summed harassment penalty (0 when none).
    rater_agree_ratio_with_penalty : float64, (agree - penalty) / valid.
    above_helpfulness_threshold : bool.
    counts : the per-rater valid-rating counts used.
    """

    has_row: NDArray[np.bool_]
    crh_crnh_ratio_difference: NDArray[np.float64]
    mean_note_score: NDArray[np.float64]
    rater_agree_ratio: NDArray[np.float64]
    total_helpful_harassment_penalty: NDArray[np.float64]
    rater_agree_ratio_with_penalty: NDArray[np.float64]
    above_helpfulness_threshold: NDArray[np.bool_]
    counts: ValidRatingCounts


def compute_helpfulness_scores(
    note_author_idx: NDArray[np.int32],
    note_intercept: NDArray[np.float64],
    note_status: NDArray[np.int8],
    counts: ValidRatingCounts,
    n_participants: int,
    config: HelpfulnessConfig,
    *,
    penalty: NDArray[np.float64] | None = None,
) -> HelpfulnessScores:
    """Helpfulness scores of every participant (§4.5).

    Author part over notes with a finite intercept: ``crhCrnhRatioDifference = CRH/notes -
    crnh_multiplier * CRNH/notes`` and ``meanNoteScore`` = mean intercept. Rater part:
    ``raterAgreeRatio = agree / valid``. ``aboveHelpfulnessThreshold`` requires (author
    difference >= min and mean score >= min, or no scored note authored), agree ratio >= min
    and penalised agree ratio >= min; comparisons with NaN are false.

    Parameters
    ----------
    note_author_idx : int32 array of shape (n_notes,), -1 where unknown
    note_intercept : float64 array of shape (n_notes,), round-1 intercepts, NaN where none
    note_status : int8 array of shape (n_notes,), provisional ``NoteStatus`` codes
    counts : per-rater valid-rating counts over (n_participants,)
    n_participants : size of the participant index
    config : HelpfulnessConfig
    penalty : float64 array of shape (n_participants,), the total harassment penalty per
        rater (``bridgewatch.scoring.harassment.rater_harassment_penalties``); None for the
        first, unpenalised computation

    Returns
    -------
    HelpfulnessScores
    """
    scored = np.isfinite(note_intercept) & (note_author_idx >= 0)
    authors = note_author_idx[scored]
    n_notes = np.bincount(authors, minlength=n_participants).astype(np.float64)
    status = note_status[scored]
    n_crh = np.bincount(
        authors, weights=(status == NoteStatus.CURRENTLY_RATED_HELPFUL), minlength=n_participants
    )
    n_crnh = np.bincount(
        authors,
        weights=(status == NoteStatus.CURRENTLY_RATED_NOT_HELPFUL),
        minlength=n_participants,
    )
    sum_intercept = np.bincount(authors, weights=note_intercept[scored], minlength=n_participants)
    with np.errstate(invalid="ignore", divide="ignore"):
        crh_ratio = n_crh / n_notes
        crnh_ratio = n_crnh / n_notes
        difference = crh_ratio - config.crnh_multiplier * crnh_ratio
        mean_score = sum_intercept / n_notes
        valid = counts.valid.astype(np.float64)
        agree = counts.agree.astype(np.float64)
        agree_ratio = np.where(counts.valid > 0, agree / valid, np.nan)
        total_penalty = np.zeros(n_participants, dtype=np.float64) if penalty is None else penalty
        penalised = np.where(counts.valid > 0, (agree - total_penalty) / valid, np.nan)
    is_author = n_notes > 0
    author_ok = ~is_author | (
        (difference >= config.min_crh_crnh_ratio_difference)
        & (mean_score >= config.min_mean_note_score)
    )
    above = (
        author_ok
        & (agree_ratio >= config.min_rater_agree_ratio)
        & (penalised >= config.min_rater_agree_ratio)
    )
    return HelpfulnessScores(
        has_row=is_author | (counts.valid > 0),
        crh_crnh_ratio_difference=difference,
        mean_note_score=mean_score,
        rater_agree_ratio=agree_ratio,
        total_helpful_harassment_penalty=total_penalty,
        rater_agree_ratio_with_penalty=penalised,
        above_helpfulness_threshold=above,
        counts=counts,
    )
