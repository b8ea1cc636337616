"""The note fit of the Gaussian scorers (scoring-multimodel.md §6), as a ``NoteFitter``;
with the run's push windows, every fit is push-guarded (``guard_pushed_notes``) and its
filter figure kept off the CRH pass's coverage floor on notes pushed not helpful
(:func:`guard_coverage_floor`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import Ratings
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.final import NoteFit, NoteFitter
from bridgewatch.scoring.gaussian import GaussianConfig, GaussianNoteFit, fit_gaussian_notes
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.manipulation import PushWindows
from bridgewatch.scoring.prescoring import PrescoringResult
from bridgewatch.scoring.scorers.push_fit import guard_pushed_notes
from bridgewatch.scoring.scorers.spec import ScorerSpec

__all__ = ["gaussian_note_fitter", "guard_coverage_floor", "guard_pushed_notes"]


def _fit(
    ratings: Ratings,
    pre: PrescoringResult,
    config: ScoringConfig,
    note_ratio: float,
    weights: NDArray[np.float64] | None = None,
    *,
    mask: NDArray[np.bool_] | None = None,
    author_idx: NDArray[np.int32],
    gaussian: GaussianConfig,
    push: PushWindows | None = None,
) -> NoteFit:
    # The aggregation has no rating weights: the defences' weights act as a filter here
    # (a rating weighted 0 is left out, any other weight counts fully).
    if weights is not None:
        kept = weights > 0
        mask = kept if mask is None else mask & kept
    fit = fit_gaussian_notes(ratings, pre, author_idx, config.mf, gaussian, note_ratio, mask=mask)
    if push is None or push.n_cells == 0:
        return fit
    guarded = guard_pushed_notes(
        fit,
        push,
        partial(fit_gaussian_notes, ratings, pre, author_idx, config.mf, gaussian, note_ratio),
        ratings,
        mask,
    )
    floorless = replace(gaussian, crh=replace(gaussian.crh, weight_floor=0.0))
    refit = partial(fit_gaussian_notes, ratings, pre, author_idx, config.mf, floorless, note_ratio)
    return guard_coverage_floor(guarded, push, refit, ratings, mask)


def guard_coverage_floor(
    fit: GaussianNoteFit,
    push: PushWindows,
    refit: Callable[..., GaussianNoteFit],
    ratings: Ratings,
    mask: NDArray[np.bool_] | None,
) -> GaussianNoteFit:
    """``fit`` whose filter figure (``NoteFit.filter_intercept``) on notes pushed not
    helpful does not depend on the CRH pass's coverage floor (not in the reference).

    The CRH pass is *insufficient*, and scores 0, when its kernel mass at any evaluation
    point is under ``GaussianPassConfig.weight_floor`` (§6.3 step 3): in practice, when no
    rater of the fit sits within about 0.6 of the outer points ±0.92. It is a cut on the
    raters' borrowed factors, and those move under an attack even when the defences take
    every attack rating out: the prescoring they come from was fitted with the attack's
    accounts in it (aged-pool 10% seed 1, whole roster: honest raters' factors moved by
    0.006 median, 0.037 at the 99th percentile). On a good note whose no-high-volume
    fit sat just over the cut, that drift alone (its outermost positive rater from +0.311
    to +0.290) tipped the pass to insufficient, the fit's intercept from +0.526 to -0.255
    (the CRNH score) and NoHighVolIntercept took the note from CRH to NYH, with the same
    ratings, raters and high-volume flags as without the attack.

    So on notes pushed not helpful whose CRH pass is insufficient in this fit, the figure
    the CRH -> NYH filters read is the greater of the intercept and the same fit's with
    no floor on the CRH pass (``refit(mask=...)``, run on those notes' ratings only): the
    filter fires only if it fires both ways. The pass's score itself still falls where the
    raters leave points uncovered (the estimate there is the prior, at most 0.35), so a
    note whose coverage rests on the removed raters is still filtered. ``intercept`` (the
    status) is untouched, and nothing changes without a pushed not-helpful cell.

    Parameters
    ----------
    fit : the (push-guarded) Gaussian fit on ``ratings`` restricted to ``mask``.
    push : the run's push windows.
    refit : the same fit with the CRH pass's weight floor at 0, bound to all but ``mask``.
    ratings : the fit's ratings (before ``mask``).
    mask : bool array of shape (ratings.n_ratings,), the fit's subset, or None (all).
    """
    _, down = push.directions(ratings.n_notes)
    cliff = down & fit.aggregate.crh_insufficient
    if not cliff.any():
        return fit
    keep = cliff[ratings.note_idx]
    if mask is not None:
        keep &= mask
    free = refit(mask=keep).intercept
    figure = fit.filter_figure().copy()
    figure[cliff] = np.fmax(figure[cliff], free[cliff])
    return replace(fit, filter_intercept=figure)


def gaussian_note_fitter(spec: ScorerSpec, borrowed: CoreInputs) -> NoteFitter:
    """The Gaussian note fit of ``spec``; ``borrowed`` is the view of the scorer whose
    prescoring it reads (the note authors are taken from it, shared by every view, and the
    run's push windows, ``CoreInputs.push_windows``: with them every fit is guarded by
    ``guard_pushed_notes``)."""
    assert spec.gaussian is not None  # ScorerSpec checks it for Gaussian scorers
    fitter: NoteFitter = partial(
        _fit,
        author_idx=borrowed.note_info.author_idx,
        gaussian=spec.gaussian,
        push=borrowed.push_windows,
    )
    return fitter
