"""The MF objective exactly as the reference codes it (scoring-core.md §3.2).

Multiplying the reference's loss L by |R| gives the sum-of-squares form every solver here
works with::

    J = Σ_R w·(y_un − μ − i_u − i_n − f_u·f_n)²
        + P_in·Σ_N i_n² + P_fn·Σ_N |f_n|² + P_◇·Σ_N Σ_q |f_nq·i_n|
        + P_iu·Σ_U i_u² + P_fu·Σ_U |f_u|² + P_μ·μ²

with, in mean mode, P_in = λ_in·|R|/|N|, P_fn = λ_fn·|R|/(|N|·k) and P_◇ = λ_◇·|R|/(|N|·k)
(the reference's ``.mean()`` runs over all n·k entries of the factor matrix and of
f_n·i_n), the same for raters with |U|, and P_μ = λ_μ·|R|. In ratio mode (a ratings-per-note
ratio ρ given) P_in = λ_in·ρ, P_fn = λ_fn·ρ and P_◇ = λ_◇·ρ; likewise for raters. |N| and
|U| count only the notes and raters that appear in the training ratings, and L = J/|R|.
Without a global intercept (``use_global_intercept=False``) μ ≡ 0 and P_μ = 0. Per-rating
weights w (the normalized loss of multimodel §4.2) enter only the data term; |R| stays the
number of ratings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.scoring.mf.config import MFConfig
from bridgewatch.scoring.mf.params import MFParams

__all__ = ["MFObjective", "Penalties", "mf_objective", "penalties_for", "regularisation"]


@dataclass(frozen=True)
class Penalties:
    """Effective per-entity ridge penalties of the |R|-scaled objective J (module docstring).

    Parameters
    ----------
    note_intercept, note_factor, rater_intercept, rater_factor, global_intercept : float
        P_in, P_fn, P_iu, P_fu, P_μ (0 without a global intercept).
    n_ratings : int
        |R|, the divisor that turns J back into the reference's L.
    diamond : float
        P_◇ (0 unless ``diamond_lambda`` > 0).
    """

    note_intercept: float
    note_factor: float
    rater_intercept: float
    rater_factor: float
    global_intercept: float
    n_ratings: int
    diamond: float = 0.0


def penalties_for(
    config: MFConfig,
    *,
    n_ratings: int,
    n_notes: int,
    n_raters: int,
    note_ratio: float | None = None,
    rater_ratio: float | None = None,
) -> Penalties:
    """Effective penalties for a training set of the given size (scoring-core.md §3.2).

    Parameters
    ----------
    config : MFConfig
    n_ratings : |R|, ratings in the training set (> 0).
    n_notes, n_raters : |N| and |U|, entities that appear in the training ratings (> 0).
    note_ratio, rater_ratio : ρ_note / ρ_user for ratio mode, or None for mean mode.
    """
    k = config.n_factors
    if note_ratio is None:
        p_in = config.note_intercept_lambda * n_ratings / n_notes
        p_fn = config.note_factor_lambda * n_ratings / (n_notes * k)
        p_dia = config.diamond_lambda * n_ratings / (n_notes * k)
    else:
        p_in = config.note_intercept_lambda * note_ratio
        p_fn = config.note_factor_lambda * note_ratio
        p_dia = config.diamond_lambda * note_ratio
    if rater_ratio is None:
        p_iu = config.rater_intercept_lambda * n_ratings / n_raters
        p_fu = config.rater_factor_lambda * n_ratings / (n_raters * k)
    else:
        p_iu = config.rater_intercept_lambda * rater_ratio
        p_fu = config.rater_factor_lambda * rater_ratio
    return Penalties(
        note_intercept=float(p_in),
        note_factor=float(p_fn),
        rater_intercept=float(p_iu),
        rater_factor=float(p_fu),
        global_intercept=(
            float(config.global_intercept_lambda * n_ratings)
            if config.use_global_intercept
            else 0.0
        ),
        n_ratings=int(n_ratings),
        diamond=float(p_dia),
    )


@dataclass(frozen=True)
class MFObjective:
    """The reference's loss at some parameters.

    Parameters
    ----------
    loss : float
        L = J/|R|, the regularised objective (scoring-core.md §3.2).
    train_mse : float
        (1/|R|)·Σ w·e², the unregularised part.
    """

    loss: float
    train_mse: float


def regularisation(
    params: MFParams,
    pen: Penalties,
    note_ok: NDArray[np.bool_] | NDArray[np.intp],
    rater_ok: NDArray[np.bool_] | NDArray[np.intp],
) -> float:
    """Penalty part of J over the notes / raters present: flagged by bool masks of shape
    (n_notes,) / (n_raters,), or listed as ascending positions (the same sums, faster)."""
    ni, nf = params.note_intercepts, params.note_factors
    ri, rf = params.rater_intercepts, params.rater_factors
    total = pen.note_intercept * float(np.sum(ni[note_ok] ** 2))
    total += pen.note_factor * float(np.sum(nf[note_ok] ** 2))
    total += pen.rater_intercept * float(np.sum(ri[rater_ok] ** 2))
    total += pen.rater_factor * float(np.sum(rf[rater_ok] ** 2))
    if pen.global_intercept != 0.0:
        total += pen.global_intercept * params.global_intercept**2
    if pen.diamond != 0.0:
        total += pen.diamond * float(np.sum(np.abs(nf[note_ok] * ni[note_ok, None])))
    return total


def mf_objective(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    values: NDArray[np.floating],
    *,
    params: MFParams,
    config: MFConfig,
    note_ratio: float | None = None,
    rater_ratio: float | None = None,
    weights: NDArray[np.floating] | None = None,
) -> MFObjective:
    """Evaluate the reference objective L (scoring-core.md §3.2) in plain numpy.

    Parameters
    ----------
    note_idx, rater_idx : int arrays of shape (n_ratings,)
        Dense note / rater rows of each rating.
    values : float array of shape (n_ratings,)
        y_un.
    params : MFParams
        Parameters; every note and rater that appears in the ratings must be finite. μ is
        ignored when ``config.use_global_intercept`` is False.
    config : MFConfig
        Lambdas (including λ_◇) and whether μ is in the model; ``normalized_loss`` plays no
        part here: pass the stage-2 weights as ``weights`` to evaluate the weighted loss.
    note_ratio, rater_ratio : ratio-mode ratios, or None for mean mode.
    weights : float array of shape (n_ratings,) or None
        Per-rating weights w of the data term (1 when None).
    """
    n_ratings = int(values.shape[0])
    note_ok = np.bincount(note_idx, minlength=params.note_intercepts.shape[0]) > 0
    rater_ok = np.bincount(rater_idx, minlength=params.rater_intercepts.shape[0]) > 0
    notes_present = int(np.count_nonzero(note_ok))
    raters_present = int(np.count_nonzero(rater_ok))
    pen = penalties_for(
        config,
        n_ratings=n_ratings,
        n_notes=notes_present,
        n_raters=raters_present,
        note_ratio=note_ratio,
        rater_ratio=rater_ratio,
    )
    mu = params.global_intercept if config.use_global_intercept else 0.0
    pred = (
        mu
        + params.rater_intercepts[rater_idx]
        + params.note_intercepts[note_idx]
        + np.sum(params.rater_factors[rater_idx] * params.note_factors[note_idx], axis=1)
    )
    err2 = (np.asarray(values, dtype=np.float64) - pred) ** 2
    if weights is not None:
        err2 = err2 * weights
    sse = float(np.sum(err2))
    loss = (sse + regularisation(params, pen, note_ok, rater_ok)) / n_ratings
    return MFObjective(loss=loss, train_mse=sse / n_ratings)
