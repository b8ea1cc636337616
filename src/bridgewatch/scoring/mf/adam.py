"""The reference's own MF training loop: full-batch Adam (scoring-core.md §3.3).

Every other MF fit in bridgewatch is solved to its exact optimum by ALS (:mod:`.als`). Group
14's fits (multimodel §4.2) are the exception: its diamond penalty λ_◇·|f_n·i_n| makes the
objective's exact optimum often lie on the factor axis (i_n = 0, |f_n| large), while the
reference's early-stopped Adam, run at lr 0.02 from small random factors and zero
intercepts, stays in the intercept-dominated basin. The intercepts the group-14 rules read
are those of the stopped Adam run, so the fit has to be reproduced as a procedure, not as an
optimum. :func:`adam_descent` is that procedure:

* the loss is the reference's L = J/|R| (:mod:`.objective`): mean of w·e² plus the
  regularisation in its mean or ratio mode;
* one full-batch gradient per epoch; the global L2 norm of the gradient over the trainable
  parameters is clipped to ``max_grad_norm`` (torch's ``clip_grad_norm_``: scale by
  max_norm / (norm + 1e-6) when that is below 1); then one Adam step with torch's
  defaults (bias-corrected moments, ε added to the corrected RMS);
* loop: L₀ at the start; repeat {prev = L; step; L = loss; epoch += 1} while
  |L − prev| > ``tolerance`` and not (epoch > ``rise_after_epochs`` and L > prev);
* NaN guard: a non-finite loss restarts from freshly drawn start values with a new
  optimizer state, as the reference rebuilds its model.

Torch computes in float32; we compute in float64 and draw our own random start, so runs
are not bit-identical to the reference's, only the same procedure (the reference does not
agree with itself across seeds either, core §12). Subgradients follow torch: d|x|/dx = 0 at
x = 0, so the diamond term pushes nothing while i_n = 0.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import ConvergenceWarning
from bridgewatch.scoring.mf import _adam_numba
from bridgewatch.scoring.mf._inputs import StartValues
from bridgewatch.scoring.mf.config import AdamConfig
from bridgewatch.scoring.mf.objective import Penalties

__all__ = ["AdamOutcome", "adam_descent"]

FloatArray = NDArray[np.float64]

# Restarts after a non-finite loss before giving up (the reference retries forever).
_MAX_RESTARTS = 5


@dataclass(frozen=True)
class AdamOutcome:
    """Where an Adam run stopped.

    Attributes
    ----------
    note_intercepts : float64 array of shape (n_notes,)
    note_factors : float64 array of shape (n_notes, k)
    rater_intercepts : float64 array of shape (n_raters,)
    rater_factors : float64 array of shape (n_raters, k)
    global_intercept : float
    loss : float
        L = J/|R| at the returned parameters.
    sse : float
        Σ w·e² at the returned parameters (w = 1 when unweighted).
    n_epochs : int
        Adam steps taken (the reference's ``epoch`` counter).
    converged : bool
        False when ``max_epochs`` stopped the loop before its own rule did.
    """

    note_intercepts: FloatArray
    note_factors: FloatArray
    rater_intercepts: FloatArray
    rater_factors: FloatArray
    global_intercept: float
    loss: float
    sse: float
    n_epochs: int
    converged: bool


class _Problem:
    """Ratings, weights and penalties of one fit; evaluates L and its gradient."""

    def __init__(
        self,
        note_idx: NDArray[np.integer],
        rater_idx: NDArray[np.integer],
        values: NDArray[np.floating],
        weights: NDArray[np.floating] | None,
        pen: Penalties,
        n_notes: int,
        n_raters: int,
        use_global_intercept: bool,
        engine: str,
    ) -> None:
        if engine not in ("numba", "numpy"):
            raise ValueError(f"engine={engine!r} is not allowed: expected 'numba' or 'numpy'")
        self.engine = engine
        self.note_idx = np.asarray(note_idx, dtype=np.intp)
        self.rater_idx = np.asarray(rater_idx, dtype=np.intp)
        self.values = np.asarray(values, dtype=np.float64)
        self.weights = None if weights is None else np.asarray(weights, dtype=np.float64)
        self.n_ratings = float(self.values.shape[0])
        # Penalties of L (= J/|R|) per entity.
        r = self.n_ratings
        self.a_in, self.a_fn = pen.note_intercept / r, pen.note_factor / r
        self.a_iu, self.a_fu = pen.rater_intercept / r, pen.rater_factor / r
        self.a_dia, self.a_mu = pen.diamond / r, pen.global_intercept / r
        self.n_notes, self.n_raters = n_notes, n_raters
        self.use_mu = use_global_intercept

    def _data_numpy(self, p: list[FloatArray]) -> tuple[float, list[FloatArray]]:
        """Σ w·e² and the data term's gradient, by numpy passes."""
        ni, nf, ri, rf, mu = p
        pred = ni[self.note_idx] + ri[self.rater_idx]
        pred += np.sum(nf[self.note_idx] * rf[self.rater_idx], axis=1)
        if self.use_mu:
            pred += mu[0]
        e = pred - self.values
        we = e if self.weights is None else self.weights * e
        sse = float(np.sum(we * e))
        g = (2.0 / self.n_ratings) * we
        g_ni = np.bincount(self.note_idx, weights=g, minlength=self.n_notes).astype(
            np.float64, copy=False
        )
        g_ri = np.bincount(self.rater_idx, weights=g, minlength=self.n_raters).astype(
            np.float64, copy=False
        )
        g_nf = np.empty_like(nf)
        g_rf = np.empty_like(rf)
        for q in range(nf.shape[1]):
            g_nf[:, q] = np.bincount(
                self.note_idx, weights=g * rf[self.rater_idx, q], minlength=self.n_notes
            )
            g_rf[:, q] = np.bincount(
                self.rater_idx, weights=g * nf[self.note_idx, q], minlength=self.n_raters
            )
        g_mu = np.array([float(np.sum(g)) if self.use_mu else 0.0])
        return sse, [g_ni, g_nf, g_ri, g_rf, g_mu]

    def _data_numba(self, p: list[FloatArray]) -> tuple[float, list[FloatArray]]:
        """Σ w·e² and the data term's gradient, by one fused numba pass."""
        ni, nf, ri, rf, mu = p
        grads = [np.empty_like(ni), np.empty_like(nf), np.empty_like(ri), np.empty_like(rf)]
        sse, g_mu = _adam_numba.data_term(
            self.note_idx,
            self.rater_idx,
            self.values,
            _adam_numba.empty_weights() if self.weights is None else self.weights,
            self.weights is not None,
            ni,
            nf,
            ri,
            rf,
            float(mu[0]) if self.use_mu else 0.0,
            *grads,
        )
        return float(sse), [*grads, np.array([float(g_mu) if self.use_mu else 0.0])]

    def evaluate(self, p: list[FloatArray]) -> tuple[float, float, list[FloatArray]]:
        """(L, Σ w·e², ∂L/∂(i_n, f_n, i_u, f_u, μ)) at ``p``."""
        ni, nf, ri, rf, mu = p
        sse, (g_ni, g_nf, g_ri, g_rf, g_mu) = (
            self._data_numba(p) if self.engine == "numba" else self._data_numpy(p)
        )
        reg = self.a_in * float(np.sum(ni * ni)) + self.a_fn * float(np.sum(nf * nf))
        reg += self.a_iu * float(np.sum(ri * ri)) + self.a_fu * float(np.sum(rf * rf))
        reg += self.a_mu * float(mu[0] * mu[0])
        g_ni += 2.0 * self.a_in * ni
        g_nf += 2.0 * self.a_fn * nf
        g_ri += 2.0 * self.a_iu * ri
        g_rf += 2.0 * self.a_fu * rf
        g_mu += 2.0 * self.a_mu * mu
        if self.a_dia != 0.0:
            prod = nf * ni[:, None]
            reg += self.a_dia * float(np.sum(np.abs(prod)))
            s = np.sign(prod)  # torch: d|x|/dx = sign(x), 0 at 0
            g_ni += self.a_dia * np.sum(s * nf, axis=1)
            g_nf += self.a_dia * s * ni[:, None]
        return sse / self.n_ratings + reg, sse, [g_ni, g_nf, g_ri, g_rf, g_mu]


class _Adam:
    """torch.optim.Adam (no weight decay, no amsgrad) over a list of arrays."""

    def __init__(self, params: list[FloatArray], lr: float, config: AdamConfig) -> None:
        self.lr, self.b1, self.b2, self.eps = (
            lr,
            config.beta1,
            config.beta2,
            config.epsilon,
        )
        self.m = [np.zeros_like(x) for x in params]
        self.v = [np.zeros_like(x) for x in params]
        self.t = 0

    def step(self, params: list[FloatArray], grads: list[FloatArray], free: list[bool]) -> None:
        self.t += 1
        bc1 = 1.0 - self.b1**self.t
        bc2_sqrt = math.sqrt(1.0 - self.b2**self.t)
        step = self.lr / bc1
        for j, (x, g) in enumerate(zip(params, grads, strict=True)):
            if not free[j]:
                continue
            m, v = self.m[j], self.v[j]
            m *= self.b1
            m += (1.0 - self.b1) * g
            v *= self.b2
            v += (1.0 - self.b2) * g * g
            x -= step * m / (np.sqrt(v) / bc2_sqrt + self.eps)


def _clip(grads: list[FloatArray], free: list[bool], max_norm: float) -> None:
    """torch.nn.utils.clip_grad_norm_ over the trainable blocks, in place."""
    total = math.sqrt(sum(float(np.sum(g * g)) for g, f in zip(grads, free, strict=True) if f))
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for g, f in zip(grads, free, strict=True):
            if f:
                g *= coef


def adam_descent(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    values: NDArray[np.floating],
    start: StartValues,
    pen: Penalties,
    *,
    config: AdamConfig,
    learning_rate: float,
    free_raters: bool = True,
    free_global: bool = True,
    use_global_intercept: bool = True,
    weights: NDArray[np.floating] | None = None,
    restart: Callable[[], StartValues] | None = None,
    engine: str = "numba",
) -> AdamOutcome:
    """Run the reference's Adam loop (module docstring) on one MF objective.

    Every note row ``0 <= note_idx < n_notes`` and rater row is a parameter (pass compact
    indexes: rows without ratings would still be regularised and counted in the clip norm).

    Parameters
    ----------
    note_idx, rater_idx : int arrays of shape (n_ratings,)
        Dense rows of each rating; n_notes / n_raters are the sizes of ``start``'s arrays.
    values : float array of shape (n_ratings,)
        y_un.
    start : StartValues
        Initial parameters (float64; factors of shape (n, k)).
    pen : Penalties
        P of the |R|-scaled objective J (:func:`~bridgewatch.scoring.mf.objective.penalties_for`);
        the loop works on L = J/|R|.
    config : AdamConfig
        β, ε, clip norm, tolerance, the rise rule's epoch and the epoch cap.
    learning_rate : float > 0
        lr of this fit (the caller picks the with- or without-init rate).
    free_raters, free_global : bool
        Train (i_u, f_u) / μ; frozen blocks stay in the loss and out of the clip norm.
    use_global_intercept : bool
        False: μ is not in the prediction (it stays 0, as its penalty's gradient is 2λμ).
    weights : float array of shape (n_ratings,), optional
        w of the data term (1 when None).
    restart : callable returning StartValues, optional
        Fresh start values after a non-finite loss (NaN guard); None restarts from ``start``.
    engine : {"numba", "numpy"}
        The data term by one fused numba pass or by numpy ``bincount`` passes (same
        results to rounding; each engine is deterministic).

    Returns
    -------
    AdamOutcome
        Emits :class:`~bridgewatch.errors.ConvergenceWarning` when ``config.max_epochs``
        stops the loop.
    """
    problem = _Problem(
        note_idx,
        rater_idx,
        values,
        weights,
        pen,
        start.note_intercepts.shape[0],
        start.rater_intercepts.shape[0],
        use_global_intercept,
        engine,
    )
    free = [True, True, free_raters, free_raters, free_global and use_global_intercept]

    def fresh(sv: StartValues) -> tuple[list[FloatArray], _Adam]:
        p = [
            np.array(sv.note_intercepts, dtype=np.float64),
            np.array(sv.note_factors, dtype=np.float64),
            np.array(sv.rater_intercepts, dtype=np.float64),
            np.array(sv.rater_factors, dtype=np.float64),
            np.array([sv.global_intercept if use_global_intercept else 0.0]),
        ]
        return p, _Adam(p, learning_rate, config)

    params, opt = fresh(start)
    restarts = 0

    def evaluate() -> tuple[float, float, list[FloatArray]]:
        nonlocal params, opt, restarts
        loss, sse, grads = problem.evaluate(params)
        while not math.isfinite(loss):
            restarts += 1
            if restarts > _MAX_RESTARTS:
                raise FloatingPointError("MF by Adam: the loss stays non-finite after restarts")
            params, opt = fresh(start if restart is None else restart())
            loss, sse, grads = problem.evaluate(params)
        return loss, sse, grads

    prev = 1e10
    loss, sse, grads = evaluate()
    epoch = 0
    converged = True
    while abs(loss - prev) > config.tolerance and not (
        epoch > config.rise_after_epochs and loss > prev
    ):
        if epoch >= config.max_epochs:
            converged = False
            break
        prev = loss
        _clip(grads, free, config.max_grad_norm)
        opt.step(params, grads, free)
        loss, sse, grads = evaluate()
        epoch += 1
    if not converged:
        warnings.warn(ConvergenceWarning("MF by Adam stopped at max_epochs", epoch), stacklevel=3)
    ni, nf, ri, rf, mu = params
    return AdamOutcome(ni, nf, ri, rf, float(mu[0]), loss, sse, epoch, converged)
