"""Hyperparameters of the harassment/abuse tag-consensus model (scoring-core.md §4.5-§4.6)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from bridgewatch.errors import ConfigError

__all__ = ["HarassmentConfig"]


@dataclass(frozen=True)
class HarassmentConfig:
    """Constants of the tag-consensus model and of the rater penalty it drives."""

    # L2 weights of the mean-mode objective (§3.2 Core defaults), dimensionless.
    rater_factor_lambda: float = 0.03
    note_factor_lambda: float = 0.03
    rater_intercept_lambda: float = 0.15
    note_intercept_lambda: float = 0.15
    global_intercept_lambda: float = 0.15
    # Initial factors = this x the round-1 helpfulness factors (§4.6 step 6).
    init_factor_multiplier: float = 2.0
    # Ratings created before this instant are not labelled, ms since epoch (§4.6 step 2).
    min_created_at_ms: int = 1639699200000
    # Minimum labelled ratings per note and per rater, note -> rater -> note (§4.6 step 4).
    min_ratings_per_note: int = 5
    min_ratings_per_rater: int = 10
    # Penalty: each helpful rating on a note with harassment intercept >= min_intercept costs
    # the rater penalty_per_rating x intercept / min_intercept agree-ratio units (§4.5).
    min_intercept_to_penalize: float = 2.0
    penalty_per_rating: float = 10.0
    # True: the penalty scales with the intercept (x h / min_intercept); False: flat
    # penalty_per_rating per helpful rating (group 14, scoring-multimodel.md §4.2).
    penalty_scales_with_intercept: bool = True
    # Reference Adam (default solver, §3.3, §4.6): learning rate, global gradient-norm clip,
    # stop when the mean-loss change is at most this, or when the loss rises after this epoch.
    adam_learning_rate: float = 2.0
    adam_clip_norm: float = 1.0
    adam_loss_tolerance: float = 1e-7
    adam_rise_check_after: int = 100
    # Safety cap on Adam epochs (the reference has none; then a ConvergenceWarning).
    adam_max_epochs: int = 100_000
    # Storage precision of the Adam solver: parameters, gradients, Adam moments, rating
    # weights and per-rating work arrays. The reference trains in torch's float32 (§3.3); we
    # keep float64 by default: the stop on a 1e-7 loss change is near float32 resolution, and
    # in float32 the stopping epoch moved (122 -> 124 at 10M ratings), one note crossed the
    # 2.0 penalty threshold and 33 of 200k final statuses changed through the rater
    # penalties, for 16-25% less CPU per epoch at 30M ratings (benchmarks/results/f32).
    # The loss sum and the stopping test are float64 either way.
    adam_dtype: Literal["float32", "float64"] = "float64"
    # L-BFGS solver: stop when the projected gradient of the mean loss is below this.
    tolerance: float = 1e-9
    # L-BFGS solver: at most this many iterations.
    max_sweeps: int = 2000

    def __post_init__(self) -> None:
        for name in (
            "rater_factor_lambda",
            "note_factor_lambda",
            "rater_intercept_lambda",
            "note_intercept_lambda",
            "global_intercept_lambda",
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0.0):
                raise ConfigError(name, value, "a finite number >= 0")
        for name in (
            "init_factor_multiplier",
            "min_intercept_to_penalize",
            "penalty_per_rating",
            "tolerance",
            "adam_learning_rate",
            "adam_clip_norm",
            "adam_loss_tolerance",
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0.0):
                raise ConfigError(name, value, "a finite number > 0")
        for name in (
            "min_ratings_per_note",
            "min_ratings_per_rater",
            "max_sweeps",
            "adam_max_epochs",
        ):
            value = getattr(self, name)
            if value < 1:
                raise ConfigError(name, value, "an integer >= 1")
        if self.adam_rise_check_after < 0:
            raise ConfigError(
                "adam_rise_check_after", self.adam_rise_check_after, "an integer >= 0"
            )
        if self.adam_dtype not in ("float32", "float64"):
            raise ConfigError("adam_dtype", self.adam_dtype, "'float32' or 'float64'")
        if self.min_created_at_ms < 0:
            raise ConfigError("min_created_at_ms", self.min_created_at_ms, "an integer >= 0")
