"""The harassment model's optimisation problem: data, objective and parameter state (§3.2, §4.6).

In sum form (the mean-mode objective of §3.2 multiplied by |R|), the problem is

    S(θ) = Σ_r c_r·(softplus(x_r) − y_r·x_r)
           + Λ_fu·Σ_u f_u² + Λ_iu·Σ_u i_u² + Λ_fn·Σ_n f_n² + Λ_in·Σ_n i_n² + Λ_μ·μ²,

    x_r = μ + i_u + i_n + f_u·f_n,   c_r = (1 − p)/p if y_r = 1 else 1,

with Λ_·u = λ_·u·|R|/|U|, Λ_·n = λ_·n·|R|/|N| and Λ_μ = λ_μ·|R|. The reference's loss is
L = S/|R| (torch ``BCEWithLogitsLoss(pos_weight=(1 − p)/p)``, mean reduction, plus mean L2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from bridgewatch.scoring._logistic import bce_with_logits, sigmoid

if TYPE_CHECKING:
    from bridgewatch.scoring.harassment.config import HarassmentConfig

__all__ = [
    "HarassmentParams",
    "HarassmentProblem",
    "Solver",
    "SolverOutcome",
    "objective_and_gradient",
]


@dataclass(frozen=True)
class HarassmentProblem:
    """Labelled ratings in compact indexes and the sum-form penalty weights.

    Parameters
    ----------
    note_c, rater_c : int32 arrays of shape (n_ratings,)
        Compact note / rater row of each rating, sorted by (note, rater).
    y : float64 array of shape (n_ratings,)
        Labels in {0, 1}.
    c : float64 array of shape (n_ratings,)
        Per-rating loss weight: the positive-class weight for y = 1, else 1.
    n_notes, n_raters : int
        Number of compact notes and raters.
    lam_rater_factor, lam_rater_intercept, lam_note_factor, lam_note_intercept, lam_global :
        float, the Λ's of the module docstring.
    """

    note_c: NDArray[np.int32]
    rater_c: NDArray[np.int32]
    y: NDArray[np.float64]
    c: NDArray[np.float64]
    n_notes: int
    n_raters: int
    lam_rater_factor: float
    lam_rater_intercept: float
    lam_note_factor: float
    lam_note_intercept: float
    lam_global: float

    @property
    def n_ratings(self) -> int:
        """|R|."""
        return int(self.y.shape[0])


@dataclass
class HarassmentParams:
    """Parameter state (float64): note and rater intercepts and factors, and μ."""

    note_intercepts: NDArray[np.float64]
    note_factors: NDArray[np.float64]
    rater_intercepts: NDArray[np.float64]
    rater_factors: NDArray[np.float64]
    global_intercept: float

    def pack(self) -> NDArray[np.float64]:
        """All parameters as one vector (notes i, f; raters i, f; μ)."""
        return np.concatenate(
            [
                self.note_intercepts,
                self.note_factors,
                self.rater_intercepts,
                self.rater_factors,
                [self.global_intercept],
            ]
        )

    @classmethod
    def unpack(cls, theta: NDArray[np.float64], n_notes: int, n_raters: int) -> HarassmentParams:
        """Inverse of :meth:`pack`."""
        a, b, c = n_notes, 2 * n_notes, 2 * n_notes + n_raters
        return cls(
            theta[:a].copy(),
            theta[a:b].copy(),
            theta[b:c].copy(),
            theta[c : c + n_raters].copy(),
            float(theta[-1]),
        )


@dataclass(frozen=True)
class SolverOutcome:
    """What a solver reports: iterations (sweeps or steps) and whether it met its tolerance."""

    iterations: int
    converged: bool


Solver = Callable[[HarassmentProblem, HarassmentParams, "HarassmentConfig"], SolverOutcome]
"""A solver improves the params in place: ``solver(problem, params, config)``."""


def objective_and_gradient(
    problem: HarassmentProblem, theta: NDArray[np.float64]
) -> tuple[float, NDArray[np.float64]]:
    """S(θ) and its gradient for a packed parameter vector (plain numpy, module docstring).

    Parameters
    ----------
    problem : HarassmentProblem
    theta : float64 array of shape (2·n_notes + 2·n_raters + 1,)
        Packed as :meth:`HarassmentParams.pack`.

    Returns
    -------
    (float, float64 array of the shape of theta)
    """
    p = HarassmentParams.unpack(theta, problem.n_notes, problem.n_raters)
    n, u = problem.note_c, problem.rater_c
    x = p.global_intercept + p.rater_intercepts[u] + p.note_intercepts[n]
    x = x + p.rater_factors[u] * p.note_factors[n]
    value = float(np.sum(problem.c * bce_with_logits(x, problem.y)))
    value += problem.lam_note_intercept * float(p.note_intercepts @ p.note_intercepts)
    value += problem.lam_note_factor * float(p.note_factors @ p.note_factors)
    value += problem.lam_rater_intercept * float(p.rater_intercepts @ p.rater_intercepts)
    value += problem.lam_rater_factor * float(p.rater_factors @ p.rater_factors)
    value += problem.lam_global * p.global_intercept**2
    d = problem.c * (sigmoid(x) - problem.y)
    grad = np.concatenate(
        [
            np.bincount(n, d, problem.n_notes) + 2 * problem.lam_note_intercept * p.note_intercepts,
            np.bincount(n, d * p.rater_factors[u], problem.n_notes)
            + 2 * problem.lam_note_factor * p.note_factors,
            np.bincount(u, d, problem.n_raters)
            + 2 * problem.lam_rater_intercept * p.rater_intercepts,
            np.bincount(u, d * p.note_factors[n], problem.n_raters)
            + 2 * problem.lam_rater_factor * p.rater_factors,
            [float(np.sum(d)) + 2 * problem.lam_global * p.global_intercept],
        ]
    )
    return value, grad
