"""Small synthetic rating sets and an independent objective/gradient for the MF tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.scoring.mf import MFConfig, MFParams

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Problem:
    note_idx: IntArray
    rater_idx: IntArray
    values: FloatArray
    n_notes: int
    n_raters: int


def two_camps(seed: int, n_notes: int = 12, n_raters: int = 16, density: float = 0.6) -> Problem:
    """Raters in two camps rate notes; every note and rater has at least one rating."""
    rng = np.random.default_rng(seed)
    camp = np.where(np.arange(n_raters) % 2 == 0, 1.0, -1.0)
    note_factor = rng.normal(0.0, 1.0, n_notes)
    note_intercept = rng.normal(0.0, 0.3, n_notes)
    mask = rng.random((n_notes, n_raters)) < density
    mask[np.arange(n_notes), np.arange(n_notes) % n_raters] = True
    mask[np.arange(n_raters) % n_notes, np.arange(n_raters)] = True
    n_idx, u_idx = np.nonzero(mask)
    signal = 0.4 + note_intercept[n_idx] + 0.5 * camp[u_idx] * note_factor[n_idx]
    signal += rng.normal(0.0, 0.2, n_idx.size)
    values = np.where(signal > 0.66, 1.0, np.where(signal > 0.33, 0.5, 0.0))
    order = rng.permutation(n_idx.size)
    return Problem(
        n_idx[order].astype(np.int64),
        u_idx[order].astype(np.int64),
        values[order],
        n_notes,
        n_raters,
    )


@dataclass(frozen=True)
class Packing:
    """Flat vector <-> MFParams over all entities (every entity is present in tests)."""

    n_notes: int
    n_raters: int
    k: int

    @property
    def size(self) -> int:
        return (self.n_notes + self.n_raters) * (1 + self.k) + 1

    def unpack(self, x: FloatArray) -> MFParams:
        n, u, k = self.n_notes, self.n_raters, self.k
        o1, o2 = n, n * (1 + k)
        o3 = o2 + u
        return MFParams(
            x[:o1], x[o1:o2].reshape(n, k), x[o2:o3], x[o3:-1].reshape(u, k), float(x[-1])
        )

    def pack(self, p: MFParams) -> FloatArray:
        return np.concatenate(
            (
                p.note_intercepts,
                p.note_factors.ravel(),
                p.rater_intercepts,
                p.rater_factors.ravel(),
                [p.global_intercept],
            )
        )


def loss_and_grad(
    x: FloatArray,
    prob: Problem,
    cfg: MFConfig,
    packing: Packing,
    weights: FloatArray | None = None,
) -> tuple[float, FloatArray]:
    """The reference loss (mean mode) and its gradient, written out independently.

    Covers per-rating weights (``mean(w·e²)``), ``use_global_intercept=False`` (μ out of
    the prediction and the loss; its gradient is 0) and the diamond term
    λ_◇·mean(|f_n·i_n|), whose gradient here is the subgradient with sign(0) = 0.
    """
    p = packing.unpack(x)
    n_r, n_n, n_u, k = prob.values.size, prob.n_notes, prob.n_raters, cfg.n_factors
    fn, fu = p.note_factors[prob.note_idx], p.rater_factors[prob.rater_idx]
    mu = p.global_intercept if cfg.use_global_intercept else 0.0
    pred = (
        mu
        + p.note_intercepts[prob.note_idx]
        + p.rater_intercepts[prob.rater_idx]
        + np.sum(fn * fu, axis=1)
    )
    e = pred - prob.values
    w = np.ones(n_r) if weights is None else weights
    loss = float(np.mean(w * e**2))
    loss += cfg.note_intercept_lambda * float(np.mean(p.note_intercepts**2))
    loss += cfg.note_factor_lambda * float(np.mean(p.note_factors**2))
    loss += cfg.rater_intercept_lambda * float(np.mean(p.rater_intercepts**2))
    loss += cfg.rater_factor_lambda * float(np.mean(p.rater_factors**2))
    if cfg.use_global_intercept:
        loss += cfg.global_intercept_lambda * p.global_intercept**2
    prod = p.note_factors * p.note_intercepts[:, None]
    loss += cfg.diamond_lambda * float(np.mean(np.abs(prod)))
    de = 2.0 * w * e / n_r
    g_ni = (
        np.bincount(prob.note_idx, de, n_n)
        + 2 * cfg.note_intercept_lambda * p.note_intercepts / n_n
    )
    g_ri = (
        np.bincount(prob.rater_idx, de, n_u)
        + 2 * cfg.rater_intercept_lambda * p.rater_intercepts / n_u
    )
    g_nf = np.zeros((n_n, k))
    g_rf = np.zeros((n_u, k))
    np.add.at(g_nf, prob.note_idx, de[:, None] * fu)
    np.add.at(g_rf, prob.rater_idx, de[:, None] * fn)
    g_nf += 2 * cfg.note_factor_lambda * p.note_factors / (n_n * k)
    g_rf += 2 * cfg.rater_factor_lambda * p.rater_factors / (n_u * k)
    sgn = np.sign(prod)
    g_ni += cfg.diamond_lambda * np.sum(sgn * p.note_factors, axis=1) / (n_n * k)
    g_nf += cfg.diamond_lambda * sgn * p.note_intercepts[:, None] / (n_n * k)
    g_mu = float(np.sum(de)) + 2 * cfg.global_intercept_lambda * p.global_intercept
    if not cfg.use_global_intercept:
        g_mu = 0.0
    grad = packing.pack(MFParams(g_ni, g_nf, g_ri, g_rf, g_mu))
    return loss, grad


def adam_reference_fit(
    prob: Problem,
    cfg: MFConfig,
    *,
    lr: float,
    seed: int,
    weights: FloatArray | None = None,
    max_epochs: int = 100_000,
) -> MFParams:
    """The reference's optimiser on :func:`loss_and_grad` (scoring-core.md §3.3), in numpy.

    Xavier-uniform factors (raters, then notes), zero intercepts and μ; full-batch Adam
    (β = (0.9, 0.999), ε = 1e-8) after clipping the gradient's global norm to 1; stop when
    the loss changes by at most 1e-7, or rises after epoch 100. Independent of the ALS code.
    """
    packing = Packing(prob.n_notes, prob.n_raters, 1)
    rng = np.random.default_rng(seed)
    b_u = np.sqrt(6.0 / (prob.n_raters + 1))
    b_n = np.sqrt(6.0 / (prob.n_notes + 1))
    rater_factors = rng.uniform(-b_u, b_u, (prob.n_raters, 1))
    note_factors = rng.uniform(-b_n, b_n, (prob.n_notes, 1))
    x = packing.pack(
        MFParams(np.zeros(prob.n_notes), note_factors, np.zeros(prob.n_raters), rater_factors, 0.0)
    )
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    loss, grad = loss_and_grad(x, prob, cfg, packing, weights)
    prev = 1e10
    epoch = 0
    while abs(loss - prev) > 1e-7 and not (epoch > 100 and loss > prev) and epoch < max_epochs:
        prev = loss
        grad = grad * min(1.0, 1.0 / (float(np.linalg.norm(grad)) + 1e-6))
        epoch += 1
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        x = x - lr * (m / (1 - 0.9**epoch)) / (np.sqrt(v / (1 - 0.999**epoch)) + 1e-8)
        loss, grad = loss_and_grad(x, prob, cfg, packing, weights)
    return packing.unpack(x)
