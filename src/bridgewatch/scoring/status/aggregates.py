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
from bridgewatch.model import Ratings
from bridgewatch.model.columns import HELPFUL_TAGS, NOT_HELPFUL_TAGS

__all__ = [
    "SignAggregates",
    "TagCounts",
    "compute_sign_aggregates",
    "count_recent_ratings",
    "count_tags",
    "sum_tags_per_note",
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

    One ``np.bincount`` over (note, bucket, value, population-sampled) cells gives every
    count; ``helpfulNum`` only takes the values 0, 0.5 and 1, so bucket means and net counts
    follow from the counts.

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

    Raises
    ------
    InputError
        A ``helpful_num`` other than 0, 0.5 or 1.
    """
    _check_rater_array(ratings, rater_factor, "rater_factor")
    n = ratings.n_notes
    # Bucket per rater first, then one byte per rating (the per-rating arrays here are the
    # size of the scoped ratings: keep them narrow).
    f = np.asarray(rater_factor, dtype=np.float64)
    if ratings.n_ratings < f.shape[0]:
        # Fewer ratings than participants (a live pass over a few notes): the buckets of
        # the ratings' raters alone, not of every participant (same values).
        f_r = f[ratings.rater_idx]
        bucket = np.where(np.isnan(f_r), 0, np.where(f_r < 0.0, 1, 2)).astype(np.int8)
        del f_r
    else:
        rater_bucket = np.where(np.isnan(f), 0, np.where(f < 0.0, 1, 2)).astype(np.int8)
        bucket = rater_bucket[ratings.rater_idx]  # none / neg / pos
    doubled = ratings.helpful_num * np.float32(2.0)  # 0, 1 (somewhat), 2; exact in float32
    value = np.rint(doubled)
    if ((value != doubled) | (value < 0) | (value > 2)).any():
        raise InputError("helpful_num must be 0, 0.5 or 1", field="helpful_num")
    cell = bucket * np.int8(3)
    cell += value.astype(np.int8)
    del doubled, value
    cell *= np.int8(2)
    cell += ratings.population_sampled  # 0..17
    key: NDArray[np.int64] | NDArray[np.int32] = (
        ratings.note_idx.astype(np.int64)
        if n * 18 >= np.iinfo(np.int32).max
        else ratings.note_idx.astype(np.int32)
    )
    key *= 18
    key += cell
    del cell, bucket
    counts = np.bincount(key, minlength=n * 18).reshape(n, 3, 3, 2)
    del key
    by_value = counts.sum(axis=3)  # (n, bucket, value)
    num_ratings = by_value.sum(axis=(1, 2))
    per_bucket = by_value.sum(axis=2)  # (n, bucket)
    neg_count, pos_count = per_bucket[:, 1], per_bucket[:, 2]
    helpful_sum = 0.5 * by_value[:, :, 1] + by_value[:, :, 2]
    net = by_value[:, :, 2] - by_value[:, :, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(per_bucket > 0, helpful_sum / np.maximum(per_bucket, 1), np.nan)
    net_neg, net_pos = net[:, 1], net[:, 2]
    net_min = np.maximum(0, np.minimum(net_neg, net_pos))
    with_params = neg_count + pos_count
    ratio = np.where(with_params > 0, net_min / np.maximum(with_params, 1), np.nan)
    pop = counts[:, :, :, 1].sum(axis=2)
    return SignAggregates(
        num_ratings=num_ratings.astype(np.int64),
        neg_count=neg_count.astype(np.int64),
        pos_count=pos_count.astype(np.int64),
        min_sign_count=np.minimum(neg_count, pos_count).astype(np.int64),
        neg_mean_helpful=means[:, 1].astype(np.float64),
        pos_mean_helpful=means[:, 2].astype(np.float64),
        net_neg=net_neg.astype(np.int64),
        net_pos=net_pos.astype(np.int64),
        net_min_helpful=net_min.astype(np.int64),
        net_min_helpful_ratio=ratio.astype(np.float64),
        pop_neg_count=pop[:, 1].astype(np.int64),
        pop_pos_count=pop[:, 2].astype(np.int64),
    )


def sum_tags_per_note(
    note_idx: NDArray[np.int32],
    bits: NDArray[np.uint16],
    n_tags: int,
    n_notes: int,
    weights: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Per-note sums of each tag bit (optionally weighted).

    Only ratings with at least one tag are visited after one pass over ``bits``; most
    ratings carry no tag.

    Parameters
    ----------
    note_idx : int array of shape (m,)
    bits : uint16 array of shape (m,)
        Tag bit-sets; bit k is tag k.
    n_tags : int
        Number of tags (bits) to sum, at most 16.
    n_notes : int
    weights : float64 array of shape (m,), optional
        Per-rating weight; default 1.

    Returns
    -------
    float64 array of shape (n_notes, n_tags)
    """
    tagged = np.flatnonzero(bits)  # most ratings carry no tag: work on the rest only
    notes = note_idx[tagged]
    sub_bits = bits[tagged]
    sub_weights = None if weights is None else np.asarray(weights, np.float64)[tagged]
    out = np.empty((n_notes, n_tags), dtype=np.float64)
    for k in range(n_tags):
        has = (sub_bits & np.uint16(1 << k)) != 0
        out[:, k] = np.bincount(
            notes[has],
            weights=None if sub_weights is None else sub_weights[has],
            minlength=n_notes,
        )
    return out


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
    helpful = sum_tags_per_note(ratings.note_idx, ratings.helpful_tags, len(HELPFUL_TAGS), n)
    not_helpful = sum_tags_per_note(
        ratings.note_idx, ratings.not_helpful_tags, len(NOT_HELPFUL_TAGS), n
    )
    return TagCounts(helpful=helpful.astype(np.int64), not_helpful=not_helpful.astype(np.int64))


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
