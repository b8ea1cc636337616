"""Hyperparameters of the helpfulness-reputation MF of the Reputation scorer
(scoring-multimodel.md §7, scoring-extended.md §3.5)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bridgewatch.errors import ConfigError

__all__ = ["ReputationMFConfig"]


@dataclass(frozen=True)
class ReputationMFConfig:
    """Constants of the reputation MF, as configured in the reference's helpfulness model.

    The model predicts ``helpfulNum`` as ``f_n·f_u + b_n·ρ_u + b_u + μ`` (one factor,
    identity activation) under a weighted squared error. Every field is dimensionless.
    """

    # λ of every L2 term (mean mode: each group's Σθ² divided by its number of rows).
    l2_lambda: float = 0.01
    # Multiplier of λ for the note intercept b_n.
    note_intercept_multiplier: float = 0.5
    # Multiplier of λ for the rater intercept b_u.
    rater_intercept_multiplier: float = 1.0
    # Multiplier of λ for the global intercept μ (0: μ is not penalised).
    global_intercept_multiplier: float = 0.0
    # Multiplier of λ for the rater reputation ρ_u.
    reputation_multiplier: float = 1.0
    # Round 3 (and final step B): λ is multiplied by this ...
    round3_lambda_multiplier: float = 0.1
    # ... and the note-intercept multiplier by this.
    round3_note_intercept_multiplier: float = 10.0
    # Weight of a rating with helpfulNum = 1 in round 1 (others weigh 1).
    pos_weight: float = 0.2
    # The positive weight of rounds 2 and 3 is pos_weight times these.
    pos_weight_round2_multiplier: float = 5.0
    pos_weight_round3_multiplier: float = 5.0
    # Exponent of the per-rater weight normalisation of round 1 (weights × W_u^e).
    rater_norm_exponent_round1: float = -0.5
    # Exponent of the per-note weight normalisation of round 3 and final step B.
    note_norm_exponent_round3: float = -0.5
    # Added to each note's / rater's weight total before normalising (reference: 2^-20).
    norm_epsilon: float = 2.0**-20
    # Exponent e and smoothing α of the round-3 reputation weight (α + max(ρ, 0)^e) / (1 + α).
    reputation_exponent: float = 1.0
    reputation_alpha: float = 0.0
    # ρ_u of every rater at the start of prescoring.
    default_reputation: float = 1.0
    # Adam: learning rate, last epoch index (at most max_epochs + 1 steps a round), the
    # period of the stopping test and its loss-change threshold; β1, β2, ε torch defaults.
    learning_rate: float = 0.2
    max_epochs: int = 300
    stable_period: int = 10
    convergence: float = 1e-7
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_eps: float = 1e-8
    # coverageRatingStatus is CURRENTLY_RATED_HELPFUL when the intercept is strictly above.
    crh_threshold: float = 0.28

    def __post_init__(self) -> None:
        nonneg = (
            "l2_lambda",
            "note_intercept_multiplier",
            "rater_intercept_multiplier",
            "global_intercept_multiplier",
            "reputation_multiplier",
            "round3_lambda_multiplier",
            "round3_note_intercept_multiplier",
            "norm_epsilon",
            "reputation_exponent",
            "reputation_alpha",
            "convergence",
        )
        for name in nonneg:
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0.0):
                raise ConfigError(name, value, "a finite number >= 0")
        positive = (
            "pos_weight",
            "pos_weight_round2_multiplier",
            "pos_weight_round3_multiplier",
            "learning_rate",
            "adam_eps",
        )
        for name in positive:
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0.0):
                raise ConfigError(name, value, "a finite number > 0")
        for name in ("rater_norm_exponent_round1", "note_norm_exponent_round3"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value <= 0.0):
                raise ConfigError(name, value, "a number <= 0")
        for name in ("adam_beta1", "adam_beta2"):
            value = getattr(self, name)
            if not (0.0 <= value < 1.0):
                raise ConfigError(name, value, "a number in [0, 1)")
        if self.max_epochs < 0:
            raise ConfigError("max_epochs", self.max_epochs, "an integer >= 0")
        if self.stable_period < 1:
            raise ConfigError("stable_period", self.stable_period, "an integer >= 1")
        for name in ("default_reputation", "crh_threshold"):
            if not math.isfinite(getattr(self, name)):
                raise ConfigError(name, getattr(self, name), "a finite number")
