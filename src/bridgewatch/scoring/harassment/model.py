"""Fit of the harassment/abuse tag-consensus model and the rater penalty it drives (§4.5-§4.6)."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import ConvergenceWarning, InputError
from bridgewatch.scoring.harassment.adam import solve_adam_vectorized
from bridgewatch.scoring.harassment.config import HarassmentConfig
from bridgewatch.scoring.harassment.problem import (
    HarassmentParams,
    HarassmentProblem,
    Solver,
    objective_and_gradient,
)

__all__ = [
    "HarassmentResult",
    "fit_harassment_model",
    "rater_harassment_penalties",
    "skipped_harassment",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HarassmentResult:
    """Output of :func:`fit_harassment_model`.

    Parameters
    ----------
    note_intercepts, note_factors : float64 arrays of shape (n_notes,)
        ``harassmentNoteIntercept`` / ``harassmentNoteFactor1``; NaN for notes not in the fit
        and everywhere when the model is skipped.
    rater_intercepts, rater_factors : float64 arrays of shape (n_raters,)
        Rater parameters; NaN for raters not in the fit.
    global_intercept : float
        μ (NaN when skipped).
    positive_rate : float
        p, the share of positive labels (NaN without data).
    pos_weight : float
        (1 − p)/p, the loss weight of a positive rating (NaN when skipped).
    loss : float
        Final mean loss L = S/|R| (module ``problem``); NaN when skipped.
    n_ratings, n_notes_fit, n_raters_fit : int
        Size of the fit.
    iterations : int
        Solver iterations (epochs of Adam, iterations of L-BFGS).
    converged : bool
        Whether the solver met its tolerance (True when skipped).
    skip_reason : str or None
        Why the model was skipped (§4.6 step 5), None when it was fitted.
    """

    note_intercepts: NDArray[np.float64]
    note_factors: NDArray[np.float64]
    rater_intercepts: NDArray[np.float64]
    rater_factors: NDArray[np.float64]
    global_intercept: float
    positive_rate: float
    pos_weight: float
    loss: float
    n_ratings: int
    n_notes_fit: int
    n_raters_fit: int
    iterations: int
    converged: bool
    skip_reason: str | None

    @property
    def skipped(self) -> bool:
        """True when the model was not fitted (every intercept NaN, nobody penalised)."""
        return self.skip_reason is not None


def _skipped(n_notes: int, n_raters: int, rate: float, m: int, reason: str) -> HarassmentResult:
    nan_n = np.full(n_notes, np.nan)
    nan_u = np.full(n_raters, np.nan)
    return HarassmentResult(
        nan_n, nan_n.copy(), nan_u, nan_u.copy(), float("nan"), rate, float("nan"),
        float("nan"), m, 0, 0, 0, True, reason,
    )  # fmt: skip


def skipped_harassment(n_notes: int, n_raters: int, reason: str) -> HarassmentResult:
    """A harassment result for a scorer that does not fit the model: nobody is penalised."""
    return _skipped(n_notes, n_raters, float("nan"), 0, reason)


def _initial_factors(
    init: NDArray[np.floating] | None,
    present: NDArray[np.int64],
    n: int,
    multiplier: float,
    rng: np.random.Generator | None,
    name: str,
) -> NDArray[np.float64]:
    if init is None:
        if rng is None:
            raise InputError("give initial factors or a random generator", field=name)
        # the reference's Xavier-uniform init of a (count x 1) embedding (§3.3)
        bound = np.sqrt(6.0 / (present.shape[0] + 1))
        return np.asarray(rng.uniform(-bound, bound, present.shape[0]), dtype=np.float64)
    arr = np.asarray(init, dtype=np.float64)
    if arr.shape != (n,):
        raise InputError(f"expected shape ({n},), got {arr.shape}", field=name)
    out = multiplier * arr[present]
    out[~np.isfinite(out)] = 0.0  # rows without an initial value start at 0 (§3.3)
    return out


def _expand(values: NDArray[np.float64], present: NDArray[np.int64], n: int) -> NDArray[np.float64]:
    out = np.full(n, np.nan)
    out[present] = values
    return out


def fit_harassment_model(
    note_idx: NDArray[np.int32],
    rater_idx: NDArray[np.int32],
    labels: NDArray[np.floating] | NDArray[np.bool_],
    *,
    n_notes: int,
    n_raters: int,
    init_rater_factors: NDArray[np.floating] | None,
    init_note_factors: NDArray[np.floating] | None,
    config: HarassmentConfig,
    rng: np.random.Generator | None = None,
    solver: Solver = solve_adam_vectorized,
) -> HarassmentResult:
    """Fit the harassment tag-consensus MF (scoring-core.md §4.6 steps 5-6); deterministic.

    Objective: the mean-mode weighted BCE-with-logits MF of the ``problem`` module, with
    positive-class weight (1 − p)/p and the Core default lambdas. Start: factors =
    ``config.init_factor_multiplier`` × the given round-1 helpfulness factors (0 where NaN),
    intercepts and μ at 0. The default solver runs the reference's own procedure (full-batch
    Adam at lr 2.0 with gradient clipping and its stopping rule, ``adam`` module): the objective
    is flat and non-convex, the reference stops well before a stationary point, and a solver
    that converges (``reference.solve_lbfgs``) lands elsewhere, with note
    intercepts that differ by up to a few logits on notes with few ratings. Afterwards factors
    are sign-identified: when fewer than half of the raters with a non-zero factor have a
    negative one, all factors flip.

    Skipped (all NaN, ``skip_reason`` set) when there are no ratings or p is 0, 1 or NaN.

    Parameters
    ----------
    note_idx, rater_idx : int32 arrays of shape (n_ratings,)
        The labelled ratings (``label_harassment_ratings(...).rows`` of the caller's arrays).
        A (note, rater) pair must occur at most once.
    labels : float or bool array of shape (n_ratings,)
        1 for harassment/abuse, 0 otherwise.
    n_notes, n_raters : int
        Sizes of the note and rater indexes (outputs have these lengths).
    init_rater_factors : float array of shape (n_raters,) or None
        Round-1 helpfulness rater factors; None draws Xavier-uniform factors from ``rng``.
    init_note_factors : float array of shape (n_notes,) or None
        Round-1 helpfulness note factors; None draws Xavier-uniform factors from ``rng``.
    config : HarassmentConfig
    rng : numpy.random.Generator, optional
        Only used when an initial factor array is None.
    solver : callable, optional
        ``solve_adam_vectorized`` (default, the reference procedure), its scalar-kernel twin
        ``solve_adam_fast``, or the plain solvers of ``harassment.reference``
        (``solve_lbfgs``: a converged stationary point).

    Returns
    -------
    HarassmentResult
    """
    m = note_idx.shape[0]
    if note_idx.ndim != 1 or rater_idx.shape != (m,) or np.shape(labels) != (m,):
        raise InputError("note_idx, rater_idx and labels must be 1-D of one length", field="labels")
    if m and (note_idx.min() < 0 or note_idx.max() >= n_notes):
        raise InputError(f"note_idx out of range [0, {n_notes})", field="note_idx")
    if m and (rater_idx.min() < 0 or rater_idx.max() >= n_raters):
        raise InputError(f"rater_idx out of range [0, {n_raters})", field="rater_idx")
    y = np.asarray(labels, dtype=np.float64)
    if not np.all((y == 0.0) | (y == 1.0)):
        raise InputError("labels must be 0 or 1", field="labels")
    if m == 0:
        return _skipped(n_notes, n_raters, float("nan"), 0, "no labelled ratings")
    rate = float(y.mean())
    if rate == 0.0 or rate == 1.0:
        return _skipped(n_notes, n_raters, rate, m, f"positive rate is {rate}")
    pos_weight = (1.0 - rate) / rate

    notes = np.flatnonzero(np.bincount(note_idx, minlength=n_notes))
    raters = np.flatnonzero(np.bincount(rater_idx, minlength=n_raters))
    note_c = np.searchsorted(notes, note_idx).astype(np.int32)
    rater_c = np.searchsorted(raters, rater_idx).astype(np.int32)
    order = np.lexsort((rater_c, note_c))  # canonical order: independent of the input rows
    note_c, rater_c, y = note_c[order], rater_c[order], y[order]
    nn_, nu = notes.shape[0], raters.shape[0]
    problem = HarassmentProblem(
        note_c=note_c,
        rater_c=rater_c,
        y=y,
        c=np.where(y == 1.0, pos_weight, 1.0),
        n_notes=nn_,
        n_raters=nu,
        lam_rater_factor=config.rater_factor_lambda * m / nu,
        lam_rater_intercept=config.rater_intercept_lambda * m / nu,
        lam_note_factor=config.note_factor_lambda * m / nn_,
        lam_note_intercept=config.note_intercept_lambda * m / nn_,
        lam_global=config.global_intercept_lambda * m,
    )
    mult = config.init_factor_multiplier
    params = HarassmentParams(
        note_intercepts=np.zeros(nn_),
        note_factors=_initial_factors(
            init_note_factors, notes, n_notes, mult, rng, "init_note_factors"
        ),
        rater_intercepts=np.zeros(nu),
        rater_factors=_initial_factors(
            init_rater_factors, raters, n_raters, mult, rng, "init_rater_factors"
        ),
        global_intercept=0.0,
    )
    outcome = solver(problem, params, config)
    if not outcome.converged:
        warnings.warn(
            ConvergenceWarning("harassment model did not converge", outcome.iterations),
            stacklevel=2,
        )
    nonzero = params.rater_factors != 0.0
    if nonzero.any() and np.mean(params.rater_factors[nonzero] < 0.0) < 0.5:
        params.rater_factors = -params.rater_factors
        params.note_factors = -params.note_factors
    value, _ = objective_and_gradient(problem, params.pack())
    logger.debug("harassment model: %d ratings, %d iterations", m, outcome.iterations)
    return HarassmentResult(
        note_intercepts=_expand(params.note_intercepts, notes, n_notes),
        note_factors=_expand(params.note_factors, notes, n_notes),
        rater_intercepts=_expand(params.rater_intercepts, raters, n_raters),
        rater_factors=_expand(params.rater_factors, raters, n_raters),
        global_intercept=float(params.global_intercept),
        positive_rate=rate,
        pos_weight=pos_weight,
        loss=value / m,
        n_ratings=m,
        n_notes_fit=nn_,
        n_raters_fit=nu,
        iterations=outcome.iterations,
        converged=outcome.converged,
        skip_reason=None,
    )


def rater_harassment_penalties(
    note_idx: NDArray[np.int32],
    rater_idx: NDArray[np.int32],
    helpful_num: NDArray[np.floating],
    note_intercepts: NDArray[np.float64],
    *,
    n_raters: int,
    config: HarassmentConfig,
) -> NDArray[np.float64]:
    """``totalHelpfulHarassmentPenalty`` per rater (scoring-core.md §4.5).

    Every rating with helpfulNum == 1 on a note whose harassment intercept h is at least
    ``config.min_intercept_to_penalize`` (2.0) costs its rater
    ``penalty_per_rating · h / min_intercept_to_penalize`` (= 5·h); NaN intercepts cost nothing.

    Parameters
    ----------
    note_idx, rater_idx : int32 arrays of shape (n_ratings,)
        ratingsForTraining (§4.1), at any time, valid or not.
    helpful_num : float array of shape (n_ratings,)
        0.0, 0.5 or 1.0.
    note_intercepts : float64 array of shape (n_notes,)
        ``HarassmentResult.note_intercepts``.
    n_raters : int
    config : HarassmentConfig

    Returns
    -------
    float64 array of shape (n_raters,)
    """
    h = np.asarray(note_intercepts, dtype=np.float64)[note_idx]
    with np.errstate(invalid="ignore"):
        hit = (np.asarray(helpful_num) == 1.0) & (h >= config.min_intercept_to_penalize)
    if config.penalty_scales_with_intercept:
        amount = config.penalty_per_rating * h[hit] / config.min_intercept_to_penalize
    else:  # group 14 (scoring-multimodel.md §4.2): a flat penalty per helpful rating
        amount = np.full(int(hit.sum()), config.penalty_per_rating)
    return np.asarray(np.bincount(rater_idx[hit], amount, minlength=n_raters), dtype=np.float64)
