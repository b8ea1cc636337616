"""One training round of the low-diligence model: full-batch Adam, as the reference runs it.

scoring-core.md §4.8: each round builds a new Adam (lr 0.2, torch defaults otherwise, no
gradient clipping) over the trainable parameter groups and runs at most ``max_epochs + 1``
steps. At every epoch whose index is a multiple of ``stable_period`` the loss (computed before
that epoch's step) is compared with the loss ``stable_period`` epochs earlier, and the round
stops when the change is below ``convergence``. The loss is

    L = (1/|R|) Σ_r w_r·(softplus(x_r) − y_r·x_r)
        + λ·[Σf_n² + m_bn·Σb_n²] / D_note + λ·[Σf_u² + m_bu·Σb_u² + m_ρ·Σρ_u²] / D_rater
        + λ·m_μ·μ²

with D = number of notes (raters) in the data in mean mode, or |R|/ratio in ratio mode.
The reference works in float32, and so does :func:`train_round` by default
(``DiligenceConfig.dtype``): parameters, gradients, Adam moments and per-rating arrays are
float32, which moves half the bytes of float64 in these memory-bound passes; the loss is still
summed in float64 (the stopping test is on a loss change of 1e-5, far above the float32
rounding of a loss of order 1). The numpy reference and the fused kernel stay float64.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.scoring._logit_passes import LogitPasses, rater_major
from bridgewatch.scoring._note_passes import NoteMajorPasses
from bridgewatch.scoring.diligence.config import DiligenceConfig
from bridgewatch.scoring.diligence.epochs import adam_round_vectorized
from bridgewatch.scoring.diligence.kernels import (
    DiligenceParams,
    Gradient,
    adam_round,
    data_loss_and_grad_reference,
)

__all__ = [
    "PARAM_GROUPS",
    "RoundFn",
    "RoundStats",
    "TrainingData",
    "round3_weights",
    "train_round",
    "train_round_fused",
    "train_round_reference",
]

PARAM_GROUPS: tuple[str, ...] = (
    "note_factors",
    "note_intercepts",
    "rater_factors",
    "rater_intercepts",
    "rater_reputations",
    "global_intercept",
)

# Rounds that train only these groups freeze the rater side: note-major streaming passes.
_NOTE_GROUPS = frozenset({"note_factors", "note_intercepts"})

GradientFn = Callable[
    [
        NDArray[np.int32],
        NDArray[np.int32],
        NDArray[np.float64],
        NDArray[np.float64],
        DiligenceParams,
    ],
    Gradient,
]


@dataclass(frozen=True)
class TrainingData:
    """Ratings of one fit in compact indexes, with the regularization denominators.

    Parameters
    ----------
    note_c, rater_c : int32 arrays of shape (n_ratings,)
        Compact note / rater row of each rating.
    y : float64 array of shape (n_ratings,)
        Low-diligence targets in {0, 1}.
    note_denominator, rater_denominator : float
        D_note and D_rater of the loss (see module docstring).
    """

    note_c: NDArray[np.int32]
    rater_c: NDArray[np.int32]
    y: NDArray[np.float64]
    note_denominator: float
    rater_denominator: float

    @property
    def n_ratings(self) -> int:
        """|R|."""
        return int(self.y.shape[0])


@dataclass(frozen=True)
class RoundStats:
    """What one round did: Adam steps taken, last loss computed, whether it stopped early."""

    n_steps: int
    loss: float
    converged: bool


def round3_weights(
    data: TrainingData,
    reputations: NDArray[np.float64],
    n_notes: int,
    config: DiligenceConfig,
) -> NDArray[np.float64]:
    """Round-3 rating weights (§4.8): class weight × reputation weight, note-normalised.

    ``w = (pos_weight_round3 if y = 1 else 1) · (α + max(ρ_u, 0)^e) / (1 + α)``, then
    ``w ← w · (W_n + ε)^note_norm_exponent`` with W_n the sum of w over the note's ratings.

    Parameters
    ----------
    data : TrainingData
    reputations : float64 array of shape (n_raters_present,)
        ρ_u at the start of the round (frozen during it).
    n_notes : int
        Number of compact notes.
    config : DiligenceConfig

    Returns
    -------
    float64 array of shape (n_ratings,)
    """
    w = np.where(data.y == 1.0, config.pos_weight_round3, 1.0)
    rep = np.maximum(reputations, 0.0) ** config.reputation_exponent
    w = w * ((config.reputation_alpha + rep[data.rater_c]) / (1.0 + config.reputation_alpha))
    if config.note_norm_exponent != 0.0:
        totals = np.bincount(data.note_c, w, minlength=n_notes) + config.note_norm_epsilon
        w = w * (totals**config.note_norm_exponent)[data.note_c]
    return w


def _reg_multipliers(config: DiligenceConfig) -> dict[str, float]:
    return {
        "note_factors": 1.0,
        "note_intercepts": config.note_intercept_multiplier,
        "rater_factors": 1.0,
        "rater_intercepts": config.rater_intercept_multiplier,
        "rater_reputations": config.reputation_multiplier,
        "global_intercept": config.global_intercept_multiplier,
    }


def _denominator(data: TrainingData, group: str) -> float:
    if group.startswith("note"):
        return data.note_denominator
    if group.startswith("rater"):
        return data.rater_denominator
    return 1.0


def regularized_loss(
    data: TrainingData, p: DiligenceParams, loss_sum: float, config: DiligenceConfig
) -> float:
    """The full loss L given the weighted data-loss sum (module docstring)."""
    mult = _reg_multipliers(config)
    total = loss_sum / data.n_ratings
    for group in PARAM_GROUPS:
        values: NDArray[np.float64] = getattr(p, group)
        total += config.l2_lambda * mult[group] * float(values @ values) / _denominator(data, group)
    return total


def train_round(
    data: TrainingData,
    p: DiligenceParams,
    w: NDArray[np.float64],
    trainable: tuple[str, ...],
    config: DiligenceConfig,
) -> RoundStats:
    """Run one round of full-batch Adam on ``p`` in place (``epochs.adam_round_vectorized``).

    Same contract as :func:`train_round_reference`, of which it is the accelerated version:
    the ratings are walked rater-major (note-major, with the frozen rater terms gathered
    once, when only note groups train), ``exp`` runs vectorized over all ratings, and the
    loss is only evaluated at the epochs where the stopping test reads it. The round works
    in ``config.dtype`` (float32 by default, as the reference: half the memory traffic per
    epoch); the loss sums and the stopping test stay float64.
    """
    flags = np.array([g in trainable for g in PARAM_GROUPS], dtype=np.bool_)
    mult = _reg_multipliers(config)
    reg_loss = np.array([config.l2_lambda * mult[g] / _denominator(data, g) for g in PARAM_GROUPS])
    n_notes, n_raters = p.note_factors.shape[0], p.rater_factors.shape[0]
    theta = np.concatenate([getattr(p, g) for g in PARAM_GROUPS]).astype(config.dtype)
    passes: LogitPasses | NoteMajorPasses
    if set(trainable) <= _NOTE_GROUPS:
        # Raters and μ frozen: stream the ratings note-major (``_note_passes``).
        passes = NoteMajorPasses(data.note_c, data.rater_c, data.y, w, theta, n_notes, n_raters)
    else:
        ptr, note_c, (y, w_sorted) = rater_major(
            data.note_c, data.rater_c, data.y, w, n_raters=n_raters
        )
        passes = LogitPasses(ptr, note_c, y, w_sorted, n_notes, n_raters, dtype=config.dtype)
    with passes:
        steps, loss, converged = adam_round_vectorized(
            passes,
            theta,
            n_notes,
            n_raters,
            data.n_ratings,
            flags,
            2.0 * reg_loss,
            reg_loss,
            lr=config.learning_rate,
            b1=config.adam_beta1,
            b2=config.adam_beta2,
            eps=config.adam_eps,
            max_epochs=config.max_epochs,
            period=config.stable_period,
            convergence=config.convergence,
        )
    start = 0
    for g in PARAM_GROUPS:
        values: NDArray[np.float64] = getattr(p, g)
        if g in trainable:  # frozen groups keep their bits (a float32 copy would round them)
            values[:] = theta[start : start + values.shape[0]]
        start += values.shape[0]
    return RoundStats(n_steps=int(steps), loss=float(loss), converged=bool(converged))


def train_round_fused(
    data: TrainingData,
    p: DiligenceParams,
    w: NDArray[np.float64],
    trainable: tuple[str, ...],
    config: DiligenceConfig,
) -> RoundStats:
    """Run one round of full-batch Adam on ``p`` in place, in one scalar numba call.

    The plain compiled kernel (``kernels.adam_round``) next to the vectorized
    :func:`train_round`; both follow :func:`train_round_reference`.
    """
    flags = np.array([g in trainable for g in PARAM_GROUPS], dtype=np.bool_)
    mult = _reg_multipliers(config)
    reg_loss = np.array([config.l2_lambda * mult[g] / _denominator(data, g) for g in PARAM_GROUPS])
    steps, loss, converged = adam_round(
        data.note_c,
        data.rater_c,
        data.y,
        w,
        p.note_factors,
        p.note_intercepts,
        p.rater_factors,
        p.rater_intercepts,
        p.rater_reputations,
        p.global_intercept,
        flags,
        2.0 * reg_loss,
        reg_loss,
        config.learning_rate,
        config.adam_beta1,
        config.adam_beta2,
        config.adam_eps,
        config.max_epochs,
        config.stable_period,
        config.convergence,
    )
    return RoundStats(n_steps=int(steps), loss=float(loss), converged=bool(converged))


RoundFn = Callable[
    [TrainingData, DiligenceParams, NDArray[np.float64], tuple[str, ...], DiligenceConfig],
    RoundStats,
]


def train_round_reference(
    data: TrainingData,
    p: DiligenceParams,
    w: NDArray[np.float64],
    trainable: tuple[str, ...],
    config: DiligenceConfig,
    grad_fn: GradientFn = data_loss_and_grad_reference,
) -> RoundStats:
    """Run one round of full-batch Adam on ``p`` in place (module docstring); plain numpy.

    Parameters
    ----------
    data : TrainingData
    p : DiligenceParams
        Updated in place: only the groups named in ``trainable`` change.
    w : float64 array of shape (n_ratings,)
        Rating weights of this round.
    trainable : tuple of str
        Names from ``PARAM_GROUPS``.
    config : DiligenceConfig
    grad_fn : callable
        The loss/gradient pass (the numpy reference by default).

    Returns
    -------
    RoundStats
    """
    mult = _reg_multipliers(config)
    first = {g: np.zeros_like(getattr(p, g)) for g in trainable}
    second = {g: np.zeros_like(getattr(p, g)) for g in trainable}
    b1, b2 = config.adam_beta1, config.adam_beta2
    prior: float | None = None
    epoch = 0
    loss = float("nan")
    while epoch <= config.max_epochs:
        grad = grad_fn(data.note_c, data.rater_c, data.y, w, p)
        loss = regularized_loss(data, p, grad.loss_sum, config)
        if epoch % config.stable_period == 0:
            if prior is not None and abs(prior - loss) < config.convergence:
                return RoundStats(n_steps=epoch, loss=loss, converged=True)
            prior = loss
        step = epoch + 1
        step_size = config.learning_rate / (1.0 - b1**step)
        bc2_sqrt = np.sqrt(1.0 - b2**step)
        for g in trainable:
            values: NDArray[np.float64] = getattr(p, g)
            raw = getattr(grad, g)
            g_data = np.asarray(raw, dtype=np.float64).reshape(values.shape) / data.n_ratings
            full = g_data + (2.0 * config.l2_lambda * mult[g] / _denominator(data, g)) * values
            m = first[g]
            v = second[g]
            m *= b1
            m += (1.0 - b1) * full
            v *= b2
            v += (1.0 - b2) * full * full
            values -= step_size * m / (np.sqrt(v) / bc2_sqrt + config.adam_eps)
        epoch += 1
    return RoundStats(n_steps=epoch, loss=loss, converged=False)
