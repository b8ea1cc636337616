"""Incremental final scoring: re-solve only the notes whose ratings changed (scoring-core.md §5).

Raters, μ, the note ratio and every other prescoring figure stay frozen from the last full
refit, so each note's four final-scoring fits (§5.1, §5.2) are independent closed-form
problems: a note whose fit ratings did not change keeps its cached parameters, and a changed
note is re-solved with the very same solver (``bridgewatch.scoring.final.fit_final_notes``) on its
ratings only. The figures that couple notes are recomputed over all notes, as the batch pass
does: pseudo-rater bounds (their regularization uses |R|/|N| of the whole fit and the
pseudo-raters the extreme rater params of the fit, §5.3), the low-diligence fit (one joint
Adam fit, §5.4; optionally frozen), the per-note aggregates (§5.5, vectorized bincounts) and
the rule table (§6). The result therefore equals ``run_final_scoring`` on the same inputs and
prescoring, which ``tests/pipeline/test_incremental.py`` checks.

Which notes changed is found from per-note fingerprints of each fit's ratings (count and two
hashed sums over rater, value and time), so the caller needs no bookkeeping of its own; a
spurious difference only costs a re-solve.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError, InputError
from bridgewatch.model import Ratings
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.diligence import (
    DiligenceFinalResult,
)
from bridgewatch.scoring.final import (
    FinalScoringResult,
    NoteFit,
    assemble_final_result,
    fit_final_low_diligence,
    fit_final_notes,
)
from bridgewatch.scoring.history import RunStatuses, StatusHistory, update_status_history
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.meta import MetaResult
from bridgewatch.scoring.mf import MFParams, PseudoRaterBounds, pseudo_rater_bounds
from bridgewatch.scoring.prescoring import PrescoringResult
from bridgewatch.scoring.run import run_meta_scoring
from bridgewatch.scoring.status import (
    count_tags,
)

__all__ = [
    "IncrementalConfig",
    "IncrementalResult",
    "NoteFitCache",
    "StatusUpdate",
    "align_prescoring",
    "cache_from_final",
    "rating_fingerprints",
    "rescore_final",
    "update_statuses",
]

_log = logging.getLogger(__name__)

_FITS: tuple[str, ...] = ("no_high_vol", "no_correlated", "population", "main")


@dataclass(frozen=True)
class IncrementalConfig:
    """How the incremental pass treats the jointly fitted figures.

    Attributes
    ----------
    diligence : ``"full"`` refits the low-diligence model over all final-round ratings on
        every pass (exactly the batch result, §5.4); ``"frozen"`` keeps each note's
        low-diligence intercept from the cache (NaN for notes it does not know) until the
        next refit: faster, and only the low-diligence rule (§6) can then lag.
    """

    diligence: str = "full"

    def __post_init__(self) -> None:
        if self.diligence not in ("full", "frozen"):
            raise ConfigError("diligence", self.diligence, "'full' or 'frozen'")


@dataclass(frozen=True)
class NoteFitCache:
    """Per-note results of the last pass, keyed by note id; arrays of shape (n_notes,).

    Attributes
    ----------
    note_ids : str array, the notes of the pass (sorted, as ``CoreInputs.note_ids``).
    intercepts, factors : dict fit name -> float64 array (NaN where not fitted); fit names
        are ``no_high_vol``, ``no_correlated``, ``population`` and ``main``.
    fingerprints : dict fit name -> float64 array of shape (n_notes, 3): rating count and
        two hashed sums of the note's ratings in that fit.
    low_diligence : float64, the low-diligence intercept of the last pass.
    """

    note_ids: NDArray[np.str_]
    intercepts: dict[str, NDArray[np.float64]]
    factors: dict[str, NDArray[np.float64]]
    fingerprints: dict[str, NDArray[np.float64]]
    low_diligence: NDArray[np.float64]

    @property
    def n_notes(self) -> int:
        """Number of cached notes."""
        return int(self.note_ids.shape[0])

    def aligned(self, note_ids: NDArray[np.str_]) -> NoteFitCache:
        """The cache re-indexed onto ``note_ids`` (unknown notes: NaN and zero fingerprint)."""
        rows = _rows_of(self.note_ids, note_ids)
        known = rows >= 0
        safe = np.where(known, rows, 0)

        def take(values: NDArray[np.float64], fill: float) -> NDArray[np.float64]:
            out = (
                values[safe].copy()
                if values.shape[0]
                else np.full((rows.shape[0], *values.shape[1:]), fill)
            )
            out[~known] = fill
            return out

        return NoteFitCache(
            note_ids=np.asarray(note_ids, dtype=np.str_),
            intercepts={k: take(v, np.nan) for k, v in self.intercepts.items()},
            factors={k: take(v, np.nan) for k, v in self.factors.items()},
            fingerprints={k: take(v, 0.0) for k, v in self.fingerprints.items()},
            low_diligence=take(self.low_diligence, np.nan),
        )

    @classmethod
    def empty(cls) -> NoteFitCache:
        """A cache that knows no note: the first pass solves every note."""
        none = np.zeros(0)
        return cls(
            note_ids=np.zeros(0, dtype=np.str_),
            intercepts=dict.fromkeys(_FITS, none),
            factors=dict.fromkeys(_FITS, none),
            fingerprints={k: np.zeros((0, 3)) for k in _FITS},
            low_diligence=none,
        )


@dataclass(frozen=True)
class IncrementalResult:
    """One incremental pass.

    Attributes
    ----------
    final : equal to ``run_final_scoring(inputs, pre, config)`` (with ``diligence="full"``).
    cache : the cache for the next pass.
    resolved : bool array of shape (n_notes,), notes whose fits were re-solved in this pass.
    """

    final: FinalScoringResult
    cache: NoteFitCache
    resolved: NDArray[np.bool_]


def _rows_of(old_ids: NDArray[np.str_], new_ids: NDArray[np.str_]) -> NDArray[np.int64]:
    """Row of each of ``new_ids`` in the sorted ``old_ids``, -1 where absent."""
    if old_ids.shape[0] == 0:
        return np.full(new_ids.shape[0], -1, dtype=np.int64)
    pos = np.searchsorted(old_ids, new_ids)
    pos = np.minimum(pos, old_ids.shape[0] - 1)
    out: NDArray[np.int64] = np.where(old_ids[pos] == new_ids, pos, -1).astype(np.int64)
    return out


def _mix(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """splitmix64 finalizer, vectorized (wrapping uint64 arithmetic)."""
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint64(30))
        x = x * np.uint64(0xBF58476D1CE4E5B9)
        x = x ^ (x >> np.uint64(27))
        x = x * np.uint64(0x94D049BB133111EB)
        out: NDArray[np.uint64] = x ^ (x >> np.uint64(31))
    return out


def rating_fingerprints(ratings: Ratings, n_notes: int) -> NDArray[np.float64]:
    """Per-note fingerprint of a set of ratings: count and two hashed sums.

    Parameters
    ----------
    ratings : Ratings
    n_notes : int

    Returns
    -------
    float64 array of shape (n_notes, 3). Equal multisets of (rater, value, time, population
    flag, tags) give equal rows up to float rounding of the sums.
    """
    with np.errstate(over="ignore"):
        key = (
            ratings.rater_idx.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
            + (ratings.helpful_num.astype(np.float64) * 2.0).astype(np.uint64)
            + ratings.created_at_ms.astype(np.uint64) * np.uint64(0xD1B54A32D192ED03)
            + ratings.not_helpful_tags.astype(np.uint64) * np.uint64(0x8CB92BA72F3D8DD7)
            + ratings.population_sampled.astype(np.uint64) * np.uint64(0xABC98388FB8FAC03)
        )
    h1 = _mix(key)
    h2 = _mix(h1 ^ np.uint64(0x5851F42D4C957F2D))
    scale = 2.0**-64
    out = np.empty((n_notes, 3))
    out[:, 0] = np.bincount(ratings.note_idx, minlength=n_notes)
    out[:, 1] = np.bincount(ratings.note_idx, h1.astype(np.float64) * scale, minlength=n_notes)
    out[:, 2] = np.bincount(ratings.note_idx, h2.astype(np.float64) * scale, minlength=n_notes)
    return out


def _take_rows(values: NDArray[Any], rows: NDArray[np.int64], fill: float) -> NDArray[Any]:
    """``values`` re-indexed by ``rows`` (-1: ``fill``); Any: any dtype is carried."""
    known = rows >= 0
    if values.shape[0]:
        out = values[np.where(known, rows, 0)].copy()
    else:
        out = np.empty((rows.shape[0], *values.shape[1:]), dtype=values.dtype)
    out[~known] = fill
    return out


def _align_params(params: MFParams, rows: NDArray[np.int64]) -> MFParams:
    return replace(
        params,
        note_intercepts=_take_rows(params.note_intercepts, rows, np.nan),
        note_factors=_take_rows(params.note_factors, rows, np.nan),
    )


def align_prescoring(
    pre: PrescoringResult, old_note_ids: NDArray[np.str_], new_note_ids: NDArray[np.str_]
) -> PrescoringResult:
    """Prescoring re-indexed onto a new note index (notes created since the refit).

    Rater figures are unchanged; per-note figures move with their note, and notes the refit
    did not know get what prescoring gives a note without ratings (NaN params, 0 ratings,
    no provisional status).

    Parameters
    ----------
    pre : the refit's prescoring, note arrays over ``old_note_ids``.
    old_note_ids, new_note_ids : sorted str arrays.

    Returns
    -------
    PrescoringResult with note arrays of shape (len(new_note_ids),).
    """
    if old_note_ids.shape == new_note_ids.shape and np.array_equal(old_note_ids, new_note_ids):
        return pre
    rows = _rows_of(old_note_ids, new_note_ids)
    dil = pre.diligence
    return replace(
        pre,
        round1=_align_params(pre.round1, rows),
        final_round=_align_params(pre.final_round, rows),
        num_ratings=_take_rows(pre.num_ratings, rows, 0),
        provisional_status=_take_rows(pre.provisional_status, rows, -1),
        diligence=replace(
            dil,
            note_intercepts=_take_rows(dil.note_intercepts, rows, np.nan),
            note_factors=_take_rows(dil.note_factors, rows, np.nan),
            note_intercepts_round2=_take_rows(dil.note_intercepts_round2, rows, np.nan),
        ),
    )


def _fit_subset(
    name: str,
    ratings: Ratings,
    cache: NoteFitCache,
    pre: PrescoringResult,
    config: ScoringConfig,
    note_ratio: float,
    n_notes: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """One fit: re-solve the notes whose ratings changed, keep the cached rest."""
    prints = rating_fingerprints(ratings, n_notes)
    changed = np.any(prints != cache.fingerprints[name], axis=1)
    intercept = cache.intercepts[name].copy()
    factor = cache.factors[name].copy()
    if changed.any():
        fit = fit_final_notes(ratings.subset(changed[ratings.note_idx]), pre, config, note_ratio)
        intercept[changed] = fit.intercept[changed]
        factor[changed] = fit.factor[changed]
    return intercept, factor, prints, changed


def _main_fit(
    scoped: Ratings,
    pre: PrescoringResult,
    config: ScoringConfig,
    intercept: NDArray[np.float64],
    factor: NDArray[np.float64],
) -> NoteFit:
    """The main fit's ratings and rater factors, as ``fit_final_notes`` selects them (§5.2)."""
    counts = np.bincount(scoped.note_idx, minlength=scoped.n_notes)
    gated = (
        np.isfinite(pre.final_round.rater_intercepts) & pre.helpfulness.above_helpfulness_threshold
    )
    keep = (counts[scoped.note_idx] >= config.final_min_ratings_per_note) & gated[scoped.rater_idx]
    fit_ratings = scoped.subset(keep)
    rater_factor = np.full(scoped.n_participants, np.nan)
    used = np.unique(fit_ratings.rater_idx)
    rater_factor[used] = pre.final_round.rater_factors[used, 0]
    return NoteFit(fit_ratings, intercept, factor, rater_factor)


def _bounds(
    fr: Ratings, n_notes: int, pre: PrescoringResult, config: ScoringConfig
) -> PseudoRaterBounds:
    return pseudo_rater_bounds(
        fr.note_idx,
        fr.rater_idx,
        fr.helpful_num,
        n_notes=n_notes,
        rater_intercepts=pre.final_round.rater_intercepts,
        rater_factors=pre.final_round.rater_factors,
        global_intercept=pre.final_round.global_intercept,
        config=config.mf,
    )


def _fit_subsets(
    inputs: CoreInputs, pre: PrescoringResult, config: ScoringConfig
) -> dict[str, tuple[Ratings, float]]:
    """The ratings and note ratio of the four final-scoring fits (§5.1), as the batch pass."""
    scoped = inputs.scoped
    return {
        "no_high_vol": (scoped.subset(~inputs.high_volume[scoped.rater_idx]), pre.note_ratio),
        "no_correlated": (scoped.subset(~inputs.scoped_correlated), pre.note_ratio),
        "population": (
            scoped.subset(scoped.population_sampled),
            config.population_sampled_note_ratio,
        ),
        "main": (scoped, pre.note_ratio),
    }


def cache_from_final(
    inputs: CoreInputs, pre: PrescoringResult, config: ScoringConfig, final: FinalScoringResult
) -> NoteFitCache:
    """The cache of a batch final-scoring pass (after a full refit), for the next pass.

    Parameters
    ----------
    inputs, pre, config : the pass's inputs, prescoring and config.
    final : ``run_final_scoring(inputs, pre, config)``.

    Returns
    -------
    NoteFitCache over ``inputs.note_ids``.
    """
    n_notes = inputs.n_notes
    prints = {
        name: rating_fingerprints(ratings, n_notes)
        for name, (ratings, _) in _fit_subsets(inputs, pre, config).items()
    }
    return NoteFitCache(
        note_ids=np.asarray(inputs.note_ids.ids, dtype=np.str_),
        intercepts={
            "no_high_vol": final.intercept_no_high_vol,
            "no_correlated": final.intercept_no_correlated,
            "population": final.intercept_population_sampled,
            "main": final.main.intercept,
        },
        factors={
            "no_high_vol": np.full(n_notes, np.nan),
            "no_correlated": np.full(n_notes, np.nan),
            "population": np.full(n_notes, np.nan),
            "main": final.main.factor,
        },
        fingerprints=prints,
        low_diligence=(
            final.diligence.note_intercepts
            if final.diligence is not None
            else np.full(n_notes, np.nan)
        ),
    )


def rescore_final(
    inputs: CoreInputs,
    pre: PrescoringResult,
    config: ScoringConfig,
    cache: NoteFitCache,
    incremental: IncrementalConfig | None = None,
) -> IncrementalResult:
    """Final scoring and the Core rules (§5, §6), re-solving only changed notes.

    Parameters
    ----------
    inputs : CoreInputs of the current ratings.
    pre : prescoring of the last full refit, aligned on ``inputs.note_ids``
        (see :func:`align_prescoring`).
    config : ScoringConfig, the refit's.
    cache : the previous pass's cache (any note index; it is aligned here), or
        ``NoteFitCache.empty()``.
    incremental : IncrementalConfig, default ``IncrementalConfig()``.

    Returns
    -------
    IncrementalResult whose ``final`` equals ``run_final_scoring(inputs, pre, config)``.
    """
    inc = incremental if incremental is not None else IncrementalConfig()
    n_notes = inputs.n_notes
    if pre.num_ratings.shape[0] != n_notes:
        raise InputError(
            f"prescoring has {pre.num_ratings.shape[0]} notes, inputs {n_notes}: "
            "align it with align_prescoring",
            field="pre",
        )
    note_ids = np.asarray(inputs.note_ids.ids, dtype=np.str_)
    cache = cache.aligned(note_ids)
    scoped = inputs.scoped
    subsets = _fit_subsets(inputs, pre, config)
    intercepts: dict[str, NDArray[np.float64]] = {}
    factors: dict[str, NDArray[np.float64]] = {}
    prints: dict[str, NDArray[np.float64]] = {}
    resolved = np.zeros(n_notes, dtype=np.bool_)
    for name, (ratings, ratio) in subsets.items():
        i, f, p, changed = _fit_subset(name, ratings, cache, pre, config, ratio, n_notes)
        intercepts[name], factors[name], prints[name] = i, f, p
        resolved |= changed
    _log.debug("incremental final scoring: %d notes re-solved", int(resolved.sum()))
    main = _main_fit(scoped, pre, config, intercepts["main"], factors["main"])

    bounds: PseudoRaterBounds | None = None
    diligence: DiligenceFinalResult | None = None
    low_diligence = np.full(n_notes, np.nan)
    if main.ratings.n_ratings:
        fr = main.ratings
        bounds = _bounds(fr, n_notes, pre, config)
        if inc.diligence == "full":
            diligence = fit_final_low_diligence(fr, inputs, pre, config)
            low_diligence = diligence.note_intercepts
        else:
            low_diligence = cache.low_diligence.copy()

    final = assemble_final_result(
        inputs,
        pre,
        config,
        main=main,
        bounds=bounds,
        diligence=diligence,
        low_diligence=low_diligence,
        intercept_no_high_vol=intercepts["no_high_vol"],
        intercept_no_correlated=intercepts["no_correlated"],
        intercept_population_sampled=intercepts["population"],
    )
    raw_low_diligence = (
        diligence.note_intercepts if diligence is not None else cache.low_diligence.copy()
    )
    new_cache = NoteFitCache(
        note_ids=note_ids,
        intercepts=intercepts,
        factors=factors,
        fingerprints=prints,
        low_diligence=raw_low_diligence,
    )
    return IncrementalResult(final=final, cache=new_cache, resolved=resolved)


@dataclass(frozen=True)
class StatusUpdate:
    """Meta scoring and the new status history of one pass (§9, §10).

    Attributes
    ----------
    meta : the meta rules' result.
    history : the new note status history, aligned with ``inputs.note_ids``.
    """

    meta: MetaResult
    history: StatusHistory


def update_statuses(
    inputs: CoreInputs, final: FinalScoringResult, as_of_ms: int, config: ScoringConfig
) -> StatusUpdate:
    """Meta rules and status history after a final-scoring pass, as ``score_core`` runs them.

    The stabilization delay and the status lock apply as configured in ``config.meta`` and
    ``config.history``; ``as_of_ms`` is the pass's "now" (the worker passes the time of the
    newest event it applied, never the wall clock, so a replay gives the same history).
    """
    meta = run_meta_scoring(inputs, final, count_tags(inputs.post_pss), as_of_ms, config)
    history = update_status_history(
        inputs.history,
        RunStatuses(
            final_status=meta.final_status,
            core_status=final.rules.status,
            decided_by=meta.decided_by_labels(),
            stabilization_ts=meta.stabilization_ts,
        ),
        as_of_ms,
        config.history,
    )
    return StatusUpdate(meta=meta, history=history)
