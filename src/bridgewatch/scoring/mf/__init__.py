"""Bridging matrix factorization: config, ALS fit, note-only fits, pseudo-rater bounds.

Implements scoring-core.md §3 (model and objective), §5.2-§5.3 (final-scoring note fits)
and §12 (closed-form solvers), plus the variants of the non-Core scorers
(scoring-multimodel.md §4.2-§4.5, §5.3): unregularised or absent μ, the diamond penalty and
group 14's normalized two-stage fit. Pure kernels: arrays in, frozen dataclasses out.
"""

from __future__ import annotations

from bridgewatch.scoring.mf.als import fit_mf, identify_signs
from bridgewatch.scoring.mf.config import AdamConfig, MFConfig, NormalizedLossConfig
from bridgewatch.scoring.mf.normalized import normalized_loss_weights
from bridgewatch.scoring.mf.note_fit import (
    BoundGrams,
    PseudoRaterScale,
    bound_grams,
    bounds_from_grams,
    fit_note_params,
    fit_note_params_normalized,
    pseudo_rater_bounds,
)
from bridgewatch.scoring.mf.objective import MFObjective, mf_objective
from bridgewatch.scoring.mf.params import MFInit, MFParams, MFResult, PseudoRaterBounds
from bridgewatch.scoring.mf.stable_init import StableInitResult, fit_with_stable_init

__all__ = [
    "AdamConfig",
    "BoundGrams",
    "MFConfig",
    "MFInit",
    "MFObjective",
    "MFParams",
    "MFResult",
    "NormalizedLossConfig",
    "PseudoRaterBounds",
    "PseudoRaterScale",
    "StableInitResult",
    "bound_grams",
    "bounds_from_grams",
    "fit_mf",
    "fit_note_params",
    "fit_note_params_normalized",
    "fit_with_stable_init",
    "identify_signs",
    "mf_objective",
    "normalized_loss_weights",
    "pseudo_rater_bounds",
]
