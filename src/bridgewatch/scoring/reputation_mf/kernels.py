"""Full-batch Adam on the weighted squared error of the reputation MF (multimodel §7).

For rating r = (n, u) the prediction is ``p_r = f_n·f_u + b_n·ρ_u + b_u + μ`` and the loss

    L = (1/|R|) Σ_r w_r·(p_r − y_r)²
        + Σ_k c_k·Σθ_k²          (c_k = λ·m_k / rows of group k; μ: λ·m_μ)

over the parameter groups k = (f_n, b_n, f_u, b_u, ρ_u, μ). A round builds a fresh Adam
(torch defaults apart from the learning rate) over its trainable groups and runs at most
``max_epochs + 1`` steps; every ``period`` epochs the loss before that epoch's step is compared
with the one ``period`` epochs earlier and the round stops when it changed by less than
``convergence`` (the reference's ``_train_one_round``). ``adam_round`` runs a round: each
epoch one numba pass per fixed rater range (in threads when the data is large; the ratings of
each range in ``tiled_order``), then the Adam step; ``loss_and_grad_reference`` is the
plain-numpy loss and gradient the tests check it against. Every sum runs in an order fixed by
the data, so results are bit-identical from run to run and whatever the number of threads.
"""

from __future__ import annotations

import itertools
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from bridgewatch.scoring._logit_passes import N_CHUNKS, PARALLEL_MIN

__all__ = [
    "GROUPS",
    "N_CHUNKS",
    "PARALLEL_MIN",
    "AdamSettings",
    "ReputationParams",
    "adam_round",
    "loss_and_grad_reference",
    "rater_chunks",
    "tiled_order",
]

GROUPS: tuple[str, ...] = (
    "note_factors",
    "note_intercepts",
    "rater_factors",
    "rater_intercepts",
    "rater_reputations",
    "global_intercept",
)

_njit: Any = numba.njit(cache=True, nogil=True)

TILE_RATERS = 8192
"""Raters per tile of ``tiled_order``."""


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
def _chunk_pass(  # type: ignore[no-untyped-def]
    lo, hi, u0, u1, note_c, rater_c, y, w, f_n, b_n, f_u, b_u, rep, mu, g_fn, g_bn, g_fu, g_bu,
    g_rep, t_fn, t_bn, t_fu, t_bu, t_rep, with_loss,
):  # fmt: skip
    """Ratings lo..hi-1, whose raters are exactly u0..u1-1: Σ w·(p − y)² (when
    ``with_loss``) and the gradient sums Σ 2w·(p − y)·∂p/∂θ. Note sums go to this chunk's
    own ``g_fn``/``g_bn`` (zeroed here), rater sums to the chunk's raters' entries of
    ``g_fu``/``g_bu``/``g_rep`` (zeroed here; no other chunk touches them). Returns (loss
    sum, μ gradient sum)."""
    if t_fn:
        g_fn[:] = 0.0
    if t_bn:
        g_bn[:] = 0.0
    if u1 > u0:
        if t_fu:
            g_fu[u0:u1] = 0.0
        if t_bu:
            g_bu[u0:u1] = 0.0
        if t_rep:
            g_rep[u0:u1] = 0.0
    loss = 0.0
    g_mu = 0.0
    for r in range(lo, hi):
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


def tiled_order(
    note_c: NDArray[np.int32], rater_c: NDArray[np.int32], tile_raters: int = TILE_RATERS
) -> tuple[NDArray[np.int64], list[tuple[int, int, int, int]]]:
    """A cache-friendly order of ratings sorted by (rater, note), and its rater chunks.

    The ratings of each chunk (``rater_chunks``) are cut into tiles of at most
    ``tile_raters`` consecutive raters, and each tile is ordered by (note, rater): an epoch
    then walks a tile's notes in ascending order while its raters' parameters stay in
    cache, instead of visiting notes at random (at 10M ratings over 200k notes about twice
    as fast). The order is fixed by the data alone.

    Parameters
    ----------
    note_c, rater_c : int32 arrays of shape (n_ratings,), sorted by (rater, note).
    tile_raters : raters per tile (their five parameter and gradient arrays should fit a
        core's L2 cache: 8,192 raters are 320 KiB).

    Returns
    -------
    order : int64 array of shape (n_ratings,), the permutation to apply to every rating
        array.
    chunks : [(lo, hi, u0, u1)] per chunk of ``rater_chunks``, in the new order: ratings
        lo..hi-1 belong to raters u0..u1-1 and to no other chunk.
    """
    m = rater_c.shape[0]
    order = np.empty(m, dtype=np.int64)
    chunks: list[tuple[int, int, int, int]] = []
    for lo, hi in rater_chunks(rater_c):
        if hi == lo:
            chunks.append((lo, hi, 0, 0))
            continue
        u0, u1 = int(rater_c[lo]), int(rater_c[hi - 1]) + 1
        chunks.append((lo, hi, u0, u1))
        cuts = np.searchsorted(rater_c[lo:hi], np.arange(u0, u1, tile_raters), side="left")
        bounds = [*(lo + int(c) for c in cuts), hi]
        for a, b in itertools.pairwise(bounds):
            # Stable on (rater, note)-sorted input: ties in note keep rater order.
            order[a:b] = a + np.argsort(note_c[a:b], kind="stable")
    return order, chunks


def rater_chunks(rater_c: NDArray[np.int32], n_chunks: int = N_CHUNKS) -> list[tuple[int, int]]:
    """``n_chunks`` consecutive rating ranges of about equal size that never split a rater
    (``rater_c`` sorted ascending); some may be empty. Fixed by the data alone, so every sum
    runs in the same order whatever the number of threads."""
    m = rater_c.shape[0]
    cuts = [0]
    for c in range(1, n_chunks):
        target = m * c // n_chunks
        cut = int(np.searchsorted(rater_c, rater_c[target], side="left")) if target < m else m
        cuts.append(max(cuts[-1], cut))
    cuts.append(m)
    return [(cuts[c], cuts[c + 1]) for c in range(n_chunks)]


@dataclass(frozen=True)
class AdamSettings:
    """Adam and its stopping rule: learning rate, β1, β2, ε; at most ``max_epochs + 1``
    steps, the loss checked every ``period`` epochs against ``convergence``."""

    lr: float
    b1: float
    b2: float
    eps: float
    max_epochs: int
    period: int
    convergence: float


def adam_round(
    note_c: NDArray[np.int32],
    rater_c: NDArray[np.int32],
    y: NDArray[np.float64],
    w: NDArray[np.float64],
    p: ReputationParams,
    trainable: NDArray[np.bool_],
    reg_grad: NDArray[np.float64],
    reg_loss: NDArray[np.float64],
    adam: AdamSettings,
    pool: Executor | None = None,
    chunks: list[tuple[int, int, int, int]] | None = None,
) -> tuple[int, float, bool]:
    """One Adam round on ``p`` in place (module docstring).

    Each epoch walks ``N_CHUNKS`` rater ranges (``rater_chunks``), in ``pool``'s threads when
    given (the numba pass releases the GIL), else one after the other: the same sums in the
    same order either way. Chunk note sums and the loss are added in chunk order.

    Parameters
    ----------
    note_c, rater_c : int32 arrays of shape (n_ratings,), compact note / rater rows, sorted
        by rater.
    y, w : float64 arrays of shape (n_ratings,), targets and rating weights.
    p : ReputationParams, updated in place (only the trainable groups move).
    trainable : bool array of shape (6,), per group in ``GROUPS`` order.
    reg_grad, reg_loss : float64 arrays of shape (6,), c_k of each group's L2 gradient
        (2c_k·θ) and loss (c_k·Σθ²) — passed separately so a test can switch either off.
    adam : AdamSettings
    pool : threads for the chunks, or None.
    chunks : [(lo, hi, u0, u1)] rater chunks of ratings in ``tiled_order``; default the
        ``rater_chunks`` of ratings sorted by rater.

    Returns
    -------
    (steps, last checked loss, converged)
    """
    groups = [getattr(p, g) for g in GROUPS[:5]]
    flags = [bool(t) for t in trainable]
    t_fn, t_bn, t_fu, t_bu, t_rep, t_mu = flags
    if chunks is None:
        chunks = [
            (lo, hi, int(rater_c[lo]), int(rater_c[hi - 1]) + 1) if hi > lo else (lo, hi, 0, 0)
            for lo, hi in rater_chunks(rater_c)
        ]
    nn_, nu = p.note_factors.shape[0], p.rater_factors.shape[0]
    note_grads = [(np.zeros(nn_), np.zeros(nn_)) for _ in chunks]
    rater_grads = (np.zeros(nu), np.zeros(nu), np.zeros(nu))
    grads = [np.zeros(nn_), np.zeros(nn_), *rater_grads]
    ms = [np.zeros_like(g) for g in groups]
    vs = [np.zeros_like(g) for g in groups]
    m_mu = v_mu = 0.0
    inv_r = 1.0 / max(y.shape[0], 1)
    prior: float | None = None
    loss = float("nan")

    def run(k: int, with_loss: bool) -> tuple[float, float]:
        lo, hi, u0, u1 = chunks[k]
        g_fn, g_bn = note_grads[k]
        out: tuple[float, float] = _chunk_pass(
            lo, hi, u0, u1, note_c, rater_c, y, w, p.note_factors, p.note_intercepts,
            p.rater_factors, p.rater_intercepts, p.rater_reputations,
            float(p.global_intercept[0]), g_fn, g_bn,
            *rater_grads, t_fn, t_bn, t_fu, t_bu, t_rep, with_loss,
        )  # fmt: skip
        return out

    epoch = 0
    while epoch <= adam.max_epochs:
        check = epoch % adam.period == 0
        if pool is None:
            parts = [run(k, check) for k in range(len(chunks))]
        else:
            parts = list(pool.map(run, range(len(chunks)), [check] * len(chunks)))
        if check:
            loss = sum(part[0] for part in parts) * inv_r
            loss += float(reg_loss[5] * p.global_intercept[0] ** 2)
            for k in range(5):
                loss += float(reg_loss[k] * (groups[k] @ groups[k]))
            if prior is not None and abs(prior - loss) < adam.convergence:
                return epoch, loss, True
            prior = loss
        for j in range(2):
            if flags[j]:
                np.copyto(grads[j], note_grads[0][j])
                for k in range(1, len(chunks)):
                    grads[j] += note_grads[k][j]
        step = epoch + 1
        step_size = adam.lr / (1.0 - adam.b1**step)
        bc2_sqrt = float(np.sqrt(1.0 - adam.b2**step))
        for k in range(5):
            if flags[k]:
                _adam_update(
                    groups[k], grads[k], ms[k], vs[k], reg_grad[k], inv_r, adam.b1, adam.b2,
                    step_size, bc2_sqrt, adam.eps,
                )  # fmt: skip
        if t_mu:
            g = sum(part[1] for part in parts) * inv_r + reg_grad[5] * p.global_intercept[0]
            m_mu = adam.b1 * m_mu + (1.0 - adam.b1) * g
            v_mu = adam.b2 * v_mu + (1.0 - adam.b2) * g * g
            p.global_intercept[0] -= step_size * m_mu / (np.sqrt(v_mu) / bc2_sqrt + adam.eps)
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
