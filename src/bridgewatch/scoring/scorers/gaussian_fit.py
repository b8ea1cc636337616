"""The note fit of the Gaussian scorers (scoring-multimodel.md §6), as a ``NoteFitter``."""

from __future__ import annotations

from functools import partial

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import Ratings
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.final import NoteFit, NoteFitter
from bridgewatch.scoring.gaussian import GaussianConfig, fit_gaussian_notes
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.manipulation import PushWindows
from bridgewatch.scoring.prescoring import PrescoringResult
from bridgewatch.scoring.scorers.push_fit import guard_pushed_notes
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
