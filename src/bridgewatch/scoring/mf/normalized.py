"""Per-rating weights of the normalized two-stage fit of group 14 (multimodel §4.2).

The reference (``NormalizedLoss``) builds the weights of its stage-2 loss
``mean(w·(y − ŷ)²)`` from the stage-1 rater factors; :func:`normalized_loss_weights` is the
same computation on dense arrays (``np.bincount`` per note / rater instead of pandas
group-bys). The two-stage fit itself is :func:`bridgewatch.scoring.mf.fit_mf` with
``MFConfig.normalized_loss`` set.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.scoring.mf.config import NormalizedLossConfig

__all__ = ["normalized_loss_weights"]

FloatArray = NDArray[np.float64]


def _note_sign_step(
    w: FloatArray, note_idx: NDArray[np.integer], pos: NDArray[np.bool_], alpha: float, n: int
) -> FloatArray:
    """Step 1: per note with both sides present, scale the f_u > 0 side by
    (α + W_neg)/(α + W_pos), then restore the note's total weight."""
    w_pos = np.bincount(note_idx, weights=np.where(pos, w, 0.0), minlength=n)
    w_neg = np.bincount(note_idx, weights=np.where(pos, 0.0, w), minlength=n)
    n_pos = np.bincount(note_idx, weights=pos.astype(np.float64), minlength=n)
    n_all = np.bincount(note_idx, minlength=n).astype(np.float64)
    # The reference inner-joins the two sides' group-bys: notes missing a side keep 1.
    both = (n_pos > 0) & (n_pos < n_all)
    with np.errstate(divide="ignore", invalid="ignore"):
        mult = np.where(both, (alpha + w_neg) / (alpha + w_pos), 1.0)
    scaled = w * np.where(pos, mult[note_idx], 1.0)
    orig_total = w_pos + w_neg
    new_total = np.bincount(note_idx, weights=scaled, minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = orig_total / new_total
    out: FloatArray = scaled * ratio[note_idx]
    return out


def _global_sign_step(w: FloatArray, pos: NDArray[np.bool_]) -> FloatArray:
    """Step 2: scale the f_u > 0 ratings by N/P (rating counts), keep the total weight."""
    n_pos = int(np.count_nonzero(pos))
    n_neg = int(pos.shape[0] - n_pos)
    if n_pos == 0 or n_neg == 0:
        # P = 0: the reference's scaling touches no rating. N = 0: it would zero every weight
        # and divide by a zero total (NaN loss); we leave the weights unchanged instead.
        return w
    orig_total = float(np.sum(w))
    scaled = np.where(pos, w * (n_neg / n_pos), w)
    out: FloatArray = scaled * (orig_total / float(np.sum(scaled)))
    return out


def _norm_step(w: FloatArray, idx: NDArray[np.integer], exponent: float, n: int) -> FloatArray:
    """Steps 3-4: w <- w·(Σ of the entity's weights)^exponent."""
    totals = np.bincount(idx, weights=w, minlength=n)
    with np.errstate(divide="ignore"):
        mult = totals[idx] ** exponent
    out: FloatArray = w * mult
    return out


def normalized_loss_weights(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    rater_factors: NDArray[np.floating],
    *,
    n_notes: int,
    config: NormalizedLossConfig,
) -> FloatArray:
    """Stage-2 rating weights of the normalized loss (multimodel §4.2, steps 1-3).

    Every rating starts at w = 1; then note sign (α), global sign, note norm and rater norm
    as described in :class:`~bridgewatch.scoring.mf.NormalizedLossConfig`, in that order.
    "Positive" ratings are those whose rater has f_u > 0 in the first factor column.

    Parameters
    ----------
    note_idx, rater_idx : int arrays of shape (n_ratings,)
        Dense note / rater rows of each rating.
    rater_factors : float array of shape (n_raters, k)
        Stage-1 rater factors (sign-identified when the fit identifies signs; the frozen
        prescoring factors in final scoring). Must be finite for every rater with ratings.
    n_notes : int
        Size of the note index (note_idx < n_notes).
    config : NormalizedLossConfig

    Returns
    -------
    float64 array of shape (n_ratings,)
        Weights w >= 0. With only the global sign step (group 14 without the rater norm)
        they sum to |R|.
    """
    rf = np.asarray(rater_factors, dtype=np.float64)
    if rf.ndim != 2 or rf.shape[1] < 1:
        raise InputError(f"expected shape (n_raters, k), got {rf.shape}", field="rater_factors")
    f = rf[rater_idx, 0]
    if not np.all(np.isfinite(f)):
        bad = int(rater_idx[np.flatnonzero(~np.isfinite(f))[0]])
        raise InputError(f"rater row {bad} has ratings but no finite factor", field="rater_factors")
    pos = f > 0
    w = np.ones(f.shape[0])
    if config.note_sign_alpha is not None:
        w = _note_sign_step(w, note_idx, pos, float(config.note_sign_alpha), n_notes)
    if config.global_sign_norm:
        w = _global_sign_step(w, pos)
    if config.note_norm_exponent != 0:
        w = _norm_step(w, note_idx, float(config.note_norm_exponent), n_notes)
    if config.rater_norm_exponent != 0:
        w = _norm_step(w, rater_idx, float(config.rater_norm_exponent), rf.shape[0])
    return w
