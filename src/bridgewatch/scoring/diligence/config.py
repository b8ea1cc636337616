"""Hyperparameters of the low-diligence reputation model (scoring-core.md §4.8, §5.4)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from bridgewatch.errors import ConfigError

__all__ = ["DiligenceConfig"]


@dataclass(frozen=True)
class DiligenceConfig:
    """Constants of the low-diligence model, as coded in the reference (Appendix A).

    Every field is dimensionless unless stated otherwise.
    """

    # λ of every L2 term (§4.8).
    l2_lambda: float = 0.03
    # Multiplier of λ for the note intercept b_n (§4.8).
    note_intercept_multiplier: float = 1.0
    # Multiplier of λ for the rater intercept b_u (§4.8).
    rater_intercept_multiplier: float = 10.0
    # Multiplier of λ for the rater reputation ρ_u (§4.8).
    reputation_multiplier: float = 50.0
    # Multiplier of λ for the global intercept μ; 0 means μ is not penalised (§4.8).
    global_intercept_multiplier: float = 0.0
    # Weight of a positive (low-diligence) rating in rounds 1-2 and final step A (§4.8).
    pos_weight: float = 100.0
    # Weight of a positive rating in round 3 and final step B (§4.8: 500 = 100 x 5).
    pos_weight_round3: float = 500.0
    # α of the reputation rating weight (α + max(ρ, 0)^e) / (1 + α) (§4.8).
    reputation_alpha: float = 0.1
    # e of the reputation rating weight (§4.8).
    reputation_exponent: float = 0.5
    # Exponent of the per-note weight normalisation in round 3 (§4.8).
    note_norm_exponent: float = -0.5
    # Added to each note's weight total before normalising (reference: 2^-20).
    note_norm_epsilon: float = 2.0**-20
    # Adam learning rate of every round (§4.8).
    learning_rate: float = 0.2
    # Last epoch index of a round: at most max_epochs + 1 Adam steps (§4.8: 300 -> 301).
    max_epochs: int = 300
    # Every ``stable_period`` epochs the loss is compared with the one that many epochs before.
    stable_period: int = 5
    # A round stops when that loss change is below this (§4.8).
    convergence: float = 1e-5
    # Adam β1, β2, ε (torch defaults, §3.3).
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_eps: float = 1e-8
    # Rating threshold of rule 10 FilterLowDiligence: intercept strictly above -> FIRM_REJECT.
    low_diligence_threshold: float = 0.263
    # Storage precision of the Adam rounds: parameters, gradients, Adam moments, rating
    # weights and per-rating work arrays (§3.3: the reference trains in torch's default
    # float32). Loss sums and the stopping test are float64 either way.
    dtype: Literal["float32", "float64"] = "float32"

    def __post_init__(self) -> None:
        nonneg = (
            "l2_lambda",
            "note_intercept_multiplier",
            "rater_intercept_multiplier",
            "reputation_multiplier",
            "global_intercept_multiplier",
            "reputation_alpha",
            "reputation_exponent",
            "note_norm_epsilon",
            "convergence",
        )
        for name in nonneg:
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0.0):
                raise ConfigError(name, value, "a finite number >= 0")
        for name in ("pos_weight", "pos_weight_round3", "learning_rate", "adam_eps"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0.0):
                raise ConfigError(name, value, "a finite number > 0")
        if not (math.isfinite(self.note_norm_exponent) and self.note_norm_exponent <= 0.0):
            raise ConfigError("note_norm_exponent", self.note_norm_exponent, "a number <= 0")
        for name in ("adam_beta1", "adam_beta2"):
            value = getattr(self, name)
            if not (0.0 <= value < 1.0):
                raise ConfigError(name, value, "a number in [0, 1)")
        if self.max_epochs < 0:
            raise ConfigError("max_epochs", self.max_epochs, "an integer >= 0")
        if self.stable_period < 1:
            raise ConfigError("stable_period", self.stable_period, "an integer >= 1")
        if self.dtype not in ("float32", "float64"):
            raise ConfigError("dtype", self.dtype, "'float32' or 'float64'")
        if not math.isfinite(self.low_diligence_threshold):
            raise ConfigError(
                "low_diligence_threshold", self.low_diligence_threshold, "a finite number"
            )
