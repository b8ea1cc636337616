"""Diversity of raters behind each note, bridging scores, and the diversity of what each
rater rates.

Raters fall in the buckets of the published "liked by people with different perspectives"
pilot (scoring-extended.md §7.10): left (factor < -0.15), neutral, right (factor > 0.15),
by one scorer's rater factor. A note's support from a side is its HELPFUL votes from it.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score

from bridgewatch.analysis.embeddings._kernels import (
    helpful_share_counts,
    note_helpful_moments,
    rater_note_factor_moments,
)
from bridgewatch.analysis.embeddings.ratings import RatingMatrix, note_value_counts
from bridgewatch.analysis.embeddings.similarity import perspective_buckets
from bridgewatch.analysis.perspectives import (
    PERSPECTIVE_SPLIT,
    PerspectiveRule,
    liked_by_different_perspectives,
)

__all__ = [
    "DiversityConfig",
    "helpful_share_by_side",
    "note_diversity",
    "ranking_auc",
    "rater_diversity",
]

_HELPFUL = 2  # column of vote +1 in the per-note counts


DiversityConfig = PerspectiveRule
"""Settings of the per-note diversity table: the buckets' split and the "liked by people
with different perspectives" thresholds (``bridgewatch.analysis.perspectives``)."""


def note_diversity(
    matrix: RatingMatrix,
    rater_factors: NDArray[np.float64],
    note_scores: pl.DataFrame | None = None,
    config: DiversityConfig | None = None,
) -> pl.DataFrame:
    """Who rated each note helpful, its consensus and divisiveness, and its bridging score.

    Parameters
    ----------
    matrix : the ratings.
    rater_factors : float64 array of shape (n_raters,) aligned with ``matrix.rater_ids``
        (NaN where a rater has no factor).
    note_scores : ``noteId``, ``intercept``, ``factor``, ``status`` of one scorer (from
        ``note_embeddings``), joined as ``bridgingScore`` (the note intercept: the MF's
        helpfulness once the factor explains the viewpoint, scoring-core.md §4),
        ``noteFactor`` and ``status``.
    config : bucket settings.

    Returns
    -------
    One row per rated note: ``noteId``, ``nRatings``; ``ratingsLeft|Neutral|Right`` and
    ``helpfulLeft|Neutral|Right`` (votes and HELPFUL votes by bucket); ``minSideHelpful``
    (min of left and right HELPFUL votes); ``helpfulFactorMean`` and ``helpfulFactorSd`` (of
    the raters who voted HELPFUL); ``consensus``, Polis's group-aware consensus over the two
    sides, prod_s (h_s + 1) / (n_s + 2) (Small et al. 2021); ``divisiveness``, the gap
    |p_left - p_right| between the sides' smoothed helpful shares; ``likedByDifferentPerspectives``;
    and the joined ``bridgingScore``, ``noteFactor``, ``status``.
    """
    cfg = config or DiversityConfig()
    buckets = perspective_buckets(rater_factors, cfg.split)
    counts = note_value_counts(matrix, buckets, 3)
    totals = counts.sum(axis=2)
    helpful = counts[:, :, _HELPFUL]
    all_votes = np.bincount(matrix.note_idx, minlength=matrix.n_notes)
    # Factor moments of HELPFUL raters per note.
    n_h, s1, s2 = note_helpful_moments(
        matrix.rater_idx,
        matrix.note_idx,
        matrix.votes,
        np.ascontiguousarray(rater_factors, dtype=np.float64),
        matrix.n_notes,
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / n_h
        sd = np.sqrt(np.maximum(s2 / n_h - mean * mean, 0.0) * n_h / (n_h - 1.0))
    sd[n_h < 2] = np.nan
    p_left = (helpful[:, 0] + 1.0) / (totals[:, 0] + 2.0)
    p_right = (helpful[:, 2] + 1.0) / (totals[:, 2] + 2.0)
    liked = liked_by_different_perspectives(
        helpful[:, 0], totals[:, 0], helpful[:, 2], totals[:, 2], cfg
    )
    rated = all_votes > 0
    frame = pl.DataFrame(
        {
            "noteId": matrix.note_ids[rated],
            "nRatings": all_votes[rated].astype(np.int64),
            "ratingsLeft": totals[rated, 0],
            "ratingsNeutral": totals[rated, 1],
            "ratingsRight": totals[rated, 2],
            "helpfulLeft": helpful[rated, 0],
            "helpfulNeutral": helpful[rated, 1],
            "helpfulRight": helpful[rated, 2],
            "minSideHelpful": np.minimum(helpful[rated, 0], helpful[rated, 2]),
            "helpfulFactorMean": mean[rated],
            "helpfulFactorSd": sd[rated],
            "consensus": (p_left * p_right)[rated],
            "divisiveness": np.abs(p_left - p_right)[rated],
            "likedByDifferentPerspectives": liked[rated],
        }
    )
    if note_scores is None:
        return frame.with_columns(
            pl.lit(None, dtype=pl.Float64).alias("bridgingScore"),
            pl.lit(None, dtype=pl.Float64).alias("noteFactor"),
            pl.lit(None, dtype=pl.String).alias("status"),
        )
    scores = note_scores.select(
        pl.col("noteId").cast(pl.String),
        pl.col("intercept").alias("bridgingScore"),
        pl.col("factor").alias("noteFactor"),
        pl.col("status"),
    )
    return frame.join(scores, on="noteId", how="left", maintain_order="left")


def rater_diversity(
    matrix: RatingMatrix,
    rater_factors: NDArray[np.float64],
    note_factors: NDArray[np.float64],
    split: float = PERSPECTIVE_SPLIT,
) -> pl.DataFrame:
    """How diverse the notes each rater rates are.

    Parameters
    ----------
    matrix : the ratings.
    rater_factors : float64 array of shape (n_raters,) (NaN: no factor).
    note_factors : float64 array of shape (n_notes,) aligned with ``matrix.note_ids``
        (NaN: no factor).
    split : bucket split, as in ``perspective_buckets``.

    Returns
    -------
    One row per rater with ratings: ``raterParticipantId``, ``nRatings``, ``raterFactor``,
    ``bucket`` (``left``/``neutral``/``right``/null), ``ratedNoteFactorMean`` and
    ``ratedNoteFactorSd`` (over rated notes that have a factor), and ``otherSideShare``: the
    share of those notes whose factor has the sign opposite to the rater's.
    """
    n, s1, s2, other = rater_note_factor_moments(
        matrix.rater_idx,
        matrix.note_idx,
        np.ascontiguousarray(rater_factors, dtype=np.float64),
        np.ascontiguousarray(note_factors, dtype=np.float64),
        matrix.n_raters,
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / n
        sd = np.sqrt(np.maximum(s2 / n - mean * mean, 0.0) * n / (n - 1.0))
        other_share = np.where(np.isfinite(rater_factors), other / n, np.nan)
    sd[n < 2] = np.nan
    total = matrix.ratings_per_rater()
    rated = total > 0
    names = ["left", "neutral", "right"]
    buckets = perspective_buckets(rater_factors, split)[rated]
    bucket = [names[b] if b >= 0 else None for b in buckets.tolist()]
    return pl.DataFrame(
        {
            "raterParticipantId": matrix.rater_ids[rated],
            "nRatings": total[rated],
            "raterFactor": rater_factors[rated],
            "bucket": pl.Series(bucket, dtype=pl.String),
            "ratedNoteFactorMean": mean[rated],
            "ratedNoteFactorSd": sd[rated],
            "otherSideShare": other_share[rated],
        }
    )


def ranking_auc(scores: NDArray[np.float64], positive: NDArray[np.bool_]) -> float:
    """Area under the ROC curve of ``scores`` ranking ``positive`` rows above the others
    (the probability that a random positive outscores a random negative; ties count half).
    NaN scores are left out; NaN if either class is empty."""
    ok = np.isfinite(scores)
    y = positive[ok]
    if y.all() or not y.any():
        return float("nan")
    return float(roc_auc_score(y, scores[ok]))


def helpful_share_by_side(
    matrix: RatingMatrix,
    rater_factors: NDArray[np.float64],
    note_factors: NDArray[np.float64],
    split: float = PERSPECTIVE_SPLIT,
) -> pl.DataFrame:
    """Share of HELPFUL votes by rater bucket and note bucket (both by factor, ``split``).

    Returns
    -------
    ``raterBucket``, ``noteBucket`` (``left``/``neutral``/``right``), ``ratings`` and
    ``helpfulShare``; pairs with no ratings are left out. On a polarized community the
    diagonal (left raters on left notes, right on right) is high and the corners low.
    """
    names = ("left", "neutral", "right")
    n, h = helpful_share_counts(
        matrix.rater_idx,
        matrix.note_idx,
        matrix.votes,
        perspective_buckets(rater_factors, split),
        perspective_buckets(note_factors, split),
    )
    cells = np.flatnonzero(n > 0)
    return pl.DataFrame(
        {
            "raterBucket": [names[c // 3] for c in cells],
            "noteBucket": [names[c % 3] for c in cells],
            "ratings": n[cells].astype(np.int64),
            "helpfulShare": h[cells].astype(np.float64) / n[cells],
        }
    )
