"""Per-note rating aggregates used by the Core status rules (scoring-core.md §5.5a-b, §11.2).

All kernels are vectorised over ratings with ``np.bincount``; nothing loops over notes.
"Rater params" are per-participant arrays indexed like ``Ratings.rater_idx``, with NaN for
participants without params (they are dropped from the sign buckets, as the reference's
inner join drops them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.io.columns import HELPFUL_TAGS, NOT_HELPFUL_TAGS
from bridgewatch.model import Ratings

__all__ = [
    "SignAggregates",
    "TagCounts",
    "compute_sign_aggregates",
    "count_recent_ratings",
    "count_tags",
]


@dataclass(frozen=True)
class SignAggregates:
    """Per-note counts split by the sign of the rater factor (§5.5a-b); all shapes (n_notes,).

    Attributes
    ----------
    num_ratings : int64
        All ratings on the note, every helpfulness level (§5.5a).
    neg_count, pos_count : int64
        Ratings from raters with params and f_u < 0 (neg) or f_u >= 0 (pos).
    min_sign_count : int64
        ``min(neg_count, pos_count)``.
    neg_mean_helpful, pos_mean_helpful : float64
        Mean ``helpfulNum`` per bucket; NaN when the bucket is empty.
    net_neg, net_pos : int64
        #(1.0) - #(0.0) per bucket; 0.5 ratings are ignored.
    net_min_helpful : int64
        ``max(0, min(net_neg, net_pos))``.
    net_min_helpful_ratio : float64
        ``net_min_helpful / (neg_count + pos_count)``; NaN when no rating has params.
    pop_neg_count, pop_pos_count : int64
        The neg/pos counts over POPULATION_SAMPLED ratings only
        (``coreNeg/PosFactor_populationSampledRatingCount``).
    """

    num_ratings: NDArray[np.int64]
    neg_count: NDArray[np.int64]
    pos_count: NDArray[np.int64]
    min_sign_count: NDArray[np.int64]
    neg_mean_helpful: NDArray[np.float64]
    pos_mean_helpful: NDArray[np.float64]
    net_neg: NDArray[np.int64]
    net_pos: NDArray[np.int64]
    net_min_helpful: NDArray[np.int64]
    net_min_helpful_ratio: NDArray[np.float64]
    pop_neg_count: NDArray[np.int64]
    pop_pos_count: NDArray[np.int64]


@dataclass(frozen=True)
class TagCounts:
    """Raw per-note tag counts in TSV tag order (§11.2, used by §9.5).

    Attributes
    ----------
    helpful : int64 array of shape (n_notes, 9)
        Ratings with each helpful tag set, columns in ``HELPFUL_TAGS`` order.
    not_helpful : int64 array of shape (n_notes, 13)
        Ratings with each not-helpful tag set, columns in ``NOT_HELPFUL_TAGS`` order.
    """

    helpful: NDArray[np.int64]
    not_helpful: NDArray[np.int64]


def _count(idx: NDArray[np.int32], mask: NDArray[np.bool_], n: int) -> NDArray[np.int64]:
    return np.bincount(idx[mask], minlength=n).astype(np.int64)


def _check_rater_array(ratings: Ratings, values: NDArray[np.floating], name: str) -> None:
    if values.shape != (ratings.n_participants,):
        raise InputError(
            f"expected shape ({ratings.n_participants},), got {values.shape}", field=name
        )


def compute_sign_aggregates(ratings: Ratings, rater_factor: NDArray[np.floating]) -> SignAggregates:
    """Sign buckets, net helpful counts and population-sampled counts (§5.5a-b).

    Parameters
    ----------
    ratings : Ratings
        This run's scoped ratings (every helpfulness level).
    rater_factor : float array of shape (n_participants,)
        Frozen rater factor f_u of the final-round raters; NaN for everyone else.

    Returns
    -------
    SignAggregates
        Arrays of shape (ratings.n_notes,).
    """
    _check_rater_array(ratings, rater_factor, "rater_factor")
    n = ratings.n_notes
    note = ratings.note_idx
    f_u = np.asarray(rater_factor, dtype=np.float64)[ratings.rater_idx]
    has = np.isfinite(f_u)
    neg = has & (f_u < 0.0)
    pos = has & (f_u >= 0.0)
    y = ratings.helpful_num.astype(np.float64)
    net_value = np.where(y == 1.0, 1, np.where(y == 0.0, -1, 0)).astype(np.float64)

    num_ratings = np.bincount(note, minlength=n).astype(np.int64)
    neg_count = _count(note, neg, n)
    pos_count = _count(note, pos, n)
    neg_sum = np.bincount(note[neg], weights=y[neg], minlength=n)
    pos_sum = np.bincount(note[pos], weights=y[pos], minlength=n)
    net_neg = np.rint(np.bincount(note[neg], weights=net_value[neg], minlength=n)).astype(np.int64)
    net_pos = np.rint(np.bincount(note[pos], weights=net_value[pos], minlength=n)).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        neg_mean = np.where(neg_count > 0, neg_sum / neg_count, np.nan)
        pos_mean = np.where(pos_count > 0, pos_sum / pos_count, np.nan)
    net_min = np.maximum(0, np.minimum(net_neg, net_pos))
    with_params = neg_count + pos_count
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(with_params > 0, net_min / np.maximum(with_params, 1), np.nan)
    pop = ratings.population_sampled
    return SignAggregates(
        num_ratings=num_ratings,
        neg_count=neg_count,
        pos_count=pos_count,
        min_sign_count=np.minimum(neg_count, pos_count),
        neg_mean_helpful=neg_mean,
        pos_mean_helpful=pos_mean,
        net_neg=net_neg,
        net_pos=net_pos,
        net_min_helpful=net_min,
        net_min_helpful_ratio=ratio.astype(np.float64),
        pop_neg_count=_count(note, neg & pop, n),
        pop_pos_count=_count(note, pos & pop, n),
    )


def count_tags(ratings: Ratings) -> TagCounts:
    """Per-note counts of every helpful and not-helpful tag (§9.5 step 2, §11.2).

    Parameters
    ----------
    ratings : Ratings
        The ratings to count over (the reference uses all post-PSS ratings, all raters).

    Returns
    -------
    TagCounts
    """
    n = ratings.n_notes

    def block(bits: NDArray[np.uint16], n_tags: int) -> NDArray[np.int64]:
        out = np.zeros((n, n_tags), dtype=np.int64)
        for k in range(n_tags):
            mask = (bits & np.uint16(1 << k)) != 0
            out[:, k] = np.bincount(ratings.note_idx[mask], minlength=n)
        return out

    return TagCounts(
        helpful=block(ratings.helpful_tags, len(HELPFUL_TAGS)),
        not_helpful=block(ratings.not_helpful_tags, len(NOT_HELPFUL_TAGS)),
    )


def count_recent_ratings(
    ratings: Ratings, now_ms: int, window_ms: int = 28 * 86_400_000
) -> NDArray[np.int64]:
    """Per-note number of ratings created strictly after ``now_ms - window_ms`` (§11.2).

    Returns
    -------
    int64 array of shape (n_notes,)
        ``numRatingsLast28`` with the default 28-day window.
    """
    recent = ratings.created_at_ms > np.int64(now_ms - window_ms)
    return _count(ratings.note_idx, recent, ratings.n_notes)
