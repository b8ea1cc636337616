"""Rater helpfulness gate: who may rate in the final MF round (extended §2.8, core §4.4-4.6).

Author part, over the notes the first MF round gave an intercept, grouped by author::

    crhCrnhRatioDifference = #CRH / #notes - 5 * #CRNH / #notes
    meanNoteScore          = sum of intercepts / #notes

Rater part, over valid ratings judged against the *provisional* labels of prescoring and the
*input* status history::

    raterAgreeRatio = #agree / #valid
    raterAgreeRatioWithHarassmentAbusePenalty = (#agree - penalty) / #valid

where the penalty adds ``10 * h / 2.0`` for every HELPFUL rating (valid or not) on a note
whose harassment intercept h is at least 2.0. ``aboveHelpfulnessThreshold`` requires both
ratios >= 0.66 and, for authors, ``crhCrnhRatioDifference >= 0`` and ``meanNoteScore >= 0.05``.
The minimum rating counts of the training set (10 per rater, 5 per note; core §4.1) are the
scorer's filter on its ratings, applied before this gate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError
from bridgewatch.model import Ratings
from bridgewatch.scoring.enrollment.config import EnrollmentConfig
from bridgewatch.scoring.enrollment.notes import ScoredNoteFacts
from bridgewatch.scoring.enrollment.rating_outcomes import score_rating_outcomes

__all__ = ["HelpfulnessConfig", "RaterHelpfulness", "score_rater_helpfulness"]


@dataclass(frozen=True)
class HelpfulnessConfig:
    """Thresholds of the rater helpfulness gate (core Appendix A, "helpfulness").

    Parameters
    ----------
    crnh_multiplier : float
        Weight of the CRNH share in ``crhCrnhRatioDifference`` (5.0).
    min_crh_crnh_ratio_difference : float
        Author condition (0.0).
    min_mean_note_score : float
        Author condition on the mean first-round intercept (0.05).
    min_rater_agree_ratio : float
        Minimum agree ratio, before and after the harassment penalty (0.66).
    harassment_penalty : float
        Penalty per HELPFUL rating on a harassment note, before scaling (10).
    min_harassment_intercept : float
        Harassment intercept from which a note penalises its helpful raters (2.0); the
        penalty is scaled by ``intercept / min_harassment_intercept``.
    """

    crnh_multiplier: float = 5.0
    min_crh_crnh_ratio_difference: float = 0.0
    min_mean_note_score: float = 0.05
    min_rater_agree_ratio: float = 0.66
    harassment_penalty: float = 10.0
    min_harassment_intercept: float = 2.0

    def __post_init__(self) -> None:
        if self.crnh_multiplier < 0.0:
            raise ConfigError("crnh_multiplier", self.crnh_multiplier, ">= 0")
        if not 0.0 <= self.min_rater_agree_ratio <= 1.0:
            raise ConfigError("min_rater_agree_ratio", self.min_rater_agree_ratio, "in [0, 1]")
        if self.harassment_penalty < 0.0:
            raise ConfigError("harassment_penalty", self.harassment_penalty, ">= 0")
        if not self.min_harassment_intercept > 0.0:
            raise ConfigError("min_harassment_intercept", self.min_harassment_intercept, "> 0")


@dataclass(frozen=True)
class RaterHelpfulness:
    """Helpfulness scores per participant; float64 arrays of shape (n_participants,).

    Parameters
    ----------
    crh_crnh_ratio_difference : NaN for participants with no note that has an intercept.
    mean_note_score : NaN likewise.
    rater_agree_ratio : NaN for participants without valid ratings.
    harassment_penalty : total penalty (0 without harassment notes).
    rater_agree_ratio_with_penalty : NaN without valid ratings.
    above_threshold : bool array, ``aboveHelpfulnessThreshold``.
    """

    crh_crnh_ratio_difference: NDArray[np.float64]
    mean_note_score: NDArray[np.float64]
    rater_agree_ratio: NDArray[np.float64]
    harassment_penalty: NDArray[np.float64]
    rater_agree_ratio_with_penalty: NDArray[np.float64]
    above_threshold: NDArray[np.bool_]


def _sum_by(
    index: NDArray[np.integer], weights: NDArray[np.generic], n: int
) -> NDArray[np.float64]:
    return np.asarray(np.bincount(index, weights=weights, minlength=n), dtype=np.float64)


def _ratio(numerator: NDArray[np.float64], denominator: NDArray[np.int64]) -> NDArray[np.float64]:
    out = np.full(numerator.shape[0], np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def score_rater_helpfulness(
    ratings: Ratings,
    provisional_notes: ScoredNoteFacts,
    note_intercepts: NDArray[np.float64],
    *,
    config: HelpfulnessConfig,
    enrollment_config: EnrollmentConfig,
    harassment_intercepts: NDArray[np.float64] | None = None,
    penalty_ratings: Ratings | None = None,
) -> RaterHelpfulness:
    """Compute the helpfulness scores and the gate of core §4.5 (extended §2.8).

    Parameters
    ----------
    ratings : Ratings
        The scorer's in-scope ratings (``scopedRatings``) whose validity is judged.
    provisional_notes : ScoredNoteFacts
        ``final_status`` holds the *provisional* labels of core §4.3 and
        ``latest_non_nmr_ms`` the *input* status history's decision times (core §4.4).
    note_intercepts : float64 array of shape (n_notes,)
        First-round note intercepts, NaN for notes the round did not score.
    config : HelpfulnessConfig
    enrollment_config : EnrollmentConfig
        Supplies the valid-rating time rules (48 h, first-5 for old notes).
    harassment_intercepts : float64 array of shape (n_notes,), optional
        Tag-consensus harassment intercepts (core §4.6); NaN or absent means no penalty.
    penalty_ratings : Ratings, optional
        Ratings checked for the penalty (``ratingsForTraining``); default ``ratings``.

    Returns
    -------
    RaterHelpfulness
    """
    n = ratings.n_participants
    scored = ~np.isnan(note_intercepts) & (provisional_notes.author_idx >= 0)
    author = provisional_notes.author_idx[scored]
    n_notes = np.bincount(author, minlength=n).astype(np.int64)
    crh = _sum_by(author, provisional_notes.is_crh[scored], n)
    crnh = _sum_by(author, provisional_notes.is_crnh[scored], n)
    score_sum = _sum_by(author, note_intercepts[scored], n)
    ratio_difference = _ratio(crh, n_notes) - config.crnh_multiplier * _ratio(crnh, n_notes)
    mean_score = _ratio(score_sum, n_notes)

    outcomes = score_rating_outcomes(ratings, provisional_notes, enrollment_config)
    agree = outcomes.successful_total.astype(np.float64)
    n_valid = outcomes.successful_total + outcomes.unsuccessful_total
    penalty = np.zeros(n, dtype=np.float64)
    if harassment_intercepts is not None:
        source = ratings if penalty_ratings is None else penalty_ratings
        h = harassment_intercepts[source.note_idx]
        with np.errstate(invalid="ignore"):
            hit = (source.helpful_num == 1.0) & (h >= config.min_harassment_intercept)
        weights = config.harassment_penalty * h[hit] / config.min_harassment_intercept
        penalty = _sum_by(source.rater_idx[hit], weights, n)
    agree_ratio = _ratio(agree, n_valid)
    agree_ratio_penalised = _ratio(agree - penalty, n_valid)

    with np.errstate(invalid="ignore"):
        author_ok = (
            (ratio_difference >= config.min_crh_crnh_ratio_difference)
            & (mean_score >= config.min_mean_note_score)
        ) | (n_notes == 0)
        above = (
            author_ok
            & (agree_ratio >= config.min_rater_agree_ratio)
            & (agree_ratio_penalised >= config.min_rater_agree_ratio)
        )
    return RaterHelpfulness(
        crh_crnh_ratio_difference=ratio_difference,
        mean_note_score=mean_score,
        rater_agree_ratio=agree_ratio,
        harassment_penalty=penalty,
        rater_agree_ratio_with_penalty=agree_ratio_penalised,
        above_threshold=np.asarray(above),
    )
