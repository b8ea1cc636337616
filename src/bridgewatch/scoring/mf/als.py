"""Bridging matrix factorization by alternating least squares (scoring-core.md §3, §12).

The reference minimises its objective with full-batch Adam to a 1e-7 loss change; we
minimise the SAME objective (§3.2, see :mod:`bridgewatch.scoring.mf.objective`) with
closed-form block updates (the sweep loop lives in :mod:`bridgewatch.scoring.mf._solver`).
Every block update solves its subproblem exactly and accelerated steps are accepted only
when they lower the objective, so the objective never increases.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import ConvergenceWarning
from bridgewatch.scoring.mf._engines import make_engine
from bridgewatch.scoring.mf._inputs import StartValues, check_ratings, check_ratio, start_values
from bridgewatch.scoring.mf._solver import AlsSolver
from bridgewatch.scoring.mf.config import MFConfig
from bridgewatch.scoring.mf.objective import penalties_for
from bridgewatch.scoring.mf.params import MFInit, MFParams, MFResult

__all__ = ["fit_mf", "identify_signs"]

logger = logging.getLogger(__name__)


def identify_signs(params: MFParams) -> MFParams:
    """Flip factors so that most raters have a negative factor (scoring-core.md §3.3).

    For each factor column q: p = #(f_u,q < 0) / #(f_u,q ≠ 0) over raters with parameters;
    if p < 0.5 every note and rater factor of column q is multiplied by −1 (p undefined:
    no flip). Predictions and the objective are unchanged.
    """
    rf = params.rater_factors
    ok = np.isfinite(params.rater_intercepts)
    sign = np.ones(rf.shape[1])
    for q in range(rf.shape[1]):
        col = rf[ok, q]
        nonzero = int(np.count_nonzero(col))
        if nonzero > 0 and np.count_nonzero(col < 0) / nonzero < 0.5:
            sign[q] = -1.0
    if np.all(sign == 1.0):
        return params
    return MFParams(
        note_intercepts=params.note_intercepts,
        note_factors=params.note_factors * sign,
        rater_intercepts=params.rater_intercepts,
        rater_factors=rf * sign,
        global_intercept=params.global_intercept,
    )


def _as_init(init: MFInit | MFParams | None) -> MFInit | None:
    if isinstance(init, MFParams):
        return MFInit.from_params(init)
    return init


# Fits whose present notes (or raters) are below this share of the index run on compact rows.
_COMPACT_BELOW = 0.5


def _compact_rows(ok: NDArray[np.bool_]) -> NDArray[np.int64] | None:
    """Rows present in the fit when they are few enough to compact, else None."""
    kept = np.flatnonzero(ok)
    return kept if kept.shape[0] < _COMPACT_BELOW * ok.shape[0] else None


def _compact_fit(
    start: StartValues,
    note_ok: NDArray[np.bool_],
    rater_ok: NDArray[np.bool_],
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    notes_kept: NDArray[np.int64] | None,
    raters_kept: NDArray[np.int64] | None,
) -> tuple[StartValues, NDArray[np.bool_], NDArray[np.bool_], NDArray[np.int32], NDArray[np.int32]]:
    """Start values, presence and rating indexes on the compact rows of each side that has
    them (``None``: that side keeps its full index)."""

    def side(
        kept: NDArray[np.int64] | None,
        ok: NDArray[np.bool_],
        idx: NDArray[np.integer],
        inter: NDArray[np.float64],
        fac: NDArray[np.float64],
    ) -> tuple[NDArray[np.bool_], NDArray[np.int32], NDArray[np.float64], NDArray[np.float64]]:
        if kept is None:
            return ok, np.asarray(idx), inter, fac
        row = np.full(ok.shape[0], -1, dtype=np.int32)
        row[kept] = np.arange(kept.shape[0], dtype=np.int32)
        return np.ones(kept.shape[0], dtype=np.bool_), row[idx], inter[kept], fac[kept]

    n_ok, n_idx, ni, nf = side(
        notes_kept, note_ok, note_idx, start.note_intercepts, start.note_factors
    )
    r_ok, r_idx, ri, rf = side(
        raters_kept, rater_ok, rater_idx, start.rater_intercepts, start.rater_factors
    )
    return StartValues(ni, nf, ri, rf, start.global_intercept), n_ok, r_ok, n_idx, r_idx


def _expand_rows(
    inter: NDArray[np.float64],
    fac: NDArray[np.float64],
    kept: NDArray[np.int64] | None,
    n: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Compact-row parameters back in the full index (NaN for rows not in the fit)."""
    if kept is None:
        return inter, fac
    full_i = np.full(n, np.nan)
    full_f = np.full((n, fac.shape[1]), np.nan)
    full_i[kept] = inter
    full_f[kept] = fac
    return full_i, full_f


def fit_mf(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    values: NDArray[np.floating],
    *,
    n_notes: int,
    n_raters: int,
    config: MFConfig | None = None,
    init: MFInit | MFParams | None = None,
    freeze_raters: bool = False,
    freeze_global: bool = False,
    note_ratio: float | None = None,
    rater_ratio: float | None = None,
    sign_identify: bool = True,
    rng: np.random.Generator | None = None,
    weights: NDArray[np.floating] | None = None,
    engine: str = "numba",
) -> MFResult:
    """Fit ``ŷ_un = μ + i_u + i_n + f_u·f_n`` to ratings by ALS (scoring-core.md §3).

    Minimises the reference objective (§3.2) ``L = J/|R|`` with::

        J = Σ_R w·(y − μ − i_u − i_n − f_u·f_n)² + P_in·Σ_N i_n² + P_fn·Σ_N |f_n|²
            + P_iu·Σ_U i_u² + P_fu·Σ_U |f_u|² + P_μ·μ²

    Mean mode: P_in = λ_in·|R|/|N|, P_fn = λ_fn·|R|/(|N|·k), P_iu = λ_iu·|R|/|U|,
    P_fu = λ_fu·|R|/(|U|·k), P_μ = λ_μ·|R|, where |N| and |U| count the notes and raters
    that appear in the ratings. Ratio mode (``note_ratio`` ρ given): P_in = λ_in·ρ,
    P_fn = λ_fn·ρ; likewise for raters with ``rater_ratio``.

    Each sweep solves, exactly: every note's (k+1)-square ridge system given raters and μ;
    every rater's given notes and μ (skipped when ``freeze_raters``); then the joint exact
    optimum of μ and a uniform shift of all note and all rater intercepts (frozen blocks
    excluded; with notes and raters fixed this is μ = Σ w·(y − i_u − i_n − f_u·f_n) /
    (Σ w + P_μ)).
    Sweeps stop when the objective decreases by at most ``config.tolerance`` (relative) and
    no parameter moves by more than ``config.param_tolerance``. The problem is non-convex:
    like the reference, start from a stable initialisation where one exists (§4.2).

    Parameters
    ----------
    note_idx, rater_idx : int array of shape (n_ratings,)
        Dense rows (0 <= idx < n_notes / n_raters) of each rating's note and rater.
        int32 keeps memory low on large data.
    values : float32 or float64 array of shape (n_ratings,)
        y_un (helpfulNum). Sums run in float64 either way.
    n_notes, n_raters : int
        Sizes of the parameter arrays; entities without ratings get NaN parameters.
    config : MFConfig, default MFConfig()
    init : MFInit or MFParams, optional
        Initial values with the §3.3 semantics (see :class:`MFInit`). Without them, factors
        are Xavier-uniform U(±sqrt(6/(count + k))) drawn from ``rng`` (raters, then notes)
        and intercepts and μ start at 0. An MFParams passes μ when it is finite.
    freeze_raters, freeze_global : bool
        Keep (i_u, f_u) / μ at their initial values. Frozen terms stay in the loss.
    note_ratio, rater_ratio : float > 0, optional
        Ratio-mode ratings-per-note / per-rater ratios.
    sign_identify : bool, default True
        Apply :func:`identify_signs` to the result (final scoring turns it off).
    rng : numpy.random.Generator, optional
        Required only when a random initialisation is needed.
    weights : float array of shape (n_ratings,), optional
        Per-rating weights w >= 0 of the squared errors (1 when None).
    engine : {"numba", "numpy"}
        The fast kernels or the plain-numpy reference (same results to ~1e-12).

    Returns
    -------
    MFResult
        Fitted parameters, train MSE, loss L, sweeps run and whether they converged.
        Emits :class:`~bridgewatch.errors.ConvergenceWarning` at the iteration cap.
    """
    cfg = config if config is not None else MFConfig()
    check_ratings(note_idx, rater_idx, values, weights, n_notes, n_raters)
    check_ratio("note_ratio", note_ratio)
    check_ratio("rater_ratio", rater_ratio)
    note_ok = np.bincount(note_idx, minlength=n_notes) > 0
    rater_ok = np.bincount(rater_idx, minlength=n_raters) > 0
    n_ratings = int(values.shape[0])
    pen = penalties_for(
        cfg,
        n_ratings=n_ratings,
        n_notes=int(np.count_nonzero(note_ok)),
        n_raters=int(np.count_nonzero(rater_ok)),
        note_ratio=note_ratio,
        rater_ratio=rater_ratio,
    )
    start = start_values(_as_init(init), note_ok, rater_ok, cfg.n_factors, rng)
    # A fit on few of the index's entities (the stable-initialization subset: ~1% of the notes
    # and raters) runs on compact rows: a sweep's cost then follows the ratings, not the index
    # size (a 13k-rating fit in a 2M x 2M index took 56 s). Absent rows are 0 and stay out of
    # every sum, so only the order of some float sums changes.
    notes_kept = _compact_rows(note_ok)
    raters_kept = _compact_rows(rater_ok)
    fit_notes, fit_raters = note_idx, rater_idx
    if notes_kept is not None or raters_kept is not None:
        start, note_ok, rater_ok, fit_notes, fit_raters = _compact_fit(
            start, note_ok, rater_ok, note_idx, rater_idx, notes_kept, raters_kept
        )
    solver = AlsSolver(
        make_engine(
            engine,
            fit_notes,
            fit_raters,
            values,
            weights,
            note_ok.shape[0],
            rater_ok.shape[0],
            need_rater_groups=not freeze_raters,
        ),
        start,
        pen,
        note_ok,
        rater_ok,
        w_total=float(n_ratings if weights is None else np.sum(weights, dtype=np.float64)),
        free_raters=not freeze_raters,
        free_global=not freeze_global,
    )
    # With raters and μ frozen the note step is the exact optimum: one sweep suffices.
    cap = 1 if (freeze_raters and freeze_global) else cfg.max_iterations
    outcome = solver.run(cap, cfg, exact_in_one=freeze_raters and freeze_global)
    if not outcome.converged:
        warnings.warn(
            ConvergenceWarning("MF by ALS stopped at max_iterations", outcome.n_iterations),
            stacklevel=2,
        )
    ni, nf, ri, rf = solver.ni, solver.nf, solver.ri, solver.rf
    nan_rows = ~note_ok
    ni[nan_rows] = np.nan
    nf[nan_rows] = np.nan
    ri[~rater_ok] = np.nan
    rf[~rater_ok] = np.nan
    ni, nf = _expand_rows(ni, nf, notes_kept, n_notes)
    ri, rf = _expand_rows(ri, rf, raters_kept, n_raters)
    params = MFParams(ni.copy(), nf.copy(), ri.copy(), rf.copy(), solver.global_intercept)
    if sign_identify:
        params = identify_signs(params)
    logger.debug(
        "MF fit: %d ratings, %d sweeps, loss %.10g, train MSE %.6g",
        n_ratings,
        outcome.n_iterations,
        outcome.loss,
        outcome.sse / n_ratings,
    )
    return MFResult(
        params=params,
        train_mse=float(outcome.sse / n_ratings),
        loss=float(outcome.loss),
        n_iterations=outcome.n_iterations,
        converged=outcome.converged,
    )
