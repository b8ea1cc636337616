"""Tag and "incorrect" aggregates and the tag-filter thresholds (scoring-core.md §4.9, §5.5d-e).

Vectorised over ratings with ``np.bincount``: one pass per not-helpful tag, never per note.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.model import Ratings
from bridgewatch.model.columns import NOT_HELPFUL_TAGS
from bridgewatch.scoring.status.aggregates import sum_tags_per_note
from bridgewatch.scoring.status.config import StatusRulesConfig

__all__ = [
    "IncorrectAggregates",
    "TagAggregates",
    "TagScale",
    "compute_incorrect_aggregates",
    "compute_tag_aggregates",
    "tag_filter_thresholds",
    "tag_scale",
]

_N_NH = len(NOT_HELPFUL_TAGS)
_INCORRECT_BIT = NOT_HELPFUL_TAGS.index("notHelpfulIncorrect")


@dataclass(frozen=True)
class TagAggregates:
    """Distance-weighted not-helpful tag sums per note (§5.5d).

    Attributes
    ----------
    rating_weight : float64 array of shape (n_notes,)
        ``ratingWeight`` = Σ w over the note's ratings whose note and rater have params;
        NaN when there is no such rating.
    adjusted : float64 array of shape (n_notes, 13)
        ``<tag>Adjusted`` = Σ w·tag, columns in ``NOT_HELPFUL_TAGS`` order; NaN as above.
    adjusted_ratio : float64 array of shape (n_notes, 13)
        ``<tag>AdjustedRatio`` = adjusted / rating_weight.
    distance_scale : float
        p40, the percentile of the standardised rater-note factor distance (NaN if no rating).
    """

    rating_weight: NDArray[np.float64]
    adjusted: NDArray[np.float64]
    adjusted_ratio: NDArray[np.float64]
    distance_scale: float


@dataclass(frozen=True)
class IncorrectAggregates:
    """ "Incorrect" tag aggregates over raters near the note's viewpoint (§5.5e).

    All arrays have shape (n_notes,) and are NaN for notes without any kept rating.

    Attributes
    ----------
    incorrect : float64
        ``notHelpfulIncorrect_interval``, Σ notHelpfulIncorrect.
    p_incorrect_user : float64
        ``p_incorrect_user_interval``, Σ p_u of the kept raters.
    num_voters : float64
        ``num_voters_interval``, number of kept ratings.
    tf_idf : float64
        ``tf_idf_incorrect_interval = incorrect / ln(1 + p_incorrect_user)`` (NaN for 0/0).
    """

    incorrect: NDArray[np.float64]
    p_incorrect_user: NDArray[np.float64]
    num_voters: NDArray[np.float64]
    tf_idf: NDArray[np.float64]


def _check(values: NDArray[np.floating], n: int, name: str) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (n,):
        raise InputError(f"expected shape ({n},), got {arr.shape}", field=name)
    return arr


@dataclass(frozen=True)
class TagScale:
    """The figures of the tag aggregates that couple every note (§5.5d steps 1-2).

    Attributes
    ----------
    note_mean, note_divisor : mean and divisor (population std, 1 where it is 0) of the
        finite note factors.
    rater_mean, rater_divisor : the same over the finite rater factors.
    distance_scale : p40 of the standardised rater-note distances.

    Passing one to :func:`compute_tag_aggregates` holds these figures (the incremental
    passes hold the last refit's), so each note's aggregates depend on its ratings alone.
    """

    note_mean: float
    note_divisor: float
    rater_mean: float
    rater_divisor: float
    distance_scale: float

    @property
    def finite(self) -> bool:
        """Whether every figure is finite (a scale of a fit without factors is not)."""
        return bool(
            np.isfinite(
                [
                    self.note_mean,
                    self.note_divisor,
                    self.rater_mean,
                    self.rater_divisor,
                    self.distance_scale,
                ]
            ).all()
        )


def _moments(values: NDArray[np.float64]) -> tuple[float, float]:
    """Mean and divisor (population std, 1 where 0) of the finite entries; NaN if none."""
    finite = np.isfinite(values)
    if not finite.any():
        return float("nan"), float("nan")
    mean = float(values[finite].mean())
    std = float(values[finite].std())
    return mean, (std if std > 0.0 else 1.0)


def _standardise(values: NDArray[np.float64], mean: float, divisor: float) -> NDArray[np.float64]:
    """Z-score with the given moments (NaN moments: the values unchanged)."""
    if not np.isfinite(mean):
        return values.copy()
    out: NDArray[np.float64] = (values - mean) / divisor
    return out


def tag_scale(
    tags: TagAggregates, note_factor: NDArray[np.floating], rater_factor: NDArray[np.floating]
) -> TagScale:
    """The coupling figures of a computed :class:`TagAggregates` and its fit's factors."""
    note_mean, note_divisor = _moments(np.asarray(note_factor, dtype=np.float64))
    rater_mean, rater_divisor = _moments(np.asarray(rater_factor, dtype=np.float64))
    return TagScale(note_mean, note_divisor, rater_mean, rater_divisor, tags.distance_scale)


def compute_tag_aggregates(
    ratings: Ratings,
    note_factor: NDArray[np.floating],
    rater_factor: NDArray[np.floating],
    config: StatusRulesConfig,
    scale: TagScale | None = None,
) -> TagAggregates:
    """Distance-weighted not-helpful tag aggregates per note (§5.5d).

    1. Standardise note factors over the notes with a factor, rater factors over the raters
       with a factor (mean, population std).
    2. For each rating whose note and rater both have a factor, d = |f̃_u − f̃_n|;
       p40 = the ``tag_filter_distance_percentile`` percentile of d (linear interpolation);
       w = 1 / (1 + (d / p40)^exponent).
    3. Per note: ratingWeight = Σ w, tAdjusted = Σ w·t, tAdjustedRatio = tAdjusted / ratingWeight.

    Parameters
    ----------
    ratings : Ratings
        Scoped ratings of this run.
    note_factor : float array of shape (n_notes,)
        Note factors of this fit; NaN where the note has none.
    rater_factor : float array of shape (n_participants,)
        Rater factors of this fit's raters; NaN for everyone else.
    config : StatusRulesConfig
    scale : the moments and p40 to use instead of computing them from these factors and
        ratings (:class:`TagScale`, finite); None: computed here (the batch).

    Returns
    -------
    TagAggregates
    """
    n = ratings.n_notes
    f_n_raw = _check(note_factor, n, "note_factor")
    f_u_raw = _check(rater_factor, ratings.n_participants, "rater_factor")
    # In place where possible: these arrays have one float64 per scoped rating.
    if scale is None:
        f_n = _standardise(f_n_raw, *_moments(f_n_raw))
        d_all = _standardise(f_u_raw, *_moments(f_u_raw))[ratings.rater_idx]
    else:
        f_n = _standardise(f_n_raw, scale.note_mean, scale.note_divisor)
        u_mean, u_divisor = scale.rater_mean, scale.rater_divisor
        if ratings.n_ratings < ratings.n_participants:
            # Held moments and fewer ratings than participants (a live pass over a few
            # notes): each rating's rater is standardised on its own, the same values as
            # standardising every participant and gathering.
            d_all = _standardise(f_u_raw[ratings.rater_idx], u_mean, u_divisor)
        else:
            d_all = _standardise(f_u_raw, u_mean, u_divisor)[ratings.rater_idx]
    d_all -= f_n[ratings.note_idx]
    np.abs(d_all, out=d_all)
    keep = np.isfinite(d_all)
    d = d_all[keep]
    del d_all
    note = ratings.note_idx[keep]
    bits = ratings.not_helpful_tags[keep]
    del keep
    if d.size == 0:
        nan_n = np.full(n, np.nan)
        nan_tags = np.full((n, _N_NH), np.nan)
        p_none = float("nan") if scale is None else scale.distance_scale
        return TagAggregates(nan_n, nan_tags, nan_tags.copy(), p_none)
    if scale is None:
        p = float(np.percentile(d, config.tag_filter_distance_percentile))
    else:
        p = scale.distance_scale
    with np.errstate(divide="ignore", invalid="ignore"):
        # w = 1 / (1 + (d / p)^exponent), computed in d's buffer.
        w = d
        if p > 0.0:
            w /= p
        else:
            w[:] = np.where(d > 0.0, np.inf, 0.0)
        np.power(w, config.tag_filter_distance_exponent, out=w)
        w += 1.0
        np.divide(1.0, w, out=w)
    weight = np.bincount(note, weights=w, minlength=n)
    present = np.bincount(note, minlength=n) > 0
    adjusted = sum_tags_per_note(note, bits, _N_NH, n, weights=w)
    rating_weight = np.where(present, weight, np.nan)
    adjusted[~present] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = adjusted / rating_weight[:, None]
    return TagAggregates(rating_weight, adjusted, ratio, p)


def compute_incorrect_aggregates(
    ratings: Ratings,
    note_factor: NDArray[np.floating],
    rater_factor: NDArray[np.floating],
    rater_incorrect_count: NDArray[np.floating],
    rater_total_count: NDArray[np.floating],
    config: StatusRulesConfig,
) -> IncorrectAggregates:
    """ "Incorrect" aggregates over ratings from raters close to the note (§5.5e).

    Uses ratings with at least one not-helpful tag whose note and rater have a factor.
    p_u = incorrect / total of the rater (§4.10), 0 when undefined. A rating is kept when
    ``|clip(f_u, ±c) − clip(f_n, ±c)| < half_width``.

    Parameters
    ----------
    ratings : Ratings
        Scoped ratings of this run.
    note_factor : float array of shape (n_notes,)
        Final-scoring note factors; NaN where none.
    rater_factor : float array of shape (n_participants,)
        Frozen rater factors; NaN for raters without params.
    rater_incorrect_count, rater_total_count : float arrays of shape (n_participants,)
        ``incorrectTagRatingsMadeByRater`` and ``totalRatingsMadeByRater`` (§4.10); NaN if none.
    config : StatusRulesConfig

    Returns
    -------
    IncorrectAggregates
    """
    n = ratings.n_notes
    n_p = ratings.n_participants
    f_n_all = _check(note_factor, n, "note_factor")
    f_u_all = _check(rater_factor, n_p, "rater_factor")
    inc = _check(rater_incorrect_count, n_p, "rater_incorrect_count")
    tot = _check(rater_total_count, n_p, "rater_total_count")
    # Only ratings with a not-helpful tag count, and most ratings have none: select them
    # first; clipping and finiteness are per note and per rater, so they are taken before
    # the gathers (same values, a fraction of the per-rating memory). With fewer tagged
    # ratings than participants (a live pass over a few notes) the rater figures are taken
    # after the gathers instead: elementwise, the same values.
    tagged = np.flatnonzero(ratings.not_helpful_tags)
    t_note = ratings.note_idx[tagged]
    t_rater = ratings.rater_idx[tagged]
    per_rating = tagged.shape[0] < n_p
    c = config.incorrect_factor_clip
    with np.errstate(invalid="ignore"):
        if per_rating:
            f_u_t = f_u_all[t_rater]
            distance = np.clip(f_u_t, -c, c)
        else:
            distance = np.clip(f_u_all, -c, c)[t_rater]
        distance -= np.clip(f_n_all, -c, c)[t_note]
        np.abs(distance, out=distance)
        close = distance < config.incorrect_interval_half_width
    del distance
    close &= np.isfinite(f_n_all)[t_note]
    close &= np.isfinite(f_u_t) if per_rating else np.isfinite(f_u_all)[t_rater]
    keep = tagged[close]
    del tagged, t_note, t_rater, close
    if per_rating:
        k_rater = ratings.rater_idx[keep]
        with np.errstate(divide="ignore", invalid="ignore"):
            p_kept = inc[k_rater] / tot[k_rater]
        p_kept = np.where(np.isfinite(p_kept), p_kept, 0.0)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            p_rater = inc / tot
        p_rater = np.where(np.isfinite(p_rater), p_rater, 0.0)
        p_kept = p_rater[ratings.rater_idx[keep]]
    note = ratings.note_idx[keep]
    incorrect_tag = (
        (ratings.not_helpful_tags[keep] >> np.uint16(_INCORRECT_BIT)) & np.uint16(1)
    ).astype(np.float64)
    voters: NDArray[np.float64] = np.bincount(note, minlength=n).astype(np.float64)
    present = voters > 0
    incorrect = np.bincount(note, weights=incorrect_tag, minlength=n).astype(np.float64)
    p_sum = np.bincount(note, weights=p_kept, minlength=n).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        tf_idf = incorrect / np.log1p(p_sum)

    def masked(a: NDArray[np.float64]) -> NDArray[np.float64]:
        out: NDArray[np.float64] = np.where(present, a, np.nan)
        return out

    return IncorrectAggregates(masked(incorrect), masked(p_sum), masked(voters), masked(tf_idf))


def tag_filter_thresholds(
    adjusted_ratio: NDArray[np.floating],
    provisional_crh: NDArray[np.bool_],
    config: StatusRulesConfig,
) -> NDArray[np.float64]:
    """Per-tag thresholds of the tag-outlier filter (§4.9).

    threshold_t = the ``tag_filter_percentile`` percentile (linear interpolation) of
    ``tAdjustedRatio`` over the notes whose provisional (round-1) status is CRH, skipping NaN.

    Parameters
    ----------
    adjusted_ratio : float array of shape (n_notes, 13)
        ``TagAggregates.adjusted_ratio`` computed with the prescoring final-round params.
    provisional_crh : bool array of shape (n_notes,)
        Notes whose provisional status (§4.3) is CRH.
    config : StatusRulesConfig

    Returns
    -------
    float64 array of shape (13,)
        In ``NOT_HELPFUL_TAGS`` order; NaN for a tag with no CRH note value (never triggers).
    """
    ratio = np.asarray(adjusted_ratio, dtype=np.float64)
    crh = np.asarray(provisional_crh, dtype=np.bool_)
    if ratio.ndim != 2 or ratio.shape[1] != _N_NH or crh.shape != (ratio.shape[0],):
        raise InputError(
            f"expected ratios of shape (n, {_N_NH}) and a mask of shape (n,), got "
            f"{ratio.shape} and {crh.shape}",
            field="adjusted_ratio",
        )
    out = np.full(_N_NH, np.nan)
    rows = ratio[crh]
    for k in range(_N_NH):
        values = rows[:, k][np.isfinite(rows[:, k])]
        if values.size:
            out[k] = np.percentile(values, config.tag_filter_percentile)
    return out
