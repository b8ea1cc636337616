"""Loss and gradient of the low-diligence reputation MF over all ratings (scoring-core.md §4.8).

The model's logit for rating r = (n, u) is ``x_r = f_n·f_u + b_n·ρ_u + b_u + μ`` and its data
loss is ``(1/|R|) Σ_r w_r·(softplus(x_r) − y_r·x_r)``. One pass over the ratings gives the
weighted loss sum and the gradient of that sum with respect to every parameter. Two versions
compute exactly the same thing: a numba loop (``data_loss_and_grad``) and a plain-numpy
reference built on ``np.bincount`` (``data_loss_and_grad_reference``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from bridgewatch.scoring._logistic import sigmoid, softplus

__all__ = [
    "DiligenceParams",
    "Gradient",
    "data_loss_and_grad",
    "data_loss_and_grad_reference",
]


@dataclass
class DiligenceParams:
    """Mutable parameter state of one fit, over the notes and raters present in the data.

    Parameters
    ----------
    note_factors, note_intercepts : float64 arrays of shape (n_notes_present,)
        f_n and b_n.
    rater_factors, rater_intercepts, rater_reputations : float64 arrays of shape
        (n_raters_present,)
        f_u, b_u and ρ_u.
    global_intercept : float64 array of shape (1,)
        μ, kept in an array so that it updates in place like the others.
    """

    note_factors: NDArray[np.float64]
    note_intercepts: NDArray[np.float64]
    rater_factors: NDArray[np.float64]
    rater_intercepts: NDArray[np.float64]
    rater_reputations: NDArray[np.float64]
    global_intercept: NDArray[np.float64]

    def copy(self) -> DiligenceParams:
        """A deep copy."""
        return DiligenceParams(
            self.note_factors.copy(),
            self.note_intercepts.copy(),
            self.rater_factors.copy(),
            self.rater_intercepts.copy(),
            self.rater_reputations.copy(),
            self.global_intercept.copy(),
        )


@dataclass(frozen=True)
class Gradient:
    """Weighted data-loss sum Σ w·ℓ and its gradient (not yet divided by |R|)."""

    loss_sum: float
    note_factors: NDArray[np.float64]
    note_intercepts: NDArray[np.float64]
    rater_factors: NDArray[np.float64]
    rater_intercepts: NDArray[np.float64]
    rater_reputations: NDArray[np.float64]
    global_intercept: float


# numba dispatch objects are untyped; Any is the honest annotation at that boundary.
_njit: Any = numba.njit(cache=True, nogil=True)


@_njit
def _pass(  # type: ignore[no-untyped-def]
    note_c, rater_c, y, w, f_n, b_n, f_u, b_u, rep, mu, g_fn, g_bn, g_fu, g_bu, g_rep
):
    loss = 0.0
    g_mu = 0.0
    for r in range(note_c.shape[0]):
        n = note_c[r]
        u = rater_c[r]
        x = f_n[n] * f_u[u] + b_n[n] * rep[u] + b_u[u] + mu
        # softplus(x) - y*x and sigmoid(x), overflow-free
        if x >= 0.0:
            e = np.exp(-x)
            sp = x + np.log1p(e)
            s = 1.0 / (1.0 + e)
        else:
            e = np.exp(x)
            sp = np.log1p(e)
            s = e / (1.0 + e)
        wr = w[r]
        loss += wr * (sp - y[r] * x)
        d = wr * (s - y[r])
        g_fn[n] += d * f_u[u]
        g_bn[n] += d * rep[u]
        g_fu[u] += d * f_n[n]
        g_bu[u] += d
        g_rep[u] += d * b_n[n]
        g_mu += d
    return loss, g_mu


def data_loss_and_grad(
    note_c: NDArray[np.int32],
    rater_c: NDArray[np.int32],
    y: NDArray[np.float64],
    w: NDArray[np.float64],
    p: DiligenceParams,
) -> Gradient:
    """Σ_r w_r·ℓ_r and its gradient, in one numba pass over the ratings (§4.8).

    Parameters
    ----------
    note_c, rater_c : int32 arrays of shape (n_ratings,)
        Compact row of each rating's note / rater in ``p``.
    y : float64 array of shape (n_ratings,)
        Targets in {0, 1}.
    w : float64 array of shape (n_ratings,)
        Rating weights.
    p : DiligenceParams
        Current parameters (not modified).

    Returns
    -------
    Gradient
        Sums over ratings, in rating order (deterministic).
    """
    g_fn = np.zeros_like(p.note_factors)
    g_bn = np.zeros_like(p.note_intercepts)
    g_fu = np.zeros_like(p.rater_factors)
    g_bu = np.zeros_like(p.rater_intercepts)
    g_rep = np.zeros_like(p.rater_reputations)
    loss, g_mu = _pass(
        note_c,
        rater_c,
        y,
        w,
        p.note_factors,
        p.note_intercepts,
        p.rater_factors,
        p.rater_intercepts,
        p.rater_reputations,
        float(p.global_intercept[0]),
        g_fn,
        g_bn,
        g_fu,
        g_bu,
        g_rep,
    )
    return Gradient(float(loss), g_fn, g_bn, g_fu, g_bu, g_rep, float(g_mu))


def _sum_by(idx: NDArray[np.int32], values: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    return np.asarray(np.bincount(idx, values, minlength=n), dtype=np.float64)


def data_loss_and_grad_reference(
    note_c: NDArray[np.int32],
    rater_c: NDArray[np.int32],
    y: NDArray[np.float64],
    w: NDArray[np.float64],
    p: DiligenceParams,
) -> Gradient:
    """Plain-numpy reference of :func:`data_loss_and_grad` (same arguments and result)."""
    fn = p.note_factors[note_c]
    bn = p.note_intercepts[note_c]
    fu = p.rater_factors[rater_c]
    rep = p.rater_reputations[rater_c]
    x = fn * fu + bn * rep + p.rater_intercepts[rater_c] + p.global_intercept[0]
    d = w * (sigmoid(x) - y)
    n_notes = p.note_factors.shape[0]
    n_raters = p.rater_factors.shape[0]
    return Gradient(
        loss_sum=float(np.sum(w * (softplus(x) - y * x))),
        note_factors=_sum_by(note_c, d * fu, n_notes),
        note_intercepts=_sum_by(note_c, d * rep, n_notes),
        rater_factors=_sum_by(rater_c, d * fn, n_raters),
        rater_intercepts=_sum_by(rater_c, d, n_raters),
        rater_reputations=_sum_by(rater_c, d * bn, n_raters),
        global_intercept=float(np.sum(d)),
    )


@_njit
def _adam_update(values, grad, m, v, reg, inv_r, b1, b2, step_size, bc2_sqrt, eps):  # type: ignore[no-untyped-def]
    for i in range(values.shape[0]):
        g = grad[i] * inv_r + reg * values[i]
        m[i] = b1 * m[i] + (1.0 - b1) * g
        v[i] = b2 * v[i] + (1.0 - b2) * g * g
        values[i] -= step_size * m[i] / (np.sqrt(v[i]) / bc2_sqrt + eps)


@_njit
def _round_pass(  # type: ignore[no-untyped-def]
    note_c, rater_c, y, w, f_n, b_n, f_u, b_u, rep, mu, gr, trainable, with_loss
):
    g_fn, g_bn, g_fu, g_bu, g_rep = gr[0], gr[1], gr[2], gr[3], gr[4]
    for k in range(5):
        if trainable[k]:
            gr[k][:] = 0.0
    loss = 0.0
    g_mu = 0.0
    for r in range(note_c.shape[0]):
        n = note_c[r]
        u = rater_c[r]
        x = f_n[n] * f_u[u] + b_n[n] * rep[u] + b_u[u] + mu
        # one branch-free exp for the gradient (inf for x < -709 still gives s = 0)
        s = 1.0 / (1.0 + np.exp(-x))
        if with_loss:
            sp = x + np.log1p(np.exp(-x)) if x >= 0.0 else np.log1p(np.exp(x))
            loss += w[r] * (sp - y[r] * x)
        d = w[r] * (s - y[r])
        if trainable[0]:
            g_fn[n] += d * f_u[u]
        if trainable[1]:
            g_bn[n] += d * rep[u]
        if trainable[2]:
            g_fu[u] += d * f_n[n]
        if trainable[3]:
            g_bu[u] += d
        if trainable[4]:
            g_rep[u] += d * b_n[n]
        g_mu += d
    return loss, g_mu


@_njit
def adam_round(  # type: ignore[no-untyped-def]
    note_c,
    rater_c,
    y,
    w,
    f_n,
    b_n,
    f_u,
    b_u,
    rep,
    mu_arr,
    trainable,
    reg_grad,
    reg_loss,
    lr,
    b1,
    b2,
    eps,
    max_epochs,
    period,
    convergence,
):
    """Whole Adam round in one numba call; same contract as ``training.train_round``.

    ``trainable`` is a bool array over (f_n, b_n, f_u, b_u, ρ, μ); ``reg_grad[k]`` is the
    coefficient c of the gradient c·θ of group k's L2 term, ``reg_loss[k]`` that of its
    value c·Σθ². Updates the parameter arrays in place; returns (steps, loss, converged).
    """
    groups = (f_n, b_n, f_u, b_u, rep)
    grads = [np.zeros_like(f_n), np.zeros_like(b_n), np.zeros_like(f_u), np.zeros_like(b_u)]
    grads.append(np.zeros_like(rep))
    ms = [np.zeros_like(g) for g in grads]
    vs = [np.zeros_like(g) for g in grads]
    m_mu = 0.0
    v_mu = 0.0
    inv_r = 1.0 / note_c.shape[0]
    prior = 0.0
    have_prior = False
    loss = np.nan
    epoch = 0
    while epoch <= max_epochs:
        check = epoch % period == 0
        data_loss, g_mu = _round_pass(
            note_c, rater_c, y, w, f_n, b_n, f_u, b_u, rep, mu_arr[0], grads, trainable, check
        )
        if check:
            loss = data_loss * inv_r + reg_loss[5] * mu_arr[0] * mu_arr[0]
            for k in range(5):
                g = groups[k]
                loss += reg_loss[k] * np.dot(g, g)
            if have_prior and abs(prior - loss) < convergence:
                return epoch, loss, True
            prior = loss
            have_prior = True
        step = epoch + 1
        step_size = lr / (1.0 - b1**step)
        bc2_sqrt = np.sqrt(1.0 - b2**step)
        for k in range(5):
            if trainable[k]:
                _adam_update(
                    groups[k],
                    grads[k],
                    ms[k],
                    vs[k],
                    reg_grad[k],
                    inv_r,
                    b1,
                    b2,
                    step_size,
                    bc2_sqrt,
                    eps,
                )
        if trainable[5]:
            g = g_mu * inv_r + reg_grad[5] * mu_arr[0]
            m_mu = b1 * m_mu + (1.0 - b1) * g
            v_mu = b2 * v_mu + (1.0 - b2) * g * g
            mu_arr[0] -= step_size * m_mu / (np.sqrt(v_mu) / bc2_sqrt + eps)
        epoch += 1
    return epoch, loss, False
