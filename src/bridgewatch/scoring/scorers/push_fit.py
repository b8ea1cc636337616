"""The push guard of the final note fits (``bridgewatch.scoring.manipulation.push_guard``;
not in the reference).

On a note the run-wide group passes caught being pushed, a scorer's verdict in the push's
direction must also stand in the same note fit without the pushed verdict's ratings inside
the push window (the pool's leftover accounts rated in the caught accounts' campaign). The
Gaussian scorers (``gaussian_fit``) and the MF scorers (``guarded_note_fitter``, wired by
``scorers.run`` when ``ScoringConfig.push_guard`` is set) share :func:`guard_pushed_notes`.
An MF note fit with frozen raters is one ridge problem per note, so the fit without the
pushed ratings is redone on the pushed notes' ratings alone; group 14's normalized fit
moves raters in its stage 2 and is redone on every rating but the pushed ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import Ratings
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.final import NoteFit, NoteFitter
from bridgewatch.scoring.manipulation import (
    PushWindows,
    guard_intercepts,
    in_push_window,
    rating_levels,
)
from bridgewatch.scoring.prescoring import PrescoringResult

__all__ = ["guard_pushed_notes", "guarded_note_fitter"]

_Fit = TypeVar("_Fit", bound=NoteFit)


def guard_pushed_notes(
    fit: _Fit,
    push: PushWindows,
    refit: Callable[..., NoteFit],
    ratings: Ratings,
    mask: NDArray[np.bool_] | None,
    *,
    local: bool = True,
) -> _Fit:
    """``fit`` with the push guard: on pushed notes, its intercept in the push's direction
    must also stand in a fit without the pushed verdicts given inside their windows
    (``refit(mask=...)``, the same fit on a subset), never moving past 0
    (:func:`~bridgewatch.scoring.manipulation.guard_intercepts`). Everything but the
    intercept is the fit on every rating; the fit without them leaves its note factor on
    the pushed notes in ``NoteFit.push_factor`` (the guarded tag filters read it).

    Parameters
    ----------
    fit : the note fit on ``ratings`` restricted to ``mask``.
    push : the run's push windows.
    refit : the fit bound to everything but ``mask``.
    ratings : the fit's ratings (before ``mask``).
    mask : bool array of shape (ratings.n_ratings,), the fit's subset, or None (all).
    local : the refit runs on the pushed notes' ratings alone (a note's intercept depends
        on its own ratings only: the Gaussian aggregation, an MF fit with frozen raters);
        False: on every rating of ``mask`` but the pushed ones.
    """
    pushed = in_push_window(
        push, ratings.note_idx, rating_levels(ratings.helpful_num), ratings.created_at_ms
    )
    if mask is not None:
        pushed &= mask
    if not pushed.any():
        return fit
    up, down = push.directions(ratings.n_notes)
    keep = ~pushed
    if local:
        keep &= (up | down)[ratings.note_idx]
    if mask is not None:
        keep &= mask
    alone = refit(mask=keep)
    guarded = guard_intercepts(fit.intercept, alone.intercept, up, down)
    push_factor = np.where(up | down, alone.factor, np.nan)
    return dataclasses.replace(fit, intercept=guarded, push_factor=push_factor)


def _guarded(
    ratings: Ratings,
    pre: PrescoringResult,
    config: ScoringConfig,
    note_ratio: float,
    weights: NDArray[np.float64] | None = None,
    *,
    mask: NDArray[np.bool_] | None = None,
    fitter: NoteFitter,
    push: PushWindows,
    local: bool,
) -> NoteFit:
    fit = fitter(ratings, pre, config, note_ratio, weights, mask=mask)
    if push.n_cells == 0:
        return fit
    refit = partial(fitter, ratings, pre, config, note_ratio, weights)
    return guard_pushed_notes(fit, push, refit, ratings, mask, local=local)


def guarded_note_fitter(fitter: NoteFitter, push: PushWindows, *, local: bool) -> NoteFitter:
    """``fitter`` (an MF final note fit, ``fit_final_notes`` or a partial of it) with the
    push guard on ``push``'s cells (:func:`guard_pushed_notes`; ``local`` as there: True
    unless the fit moves raters, group 14's normalized loss). The rating weights of the
    defences apply to both fits."""
    guarded: NoteFitter = partial(_guarded, fitter=fitter, push=push, local=local)
    return guarded
