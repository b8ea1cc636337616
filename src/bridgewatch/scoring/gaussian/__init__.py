"""Gaussian scorers' note fit: kernel aggregation of ratings along the rater-factor axis.

Implements scoring-multimodel.md §6 (GaussianScorer, GaussianCoreWithTopics, the group-15
and topic-5 variants): typed configs, the pure two-pass aggregation kernel and the note fit
that plugs into the final stage like an MF note fit.
"""

from __future__ import annotations

from bridgewatch.scoring.gaussian.aggregate import (
    GaussianAggregate,
    aggregate_gaussian,
    gaussian_pass,
    kernel_table,
)
from bridgewatch.scoring.gaussian.config import (
    CRH_PASS,
    CRH_POINTS,
    CRNH_PASS,
    CRNH_POINTS,
    GaussianConfig,
    GaussianPassConfig,
)
from bridgewatch.scoring.gaussian.fit import (
    POPULATION_SAMPLED_NOTE_RATIO,
    GaussianFinalFits,
    GaussianNoteFit,
    author_rows,
    fit_gaussian_final,
    fit_gaussian_notes,
    select_gaussian_ratings,
)

__all__ = [
    "CRH_PASS",
    "CRH_POINTS",
    "CRNH_PASS",
    "CRNH_POINTS",
    "POPULATION_SAMPLED_NOTE_RATIO",
    "GaussianAggregate",
    "GaussianConfig",
    "GaussianFinalFits",
    "GaussianNoteFit",
    "GaussianPassConfig",
    "aggregate_gaussian",
    "author_rows",
    "fit_gaussian_final",
    "fit_gaussian_notes",
    "gaussian_pass",
    "kernel_table",
    "select_gaussian_ratings",
]
