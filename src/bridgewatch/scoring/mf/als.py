"""Bridging matrix factorization by alternating least squares (scoring-core.md §3, §12).

The reference minimises its objective with full-batch Adam to a 1e-7 loss change; we
minimise the SAME objective (§3.2, see :mod:`bridgewatch.scoring.mf.objective`) with
closed-form block updates: every note's (i_n, f_n) given the raters and μ, every rater's
(i_u, f_u) given the notes and μ, then μ. Each block update solves its subproblem exactly,
so the objective never increases.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import ConvergenceWarning
from bridgewatch.scoring.mf._engines import make_engine
from bridgewatch.scoring.mf._inputs import check_ratings, check_ratio, start_values
from bridgewatch.scoring.mf.config import MFConfig
from bridgewatch.scoring.mf.objective import Penalties, penalties_for, regularisation
from bridgewatch.scoring.mf.params import MFInit, MFParams, MFResult

__all__ = ["fit_mf", "identify_signs"]

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]


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


@dataclass(frozen=True)
class _Shift:
    global_intercept: float
    note_intercepts: float
    rater_intercepts: float


def _offset_step(
    se: float,
    w_total: float,
    mu: float,
    ni: FloatArray,
    ri: FloatArray,
    note_ok: NDArray[np.bool_],
    rater_ok: NDArray[np.bool_],
    pen: Penalties,
    *,
    free_raters: bool,
    free_global: bool,
) -> _Shift:
    """Exact minimiser over (a, b, c) of J(μ + a, i_n + b, i_u + c), factors fixed.

    All three moves shift every prediction by s = a + b + c, so the data term only sees s;
    the stationarity conditions give each block's new mean as g/(P·count) with
    g = (Σw·e + W·base)/(1 + W·H), H = Σ 1/(P·count), base = Σ current means (free blocks
    only). This replaces the plain μ update (its special case b = c = 0) and removes the
    slow trade-off between μ and the intercept means that plain ALS crawls through.
    """
    blocks: list[tuple[float, float, float]] = []  # (penalty, count, current mean)
    if free_global:
        blocks.append((pen.global_intercept, 1.0, mu))
    n_notes = float(np.count_nonzero(note_ok))
    blocks.append((pen.note_intercept, n_notes, float(np.sum(ni[note_ok])) / n_notes))
    if free_raters:
        n_raters = float(np.count_nonzero(rater_ok))
        blocks.append((pen.rater_intercept, n_raters, float(np.sum(ri[rater_ok])) / n_raters))
    h = sum(1.0 / (p * n) for p, n, _ in blocks)
    base = sum(m for _, _, m in blocks)
    g = (se + w_total * base) / (1.0 + w_total * h)
    moves = [g / (p * n) - m for p, n, m in blocks]
    a = moves.pop(0) if free_global else 0.0
    b = moves.pop(0)
    c = moves.pop(0) if free_raters else 0.0
    return _Shift(global_intercept=a, note_intercepts=b, rater_intercepts=c)


class _AndersonMixer:
    """Type-II Anderson acceleration of the ALS fixed-point map x -> G(x), depth m.

    Given the last m differences of inputs' residuals f = G(x) − x and of outputs G(x), it
    proposes G(x_k) − ΔG·γ with γ = argmin ‖f_k − ΔF·γ‖ (normal equations, tiny ridge).
    The caller accepts a proposal only when it lowers the objective, so every accepted
    iterate is no worse than a plain sweep and convergence stays monotone.
    """

    def __init__(self, depth: int) -> None:
        self._depth = depth
        self._d_f: list[FloatArray] = []
        self._d_g: list[FloatArray] = []
        self._last: tuple[FloatArray, FloatArray] | None = None

    def reset(self) -> None:
        self._d_f.clear()
        self._d_g.clear()
        self._last = None

    def propose(self, x: FloatArray, g: FloatArray) -> FloatArray | None:
        if self._depth == 0:
            return None
        f = g - x
        if self._last is not None:
            last_f, last_g = self._last
            self._d_f.append(f - last_f)
            self._d_g.append(g - last_g)
            if len(self._d_f) > self._depth:
                self._d_f.pop(0)
                self._d_g.pop(0)
        self._last = (f, g.copy())
        if not self._d_f:
            return None
        d_f = np.stack(self._d_f)
        gram = d_f @ d_f.T
        ridge = 1e-12 * float(np.trace(gram)) + 1e-300
        gamma = np.linalg.solve(gram + ridge * np.eye(gram.shape[0]), d_f @ f)
        proposal: FloatArray = g - gamma @ np.stack(self._d_g)
        return proposal if np.all(np.isfinite(proposal)) else None


def _as_init(init: MFInit | MFParams | None) -> MFInit | None:
    if isinstance(init, MFParams):
        return MFInit.from_params(init)
    return init


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
    k = cfg.n_factors
    # One flat parameter vector with views per block: Anderson mixing works on the vector,
    # the kernels on the views, and nothing is copied between them.
    theta = np.concatenate(
        (
            start.note_intercepts,
            start.note_factors.ravel(),
            start.rater_intercepts,
            start.rater_factors.ravel(),
            [start.global_intercept],
        )
    )
    o1, o2 = n_notes, n_notes * (1 + k)
    o3 = o2 + n_raters
    ni, nf = theta[:o1], theta[o1:o2].reshape(n_notes, k)
    ri, rf = theta[o2:o3], theta[o3:-1].reshape(n_raters, k)
    eng = make_engine(
        engine,
        note_idx,
        rater_idx,
        values,
        weights,
        n_notes,
        n_raters,
        need_rater_groups=not freeze_raters,
    )
    w_total = float(n_ratings if weights is None else np.sum(weights, dtype=np.float64))

    def objective() -> tuple[float, float, float]:
        """(loss L, Σ w·e², Σ w·e) at theta: one pass over the ratings."""
        mu = float(theta[-1])
        sse, se = eng.error_sums(ni, nf, ri, rf, mu)
        reg = regularisation(MFParams(ni, nf, ri, rf, mu), pen, note_ok, rater_ok)
        return (sse + reg) / n_ratings, sse, se

    def sweep() -> tuple[float, float]:
        """One ALS sweep in place; returns (loss, Σ w·e²) at the new theta."""
        mu = float(theta[-1])
        # The last block solve also returns the error sums at the new values.
        sse, se = eng.solve_notes(ni, nf, ri, rf, mu, pen.note_intercept, pen.note_factor)
        if not freeze_raters:
            sse, se = eng.solve_raters(ni, nf, ri, rf, mu, pen.rater_intercept, pen.rater_factor)
        shift = _offset_step(
            se,
            w_total,
            mu,
            ni,
            ri,
            note_ok,
            rater_ok,
            pen,
            free_raters=not freeze_raters,
            free_global=not freeze_global,
        )
        theta[-1] = mu + shift.global_intercept
        ni[note_ok] += shift.note_intercepts
        if not freeze_raters:
            ri[rater_ok] += shift.rater_intercepts
        s_all = shift.global_intercept + shift.note_intercepts + shift.rater_intercepts
        # Every prediction moved by s_all: update Σ w·e² without another data pass.
        sse = sse - 2.0 * s_all * se + s_all * s_all * w_total
        reg = regularisation(MFParams(ni, nf, ri, rf, float(theta[-1])), pen, note_ok, rater_ok)
        return (sse + reg) / n_ratings, sse

    loss, sse, _ = objective()
    mixer = _AndersonMixer(cfg.acceleration_depth)
    converged = False
    n_iter = 0
    # With raters and μ frozen the note step is the exact optimum: one sweep suffices.
    cap = 1 if (freeze_raters and freeze_global) else cfg.max_iterations
    while n_iter < cap:
        n_iter += 1
        x = theta.copy()
        new_loss, sse = sweep()
        step = theta - x
        max_step = float(np.max(np.abs(step)))
        decrease = loss - new_loss
        loss = new_loss
        logger.debug(
            "sweep %d: loss %.12g, decrease %.3g, max step %.3g", n_iter, loss, decrease, max_step
        )
        if (freeze_raters and freeze_global) or (
            decrease <= cfg.tolerance * abs(new_loss) and max_step <= cfg.param_tolerance
        ):
            converged = True
            break
        candidate = mixer.propose(x, theta)
        if candidate is not None:
            g = theta.copy()
            theta[:] = candidate
            mixed_loss, mixed_sse, _ = objective()
            if mixed_loss < loss:
                loss, sse = mixed_loss, mixed_sse
            else:
                # Safeguard: keep the plain sweep and restart the mixing history.
                theta[:] = g
                mixer.reset()
    if not converged:
        warnings.warn(
            ConvergenceWarning("MF by ALS stopped at max_iterations", n_iter), stacklevel=2
        )
    nan_rows = ~note_ok
    ni[nan_rows] = np.nan
    nf[nan_rows] = np.nan
    ri[~rater_ok] = np.nan
    rf[~rater_ok] = np.nan
    params = MFParams(ni.copy(), nf.copy(), ri.copy(), rf.copy(), float(theta[-1]))
    if sign_identify:
        params = identify_signs(params)
    logger.debug(
        "MF fit: %d ratings, %d sweeps, loss %.10g, train MSE %.6g",
        n_ratings,
        n_iter,
        loss,
        sse / n_ratings,
    )
    return MFResult(
        params=params,
        train_mse=float(sse / n_ratings),
        loss=float(loss),
        n_iterations=n_iter,
        converged=converged,
    )
