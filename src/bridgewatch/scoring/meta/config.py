"""Thresholds of the meta-scoring rules on the Core path (scoring-core.md §9, Appendix A)."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from bridgewatch.errors import ConfigError

__all__ = ["MetaConfig"]


@dataclass(frozen=True)
class MetaConfig:
    """Hyperparameters of PopulationSampledIntercept, the stabilization delay and the
    explanation-tag rule. Defaults are the reference's values."""

    # §9.3: min population-sampled ratings (neg + pos) and per factor sign (counts).
    pop_sampled_min_total: int = 8
    pop_sampled_min_per_side: int = 2
    # §9.3: NMR when the population-sampled intercept < this (strict) ...
    pop_sampled_max_intercept: float = 0.30
    # ... and core intercept - population-sampled intercept >= this.
    pop_sampled_min_gap: float = 0.15
    # §9.4: minimum hold, maximum hold for CRH, maximum hold for NYH (minutes).
    min_stable_crh_minutes: float = 30.0
    max_stable_crh_minutes: float = 60.0
    max_stable_nyh_minutes: float = 360.0
    # §9.5: a tag qualifies with >= this many ratings; a status needs >= this many tags.
    min_ratings_to_get_tag: int = 2
    min_tags_needed_for_status: int = 2

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ConfigError(f.name, value, "a finite number >= 0")
        for name in (
            "pop_sampled_min_total",
            "pop_sampled_min_per_side",
            "min_ratings_to_get_tag",
            "min_tags_needed_for_status",
        ):
            if int(getattr(self, name)) != getattr(self, name):
                raise ConfigError(name, getattr(self, name), "an integer >= 0")
        if self.min_tags_needed_for_status > 2:
            raise ConfigError(
                "min_tags_needed_for_status", self.min_tags_needed_for_status, "0, 1 or 2"
            )
        if not self.min_stable_crh_minutes <= self.max_stable_crh_minutes:
            raise ConfigError(
                "max_stable_crh_minutes",
                self.max_stable_crh_minutes,
                f">= min_stable_crh_minutes ({self.min_stable_crh_minutes})",
            )
        if not self.min_stable_crh_minutes <= self.max_stable_nyh_minutes:
            raise ConfigError(
                "max_stable_nyh_minutes",
                self.max_stable_nyh_minutes,
                f">= min_stable_crh_minutes ({self.min_stable_crh_minutes})",
            )
