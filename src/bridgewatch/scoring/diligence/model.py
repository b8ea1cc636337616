"""The low-diligence model: targets, prescoring fit (§4.8) and final-scoring fit (§5.4)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.model.columns import NOT_HELPFUL_TAGS
from bridgewatch.scoring._indexes import stable_order
from bridgewatch.scoring.diligence.config import DiligenceConfig
from bridgewatch.scoring.diligence.kernels import DiligenceParams
from bridgewatch.scoring.diligence.training import (
    RoundFn,
    RoundStats,
    TrainingData,
    round3_weights,
    train_round,
)

__all__ = [
    "LOW_DILIGENCE_TAGS",
    "DiligenceFinalResult",
    "DiligencePrescoringResult",
    "DiligenceState",
    "fit_low_diligence_final",
    "fit_low_diligence_prescoring",
    "low_diligence_targets",
]

logger = logging.getLogger(__name__)

# The not-helpful tags whose presence makes a rating a low-diligence positive (§2.5, §4.8).
LOW_DILIGENCE_TAGS: tuple[str, ...] = (
    "notHelpfulIncorrect",
    "notHelpfulIrrelevantSources",
    "notHelpfulSourcesMissingOrUnreliable",
)
_TARGET_MASK = np.uint16(sum(1 << NOT_HELPFUL_TAGS.index(t) for t in LOW_DILIGENCE_TAGS))

_ROUND12_TRAINABLE = {
    1: ("note_factors", "rater_factors", "note_intercepts", "rater_intercepts", "global_intercept"),
    2: (
        "note_factors",
        "rater_factors",
        "rater_reputations",
        "rater_intercepts",
        "global_intercept",
    ),
}
_ROUND3_TRAINABLE = ("note_intercepts", "rater_intercepts", "global_intercept")


def low_diligence_targets(not_helpful_tags: NDArray[np.uint16]) -> NDArray[np.float64]:
    """Target y of each rating: 1.0 when any ``LOW_DILIGENCE_TAGS`` bit is set, else 0.0.

    Parameters
    ----------
    not_helpful_tags : uint16 array of shape (n_ratings,)
        Tag bits as in ``bridgewatch.model.Ratings.not_helpful_tags``.

    Returns
    -------
    float64 array of shape (n_ratings,)
    """
    bits = np.asarray(not_helpful_tags, dtype=np.uint16)
    return np.asarray((bits & _TARGET_MASK) != 0, dtype=np.float64)


@dataclass(frozen=True)
class DiligenceState:
    """Low-diligence parameters after prescoring: the initial values of final scoring (§4.11).

    Note arrays have shape (n_notes,), rater arrays (n_raters,), all float64, NaN for notes
    and raters that were not in the prescoring data.

    Parameters
    ----------
    note_intercepts : b_n after round 3 (``lowDiligenceNoteIntercept``).
    note_factors : f_n (``lowDiligenceNoteFactor1``).
    note_intercepts_round2 : b_n after round 2 (``lowDiligenceNoteInterceptRound2``).
    rater_intercepts : b_u after round 3.
    rater_factors : f_u.
    rater_reputations : ρ_u.
    rater_intercepts_round2 : b_u after round 2.
    global_round1, global_round2, global_round3 : μ after each round.
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


@dataclass(frozen=True)
class DiligencePrescoringResult:
    """Output of :func:`fit_low_diligence_prescoring`.

    Parameters
    ----------
    state : DiligenceState
        All fitted parameters (NaN outside the data).
    rounds : tuple of RoundStats
        Adam steps, last loss and early stop of rounds 1, 2 and 3.
    n_ratings, n_notes_fit, n_raters_fit : int
        Size of the training data.
    """

    state: DiligenceState
    rounds: tuple[RoundStats, ...]
    n_ratings: int
    n_notes_fit: int
    n_raters_fit: int


@dataclass(frozen=True)
class DiligenceFinalResult:
    """Output of :func:`fit_low_diligence_final`.

    Parameters
    ----------
    note_intercepts : float64 array of shape (n_notes,)
        b_n after step B: ``lowDiligenceIntercept``; NaN for notes without ratings.
    note_factors : float64 array of shape (n_notes,)
        f_n after step A; NaN for notes without ratings.
    above_threshold : bool array of shape (n_notes,)
        ``note_intercepts > config.low_diligence_threshold`` (rule 10 FilterLowDiligence,
        §6.2); False where the intercept is NaN.
    rounds : tuple of RoundStats
        Steps A and B.
    n_ratings : int
    """

    note_intercepts: NDArray[np.float64]
    note_factors: NDArray[np.float64]
    above_threshold: NDArray[np.bool_]
    rounds: tuple[RoundStats, ...]
    n_ratings: int


def _check_inputs(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    targets: NDArray[np.floating] | NDArray[np.bool_],
    n_notes: int,
    n_raters: int,
) -> NDArray[np.float64]:
    m = note_idx.shape[0]
    if note_idx.ndim != 1 or rater_idx.shape != (m,) or targets.shape != (m,):
        raise InputError(
            "note_idx, rater_idx and targets must be 1-D arrays of one length", field="note_idx"
        )
    if m and (note_idx.min() < 0 or note_idx.max() >= n_notes):
        raise InputError(f"note_idx out of range [0, {n_notes})", field="note_idx")
    if m and (rater_idx.min() < 0 or rater_idx.max() >= n_raters):
        raise InputError(f"rater_idx out of range [0, {n_raters})", field="rater_idx")
    y = np.asarray(targets, dtype=np.float64)
    if not np.all((y == 0.0) | (y == 1.0)):
        raise InputError("targets must be 0 or 1", field="targets")
    return y


def _canonical(
    note_c: NDArray[np.int32], rater_c: NDArray[np.int32], y: NDArray[np.float64]
) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]]:
    """Ratings sorted by (rater, note): sums run in an order independent of the input rows.

    Rater-major because raters usually outnumber notes: the rater parameters and gradients
    (three of each) are then walked sequentially and the smaller note arrays stay in cache.
    Each per-note and per-rater gradient sum runs in the same order as under (note, rater)
    sorting; only the global sums (loss, μ gradient) change order.
    """
    # = np.lexsort((note_c, rater_c)): stable by note, then stable by rater (radix sort).
    by_note = stable_order(note_c)
    order = by_note[stable_order(rater_c[by_note])]
    return note_c[order], rater_c[order], y[order]


def _compact(idx: NDArray[np.integer], n: int) -> tuple[NDArray[np.int64], NDArray[np.int32]]:
    """Present rows in ascending (sorted-id) order and each rating's compact row."""
    present = np.flatnonzero(np.bincount(idx, minlength=n))
    compact = np.full(n, -1, dtype=np.int32)
    compact[present] = np.arange(present.shape[0], dtype=np.int32)
    return present, compact[idx]


def _expand(values: NDArray[np.float64], present: NDArray[np.int64], n: int) -> NDArray[np.float64]:
    out = np.full(n, np.nan)
    out[present] = values
    return out


def _take_or(
    values: NDArray[np.floating] | None,
    present: NDArray[np.int64],
    default: float,
    n: int,
    name: str,
) -> NDArray[np.float64]:
    if values is None:
        return np.full(present.shape[0], default)
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (n,):
        raise InputError(f"expected shape ({n},), got {arr.shape}", field=name)
    out = arr[present].copy()
    out[~np.isfinite(out)] = default
    return out


def fit_low_diligence_prescoring(
    note_idx: NDArray[np.int32],
    rater_idx: NDArray[np.int32],
    targets: NDArray[np.floating] | NDArray[np.bool_],
    *,
    n_notes: int,
    n_raters: int,
    init_rater_factors: NDArray[np.floating] | None,
    config: DiligenceConfig,
    rng: np.random.Generator,
    round_fn: RoundFn = train_round,
) -> DiligencePrescoringResult:
    """Fit the low-diligence reputation MF of prescoring (scoring-core.md §4.8).

    Model: logit ``x = f_n·f_u + b_n·ρ_u + b_u + μ``; weighted BCE-with-logits averaged over
    ratings, mean-mode L2 (λ on f_n, b_n, f_u; 10λ on b_u; 50λ on ρ_u; μ free). Three rounds
    of full-batch Adam (``training.train_round``): (1) all but ρ with weights 100/1,
    (2) all but b_n, same weights, (3) b_n, b_u, μ with the reputation- and
    note-normalised weights of ``round3_weights``.

    Initial values: f_u from ``init_rater_factors`` (0 where NaN or absent), ρ_u = 1, μ = 0, and
    f_n, b_n, b_u drawn N(0, 1) from ``rng`` in that order, each over the present notes
    (raters) in ascending index order. With indexes assigned in sorted-id order (as
    ``bridgewatch.model.IdIndex`` does) this matches the reference's sorted-id indexing, so the
    result does not depend on the order of the rating rows.

    Parameters
    ----------
    note_idx, rater_idx : int32 arrays of shape (n_ratings,)
        The final-round ratings (§4.7): note and rater row of each.
    targets : float or bool array of shape (n_ratings,)
        y in {0, 1}; see :func:`low_diligence_targets`.
    n_notes, n_raters : int
        Sizes of the note and rater indexes (outputs have these lengths).
    init_rater_factors : float array of shape (n_raters,) or None
        Final-round helpfulness rater factors (``internalRaterFactor1``), NaN where missing.
    config : DiligenceConfig
    rng : numpy.random.Generator
        Source of the N(0, 1) initial values.
    round_fn : callable, optional
        One Adam round; ``training.train_round_reference`` (plain numpy) for testing.

    Returns
    -------
    DiligencePrescoringResult
    """
    y = _check_inputs(note_idx, rater_idx, targets, n_notes, n_raters)
    notes, note_c = _compact(note_idx, n_notes)
    raters, rater_c = _compact(rater_idx, n_raters)
    nn_, nu = notes.shape[0], raters.shape[0]
    note_c, rater_c, y = _canonical(note_c, rater_c, y)
    data = TrainingData(note_c, rater_c, y, float(max(nn_, 1)), float(max(nu, 1)))
    f_n = np.asarray(rng.standard_normal(nn_), dtype=np.float64)
    b_n = np.asarray(rng.standard_normal(nn_), dtype=np.float64)
    b_u = np.asarray(rng.standard_normal(nu), dtype=np.float64)
    p = DiligenceParams(
        note_factors=f_n,
        note_intercepts=b_n,
        rater_factors=_take_or(init_rater_factors, raters, 0.0, n_raters, "init_rater_factors"),
        rater_intercepts=b_u,
        rater_reputations=np.ones(nu),
        global_intercept=np.zeros(1),
    )
    w12 = np.where(y == 1.0, config.pos_weight, 1.0)
    stats = []
    globals_: list[float] = []
    if y.shape[0] == 0:
        stats = [RoundStats(0, float("nan"), True)] * 3
        globals_ = [0.0, 0.0, 0.0]
        b_n2, b_u2 = p.note_intercepts.copy(), p.rater_intercepts.copy()
    else:
        for rnd in (1, 2):
            stats.append(round_fn(data, p, w12, _ROUND12_TRAINABLE[rnd], config))
            globals_.append(float(p.global_intercept[0]))
        b_n2, b_u2 = p.note_intercepts.copy(), p.rater_intercepts.copy()
        w3 = round3_weights(data, p.rater_reputations, nn_, config)
        stats.append(round_fn(data, p, w3, _ROUND3_TRAINABLE, config))
        globals_.append(float(p.global_intercept[0]))
    logger.info("low-diligence prescoring rounds: %s", stats)
    state = DiligenceState(
        note_intercepts=_expand(p.note_intercepts, notes, n_notes),
        note_factors=_expand(p.note_factors, notes, n_notes),
        note_intercepts_round2=_expand(b_n2, notes, n_notes),
        rater_intercepts=_expand(p.rater_intercepts, raters, n_raters),
        rater_factors=_expand(p.rater_factors, raters, n_raters),
        rater_reputations=_expand(p.rater_reputations, raters, n_raters),
        rater_intercepts_round2=_expand(b_u2, raters, n_raters),
        global_round1=globals_[0],
        global_round2=globals_[1],
        global_round3=globals_[2],
    )
    return DiligencePrescoringResult(state, tuple(stats), int(y.shape[0]), nn_, nu)


def fit_low_diligence_final(
    note_idx: NDArray[np.int32],
    rater_idx: NDArray[np.int32],
    targets: NDArray[np.floating] | NDArray[np.bool_],
    *,
    n_notes: int,
    n_raters: int,
    state: DiligenceState,
    ratings_per_note: float,
    ratings_per_rater: float,
    config: DiligenceConfig,
    round_fn: RoundFn = train_round,
) -> DiligenceFinalResult:
    """Fit the low-diligence model of final scoring (scoring-core.md §5.4); deterministic.

    Initial values come from the prescoring ``state`` (0 where missing, reputation included):
    f_n, b_n = round-2 note intercept, f_u, b_u = round-2 rater intercept, ρ_u, μ = round-2
    global. Step A trains f_n alone with weights 100/1. Step B sets μ to the round-3 global
    and b_u to the round-3 rater intercept, then trains b_n alone with the round-3 weights
    (reputation from the state, clipped at 0). Regularization is in ratio mode:
    D_note = |R| / ratings_per_note, D_rater = |R| / ratings_per_rater.

    Parameters
    ----------
    note_idx, rater_idx : int32 arrays of shape (n_ratings,)
        This run's final-round ratings (§5.2 steps 1-3).
    targets : float or bool array of shape (n_ratings,)
        y in {0, 1}.
    n_notes, n_raters : int
        Sizes of the note and rater indexes; ``state`` arrays must have these lengths.
    state : DiligenceState
        Prescoring parameters, indexed like ``note_idx`` / ``rater_idx``.
    ratings_per_note, ratings_per_rater : float
        ρ_note and ρ_user: prescoring finalRoundNumRatings / NumNotes and / NumUsers.
    config : DiligenceConfig
    round_fn : callable, optional
        One Adam round (numba by default).

    Returns
    -------
    DiligenceFinalResult
    """
    y = _check_inputs(note_idx, rater_idx, targets, n_notes, n_raters)
    for name, value in (
        ("ratings_per_note", ratings_per_note),
        ("ratings_per_rater", ratings_per_rater),
    ):
        if not (np.isfinite(value) and value > 0.0):
            raise InputError(f"must be a finite number > 0, got {value!r}", field=name)
    notes, note_c = _compact(note_idx, n_notes)
    raters, rater_c = _compact(rater_idx, n_raters)
    m = max(int(y.shape[0]), 1)
    note_c, rater_c, y = _canonical(note_c, rater_c, y)
    data = TrainingData(note_c, rater_c, y, m / ratings_per_note, m / ratings_per_rater)
    p = DiligenceParams(
        note_factors=_take_or(state.note_factors, notes, 0.0, n_notes, "note_factors"),
        note_intercepts=_take_or(
            state.note_intercepts_round2, notes, 0.0, n_notes, "note_intercepts_round2"
        ),
        rater_factors=_take_or(state.rater_factors, raters, 0.0, n_raters, "rater_factors"),
        rater_intercepts=_take_or(
            state.rater_intercepts_round2, raters, 0.0, n_raters, "rater_intercepts_round2"
        ),
        rater_reputations=_take_or(
            state.rater_reputations, raters, 0.0, n_raters, "rater_reputations"
        ),
        global_intercept=np.array([state.global_round2], dtype=np.float64),
    )
    stats: list[RoundStats] = []
    if y.shape[0]:
        w_a = np.where(y == 1.0, config.pos_weight, 1.0)
        stats.append(round_fn(data, p, w_a, ("note_factors",), config))
        p.global_intercept[0] = state.global_round3
        p.rater_intercepts = _take_or(
            state.rater_intercepts, raters, 0.0, n_raters, "rater_intercepts"
        )
        w_b = round3_weights(data, p.rater_reputations, notes.shape[0], config)
        stats.append(round_fn(data, p, w_b, ("note_intercepts",), config))
    intercepts = _expand(p.note_intercepts, notes, n_notes)
    with np.errstate(invalid="ignore"):
        above = intercepts > config.low_diligence_threshold
    return DiligenceFinalResult(
        note_intercepts=intercepts,
        note_factors=_expand(p.note_factors, notes, n_notes),
        above_threshold=above,
        rounds=tuple(stats),
        n_ratings=int(y.shape[0]),
    )
