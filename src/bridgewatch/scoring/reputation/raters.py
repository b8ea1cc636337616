"""Rater trust for the scorer: the rater-(note, early/late, verdict) graph of the scoped
ratings, seeded by the raters whose ratings agree with bridged outcomes (prescoring
helpfulness, §4.5)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import Ratings
from bridgewatch.scoring.reputation.config import TrustConfig
from bridgewatch.scoring.reputation.propagate import TrustResult, propagate_trust

__all__ = ["RaterTrust", "rater_trust", "trust_weights", "verdict_items"]

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
    weight : float64 array of shape (n_participants,), the rating weight of each rater in
        [0, 1]: ``min(1, relative_trust / min_relative_trust)`` (1 for raters without
        ratings, and for everyone when the threshold is 0 or there were no seeds).
    """

    result: TrustResult | None
    seeds: NDArray[np.bool_]
    trusted: NDArray[np.bool_]
    weight: NDArray[np.float64]


def verdict_items(
    ratings: Ratings, note_created_at_ms: NDArray[np.int64], early_window_ms: float
) -> NDArray[np.int64]:
    """Item of each rating: ``6 * note + 3 * early + verdict``.

    Parameters
    ----------
    ratings : Ratings
    note_created_at_ms : int64 array of shape (n_notes,), note creation times in ms.
    early_window_ms : a rating is early (1) when made within this many ms after its note's
        creation; 0 makes no rating early.

    Returns
    -------
    int64 array of shape (n_ratings,); verdict 0 (NOT_HELPFUL), 1 (SOMEWHAT), 2 (HELPFUL)
    from ``helpful_num`` in {0, 0.5, 1}. Items range over [0, 6 * n_notes).
    """
    verdict = np.rint(np.asarray(ratings.helpful_num, dtype=np.float64) * 2.0).astype(np.int64)
    note = ratings.note_idx.astype(np.int64)
    delay = ratings.created_at_ms - note_created_at_ms[note]
    early = (delay <= early_window_ms).astype(np.int64) if early_window_ms > 0 else 0
    out: NDArray[np.int64] = 6 * note + 3 * early + np.clip(verdict, 0, 2)
    return out


def rater_trust(
    ratings: Ratings,
    note_created_at_ms: NDArray[np.int64],
    helpful_raters: NDArray[np.bool_],
    config: TrustConfig,
) -> RaterTrust:
    """Propagate trust from the helpful raters over the ratings' rater-verdict graph.

    Parameters
    ----------
    ratings : the ratings the final fit would use (Core scoped ratings).
    note_created_at_ms : int64 array of shape (n_notes,), note creation times in ms.
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
        return RaterTrust(None, seeds, np.ones(n, dtype=np.bool_), np.ones(n))
    result = propagate_trust(
        ratings.rater_idx,
        verdict_items(ratings, note_created_at_ms, config.early_window_minutes * 60_000.0),
        n_raters=n,
        n_items=6 * ratings.n_notes,
        seed_weight=seeds.astype(np.float64),
        config=config,
    )
    rel = result.relative_trust
    trusted = ~(rel < config.min_relative_trust)  # NaN (no ratings) counts as trusted
    weight = trust_weights(rel, config.min_relative_trust)
    _log.info(
        "trust propagation: %d seeds, %d iterations, %d of %d raters below %.3g",
        int(seeds.sum()),
        result.iterations,
        int(((degree > 0) & ~trusted).sum()),
        int((degree > 0).sum()),
        config.min_relative_trust,
    )
    return RaterTrust(result, seeds, trusted, weight)


def trust_weights(
    relative_trust: NDArray[np.float64], min_relative_trust: float
) -> NDArray[np.float64]:
    """Rating weight per rater: ``min(1, relative_trust / min_relative_trust)``.

    Parameters
    ----------
    relative_trust : float64 array of shape (n_raters,), NaN for raters without ratings.
    min_relative_trust : the full-weight threshold; 0 gives everyone weight 1.

    Returns
    -------
    float64 array of shape (n_raters,) in [0, 1]; 1 where ``relative_trust`` is NaN.
    """
    if min_relative_trust <= 0:
        return np.ones(relative_trust.shape[0])
    ratio = np.nan_to_num(relative_trust / min_relative_trust, nan=1.0)
    out: NDArray[np.float64] = np.clip(ratio, 0.0, 1.0)
    return out
