"""The Gaussian note fit of scoring-multimodel.md §6.2-6.4, shaped like the MF note fit.

:func:`fit_gaussian_notes` selects a fit's finalRoundRatings (§6.2), aggregates them with the
two Gaussian passes (§6.3; author self-ratings join the CRH pass) and takes the note factor
from the MF note fit with the borrowed rater parameters frozen (§6.4). It returns a
:class:`~bridgewatch.scoring.final.NoteFit`, so the final stage runs the four fits (no high
volume, no correlated, population sampled with ρ = 10, main) exactly as for MF scorers;
:func:`fit_gaussian_final` is that sequence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.model import Ratings
from bridgewatch.scoring.final import NoteFit
from bridgewatch.scoring.gaussian.aggregate import GaussianAggregate, aggregate_gaussian
from bridgewatch.scoring.gaussian.config import GaussianConfig
from bridgewatch.scoring.mf import fit_note_params
from bridgewatch.scoring.mf.config import MFConfig
from bridgewatch.scoring.mf.note_fit import COMPACT_RATIO, fit_frozen_notes
from bridgewatch.scoring.prescoring import PrescoringResult

__all__ = [
    "POPULATION_SAMPLED_NOTE_RATIO",
    "GaussianFinalFits",
    "GaussianNoteFit",
    "author_rows",
    "fit_gaussian_final",
    "fit_gaussian_notes",
    "select_gaussian_ratings",
]

FloatArray = NDArray[np.float64]

POPULATION_SAMPLED_NOTE_RATIO = 10.0
"""ρ_note of the population-sampled fit's factor MF (§6.2 step 4)."""


@dataclass(frozen=True)
class GaussianNoteFit(NoteFit):
    """A :class:`NoteFit` whose ``intercept`` is the Gaussian intercept (§6.3) and whose
    ``factor`` is the MF note factor with f̂ as fallback (§6.4).

    Attributes
    ----------
    aggregate : both passes' per-note scores (author rows included in the CRH pass).
    mf_factor : float64 (n_notes,), the §6.4 MF note factor before the fallback.
    n_author_rows : int, synthetic author HELPFUL rows added to the CRH pass.
    """

    aggregate: GaussianAggregate
    mf_factor: FloatArray
    n_author_rows: int


@dataclass(frozen=True)
class GaussianFinalFits:
    """The four fits of one Gaussian scorer's final scoring (§6.2 step 4); intercepts are
    float64 (n_notes,), NaN where a fit has no ratings on the note."""

    main: GaussianNoteFit
    intercept_no_high_vol: FloatArray
    intercept_no_correlated: FloatArray
    intercept_population_sampled: FloatArray


def _rater_ok(pre: PrescoringResult, config: GaussianConfig) -> NDArray[np.bool_]:
    """Raters with a finite borrowed intercept and factor, gated unless the gate is off."""
    ok: NDArray[np.bool_] = np.isfinite(pre.final_round.rater_intercepts) & np.all(
        np.isfinite(pre.final_round.rater_factors), axis=1
    )
    if config.use_helpfulness_gate:
        ok &= pre.helpfulness.above_helpfulness_threshold
    return ok


def select_gaussian_ratings(
    ratings: Ratings,
    pre: PrescoringResult,
    config: GaussianConfig,
    *,
    mask: NDArray[np.bool_] | None = None,
) -> Ratings:
    """A fit's finalRoundRatings (§6.2 steps 1-3).

    Notes with at least ``config.min_ratings_per_note`` ratings among ``ratings`` (restricted
    to ``mask``, bool (n_ratings,), when given; the reference's second pass of the 5-rating
    filter removes nothing because its rater minimum is 0), then raters with finite borrowed
    intercept and factor and, unless the gate is off, above the helpfulness threshold.
    """
    note_idx = ratings.note_idx
    counts = np.bincount(note_idx if mask is None else note_idx[mask], minlength=ratings.n_notes)
    keep = (counts >= config.min_ratings_per_note)[note_idx]
    del counts
    keep &= _rater_ok(pre, config)[ratings.rater_idx]
    if mask is not None:
        keep &= mask
    return ratings.subset(keep)


def author_rows(
    fit_ratings: Ratings, author_idx: NDArray[np.integer], rater_factors: FloatArray
) -> NDArray[np.int32]:
    """Author self-rating rows of the CRH pass (§6.3 "Extra rows").

    Parameters
    ----------
    fit_ratings : the fit's finalRoundRatings.
    author_idx : int array of shape (n_notes,), the note author's participant row (-1 none).
    rater_factors : float64 array of shape (n_participants,), the borrowed prescoring
        factors (NaN where none).

    Returns
    -------
    int32 array of shape (n_notes,): the author's row for notes with fit ratings whose author
    has a finite factor and no rating on the note in ``fit_ratings``; -1 elsewhere.
    """
    n_notes = fit_ratings.n_notes
    if author_idx.shape != (n_notes,):
        raise InputError(f"must have shape ({n_notes},)", field="author_idx")
    has_rows = np.bincount(fit_ratings.note_idx, minlength=n_notes) > 0
    extra = np.where(has_rows & (author_idx >= 0), author_idx, -1).astype(np.int32)
    known = extra >= 0
    known[known] = np.isfinite(rater_factors[extra[known]])
    extra[~known] = -1
    rated = fit_ratings.rater_idx == extra[fit_ratings.note_idx]
    extra[fit_ratings.note_idx[rated]] = -1
    return extra


def fit_gaussian_notes(
    ratings: Ratings,
    pre: PrescoringResult,
    author_idx: NDArray[np.integer],
    mf_config: MFConfig,
    config: GaussianConfig,
    note_ratio: float,
    *,
    mask: NDArray[np.bool_] | None = None,
) -> GaussianNoteFit:
    """One Gaussian note fit (§6.2-6.4).

    Parameters
    ----------
    ratings : the scorer's scoped ratings (its scope and topic filter already applied).
    pre : the borrowed prescoring (rater params, gate, μ); Core's for GaussianScorer and
        GaussianCoreWithTopics.
    author_idx : int array of shape (ratings.n_notes,), note authors (-1 unknown).
    mf_config : MFConfig of the note-factor fit (default λ in the reference).
    config : GaussianConfig.
    note_ratio : ρ_note of the note-factor fit (prescoring's, or 10 for population sampled).
    mask : optional bool array of shape (ratings.n_ratings,), this fit's subset.

    Returns
    -------
    GaussianNoteFit
        ``intercept`` NaN for notes without fit ratings; ``rater_factor`` the borrowed factor
        of raters in the fit (NaN otherwise), as for MF fits.
    """
    n_notes = ratings.n_notes
    fit = select_gaussian_ratings(ratings, pre, config, mask=mask)
    factors = pre.final_round.rater_factors[:, 0]
    extra = author_rows(fit, author_idx, factors)
    rater_factor = np.full(ratings.n_participants, np.nan)
    if fit.n_ratings == 0:
        nan = np.full(n_notes, np.nan)
        agg = aggregate_gaussian(
            fit.note_idx, fit.rater_idx, fit.helpful_num, factors, n_notes=n_notes, config=config
        )
        return GaussianNoteFit(fit, nan, nan.copy(), rater_factor, agg, nan.copy(), 0)
    agg = aggregate_gaussian(
        fit.note_idx,
        fit.rater_idx,
        fit.helpful_num,
        factors,
        n_notes=n_notes,
        config=config,
        extra_rater_idx=extra,
    )
    mu = pre.final_round.global_intercept if config.use_global_intercept else 0.0
    args = (fit.note_idx, fit.rater_idx, fit.helpful_num)
    common: dict[str, Any] = {
        "n_notes": n_notes,
        "rater_intercepts": pre.final_round.rater_intercepts,
        "rater_factors": pre.final_round.rater_factors,
        "global_intercept": mu,
        "config": mf_config,
        "note_ratio": note_ratio,
    }
    few = fit.n_ratings * COMPACT_RATIO < ratings.n_participants
    used: NDArray[np.integer] | NDArray[np.bool_]
    if few and mf_config.adam is None and mf_config.normalized_loss is None:
        # A few notes' fit (a live pass): the note sweep alone, on their raters' rows.
        mf_factor = fit_frozen_notes(*args, **common)[1][:, 0]
        used = np.unique(fit.rater_idx)
    else:
        mf_factor = fit_note_params(*args, **common).params.note_factors[:, 0]
        used = np.bincount(fit.rater_idx, minlength=ratings.n_participants) > 0
    factor = np.where(np.isfinite(mf_factor), mf_factor, agg.factor_estimate)
    rater_factor[used] = factors[used]
    return GaussianNoteFit(
        fit,
        agg.intercept,
        factor,
        rater_factor,
        agg,
        mf_factor,
        int(np.count_nonzero(extra >= 0)),
    )


def fit_gaussian_final(
    scoped: Ratings,
    scoped_correlated: NDArray[np.bool_],
    high_volume: NDArray[np.bool_],
    pre: PrescoringResult,
    author_idx: NDArray[np.integer],
    mf_config: MFConfig,
    config: GaussianConfig,
    *,
    population_note_ratio: float = POPULATION_SAMPLED_NOTE_RATIO,
) -> GaussianFinalFits:
    """The four fits of §6.2 step 4 in the reference's order; only the main fit's ratings
    are kept.

    Parameters
    ----------
    scoped : the scorer's scoped ratings.
    scoped_correlated : bool (scoped.n_ratings,), ratings by correlated raters.
    high_volume : bool (n_participants,), high-volume raters.
    pre, author_idx, mf_config, config : as for :func:`fit_gaussian_notes`.
    population_note_ratio : ρ_note of the population-sampled fit's factor MF.
    """
    rho = pre.note_ratio

    def intercept(mask: NDArray[np.bool_], ratio: float) -> FloatArray:
        return fit_gaussian_notes(
            scoped, pre, author_idx, mf_config, config, ratio, mask=mask
        ).intercept

    no_high_vol = intercept(~high_volume[scoped.rater_idx], rho)
    no_correlated = intercept(~scoped_correlated, rho)
    population = intercept(scoped.population_sampled, population_note_ratio)
    main = fit_gaussian_notes(scoped, pre, author_idx, mf_config, config, rho)
    return GaussianFinalFits(main, no_high_vol, no_correlated, population)
