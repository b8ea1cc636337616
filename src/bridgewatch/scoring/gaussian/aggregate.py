"""The Gaussian aggregation of scoring-multimodel.md §6.3: two kernel passes per note.

Pure and vectorized: ratings as arrays in, one score per note out. The CRH pass estimates
how helpful raters all along the factor axis would find the note (50 points), the CRNH pass
how unhelpful (26 points, values flipped); the intercept is the larger of the two in
magnitude, with the CRNH score negated. Kernel weights are float32 per rater (as the
reference's), sums run in float64 note by note in a compiled kernel, so memory stays
O(n_ratings + n_raters x points) instead of the reference's (n_ratings x points) matrix.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.scoring._threads import kernel_threads
from bridgewatch.scoring.gaussian import _numba
from bridgewatch.scoring.gaussian.config import GaussianConfig, GaussianPassConfig
from bridgewatch.scoring.mf import _numba as _mf_numba

__all__ = ["GaussianAggregate", "aggregate_gaussian", "gaussian_pass", "kernel_table"]

FloatArray = NDArray[np.float64]

# Passes over at least this many ratings score two fixed note ranges in two threads.
PARALLEL_MIN_RATINGS = 1 << 20
_TABLE_CHUNK = 1 << 18
_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="bridgewatch-gauss")
    return _POOL


@dataclass(frozen=True)
class GaussianAggregate:
    """Per-note outcome of both passes; arrays of shape (n_notes,), NaN for notes without
    rows (booleans False there).

    Attributes
    ----------
    intercept : float64, ``-crnh_score`` if |crh_score| < |crnh_score| else ``crh_score``:
        in {0} ∪ [crh.clip_lo, crh.clip_hi] ∪ [-crnh.clip_hi, -crnh.clip_lo].
    crh_score, crnh_score : float64 pass scores s⁺, s⁻ (geometric means; 0 if insufficient).
    factor_estimate : float64, f̂ of the CRH pass (step 7), author rows included.
    crh_insufficient, crnh_insufficient : bool, the pass found too little kernel mass.
    """

    intercept: FloatArray
    crh_score: FloatArray
    crnh_score: FloatArray
    factor_estimate: FloatArray
    crh_insufficient: NDArray[np.bool_]
    crnh_insufficient: NDArray[np.bool_]


def kernel_table(
    rater_factors: NDArray[np.floating], config: GaussianPassConfig
) -> NDArray[np.float32]:
    """float32 kernel rows φ(|f_u − p_k|; σ) per rater (§6.3 step 2), row-normalized when
    ``config.normalize_rows``.

    Parameters
    ----------
    rater_factors : float array of shape (n_raters,), rater factors (NaN rows stay NaN).
    config : the pass.

    Returns
    -------
    float32 array of shape (n_raters, len(config.points))
    """
    factors32 = np.asarray(rater_factors, dtype=np.float32)
    points32 = np.asarray(config.points, dtype=np.float32)
    sigma = float(config.bandwidth)
    norm = np.float64(1.0) / (sigma * np.sqrt(2 * np.pi))
    out = np.empty((factors32.shape[0], points32.shape[0]), dtype=np.float32)
    for lo in range(0, factors32.shape[0], _TABLE_CHUNK):
        hi = min(lo + _TABLE_CHUNK, factors32.shape[0])
        dist = np.abs(factors32[lo:hi, None] - points32[None, :])
        rows = (norm * np.exp(-0.5 * (dist / sigma) ** 2)).astype(np.float32)
        if config.normalize_rows:
            rows = rows / rows.sum(axis=1, keepdims=True)
        out[lo:hi] = rows
    return out


@dataclass(frozen=True)
class _Grouped:
    """Ratings grouped by note: CSR pointers and the reordered rater / value columns."""

    indptr: NDArray[np.int64]
    raters: NDArray[np.int32]
    values: NDArray[np.float32]


def _group(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    values: NDArray[np.floating],
    n_notes: int,
) -> _Grouped:
    keys = np.ascontiguousarray(note_idx, dtype=np.int32)
    indptr = _mf_numba.row_pointers(keys, n_notes)
    raters = _mf_numba.scatter_by_key(keys, indptr, np.ascontiguousarray(rater_idx, np.int32))
    vals = _mf_numba.scatter_by_key(keys, indptr, np.ascontiguousarray(values, np.float32))
    return _Grouped(indptr, raters, vals)


def _pass_scalars(config: GaussianConfig, p: GaussianPassConfig) -> FloatArray:
    return np.array(
        [
            p.somewhat_helpful_value,
            p.negative_weight,
            p.multiplier_slope,
            p.multiplier_cap,
            config.sigmoid_slope,
            config.sigmoid_window,
            p.weight_floor,
            p.smoothing_value,
            p.min_prior,
            p.smoothing_weight,
            p.adaptive_weight_base,
            p.clip_lo,
            p.clip_hi,
            config.sparse_side_prior,
            float(config.sparse_side_min_raters),
        ]
    )


def _rater_table(
    factors: FloatArray,
    raters: NDArray[np.int32],
    extra_rater: NDArray[np.int32],
    p: GaussianPassConfig,
) -> tuple[NDArray[np.float32], NDArray[np.int32], NDArray[np.int32], FloatArray]:
    """The kernel table rows of the raters the pass reads, with the rater columns and
    factors the pass reads them through: ``(table, raters, extra_rater, factors)``.

    When the pass reads many raters, every row, the columns as given. An incremental pass
    over a few notes reads a few raters: only their rows are made, and the raters are
    renumbered onto them (``raters`` and ``extra_rater`` remapped, ``factors`` cut to the
    same raters), so no (all raters x points) table is allocated per pass (9 MB per call
    at 47k raters). Each row is computed on its own and the kernel only reads a rater's
    factor and row through its number, so the scores are the same."""
    n_raters = factors.shape[0]
    if raters.shape[0] >= n_raters:
        return kernel_table(factors, p), raters, extra_rater, factors
    needed = np.zeros(n_raters, dtype=np.bool_)
    needed[raters] = True
    needed[extra_rater[extra_rater >= 0]] = True
    if np.count_nonzero(needed) >= n_raters // 4:
        return kernel_table(factors, p), raters, extra_rater, factors
    kept = np.flatnonzero(needed)
    local = np.full(n_raters, -1, dtype=np.int32)
    local[kept] = np.arange(kept.shape[0], dtype=np.int32)
    factors_l = np.ascontiguousarray(factors[kept])
    extra_l = np.where(extra_rater >= 0, local[np.maximum(extra_rater, 0)], -1).astype(np.int32)
    return kernel_table(factors_l, p), local[raters], extra_l, factors_l


def _run_pass(
    grouped: _Grouped,
    extra_rater: NDArray[np.int32],
    factors: FloatArray,
    config: GaussianConfig,
    p: GaussianPassConfig,
) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    n_notes = grouped.indptr.shape[0] - 1
    score = np.empty(n_notes)
    fhat = np.empty(n_notes)
    insufficient = np.empty(n_notes, dtype=np.bool_)
    table, raters, extra_rater, factors = _rater_table(factors, grouped.raters, extra_rater, p)
    points = np.asarray(p.points, dtype=np.float64)
    scal = _pass_scalars(config, p)
    flags = np.array([1 if p.flip_values else 0], dtype=np.int64)

    def run(lo: int, hi: int) -> None:
        _numba.pass_range(
            lo,
            hi,
            grouped.indptr,
            raters,
            grouped.values,
            extra_rater,
            factors,
            table,
            points,
            scal,
            flags,
            score,
            fhat,
            insufficient,
        )

    n_rows = int(grouped.indptr[-1])
    if n_rows < PARALLEL_MIN_RATINGS or n_notes < 2 or kernel_threads() < 2:
        run(0, n_notes)
    else:
        # Split where half the rows are: both threads get about the same work.
        mid = int(np.searchsorted(grouped.indptr, n_rows // 2))
        mid = min(max(mid, 1), n_notes - 1)
        futures = [_pool().submit(run, 0, mid), _pool().submit(run, mid, n_notes)]
        for fut in futures:
            fut.result()
    return score, fhat, insufficient


def _check(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    helpful_num: NDArray[np.floating],
    rater_factors: NDArray[np.floating],
    n_notes: int,
    extra_rater_idx: NDArray[np.integer] | None,
) -> None:
    n = helpful_num.shape[0] if helpful_num.ndim == 1 else -1
    for name, arr in (
        ("note_idx", note_idx),
        ("rater_idx", rater_idx),
        ("helpful_num", helpful_num),
    ):
        if arr.ndim != 1 or arr.shape[0] != n:
            raise InputError(f"must be 1-D with one entry per rating ({n})", field=name)
    if rater_factors.ndim != 1:
        raise InputError("must have shape (n_raters,)", field="rater_factors")
    n_raters = rater_factors.shape[0]
    for name, arr, bound in (("note_idx", note_idx, n_notes), ("rater_idx", rater_idx, n_raters)):
        if not np.issubdtype(arr.dtype, np.integer):
            raise InputError(f"must have an integer dtype, got {arr.dtype}", field=name)
        if n and (int(arr.min()) < 0 or int(arr.max()) >= bound):
            raise InputError(f"indexes must lie in [0, {bound})", field=name)
    if n and not np.all((helpful_num == 0) | (helpful_num == 0.5) | (helpful_num == 1)):
        raise InputError("rating values must be 0, 0.5 or 1", field="helpful_num")
    if n and not np.all(np.isfinite(rater_factors[rater_idx])):
        bad = int(rater_idx[~np.isfinite(rater_factors[rater_idx])][0])
        raise InputError(f"rater row {bad} has ratings but no finite factor", field="rater_factors")
    if extra_rater_idx is not None:
        if extra_rater_idx.shape != (n_notes,):
            raise InputError(f"must have shape ({n_notes},)", field="extra_rater_idx")
        extra = extra_rater_idx[extra_rater_idx >= 0]
        if extra.size and (
            int(extra.max()) >= n_raters or not np.all(np.isfinite(rater_factors[extra]))
        ):
            raise InputError(
                "extra raters must exist and have finite factors", field="extra_rater_idx"
            )


def gaussian_pass(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    helpful_num: NDArray[np.floating],
    rater_factors: NDArray[np.floating],
    *,
    n_notes: int,
    config: GaussianConfig,
    which: str,
    extra_rater_idx: NDArray[np.integer] | None = None,
) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    """One pass (``which`` = "crh" or "crnh") of §6.3: per-note score, f̂ and insufficiency.

    Arguments as :func:`aggregate_gaussian`; ``extra_rater_idx`` rows are used as given.
    Returns float64 (n_notes,) score and f̂ (NaN without rows) and bool (n_notes,).
    """
    if which not in ("crh", "crnh"):
        raise ValueError(f"which={which!r} is not allowed: expected 'crh' or 'crnh'")
    _check(note_idx, rater_idx, helpful_num, rater_factors, n_notes, extra_rater_idx)
    factors = np.ascontiguousarray(rater_factors, dtype=np.float64)
    grouped = _group(note_idx, rater_idx, helpful_num, n_notes)
    extra = (
        np.full(n_notes, -1, np.int32)
        if extra_rater_idx is None
        else np.ascontiguousarray(extra_rater_idx, dtype=np.int32)
    )
    return _run_pass(grouped, extra, factors, config, config.crh if which == "crh" else config.crnh)


def aggregate_gaussian(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    helpful_num: NDArray[np.floating],
    rater_factors: NDArray[np.floating],
    *,
    n_notes: int,
    config: GaussianConfig | None = None,
    extra_rater_idx: NDArray[np.integer] | None = None,
) -> GaussianAggregate:
    """Both passes and the intercept of §6.3.

    Parameters
    ----------
    note_idx, rater_idx : int arrays of shape (n_ratings,), the fit's finalRoundRatings.
    helpful_num : float array of shape (n_ratings,), values in {0, 0.5, 1}.
    rater_factors : float array of shape (n_raters,), f_u (rater-factor units); finite for
        every rater with ratings and every extra rater.
    n_notes : int, size of the note index.
    config : GaussianConfig, default GaussianConfig().
    extra_rater_idx : optional int array of shape (n_notes,): a rater whose synthetic
        HELPFUL row joins the note in the CRH pass only (the author self-ratings); -1 = none.
        Only notes that have ratings use it. The caller decides who qualifies
        (:func:`bridgewatch.scoring.gaussian.fit.author_rows` applies §6.3's conditions).

    Returns
    -------
    GaussianAggregate
    """
    cfg = config if config is not None else GaussianConfig()
    _check(note_idx, rater_idx, helpful_num, rater_factors, n_notes, extra_rater_idx)
    factors = np.ascontiguousarray(rater_factors, dtype=np.float64)
    grouped = _group(note_idx, rater_idx, helpful_num, n_notes)
    has_rows = np.diff(grouped.indptr) > 0
    none = np.full(n_notes, -1, np.int32)
    extra = (
        none
        if extra_rater_idx is None
        else np.where(has_rows, extra_rater_idx, -1).astype(np.int32)
    )
    crh, fhat, crh_insufficient = _run_pass(grouped, extra, factors, cfg, cfg.crh)
    crnh, _, crnh_insufficient = _run_pass(grouped, none, factors, cfg, cfg.crnh)
    intercept = np.where(np.abs(crh) < np.abs(crnh), -crnh, crh)
    return GaussianAggregate(
        intercept=intercept,
        crh_score=crh,
        crnh_score=crnh,
        factor_estimate=fhat,
        crh_insufficient=crh_insufficient,
        crnh_insufficient=crnh_insufficient,
    )
