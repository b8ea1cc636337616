"""Bridging matrix factorization: config, ALS fit, note-only fits, pseudo-rater bounds.

Implements scoring-core.md §3 (model and objective), §5.2-§5.3 (final-scoring note fits)
and §12 (closed-form solvers). Pure kernels: arrays in, frozen dataclasses out.
"""

from __future__ import annotations

from bridgewatch.scoring.mf.als import fit_mf, identify_signs
from bridgewatch.scoring.mf.config import MFConfig
from bridgewatch.scoring.mf.note_fit import fit_note_params, pseudo_rater_bounds
from bridgewatch.scoring.mf.objective import MFObjective, mf_objective
from bridgewatch.scoring.mf.params import MFInit, MFParams, MFResult, PseudoRaterBounds
from bridgewatch.scoring.mf.stable_init import StableInitResult, fit_with_stable_init

__all__ = [
    "MFConfig",
    "MFInit",
    "MFObjective",
    "MFParams",
    "MFResult",
    "PseudoRaterBounds",
    "StableInitResult",
    "fit_mf",
    "fit_note_params",
    "fit_with_stable_init",
    "identify_signs",
    "mf_objective",
    "pseudo_rater_bounds",
]
