"""Parameter, initial-value and result containers of the MF kernels (scoring-core.md §3)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["MFInit", "MFParams", "MFResult", "PseudoRaterBounds"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class MFParams:
    """Fitted parameters of ``ŷ_un = μ + i_u + i_n + f_u·f_n`` (scoring-core.md §3.1).

    Entities that do not appear in the training ratings get NaN.

    Parameters
    ----------
    note_intercepts : float64 array of shape (n_notes,)
        i_n, rating units.
    note_factors : float64 array of shape (n_notes, n_factors)
        f_n.
    rater_intercepts : float64 array of shape (n_raters,)
        i_u, rating units.
    rater_factors : float64 array of shape (n_raters, n_factors)
        f_u.
    global_intercept : float
        μ, rating units.
    """

    note_intercepts: FloatArray
    note_factors: FloatArray
    rater_intercepts: FloatArray
    rater_factors: FloatArray
    global_intercept: float


@dataclass(frozen=True)
class MFInit:
    """Initial values of an MF fit (scoring-core.md §3.3, "Initialization").

    Every field is optional. A given note (rater) block overwrites the initial values of
    **every** note (rater) row; rows whose intercept or any factor is NaN get 0 for both
    the intercept and the factors. A block that is not given is initialised at random
    (Xavier-uniform factors, zero intercepts). μ takes ``global_intercept`` only when it is
    given (not None), else starts at 0.

    Parameters
    ----------
    note_intercepts : float array of shape (n_notes,) or None
    note_factors : float array of shape (n_notes, n_factors) or None; given together with
        ``note_intercepts``.
    rater_intercepts : float array of shape (n_raters,) or None
    rater_factors : float array of shape (n_raters, n_factors) or None; given together with
        ``rater_intercepts``.
    global_intercept : float or None
    """

    note_intercepts: NDArray[np.floating] | None = None
    note_factors: NDArray[np.floating] | None = None
    rater_intercepts: NDArray[np.floating] | None = None
    rater_factors: NDArray[np.floating] | None = None
    global_intercept: float | None = None

    @classmethod
    def from_params(cls, params: MFParams, *, with_global: bool = True) -> MFInit:
        """All four blocks from ``params``; μ too when ``with_global`` and μ is finite."""
        mu = (
            params.global_intercept
            if with_global and np.isfinite(params.global_intercept)
            else None
        )
        return cls(
            note_intercepts=params.note_intercepts,
            note_factors=params.note_factors,
            rater_intercepts=params.rater_intercepts,
            rater_factors=params.rater_factors,
            global_intercept=mu,
        )


@dataclass(frozen=True)
class MFResult:
    """Outcome of one MF fit.

    Parameters
    ----------
    params : MFParams
        The fitted (and, if asked, sign-identified) parameters.
    train_mse : float
        Unregularised mean of (weighted) squared errors over the training ratings, the
        reference's "train error" (scoring-core.md §3.3), rating units squared. After a
        normalized two-stage fit: the *unweighted* MSE of stage 2 (multimodel §4.2).
    loss : float
        The regularised objective L of scoring-core.md §3.2 at ``params``.
    n_iterations : int
        ALS sweeps run (with λ_◇ > 0 and free raters: those of both continuation fits).
    converged : bool
        Whether the tolerances were met before ``max_iterations``.
    stage1 : MFResult or None
        The stage-1 (ordinary) fit of a normalized two-stage fit; the other fields then
        describe stage 2. None for a plain fit.
    """

    params: MFParams
    train_mse: float
    loss: float
    n_iterations: int
    converged: bool
    stage1: MFResult | None = None


@dataclass(frozen=True)
class PseudoRaterBounds:
    """Per-note uncertainty bounds from pseudo-rater refits (scoring-core.md §5.3).

    Arrays have shape (n_notes,); notes without ratings get NaN (values) or 0 (counts).
    max/min/median run over the four refits: ``refit_orig`` and one refit per extreme
    pseudo-rater. ``intercept_max`` is the reference's ``internalNoteIntercept_max``.

    Parameters
    ----------
    intercept_max, intercept_min, intercept_median : float64 arrays, rating units
    factor_max, factor_min, factor_median : float64 arrays
    intercept_refit_orig, factor_refit_orig : float64 arrays
        The mean-mode refit on the unchanged ratings.
    rating_count_all : int64 array
        Ratings on the note.
    rating_count_neg_fac, rating_count_pos_fac : int64 arrays
        Ratings on the note whose rater has f_u < 0 (f_u > 0).
    pseudo_rater_intercept : float
        min i_u over the fit's raters, shared by the three pseudo-raters.
    pseudo_rater_factors : float64 array of shape (3,)
        (min f_u, 0, max f_u).
    """

    intercept_max: FloatArray
    intercept_min: FloatArray
    intercept_median: FloatArray
    factor_max: FloatArray
    factor_min: FloatArray
    factor_median: FloatArray
    intercept_refit_orig: FloatArray
    factor_refit_orig: FloatArray
    rating_count_all: IntArray
    rating_count_neg_fac: IntArray
    rating_count_pos_fac: IntArray
    pseudo_rater_intercept: float
    pseudo_rater_factors: FloatArray
