"""Rater trust for the scorer: the rater-(note, verdict) graph of the scoped ratings, seeded
by the raters whose ratings agree with bridged outcomes (prescoring helpfulness, §4.5)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import Ratings
from bridgewatch.scoring.reputation.config import TrustConfig
from bridgewatch.scoring.reputation.propagate import TrustResult, propagate_trust

__all__ = ["RaterTrust", "rater_trust", "verdict_items"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RaterTrust:
    """Trust of every participant and the ratings the scorer keeps.

    Attributes
    ----------
    result : the propagation result, or None when there were no seeds (nothing filtered).
    seeds : bool array of shape (n_participants,), the restart set.
    trusted : bool array of shape (n_participants,), relative trust >= the threshold (raters
        without ratings count as trusted: they have nothing to filter).
    """

    result: TrustResult | None
    seeds: NDArray[np.bool_]
    trusted: NDArray[np.bool_]


def verdict_items(ratings: Ratings) -> NDArray[np.int64]:
    """Item of each rating: ``3 * note + verdict`` with verdict 0 (NOT_HELPFUL), 1 (SOMEWHAT),
    2 (HELPFUL), from ``helpful_num`` in {0, 0.5, 1}; int64 array of shape (n_ratings,)."""
    verdict = np.rint(np.asarray(ratings.helpful_num, dtype=np.float64) * 2.0).astype(np.int64)
    out: NDArray[np.int64] = 3 * ratings.note_idx.astype(np.int64) + np.clip(verdict, 0, 2)
    return out


def rater_trust(
    ratings: Ratings, helpful_raters: NDArray[np.bool_], config: TrustConfig
) -> RaterTrust:
    """Propagate trust from the helpful raters over the ratings' rater-verdict graph.

    Parameters
    ----------
    ratings : the ratings the final fit would use (Core scoped ratings).
    helpful_raters : bool array of shape (n_participants,), raters above the helpfulness
        threshold of prescoring (their ratings agree with bridged outcomes, §4.5).
    config : TrustConfig

    Returns
    -------
    RaterTrust
    """
    n = ratings.n_participants
    degree = np.bincount(ratings.rater_idx, minlength=n)
    seeds = helpful_raters & (degree >= max(config.min_seed_ratings, 1))
    if not seeds.any():
        _log.warning("trust propagation: no seed raters; every rater kept")
        return RaterTrust(None, seeds, np.ones(n, dtype=np.bool_))
    result = propagate_trust(
        ratings.rater_idx,
        verdict_items(ratings),
        n_raters=n,
        n_items=3 * ratings.n_notes,
        seed_weight=seeds.astype(np.float64),
        config=config,
    )
    rel = result.relative_trust
    trusted = ~(rel < config.min_relative_trust)  # NaN (no ratings) counts as trusted
    _log.info(
        "trust propagation: %d seeds, %d iterations, %d of %d raters below %.3g",
        int(seeds.sum()),
        result.iterations,
        int(((degree > 0) & ~trusted).sum()),
        int((degree > 0).sum()),
        config.min_relative_trust,
    )
    return RaterTrust(result, seeds, trusted)
