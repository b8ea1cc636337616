"""Incremental final scoring of one scorer: re-solve only the notes whose ratings changed
(scoring-core.md §5; scoring-multimodel.md §6 for the Gaussian aggregation).

The scorer's rater parameters, μ, the note ratio and every other prescoring figure stay
frozen from the last full refit, so each note's four final-scoring fits (§5.1, §5.2) are
independent problems: a note whose fit ratings did not change keeps its cached parameters,
and a changed note is re-solved with the very same note fit as the batch
(``fit_final_notes``, or the Gaussian aggregation's ``NoteFitter``) on its ratings only.
The figures that couple notes are recomputed over all notes, as the batch pass does:
pseudo-rater bounds (§5.3), the low-diligence fit (one joint fit, §5.4; optionally frozen),
the per-note aggregates (§5.5) and the rule table (§6). The result therefore equals
``run_final_scoring`` on the same inputs, prescoring and weights, which
``tests/scoring/incremental/`` checks.

A scorer whose note fit moves raters (group 14's normalized two-stage fit, multimodel §4.2)
cannot be re-solved one note at a time: :class:`FitKind` ``HELD`` keeps its note parameters
and rater factors from the refit until the next one (its aggregates and rules still follow
the current ratings); notes created since the refit have no parameters in it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError, InputError
from bridgewatch.model import Ratings
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.diligence import DiligenceFinalResult
from bridgewatch.scoring.final import (
    FinalScoringResult,
    NoteFit,
    NoteFitter,
    assemble_final_result,
    fit_final_low_diligence,
    fit_final_notes,
)
from bridgewatch.scoring.gaussian import GaussianConfig, select_gaussian_ratings
from bridgewatch.scoring.incremental.cache import NoteFitCache, rating_fingerprints
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.mf import PseudoRaterBounds, pseudo_rater_bounds
from bridgewatch.scoring.prescoring import PrescoringResult
from bridgewatch.scoring.status import TagScale

__all__ = [
    "FitKind",
    "IncrementalConfig",
    "IncrementalResult",
    "NotePlan",
    "cache_from_final",
    "fit_rater_factor",
    "fit_ratings",
    "rescore_final",
]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncrementalConfig:
    """How the incremental pass treats the jointly fitted figures.

    Attributes
    ----------
    diligence : Core's low-diligence model: ``"full"`` refits it over all final-round
        ratings on every pass (exactly the batch result, §5.4); ``"frozen"`` keeps each
        note's low-diligence intercept from the cache (NaN for notes it does not know) until
        the next refit: faster, and only the low-diligence rule (§6) can then lag.
    roster_diligence : the same choice for every other scorer of the roster (default
        ``"frozen"``: one joint fit per scorer per pass would multiply the pass's cost by
        the roster's size; the refit's values are exact at every refit).
    """

    diligence: str = "full"
    roster_diligence: str = "frozen"

    def __post_init__(self) -> None:
        for name in ("diligence", "roster_diligence"):
            value = getattr(self, name)
            if value not in ("full", "frozen"):
                raise ConfigError(name, value, "'full' or 'frozen'")


class FitKind(Enum):
    """How a scorer's note fits are redone between refits."""

    MF = "mf"
    """Closed-form MF note fit with the scorer's rater parameters frozen (per note)."""
    GAUSSIAN = "gaussian"
    """The Gaussian aggregation on the borrowed prescoring (per note)."""
    HELD = "held"
    """Kept from the refit (the fit moves raters: group 14)."""


@dataclass(frozen=True)
class NotePlan:
    """One scorer's note fit between refits.

    Attributes
    ----------
    kind : FitKind.
    fitter : the note fit (``fit_final_notes`` or a Gaussian ``NoteFitter``); None for HELD.
    gaussian : the Gaussian config (GAUSSIAN only; its fit-rating selection).
    diligence : "full" or "frozen" (see :class:`IncrementalConfig`).
    """

    kind: FitKind
    fitter: NoteFitter | None = None
    gaussian: GaussianConfig | None = None
    diligence: str = "full"


@dataclass(frozen=True)
class IncrementalResult:
    """One incremental pass of one scorer.

    Attributes
    ----------
    final : equal to ``run_final_scoring(inputs, pre, config, weights, fitter)`` (with
        ``diligence="full"``; HELD: at refit points).
    cache : the cache for the next pass.
    resolved : bool array of shape (n_notes,), notes whose fits were re-solved in this pass.
    """

    final: FinalScoringResult
    cache: NoteFitCache
    resolved: NDArray[np.bool_]


def _fit_masks(
    inputs: CoreInputs, pre: PrescoringResult, config: ScoringConfig
) -> dict[str, tuple[NDArray[np.bool_] | None, float]]:
    """The scoped-rating mask and note ratio of the four fits (§5.1), as the batch pass."""
    scoped = inputs.scoped
    return {
        "no_high_vol": (~inputs.high_volume[scoped.rater_idx], pre.note_ratio),
        "no_correlated": (~inputs.scoped_correlated, pre.note_ratio),
        "population": (scoped.population_sampled, config.population_sampled_note_ratio),
        "main": (None, pre.note_ratio),
    }


def _subset(
    ratings: Ratings, weights: NDArray[np.float64] | None, mask: NDArray[np.bool_] | None
) -> tuple[Ratings, NDArray[np.float64] | None]:
    if mask is None:
        return ratings, weights
    return ratings.subset(mask), None if weights is None else weights[mask]


def fit_ratings(
    scoped: Ratings,
    weights: NDArray[np.float64] | None,
    pre: PrescoringResult,
    config: ScoringConfig,
    plan: NotePlan,
) -> Ratings:
    """The main fit's ratings (its finalRoundRatings), as the batch note fit selects them:
    per note, from the note's own ratings and the frozen prescoring."""
    if plan.kind is FitKind.GAUSSIAN:
        assert plan.gaussian is not None
        mask = None if weights is None else weights > 0
        return select_gaussian_ratings(scoped, pre, plan.gaussian, mask=mask)
    counts = np.bincount(scoped.note_idx, minlength=scoped.n_notes)
    gated = (
        np.isfinite(pre.final_round.rater_intercepts) & pre.helpfulness.above_helpfulness_threshold
    )
    keep = (counts[scoped.note_idx] >= config.final_min_ratings_per_note) & gated[scoped.rater_idx]
    return scoped.subset(keep)


def fit_rater_factor(
    used: NDArray[np.bool_], pre: PrescoringResult, plan: NotePlan, cache: NoteFitCache
) -> NDArray[np.float64]:
    """The main fit's rater factors: the frozen factor of every rater with a rating in the
    fit (``used``, bool per participant), NaN elsewhere; group 14's held factors."""
    rater_factor = np.full(used.shape[0], np.nan)
    source = pre.final_round.rater_factors[:, 0]
    if plan.kind is FitKind.HELD and cache.rater_factor is not None:
        source = cache.rater_factor
    rater_factor[used] = source[used]
    return rater_factor


def _main_fit(
    scoped: Ratings,
    weights: NDArray[np.float64] | None,
    pre: PrescoringResult,
    config: ScoringConfig,
    plan: NotePlan,
    cache: NoteFitCache,
    intercept: NDArray[np.float64],
    factor: NDArray[np.float64],
) -> NoteFit:
    """The main fit's ratings and rater factors, as the batch note fit selects them."""
    chosen = fit_ratings(scoped, weights, pre, config, plan)
    used = np.bincount(chosen.rater_idx, minlength=scoped.n_participants) > 0
    return NoteFit(chosen, intercept, factor, fit_rater_factor(used, pre, plan, cache))


def cache_from_final(
    inputs: CoreInputs,
    pre: PrescoringResult,
    config: ScoringConfig,
    final: FinalScoringResult,
    rating_weights: NDArray[np.float64] | None = None,
) -> NoteFitCache:
    """The cache of a batch final-scoring pass (after a full refit), for the next pass.

    Parameters
    ----------
    inputs, pre, config : the pass's inputs (the scorer's view after the defences),
        prescoring and config.
    final : ``run_final_scoring(inputs, pre, config, rating_weights, ...)``.
    rating_weights : the defences' weights of ``inputs.scoped`` (None: all 1).

    Returns
    -------
    NoteFitCache over ``inputs.note_ids``.
    """
    n_notes = inputs.n_notes
    prints = {}
    for name, (mask, _) in _fit_masks(inputs, pre, config).items():
        ratings, w = _subset(inputs.scoped, rating_weights, mask)
        prints[name] = rating_fingerprints(ratings, n_notes, w)
    nan = np.full(n_notes, np.nan)
    return NoteFitCache(
        note_ids=np.asarray(inputs.note_ids.ids, dtype=np.str_),
        intercepts={
            "no_high_vol": final.intercept_no_high_vol,
            "no_correlated": final.intercept_no_correlated,
            "population": final.intercept_population_sampled,
            "main": final.main.intercept,
        },
        factors={
            "no_high_vol": nan,
            "no_correlated": nan.copy(),
            "population": nan.copy(),
            "main": final.main.factor,
        },
        fingerprints=prints,
        low_diligence=(
            final.diligence.note_intercepts if final.diligence is not None else nan.copy()
        ),
        rater_factor=(
            final.main.rater_factor.copy() if config.mf.normalized_loss is not None else None
        ),
    )


def rescore_final(
    inputs: CoreInputs,
    pre: PrescoringResult,
    config: ScoringConfig,
    cache: NoteFitCache,
    incremental: IncrementalConfig | None = None,
    *,
    rating_weights: NDArray[np.float64] | None = None,
    plan: NotePlan | None = None,
    tag_scale: TagScale | None = None,
) -> IncrementalResult:
    """Final scoring and the scorer's rules (§5, §6), re-solving only changed notes.

    Parameters
    ----------
    inputs : CoreInputs of the current ratings (the scorer's view, after the defences).
    pre : prescoring of the last full refit, aligned on ``inputs.note_ids``
        (see :func:`~bridgewatch.scoring.incremental.cache.align_prescoring`).
    config : the scorer's ScoringConfig.
    cache : the previous pass's cache (any note index; it is aligned here), or
        ``NoteFitCache.empty()``.
    incremental : IncrementalConfig (default ``IncrementalConfig()``): its ``diligence``
        applies when ``plan`` is None (Core).
    rating_weights : float64 array of shape (inputs.scoped.n_ratings,): the defences'
        weights in the note fits; None: all 1.
    plan : the scorer's note fit; default the MF note fit (Core's).
    tag_scale : the tag aggregates' coupling figures held from the refit (None: computed
        over these ratings, as the batch does).

    Returns
    -------
    IncrementalResult whose ``final`` equals the batch final scoring on the same inputs.
    """
    inc = incremental if incremental is not None else IncrementalConfig()
    if plan is None:
        plan = NotePlan(FitKind.MF, fit_final_notes, diligence=inc.diligence)
    n_notes = inputs.n_notes
    if pre.num_ratings.shape[0] != n_notes:
        raise InputError(
            f"prescoring has {pre.num_ratings.shape[0]} notes, inputs {n_notes}: "
            "align it with align_prescoring",
            field="pre",
        )
    w = rating_weights
    note_ids = np.asarray(inputs.note_ids.ids, dtype=np.str_)
    cache = cache.aligned(note_ids)
    scoped = inputs.scoped
    intercepts: dict[str, NDArray[np.float64]] = {}
    factors: dict[str, NDArray[np.float64]] = {}
    prints: dict[str, NDArray[np.float64]] = {}
    resolved = np.zeros(n_notes, dtype=np.bool_)
    for name, (mask, ratio) in _fit_masks(inputs, pre, config).items():
        ratings, weights = _subset(scoped, w, mask)
        fp = rating_fingerprints(ratings, n_notes, weights)
        intercept = cache.intercepts[name].copy()
        factor = cache.factors[name].copy()
        if plan.kind is not FitKind.HELD:
            changed = np.any(fp != cache.fingerprints[name], axis=1)
            if changed.any():
                assert plan.fitter is not None
                pick = changed[ratings.note_idx]
                sub, sub_w = _subset(ratings, weights, pick)
                fit = plan.fitter(sub, pre, config, ratio, sub_w)
                intercept[changed] = fit.intercept[changed]
                factor[changed] = fit.factor[changed]
            resolved |= changed
        intercepts[name], factors[name], prints[name] = intercept, factor, fp
    main = _main_fit(scoped, w, pre, config, plan, cache, intercepts["main"], factors["main"])

    bounds: PseudoRaterBounds | None = None
    diligence: DiligenceFinalResult | None = None
    low_diligence = np.full(n_notes, np.nan)
    if main.ratings.n_ratings:
        fr = main.ratings
        if config.pseudo_raters:
            bounds = pseudo_rater_bounds(
                fr.note_idx,
                fr.rater_idx,
                fr.helpful_num,
                n_notes=n_notes,
                rater_intercepts=pre.final_round.rater_intercepts,
                rater_factors=pre.final_round.rater_factors,
                global_intercept=pre.final_round.global_intercept,
                config=config.mf,
            )
        if plan.diligence == "full":
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
        tag_scale=tag_scale,
    )
    new_cache = NoteFitCache(
        note_ids=note_ids,
        intercepts=intercepts,
        factors=factors,
        fingerprints=prints,
        low_diligence=(
            diligence.note_intercepts if diligence is not None else cache.low_diligence.copy()
        ),
        rater_factor=cache.rater_factor,
    )
    _log.debug("incremental final scoring: %d notes re-solved", int(resolved.sum()))
    return IncrementalResult(final=final, cache=new_cache, resolved=resolved)
