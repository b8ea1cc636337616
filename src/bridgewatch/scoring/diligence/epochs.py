"""Accelerated Adam round of the low-diligence model (same contract as ``kernels.adam_round``).

The fused scalar kernel spends most of its time in one libm ``exp`` per rating and epoch. Here
each epoch is one call of ``_logit_passes.LogitPasses.run`` (gather, SIMD ``exp``, gradient
scatter, on two rater ranges in parallel threads; the loss only on the epochs whose loss the
stopping test reads), then one Adam step over the concatenated parameter vector ``theta =
[f_n, b_n, f_u, b_u, ρ_u, μ]``. Sums run in a fixed order, so the result is bit-identical
from run to run; it agrees with the fused kernel and the numpy reference up to rounding
(tests/scoring/diligence).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from bridgewatch.scoring._logit_passes import LogitPasses
from bridgewatch.scoring._note_passes import NoteMajorPasses

Passes = LogitPasses | NoteMajorPasses

__all__ = ["adam_round_vectorized"]

_njit: Any = numba.njit(cache=True, nogil=True, error_model="numpy")


@_njit
def _adam_group(th, gr, m, v, inv_r, c, b1, b2, step_size, bc2_sqrt, eps):  # type: ignore[no-untyped-def]
    """One Adam step on one parameter group (views of theta, grad, m, v of one length).

    Indexes run from 0 over views, so the compiled loop needs no negative-index handling
    and LLVM vectorizes it (SIMD sqrt and divisions are exactly rounded: same bits)."""
    for i in range(th.shape[0]):
        g = gr[i] * inv_r + c * th[i]
        mi = b1 * m[i] + (1.0 - b1) * g
        vi = b2 * v[i] + (1.0 - b2) * g * g
        m[i] = mi
        v[i] = vi
        th[i] -= step_size * mi / (np.sqrt(vi) / bc2_sqrt + eps)


@_njit
def _adam_step(  # type: ignore[no-untyped-def]
    theta, grad, m, v, bounds, trainable, reg_grad, inv_r, b1, b2, step_size, bc2_sqrt, eps
):
    for k in range(trainable.shape[0]):
        if not trainable[k]:
            continue
        lo, hi = bounds[k], bounds[k + 1]
        _adam_group(
            theta[lo:hi], grad[lo:hi], m[lo:hi], v[lo:hi], inv_r, reg_grad[k], b1, b2,
            step_size, bc2_sqrt, eps,
        )  # fmt: skip


@_njit
def _reg_loss(theta, bounds, reg_loss):  # type: ignore[no-untyped-def]
    total = 0.0
    for k in range(reg_loss.shape[0]):
        s = 0.0
        for i in range(bounds[k], bounds[k + 1]):
            s += theta[i] * theta[i]
        total += reg_loss[k] * s
    return total


def adam_round_vectorized(
    passes: Passes,
    theta: NDArray[np.float64],
    n_notes: int,
    n_raters: int,
    n_ratings: int,
    trainable: NDArray[np.bool_],
    reg_grad: NDArray[np.float64],
    reg_loss: NDArray[np.float64],
    *,
    lr: float,
    b1: float,
    b2: float,
    eps: float,
    max_epochs: int,
    period: int,
    convergence: float,
) -> tuple[int, float, bool]:
    """One Adam round on ``theta`` in place; same contract as ``kernels.adam_round``.

    Parameters
    ----------
    passes : LogitPasses or NoteMajorPasses
        The per-epoch loss and gradient pass over the round's ratings (entered and left
        by the caller); ``NoteMajorPasses`` only when no rater group or μ trains.
    theta : float64 array of shape (2·n_notes + 3·n_raters + 1,)
        ``[f_n, b_n, f_u, b_u, ρ_u, μ]``, updated in place.
    n_notes, n_raters, n_ratings : int
    trainable : bool array of shape (6,)
        Per group of ``theta``, in that order.
    reg_grad, reg_loss : float64 arrays of shape (6,)
        Coefficient c of each group's L2 gradient c·θ and of its loss value c·Σθ².
    lr, b1, b2, eps : float
        Adam hyperparameters.
    max_epochs, period : int
        At most ``max_epochs + 1`` steps; the loss is checked every ``period`` epochs.
    convergence : float
        The round stops when the checked loss changed by less than this.

    Returns
    -------
    (steps, loss, converged)
    """
    nn, nu = n_notes, n_raters
    m_ratings = n_ratings
    bounds = np.cumsum([0, nn, nn, nu, nu, nu, 1]).astype(np.int64)
    grad = np.zeros_like(theta)
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    inv_r = 1.0 / m_ratings
    t_fn, t_bn = bool(trainable[0]), bool(trainable[1])
    prior = 0.0
    have_prior = False
    loss = float("nan")
    epoch = 0
    while epoch <= max_epochs:
        check = epoch % period == 0
        data_loss = passes.run(
            theta, grad, note_factors=t_fn, note_intercepts=t_bn, with_loss=check
        )
        if check:
            loss = data_loss * inv_r + float(_reg_loss(theta, bounds, reg_loss))
            if have_prior and abs(prior - loss) < convergence:
                return epoch, loss, True
            prior = loss
            have_prior = True
        step = epoch + 1
        step_size = lr / (1.0 - b1**step)
        bc2_sqrt = float(np.sqrt(1.0 - b2**step))
        _adam_step(
            theta, grad, m, v, bounds, trainable, reg_grad, inv_r, b1, b2, step_size,
            bc2_sqrt, eps,
        )  # fmt: skip
        epoch += 1
    return epoch, loss, False
