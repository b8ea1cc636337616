"""Trust propagation over the rater-item graph: personalized PageRank seeded by raters
whose ratings agree with bridged outcomes.

Math
----
Ratings form a bipartite graph between R raters and I items; an item is one (note, verdict)
pair, so two raters share an item when they rated the same note the same way. Let ``A`` be
the R x I count matrix, ``k_r = sum_i A[r, i]`` the rater degrees and ``k_i = sum_r A[r, i]``
the item degrees. One step of the walk goes rater -> item -> rater::

    P = diag(1/k_r) A diag(1/k_i) A^T          (R x R, row-stochastic on raters with k_r > 0)

Given a seed distribution ``s`` (non-negative, sums to 1) and damping ``d``, the trust
vector is the fixed point of::

    t = d P^T t + (d * m(t) + 1 - d) s,        m(t) = sum of t over raters with k_r = 0

(mass at raters without ratings restarts at the seeds, so ``sum t = 1`` throughout). The
map is a contraction with factor ``d`` in L1, so power iteration from ``t_0 = s`` converges
geometrically: ``||t_{k+1} - t_k||_1 <= d^k ||t_1 - t_0||_1``.

Without restarts the walk is reversible with stationary vector ``pi_r = k_r / sum k`` on a
connected graph; the *relative trust* ``t_r / pi_r`` removes the advantage of sheer volume.
Honest raters connected to the seeds through many shared verdicts sit near or above 1; a
brigade whose members mostly share verdicts with one another receives trust only through
its few ties to the rest and restarts away from it, so its relative trust is far below 1.

``propagate_trust`` runs on ``scipy.sparse`` CSR matrices; ``propagate_trust_reference``
builds ``P`` densely and is the plain version used to test it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError, ConvergenceWarning
from bridgewatch.scoring.reputation.config import TrustConfig

__all__ = ["TrustResult", "propagate_trust", "propagate_trust_reference"]


@dataclass(frozen=True)
class TrustResult:
    """Rater trust from ``propagate_trust``.

    Attributes
    ----------
    trust : float64 array of shape (n_raters,), the stationary vector t (sums to 1).
    relative_trust : float64 array of shape (n_raters,), ``t_r / pi_r``; NaN for raters
        without ratings.
    iterations : power-iteration steps taken.
    residual : L1 change of the last step.
    converged : residual <= tolerance.
    """

    trust: NDArray[np.float64]
    relative_trust: NDArray[np.float64]
    iterations: int
    residual: float
    converged: bool


def _check(
    rater_idx: NDArray[np.integer],
    item_idx: NDArray[np.integer],
    n_raters: int,
    n_items: int,
    seed_weight: NDArray[np.float64],
) -> NDArray[np.float64]:
    if rater_idx.shape != item_idx.shape or rater_idx.ndim != 1:
        raise ConfigError("item_idx", item_idx.shape, f"the shape of rater_idx {rater_idx.shape}")
    if seed_weight.shape != (n_raters,):
        raise ConfigError("seed_weight", seed_weight.shape, f"shape ({n_raters},)")
    if rater_idx.size and (rater_idx.min() < 0 or rater_idx.max() >= n_raters):
        raise ConfigError("rater_idx", "out of range", f"indexes in [0, {n_raters})")
    if item_idx.size and (item_idx.min() < 0 or item_idx.max() >= n_items):
        raise ConfigError("item_idx", "out of range", f"indexes in [0, {n_items})")
    if not (np.all(np.isfinite(seed_weight)) and np.all(seed_weight >= 0)):
        raise ConfigError("seed_weight", "negative or non-finite", "finite weights >= 0")
    total = float(seed_weight.sum())
    if total <= 0:
        raise ConfigError("seed_weight", total, "at least one positive weight")
    out: NDArray[np.float64] = seed_weight.astype(np.float64) / total
    return out


def _relative(trust: NDArray[np.float64], degree: NDArray[np.float64]) -> NDArray[np.float64]:
    total = degree.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        rel: NDArray[np.float64] = np.where(degree > 0, trust * total / degree, np.nan)
    return rel


def _finish(
    trust: NDArray[np.float64],
    degree: NDArray[np.float64],
    iterations: int,
    residual: float,
    config: TrustConfig,
) -> TrustResult:
    converged = residual <= config.tolerance
    if not converged:
        warnings.warn(
            ConvergenceWarning(
                f"trust propagation stopped with L1 residual {residual:.3g} > tolerance "
                f"{config.tolerance:.3g}",
                iterations,
            ),
            stacklevel=3,
        )
    return TrustResult(trust, _relative(trust, degree), iterations, residual, converged)


def propagate_trust(
    rater_idx: NDArray[np.integer],
    item_idx: NDArray[np.integer],
    *,
    n_raters: int,
    n_items: int,
    seed_weight: NDArray[np.float64],
    config: TrustConfig,
) -> TrustResult:
    """Personalized PageRank of raters on the rater-item graph (see the module docstring).

    Parameters
    ----------
    rater_idx, item_idx : int arrays of shape (n_edges,), one rating each; repeated pairs
        count with their multiplicity.
    n_raters, n_items : sizes of the two sides.
    seed_weight : float64 array of shape (n_raters,), non-negative restart weights (at
        least one positive); normalised to sum to 1.
    config : TrustConfig (damping, tolerance, max_iterations).

    Returns
    -------
    TrustResult

    Warns
    -----
    ConvergenceWarning : when ``max_iterations`` is reached before ``tolerance``.
    """
    s = _check(rater_idx, item_idx, n_raters, n_items, seed_weight)
    ones = np.ones(rater_idx.shape[0], dtype=np.float64)
    a = sp.csr_matrix((ones, (rater_idx, item_idx)), shape=(n_raters, n_items))
    at = a.T.tocsr()
    k_r = np.asarray(a.sum(axis=1)).ravel()
    k_i = np.asarray(a.sum(axis=0)).ravel()
    inv_r = np.divide(1.0, k_r, out=np.zeros_like(k_r), where=k_r > 0)
    inv_i = np.divide(1.0, k_i, out=np.zeros_like(k_i), where=k_i > 0)
    dangling = k_r == 0
    d = config.damping
    t = s.copy()
    residual = np.inf
    iterations = 0
    while iterations < config.max_iterations:
        # P^T t = A diag(1/k_i) A^T diag(1/k_r) t
        flow = a @ (inv_i * (at @ (inv_r * t)))
        restart = d * float(t[dangling].sum()) + 1.0 - d
        new = d * flow + restart * s
        residual = float(np.abs(new - t).sum())
        t = new
        iterations += 1
        if residual <= config.tolerance:
            break
    return _finish(t, k_r, iterations, residual, config)


def propagate_trust_reference(
    rater_idx: NDArray[np.integer],
    item_idx: NDArray[np.integer],
    *,
    n_raters: int,
    n_items: int,
    seed_weight: NDArray[np.float64],
    config: TrustConfig,
) -> TrustResult:
    """Plain dense version of ``propagate_trust`` (builds P explicitly; small graphs only)."""
    s = _check(rater_idx, item_idx, n_raters, n_items, seed_weight)
    a = np.zeros((n_raters, n_items))
    for r, i in zip(rater_idx.tolist(), item_idx.tolist(), strict=True):
        a[r, i] += 1.0
    k_r = a.sum(axis=1)
    k_i = a.sum(axis=0)
    p = np.zeros((n_raters, n_raters))
    for r in range(n_raters):
        for i in range(n_items):
            if a[r, i] == 0:
                continue
            for q in range(n_raters):
                p[r, q] += a[r, i] / k_r[r] * a[q, i] / k_i[i]
    d = config.damping
    t = s.copy()
    residual = np.inf
    iterations = 0
    while iterations < config.max_iterations:
        new = d * (p.T @ t) + (d * t[k_r == 0].sum() + 1.0 - d) * s
        residual = float(np.abs(new - t).sum())
        t = new
        iterations += 1
        if residual <= config.tolerance:
            break
    return _finish(t, k_r, iterations, residual, config)
