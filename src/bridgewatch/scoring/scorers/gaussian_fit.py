"""The note fit of the Gaussian scorers (scoring-multimodel.md §6), as a ``NoteFitter``."""

from __future__ import annotations

import dataclasses
from functools import partial

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import Ratings
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.final import NoteFit, NoteFitter
from bridgewatch.scoring.gaussian import GaussianConfig, GaussianNoteFit, fit_gaussian_notes
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.manipulation import (
    PushWindows,
    guard_intercepts,
    in_push_window,
    rating_levels,
)
from bridgewatch.scoring.prescoring import PrescoringResult
from bridgewatch.scoring.scorers.spec import ScorerSpec

__all__ = ["gaussian_note_fitter", "guard_pushed_notes"]


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
    return guard_pushed_notes(
        fit,
        push,
        partial(fit_gaussian_notes, ratings, pre, author_idx, config.mf, gaussian, note_ratio),
        ratings,
        mask,
    )


def guard_pushed_notes(
    fit: GaussianNoteFit,
    push: PushWindows,
    refit: partial[GaussianNoteFit],
    ratings: Ratings,
    mask: NDArray[np.bool_] | None,
) -> GaussianNoteFit:
    """``fit`` with the push guard (``bridgewatch.scoring.manipulation.push_guard``): on
    pushed notes, its intercept in the push's direction must also stand in a fit without
    the pushed verdicts given inside their windows (``refit(mask=...)``, the same fit on a
    subset, run on the pushed notes' ratings alone: a Gaussian intercept depends on its
    note's ratings only). Everything but the intercept is the fit on every rating.

    Parameters
    ----------
    fit : the Gaussian note fit on ``ratings`` restricted to ``mask``.
    push : the run's push windows.
    refit : ``fit_gaussian_notes`` bound to everything but ``mask``.
    ratings : the fit's ratings (before ``mask``).
    mask : bool array of shape (ratings.n_ratings,), the fit's subset, or None (all).
    """
    pushed = in_push_window(
        push, ratings.note_idx, rating_levels(ratings.helpful_num), ratings.created_at_ms
    )
    if mask is not None:
        pushed &= mask
    if not pushed.any():
        return fit
    up, down = push.directions(ratings.n_notes)
    on_pushed = (up | down)[ratings.note_idx] & ~pushed
    if mask is not None:
        on_pushed &= mask
    without = refit(mask=on_pushed).intercept
    guarded = guard_intercepts(fit.intercept, without, up, down)
    return dataclasses.replace(fit, intercept=guarded)


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
