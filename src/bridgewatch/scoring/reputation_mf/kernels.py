"""Full-batch Adam on the weighted squared error of the reputation MF (multimodel §7).

For rating r = (n, u) the prediction is ``p_r = f_n·f_u + b_n·ρ_u + b_u + μ`` and the loss

    L = (1/|R|) Σ_r w_r·(p_r − y_r)²
        + Σ_k c_k·Σθ_k²          (c_k = λ·m_k / rows of group k; μ: λ·m_μ)

over the parameter groups k = (f_n, b_n, f_u, b_u, ρ_u, μ). A round builds a fresh Adam
(torch defaults apart from the learning rate) over its trainable groups and runs at most
``max_epochs + 1`` steps; every ``period`` epochs the loss before that epoch's step is compared
with the one ``period`` epochs earlier and the round stops when it changed by less than
``convergence`` (the reference's ``_train_one_round``). ``adam_round`` does a whole round in
one numba call; ``loss_and_grad_reference`` is the plain-numpy loss and gradient the tests
check it against. Sums run in rating order, so results are bit-identical from run to run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["GROUPS", "ReputationParams", "adam_round", "loss_and_grad_reference"]

GROUPS: tuple[str, ...] = (
    "note_factors",
    "note_intercepts",
    "rater_factors",
    "rater_intercepts",
    "rater_reputations",
    "global_intercept",
)

_njit: Any = numba.njit(cache=True, nogil=True)


@dataclass
class ReputationParams:
    """Mutable parameters of one fit over the notes and raters present in its data.

    note_factors, note_intercepts : float64 (n_notes_present,), f_n and b_n.
    rater_factors, rater_intercepts, rater_reputations : float64 (n_raters_present,),
        f_u, b_u and ρ_u.
    global_intercept : float64 (1,), μ (an array so that it updates in place).
    """

    note_factors: NDArray[np.float64]
    note_intercepts: NDArray[np.float64]
    rater_factors: NDArray[np.float64]
    rater_intercepts: NDArray[np.float64]
    rater_reputations: NDArray[np.float64]
    global_intercept: NDArray[np.float64]


@_njit
def _pass(  # type: ignore[no-untyped-def]
    note_c, rater_c, y, w, f_n, b_n, f_u, b_u, rep, mu, grads, t_fn, t_bn, t_fu, t_bu, t_rep,
    with_loss,
):  # fmt: skip
    """Σ w·(p − y)² (when ``with_loss``) and the gradient sums Σ 2w·(p − y)·∂p/∂θ into
    ``grads`` (zeroed here for the trainable groups); returns (loss sum, μ gradient sum)."""
    g_fn, g_bn, g_fu, g_bu, g_rep = grads[0], grads[1], grads[2], grads[3], grads[4]
    if t_fn:
        g_fn[:] = 0.0
    if t_bn:
        g_bn[:] = 0.0
    if t_fu:
        g_fu[:] = 0.0
    if t_bu:
        g_bu[:] = 0.0
    if t_rep:
        g_rep[:] = 0.0
    loss = 0.0
    g_mu = 0.0
    for r in range(note_c.shape[0]):
        n = note_c[r]
        u = rater_c[r]
        fn = f_n[n]
        bn = b_n[n]
        fu = f_u[u]
        ru = rep[u]
        e = fn * fu + bn * ru + b_u[u] + mu - y[r]
        if with_loss:
            loss += w[r] * e * e
        d = 2.0 * w[r] * e
        if t_fn:
            g_fn[n] += d * fu
        if t_bn:
            g_bn[n] += d * ru
        if t_fu:
            g_fu[u] += d * fn
        if t_bu:
            g_bu[u] += d
        if t_rep:
            g_rep[u] += d * bn
        g_mu += d
    return loss, g_mu


@_njit
def _adam_update(values, grad, m, v, reg, inv_r, b1, b2, step_size, bc2_sqrt, eps):  # type: ignore[no-untyped-def]
    for i in range(values.shape[0]):
        g = grad[i] * inv_r + reg * values[i]
        m[i] = b1 * m[i] + (1.0 - b1) * g
        v[i] = b2 * v[i] + (1.0 - b2) * g * g
        values[i] -= step_size * m[i] / (np.sqrt(v[i]) / bc2_sqrt + eps)


@_njit
def adam_round(  # type: ignore[no-untyped-def]
    note_c, rater_c, y, w, f_n, b_n, f_u, b_u, rep, mu_arr, trainable, reg_grad, reg_loss,
    lr, b1, b2, eps, max_epochs, period, convergence,
):  # fmt: skip
    """One Adam round on the parameter arrays, in place (module docstring).

    Parameters
    ----------
    note_c, rater_c : int32 arrays of shape (n_ratings,), compact note / rater rows.
    y, w : float64 arrays of shape (n_ratings,), targets and rating weights.
    f_n, b_n, f_u, b_u, rep : float64 parameter arrays; mu_arr : float64 array of shape (1,).
    trainable : bool array of shape (6,), per group in ``GROUPS`` order.
    reg_grad, reg_loss : float64 arrays of shape (6,), c_k of each group's L2 gradient
        (2c_k·θ) and loss (c_k·Σθ²) — passed separately so a test can switch either off.
    lr, b1, b2, eps : Adam hyperparameters.
    max_epochs, period, convergence : the stopping rule.

    Returns
    -------
    (steps, last checked loss, converged)
    """
    groups = (f_n, b_n, f_u, b_u, rep)
    t_fn = bool(trainable[0])
    t_bn = bool(trainable[1])
    t_fu = bool(trainable[2])
    t_bu = bool(trainable[3])
    t_rep = bool(trainable[4])
    grads = [np.zeros_like(f_n), np.zeros_like(b_n), np.zeros_like(f_u), np.zeros_like(b_u)]
    grads.append(np.zeros_like(rep))
    ms = [np.zeros_like(g) for g in grads]
    vs = [np.zeros_like(g) for g in grads]
    m_mu = 0.0
    v_mu = 0.0
    inv_r = 1.0 / max(note_c.shape[0], 1)
    prior = 0.0
    have_prior = False
    loss = np.nan
    epoch = 0
    while epoch <= max_epochs:
        check = epoch % period == 0
        data_loss, g_mu = _pass(
            note_c, rater_c, y, w, f_n, b_n, f_u, b_u, rep, mu_arr[0], grads,
            t_fn, t_bn, t_fu, t_bu, t_rep, check,
        )  # fmt: skip
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
                    groups[k], grads[k], ms[k], vs[k], reg_grad[k], inv_r, b1, b2,
                    step_size, bc2_sqrt, eps,
                )  # fmt: skip
        if trainable[5]:
            g = g_mu * inv_r + reg_grad[5] * mu_arr[0]
            m_mu = b1 * m_mu + (1.0 - b1) * g
            v_mu = b2 * v_mu + (1.0 - b2) * g * g
            mu_arr[0] -= step_size * m_mu / (np.sqrt(v_mu) / bc2_sqrt + eps)
        epoch += 1
    return epoch, loss, False


def loss_and_grad_reference(
    note_c: NDArray[np.int32],
    rater_c: NDArray[np.int32],
    y: NDArray[np.float64],
    w: NDArray[np.float64],
    p: ReputationParams,
    reg_loss: NDArray[np.float64],
) -> tuple[float, dict[str, NDArray[np.float64]]]:
    """The loss L and its full gradient ∂L/∂θ per group, in plain numpy (for tests).

    Parameters
    ----------
    note_c, rater_c, y, w : as for :func:`adam_round`.
    p : ReputationParams
    reg_loss : float64 array of shape (6,), c_k per group.

    Returns
    -------
    (L, {group name: gradient array of the group's shape})
    """
    m = max(y.shape[0], 1)
    mu = float(p.global_intercept[0])
    fu, ru = p.rater_factors[rater_c], p.rater_reputations[rater_c]
    fn, bn = p.note_factors[note_c], p.note_intercepts[note_c]
    e = fn * fu + bn * ru + p.rater_intercepts[rater_c] + mu - y
    d = 2.0 * w * e / m
    n_notes, n_raters = p.note_factors.shape[0], p.rater_factors.shape[0]
    data = {
        "note_factors": np.bincount(note_c, d * fu, minlength=n_notes),
        "note_intercepts": np.bincount(note_c, d * ru, minlength=n_notes),
        "rater_factors": np.bincount(rater_c, d * fn, minlength=n_raters),
        "rater_intercepts": np.bincount(rater_c, d, minlength=n_raters),
        "rater_reputations": np.bincount(rater_c, d * bn, minlength=n_raters),
        "global_intercept": np.array([d.sum()]),
    }
    loss = float(np.sum(w * e * e) / m)
    grads = {}
    for k, name in enumerate(GROUPS):
        values: NDArray[np.float64] = getattr(p, name)
        loss += float(reg_loss[k] * values @ values)
        grads[name] = data[name] + 2.0 * reg_loss[k] * values
    return loss, grads
