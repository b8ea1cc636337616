"""Manipulation defences around the Core fits (not in the reference).

Three configurable defences act on the scoped ratings:

* coordinated co-rating (``ScoringConfig.co_rating``, ``bridgewatch.scoring.manipulation
  .co_rating``), timing-free: before prescoring (in ``screen_bursts``), ratings of groups
  of raters who give the same verdicts on the same notes far beyond chance are dropped on
  the notes where the group concentrates, so slow brigades that no burst window catches
  cannot bend prescoring or the final fits.

* coordinated rating bursts (``ScoringConfig.bursts``, ``bridgewatch.scoring.manipulation
  .burst``), in two passes. ``screen_bursts`` runs before prescoring, without viewpoint
  sides (no rater factors exist yet): its flagged ratings are dropped from everything that
  learns from the scoped ratings, prescoring included, so a brigade cannot bend the rater
  factors and intercepts either. ``apply_defences`` runs a second pass after prescoring on
  what is left, with rater sides from the prescoring factors (``BurstConfig.split_sides``),
  and drops or down-weights (``rating_weight``) its flagged ratings in the final fits.
* trust propagation (``ScoringConfig.trust``, ``bridgewatch.scoring.reputation``), after the
  bursts: in "filter" mode the ratings of untrusted raters leave the final fits, in
  "weight" mode every rating is weighted by its rater's trust weight.

With none of these configs set (the reference-faithful default) the inputs pass through untouched
and the final fits are unweighted.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.manipulation import (
    BurstConfig,
    BurstResult,
    CoRatingConfig,
    CoRatingResult,
    PostSelectionConfig,
    QuasiCliqueConfig,
    find_co_rating_groups,
    find_rating_bursts,
    rater_sides,
)
from bridgewatch.scoring.prescoring import PrescoringResult
from bridgewatch.scoring.reputation import RaterTrust, TrustConfig, rater_trust

__all__ = [
    "BurstScreening",
    "Defences",
    "apply_defences",
    "screen_bursts",
    "with_defences",
]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BurstScreening:
    """The pre-prescoring pass: coordinated co-rating, then bursts.

    Attributes
    ----------
    inputs : CoreInputs without the flagged scoped ratings (prescoring's input).
    bursts : the burst detection on the scoped ratings the co-rating pass left (rater
        sides all 0), or None when ``ScoringConfig.bursts`` is None.
    co_rating : the co-rating detection on the original scoped ratings, or None when
        ``ScoringConfig.co_rating`` is None.
    """

    inputs: CoreInputs
    bursts: BurstResult | None
    co_rating: CoRatingResult | None = None


@dataclass(frozen=True)
class Defences:
    """What the defences did after prescoring, and the inputs of the final fits.

    Attributes
    ----------
    inputs : CoreInputs for the final fits (``scoped`` without dropped ratings).
    rating_weights : float64 array of shape (inputs.scoped.n_ratings,), or None when every
        kept rating has weight 1.
    bursts : the side-aware burst pass on the ratings the screening left, or None when off.
    trust : rater trust (over the ratings the bursts left), or None when off.
    """

    inputs: CoreInputs
    rating_weights: NDArray[np.float64] | None
    bursts: BurstResult | None
    trust: RaterTrust | None


def with_defences(base: ScoringConfig | None = None) -> ScoringConfig:
    """``base`` (default ``ScoringConfig()``) with every manipulation defence on, each at its
    default: PSS clusters and quasi-cliques (extended §3.1-3.2; the NoCorrelated fit),
    coordinated co-rating, coordinated rating bursts and trust propagation ("filter"
    mode)."""
    return dataclasses.replace(
        base or ScoringConfig(),
        post_selection=PostSelectionConfig(),
        quasi_cliques=QuasiCliqueConfig(),
        bursts=BurstConfig(),
        trust=TrustConfig(),
        co_rating=CoRatingConfig(),
    )


def _subset(inputs: CoreInputs, keep: NDArray[np.bool_]) -> CoreInputs:
    return dataclasses.replace(
        inputs,
        scoped=inputs.scoped.subset(keep),
        scoped_correlated=inputs.scoped_correlated[keep],
    )


def _levels(helpful_num: NDArray[np.floating]) -> NDArray[np.int64]:
    out: NDArray[np.int64] = np.clip(
        np.rint(np.asarray(helpful_num, dtype=np.float64) * 2.0), 0, 2
    ).astype(np.int64)
    return out


def _detect(inputs: CoreInputs, sides: NDArray[np.int8], config: BurstConfig) -> BurstResult:
    scoped = inputs.scoped
    bursts = find_rating_bursts(
        scoped.note_idx,
        scoped.rater_idx,
        _levels(scoped.helpful_num),
        scoped.created_at_ms,
        sides,
        config,
    )
    _log.info(
        "bursts: %d bursts, %d coordinated pairs, %d coordinated raters, %d ratings flagged",
        bursts.n_bursts,
        bursts.n_pairs,
        int(bursts.coordinated.sum()),
        int(bursts.flagged.sum()),
    )
    return bursts


def _co_rating(inputs: CoreInputs, config: CoRatingConfig) -> CoRatingResult:
    scoped = inputs.scoped
    found = find_co_rating_groups(
        scoped.note_idx,
        scoped.rater_idx,
        _levels(scoped.helpful_num),
        inputs.n_participants,
        config,
    )
    _log.info(
        "co-rating: %d coordinated pairs, %d groups, %d raters, %d ratings flagged",
        found.n_pairs,
        found.n_groups,
        int((found.group >= 0).sum()),
        int(found.flagged.sum()),
    )
    return found


def screen_bursts(inputs: CoreInputs, config: ScoringConfig) -> BurstScreening:
    """The pre-prescoring pass: drop the scoped ratings flagged by coordinated co-rating,
    then those flagged by bursts (rater sides unknown).

    Parameters
    ----------
    inputs : CoreInputs of the run.
    config : ScoringConfig; nothing happens when ``co_rating`` and ``bursts`` are None.

    Returns
    -------
    BurstScreening
    """
    co_rating: CoRatingResult | None = None
    if config.co_rating is not None:
        co_rating = _co_rating(inputs, config.co_rating)
        if co_rating.flagged.any():
            inputs = _subset(inputs, ~co_rating.flagged)
    if config.bursts is None:
        return BurstScreening(inputs, None, co_rating)
    bursts = _detect(inputs, np.zeros(inputs.n_participants, dtype=np.int8), config.bursts)
    if bursts.flagged.any():
        inputs = _subset(inputs, ~bursts.flagged)
    return BurstScreening(inputs, bursts, co_rating)


def apply_defences(inputs: CoreInputs, pre: PrescoringResult, config: ScoringConfig) -> Defences:
    """Run the configured defences on the scoped ratings (see the module docstring).

    Parameters
    ----------
    inputs : CoreInputs after ``screen_bursts`` (prescoring's input).
    pre : PrescoringResult (rater sides come from its final-round rater factors, the trust
        seeds from its helpfulness).
    config : ScoringConfig; ``bursts`` and ``trust`` select the defences.

    Returns
    -------
    Defences
    """
    weights: NDArray[np.float64] | None = None
    bursts: BurstResult | None = None
    if config.bursts is not None and config.bursts.split_sides:
        bursts = _detect(inputs, rater_sides(pre.final_round.rater_factors[:, 0]), config.bursts)
        if bursts.flagged.any():
            if config.bursts.rating_weight == 0.0:
                inputs = _subset(inputs, ~bursts.flagged)
            else:
                weights = np.where(bursts.flagged, config.bursts.rating_weight, 1.0)
    trust: RaterTrust | None = None
    if config.trust is not None:
        h = pre.helpfulness
        # Seeds: raters whose ratings agree with bridged outcomes on enough decided notes.
        helpful = (
            h.has_row
            & h.above_helpfulness_threshold
            & (h.counts.valid >= config.trust.min_seed_ratings)
        )
        trust = rater_trust(inputs.scoped, inputs.history.created_at_ms, helpful, config.trust)
        if config.trust.mode == "weight":
            rater_w = trust.weight[inputs.scoped.rater_idx]
            weights = rater_w if weights is None else weights * rater_w
            # Weight-0 ratings carry nothing; drop them so they do not count towards the
            # minimum ratings per note either.
            keep = weights > 0
            if not keep.all():
                inputs = _subset(inputs, keep)
                weights = weights[keep]
        else:
            keep = trust.trusted[inputs.scoped.rater_idx]
            if not keep.all():
                inputs = _subset(inputs, keep)
                weights = None if weights is None else weights[keep]
    return Defences(inputs, weights, bursts, trust)
