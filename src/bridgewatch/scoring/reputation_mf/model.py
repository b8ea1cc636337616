"""The helpfulness-reputation MF: prescoring (three rounds) and final scoring (two steps).

scoring-multimodel.md §7, scoring-extended.md §3.5. The model predicts ``helpfulNum`` as
``f_n·f_u + b_n·ρ_u + b_u + μ`` under a weighted squared error (``kernels``):

prescoring
    1. every group but ρ_u (ρ_u = 1), helpful ratings weighted ``pos_weight``, each rater's
       weights scaled by their total^-0.5;
    2. every group but b_n, helpful weight ×5, no normalisation: ρ_u is learnt;
    3. b_n, b_u, μ with λ ×0.1 and the note-intercept multiplier ×10, rating weights
       ``max(ρ_u, 0)`` normalised per note (total^-0.5).
final scoring (from the prescoring state; 0 where a note or rater is missing, ρ_u included)
    A. f_n alone, with b_n and b_u of round 2 and μ of round 2 (round-2 weights);
    B. b_n alone, with b_u and μ of round 3 (round-3 weights and regularisation).

The final b_n is ``coverageNoteIntercept``, f_n ``coverageNoteFactor1``, the prescoring ρ_u
``raterHelpfulnessReputation``. Arrays in (global note / rater indexes), arrays out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.scoring._threads import kernel_threads
from bridgewatch.scoring.reputation_mf.config import ReputationMFConfig
from bridgewatch.scoring.reputation_mf.kernels import (
    GROUPS,
    N_CHUNKS,
    PARALLEL_MIN,
    AdamSettings,
    ReputationParams,
    adam_round,
    tiled_order,
)

__all__ = [
    "ReputationFinal",
    "ReputationState",
    "RoundStats",
    "fit_reputation_final",
    "fit_reputation_prescoring",
    "rating_weights",
]

_log = logging.getLogger(__name__)

_ROUND_TRAINABLE: dict[str, tuple[str, ...]] = {
    "1": (
        "note_factors",
        "note_intercepts",
        "rater_factors",
        "rater_intercepts",
        "global_intercept",
    ),
    "2": (
        "note_factors",
        "rater_factors",
        "rater_intercepts",
        "rater_reputations",
        "global_intercept",
    ),
    "3": ("note_intercepts", "rater_intercepts", "global_intercept"),
    "A": ("note_factors",),
    "B": ("note_intercepts",),
}


@dataclass(frozen=True)
class RoundStats:
    """One Adam round: steps taken, last checked loss, whether the stopping test fired."""

    n_steps: int
    loss: float
    converged: bool


@dataclass(frozen=True)
class ReputationState:
    """The prescoring fit, the initial values of final scoring.

    Note arrays have shape (n_notes,), rater arrays (n_raters,), float64, NaN outside the
    prescoring data.

    Attributes
    ----------
    note_intercepts, note_factors : b_n after round 3, f_n (frozen in round 3).
    note_intercepts_round2 : b_n after round 2 (= round 1's: b_n is frozen in round 2).
    rater_intercepts, rater_factors, rater_reputations : b_u after round 3, f_u, ρ_u.
    rater_intercepts_round2 : b_u after round 2.
    global_round1, global_round2, global_round3 : μ after each round.
    rounds : the three rounds.
    n_ratings : size of the data.
    """

    note_intercepts: NDArray[np.float64]
    note_factors: NDArray[np.float64]
    note_intercepts_round2: NDArray[np.float64]
    rater_intercepts: NDArray[np.float64]
    rater_factors: NDArray[np.float64]
    rater_reputations: NDArray[np.float64]
    rater_intercepts_round2: NDArray[np.float64]
    global_round1: float
    global_round2: float
    global_round3: float
    rounds: tuple[RoundStats, ...]
    n_ratings: int


@dataclass(frozen=True)
class ReputationFinal:
    """The final fit.

    Attributes
    ----------
    note_intercepts : float64 (n_notes,), b_n after step B; NaN for notes outside the data.
    note_factors : float64 (n_notes,), f_n after step A; NaN likewise.
    rater_reputations : float64 (n_raters,), ρ_u the fit used (prescoring's, 0 for raters
        it did not have); NaN for raters outside the data.
    crh : bool (n_notes,), ``note_intercepts > crh_threshold`` (False where NaN).
    rounds : steps A and B.
    n_ratings : size of the data.
    """

    note_intercepts: NDArray[np.float64]
    note_factors: NDArray[np.float64]
    rater_reputations: NDArray[np.float64]
    crh: NDArray[np.bool_]
    rounds: tuple[RoundStats, ...]
    n_ratings: int


@dataclass(frozen=True)
class _Data:
    note_c: NDArray[np.int32]
    rater_c: NDArray[np.int32]
    y: NDArray[np.float64]
    notes: NDArray[np.int64]
    raters: NDArray[np.int64]
    chunks: list[tuple[int, int, int, int]]

    @property
    def n_notes(self) -> int:
        return int(self.notes.shape[0])

    @property
    def n_raters(self) -> int:
        return int(self.raters.shape[0])


def _compact(idx: NDArray[np.integer], n: int) -> tuple[NDArray[np.int64], NDArray[np.int32]]:
    """Present rows in ascending (sorted-id) order and each rating's compact row."""
    present = np.flatnonzero(np.bincount(idx, minlength=n))
    compact = np.full(n, -1, dtype=np.int32)
    compact[present] = np.arange(present.shape[0], dtype=np.int32)
    return present, compact[idx]


def _data(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    helpful_num: NDArray[np.floating],
    n_notes: int,
    n_raters: int,
) -> _Data:
    """Validated ratings in compact indexes, in ``kernels.tiled_order`` of their (rater,
    note) order, so that every sum runs in an order that does not depend on the input rows."""
    m = note_idx.shape[0]
    if note_idx.ndim != 1 or rater_idx.shape != (m,) or helpful_num.shape != (m,):
        raise InputError(
            "note_idx, rater_idx and helpful_num must be 1-D arrays of one length",
            field="note_idx",
        )
    if m and (note_idx.min() < 0 or note_idx.max() >= n_notes):
        raise InputError(f"note_idx out of range [0, {n_notes})", field="note_idx")
    if m and (rater_idx.min() < 0 or rater_idx.max() >= n_raters):
        raise InputError(f"rater_idx out of range [0, {n_raters})", field="rater_idx")
    y = np.asarray(helpful_num, dtype=np.float64)
    if not np.all(np.isfinite(y)):
        raise InputError("helpfulNum must be finite", field="helpful_num")
    notes, note_c = _compact(note_idx, n_notes)
    raters, rater_c = _compact(rater_idx, n_raters)
    order = np.lexsort((note_c, rater_c))
    note_c, rater_c, y = note_c[order], rater_c[order], y[order]
    tiles, chunks = tiled_order(note_c, rater_c)
    return _Data(note_c[tiles], rater_c[tiles], y[tiles], notes, raters, chunks)


def rating_weights(
    y: NDArray[np.float64],
    note_c: NDArray[np.int32],
    rater_c: NDArray[np.int32],
    *,
    pos_weight: float,
    n_notes: int,
    n_raters: int,
    config: ReputationMFConfig,
    reputations: NDArray[np.float64] | None = None,
    note_norm_exponent: float = 0.0,
    rater_norm_exponent: float = 0.0,
) -> NDArray[np.float64]:
    """Weight of each rating in a round (the reference's ``WeightedLoss``), in this order:

    ``pos_weight`` where helpfulNum = 1 (else 1); × ``(α + max(ρ_u, 0)^e) / (1 + α)`` when
    ``reputations`` are given; × ``(W_n + ε)^note_norm_exponent`` with W_n the note's weight
    total; × ``(W_u + ε)^rater_norm_exponent`` likewise per rater.

    Parameters
    ----------
    y, note_c, rater_c : arrays of shape (n_ratings,).
    pos_weight : float
    n_notes, n_raters : compact index sizes.
    config : ReputationMFConfig (α, e, ε).
    reputations : float64 (n_raters,) or None.
    note_norm_exponent, rater_norm_exponent : float, 0 for none.

    Returns
    -------
    float64 array of shape (n_ratings,)
    """
    w = np.where(y == 1.0, pos_weight, 1.0)
    if reputations is not None:
        rep = np.maximum(reputations, 0.0) ** config.reputation_exponent
        w = w * ((config.reputation_alpha + rep[rater_c]) / (1.0 + config.reputation_alpha))
    if note_norm_exponent != 0.0:
        totals = np.bincount(note_c, w, minlength=n_notes) + config.norm_epsilon
        w = w * (totals**note_norm_exponent)[note_c]
    if rater_norm_exponent != 0.0:
        totals = np.bincount(rater_c, w, minlength=n_raters) + config.norm_epsilon
        w = w * (totals**rater_norm_exponent)[rater_c]
    return np.asarray(w, dtype=np.float64)


@contextmanager
def _threads(n_ratings: int) -> Iterator[Executor | None]:
    """Threads for the rater chunks of large fits; None (serial) for small ones and under a
    kernel thread limit of one (``_threads``: the roster runs scorers in parallel)."""
    workers = min(N_CHUNKS, kernel_threads())
    if n_ratings < PARALLEL_MIN or workers < 2:
        yield None
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield pool


def _round(
    data: _Data,
    p: ReputationParams,
    w: NDArray[np.float64],
    name: str,
    config: ReputationMFConfig,
    *,
    third: bool,
    pool: Executor | None,
) -> RoundStats:
    """One Adam round (``kernels.adam_round``) on ``p`` in place; ``third``: round-3 λ."""
    lam = config.l2_lambda * (config.round3_lambda_multiplier if third else 1.0)
    m_bn = config.note_intercept_multiplier * (
        config.round3_note_intercept_multiplier if third else 1.0
    )
    nn_, nu = max(data.n_notes, 1), max(data.n_raters, 1)
    reg = np.array(
        [
            lam / nn_,
            lam * m_bn / nn_,
            lam / nu,
            lam * config.rater_intercept_multiplier / nu,
            lam * config.reputation_multiplier / nu,
            lam * config.global_intercept_multiplier,
        ]
    )
    trainable = np.array([g in _ROUND_TRAINABLE[name] for g in GROUPS], dtype=np.bool_)
    adam = AdamSettings(
        lr=config.learning_rate,
        b1=config.adam_beta1,
        b2=config.adam_beta2,
        eps=config.adam_eps,
        max_epochs=config.max_epochs,
        period=config.stable_period,
        convergence=config.convergence,
    )
    steps, loss, converged = adam_round(
        data.note_c, data.rater_c, data.y, w, p, trainable, 2.0 * reg, reg, adam, pool,
        data.chunks,
    )  # fmt: skip
    return RoundStats(int(steps), float(loss), bool(converged))


def _take_or(
    values: NDArray[np.floating] | None, rows: NDArray[np.int64], default: float, n: int, name: str
) -> NDArray[np.float64] | None:
    """``values[rows]`` with NaN -> ``default``; None when ``values`` is None."""
    if values is None:
        return None
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (n,):
        raise InputError(f"expected shape ({n},), got {arr.shape}", field=name)
    out = arr[rows].copy()
    out[~np.isfinite(out)] = default
    return out


def _expand(values: NDArray[np.float64], rows: NDArray[np.int64], n: int) -> NDArray[np.float64]:
    out = np.full(n, np.nan)
    out[rows] = values
    return out


def fit_reputation_prescoring(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    helpful_num: NDArray[np.floating],
    *,
    n_notes: int,
    n_raters: int,
    init_note_factors: NDArray[np.floating] | None,
    init_rater_factors: NDArray[np.floating] | None,
    config: ReputationMFConfig,
    rng: np.random.Generator,
) -> ReputationState:
    """Fit the three prescoring rounds (module docstring) on the 5/10-filtered ratings.

    Initial values: f_n, f_u, b_n, b_u drawn N(0, 1) from ``rng`` in that order over the
    present notes (raters) in ascending index order; then f_n, f_u replaced by the
    stable-initialisation factors when given (0 where NaN: the reference initialises from
    the stable fit's factors only, never its intercepts); ρ_u = ``default_reputation``,
    μ = 0.

    Parameters
    ----------
    note_idx, rater_idx : int arrays of shape (n_ratings,), global note / rater rows.
    helpful_num : float array of shape (n_ratings,), targets (0, 0.5, 1).
    n_notes, n_raters : sizes of the global indexes.
    init_note_factors, init_rater_factors : float64 (n_notes,) / (n_raters,) or None.
    config : ReputationMFConfig
    rng : numpy.random.Generator

    Returns
    -------
    ReputationState
    """
    data = _data(note_idx, rater_idx, helpful_num, n_notes, n_raters)
    nn_, nu = data.n_notes, data.n_raters
    f_n = np.asarray(rng.standard_normal(nn_), dtype=np.float64)
    f_u = np.asarray(rng.standard_normal(nu), dtype=np.float64)
    b_n = np.asarray(rng.standard_normal(nn_), dtype=np.float64)
    b_u = np.asarray(rng.standard_normal(nu), dtype=np.float64)
    given_n = _take_or(init_note_factors, data.notes, 0.0, n_notes, "init_note_factors")
    given_u = _take_or(init_rater_factors, data.raters, 0.0, n_raters, "init_rater_factors")
    p = ReputationParams(
        note_factors=f_n if given_n is None else given_n,
        note_intercepts=b_n,
        rater_factors=f_u if given_u is None else given_u,
        rater_intercepts=b_u,
        rater_reputations=np.full(nu, config.default_reputation),
        global_intercept=np.zeros(1),
    )
    y, nc, rc = data.y, data.note_c, data.rater_c

    def weights(
        pos_weight: float,
        reputations: NDArray[np.float64] | None = None,
        note_exponent: float = 0.0,
        rater_exponent: float = 0.0,
    ) -> NDArray[np.float64]:
        return rating_weights(
            y,
            nc,
            rc,
            pos_weight=pos_weight,
            n_notes=nn_,
            n_raters=nu,
            config=config,
            reputations=reputations,
            note_norm_exponent=note_exponent,
            rater_norm_exponent=rater_exponent,
        )

    stats: list[RoundStats] = []
    mus: list[float] = []
    with _threads(int(y.shape[0])) as pool:
        w1 = weights(config.pos_weight, rater_exponent=config.rater_norm_exponent_round1)
        stats.append(_round(data, p, w1, "1", config, third=False, pool=pool))
        mus.append(float(p.global_intercept[0]))
        w2 = weights(config.pos_weight * config.pos_weight_round2_multiplier)
        stats.append(_round(data, p, w2, "2", config, third=False, pool=pool))
        mus.append(float(p.global_intercept[0]))
        b_n2, b_u2 = p.note_intercepts.copy(), p.rater_intercepts.copy()
        w3 = weights(
            config.pos_weight * config.pos_weight_round3_multiplier,
            reputations=p.rater_reputations.copy(),
            note_exponent=config.note_norm_exponent_round3,
        )
        stats.append(_round(data, p, w3, "3", config, third=True, pool=pool))
        mus.append(float(p.global_intercept[0]))
    _log.info("reputation MF prescoring rounds: %s", stats)
    return ReputationState(
        note_intercepts=_expand(p.note_intercepts, data.notes, n_notes),
        note_factors=_expand(p.note_factors, data.notes, n_notes),
        note_intercepts_round2=_expand(b_n2, data.notes, n_notes),
        rater_intercepts=_expand(p.rater_intercepts, data.raters, n_raters),
        rater_factors=_expand(p.rater_factors, data.raters, n_raters),
        rater_reputations=_expand(p.rater_reputations, data.raters, n_raters),
        rater_intercepts_round2=_expand(b_u2, data.raters, n_raters),
        global_round1=mus[0],
        global_round2=mus[1],
        global_round3=mus[2],
        rounds=tuple(stats),
        n_ratings=int(y.shape[0]),
    )


def fit_reputation_final(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    helpful_num: NDArray[np.floating],
    *,
    n_notes: int,
    n_raters: int,
    state: ReputationState,
    config: ReputationMFConfig,
) -> ReputationFinal:
    """Fit final steps A and B (module docstring) from the prescoring ``state``;
    deterministic (no random values).

    Parameters
    ----------
    note_idx, rater_idx, helpful_num : arrays of shape (n_ratings,), this run's
        5/10-filtered ratings (global rows).
    n_notes, n_raters : sizes of the global indexes (``state`` arrays have these lengths).
    state : ReputationState
    config : ReputationMFConfig

    Returns
    -------
    ReputationFinal
    """
    data = _data(note_idx, rater_idx, helpful_num, n_notes, n_raters)
    nn_, nu = data.n_notes, data.n_raters

    def take(
        values: NDArray[np.float64], rows: NDArray[np.int64], n: int, name: str
    ) -> NDArray[np.float64]:
        out = _take_or(values, rows, 0.0, n, name)
        assert out is not None
        return out

    p = ReputationParams(
        note_factors=take(state.note_factors, data.notes, n_notes, "note_factors"),
        note_intercepts=take(state.note_intercepts_round2, data.notes, n_notes, "b_n round 2"),
        rater_factors=take(state.rater_factors, data.raters, n_raters, "rater_factors"),
        rater_intercepts=take(state.rater_intercepts_round2, data.raters, n_raters, "b_u round 2"),
        rater_reputations=take(state.rater_reputations, data.raters, n_raters, "ρ_u"),
        global_intercept=np.array([state.global_round2], dtype=np.float64),
    )
    y, nc, rc = data.y, data.note_c, data.rater_c
    stats: list[RoundStats] = []
    with _threads(int(y.shape[0])) as pool:
        if y.shape[0]:
            w_a = rating_weights(
                y,
                nc,
                rc,
                pos_weight=config.pos_weight * config.pos_weight_round2_multiplier,
                n_notes=nn_,
                n_raters=nu,
                config=config,
            )
            stats.append(_round(data, p, w_a, "A", config, third=False, pool=pool))
            p.global_intercept[0] = state.global_round3
            p.rater_intercepts = take(state.rater_intercepts, data.raters, n_raters, "b_u")
            w_b = rating_weights(
                y,
                nc,
                rc,
                pos_weight=config.pos_weight * config.pos_weight_round3_multiplier,
                n_notes=nn_,
                n_raters=nu,
                config=config,
                reputations=p.rater_reputations,
                note_norm_exponent=config.note_norm_exponent_round3,
            )
            stats.append(_round(data, p, w_b, "B", config, third=True, pool=pool))
    intercepts = _expand(p.note_intercepts, data.notes, n_notes)
    with np.errstate(invalid="ignore"):
        crh = np.asarray(intercepts > config.crh_threshold, dtype=np.bool_)
    return ReputationFinal(
        note_intercepts=intercepts,
        note_factors=_expand(p.note_factors, data.notes, n_notes),
        rater_reputations=_expand(p.rater_reputations, data.raters, n_raters),
        crh=crh,
        rounds=tuple(stats),
        n_ratings=int(y.shape[0]),
    )
