"""Thresholds of the Core status rules (scoring-core.md §6.2, Appendix A)."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from bridgewatch.errors import ConfigError

__all__ = ["StatusRulesConfig"]


@dataclass(frozen=True)
class StatusRulesConfig:
    """Hyperparameters of the ordered Core rule table and of the per-note aggregates.

    Intercepts and factors are in the units of the MF model (rating scale 0..1). Every
    default is the reference's value at the spec's commit.
    """

    # §6.2 rules 2-5: minimum ratings on the note (count).
    min_ratings_to_get_rating: int = 5
    # §6.2 rule 2: CRH intercept threshold (i_n >= this).
    crh_threshold: float = 0.40
    # §6.2 rule 7: inertia band below the CRH threshold (i_n >= crh_threshold - this).
    crh_inertia_delta: float = 0.01
    # §6.2 rule 3: CRNH when i_n <= crnh_intercept + crnh_factor_multiplier * |f_n|.
    crnh_intercept: float = -0.05
    crnh_factor_multiplier: float = -0.8
    # §6.2 rule 4: CRNH when the pseudo-rater upper bound i_n_max < this.
    crnh_ucb_threshold: float = -0.04
    # §6.2 rule 5 (RatioCRNH): min ratings per sign bucket, per-side and average helpful-mean caps.
    ratio_crnh_min_sign_count: int = 3
    ratio_crnh_max_side_mean: float = 0.4
    ratio_crnh_max_average_mean: float = 0.3
    # §6.2 rule 6: CRNH for NOT_MISLEADING notes when i_n < this.
    nm_crnh_threshold: float = -0.15
    # §6.2 rule 8 / §4.9: min tAdjusted (weighted tag count), strictly greater.
    tag_filter_min_adjusted: float = 2.5
    # §4.9: percentile (0-100) of tAdjustedRatio over provisional CRH notes.
    tag_filter_percentile: float = 95.0
    # §5.5d: percentile (0-100) of the rater-note factor distance used as the weight scale.
    tag_filter_distance_percentile: float = 40.0
    # §5.5d: exponent of the distance weight w = 1 / (1 + (d / p40)^exponent).
    tag_filter_distance_exponent: float = 5.0
    # §6.2 rule 9 / §5.5e: minimum incorrect tags, voters and tf-idf (all >=).
    incorrect_min_tags: float = 2.0
    incorrect_min_voters: float = 3.0
    incorrect_min_tf_idf: float = 2.5
    # §5.5e: keep ratings with |clip(f_u) - clip(f_n)| < this (factor units).
    incorrect_interval_half_width: float = 0.3
    # §5.5e: factors are clipped to [-clip, +clip] before the distance test.
    incorrect_factor_clip: float = 0.4
    # §6.2 rule 10: FIRM_REJECT when lowDiligenceIntercept > this.
    low_diligence_threshold: float = 0.263
    # §6.2 rule 11: FIRM_REJECT a CRH note when |f_n| > this.
    large_factor_threshold: float = 0.5
    # §6.2 rule 12: FIRM_REJECT when i_n < this.
    firm_reject_threshold: float = 0.30
    # §6.2 rules 13-14: net helpful minimum (count), balance range upper end, balance ratio.
    min_net_helpful: int = 4
    net_helpful_balance_upper: int = 10
    min_net_helpful_ratio: float = 0.05
    # §6.2 rules 15-16: NYH when the NoHighVol / NoCorrelated intercept is below these.
    no_high_vol_threshold: float = 0.37
    no_correlated_threshold: float = 0.37
    # Scorers without a firm-reject threshold (scoring-multimodel.md §2.6): rules 8-11 set
    # NEEDS_MORE_RATINGS instead of FIRM_REJECT and rule 12 (RejectLowIntercept) is absent.
    firm_reject: bool = True
    # Rules 13-14 (net-helpful minimums) run only for scorers that set them (§2.6).
    net_helpful_rules: bool = True

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool):
                continue
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConfigError(f.name, value, "a finite number")
        for name in (
            "min_ratings_to_get_rating",
            "ratio_crnh_min_sign_count",
            "min_net_helpful",
            "net_helpful_balance_upper",
        ):
            if int(getattr(self, name)) != getattr(self, name) or getattr(self, name) < 0:
                raise ConfigError(name, getattr(self, name), "an integer >= 0")
        for name in ("tag_filter_percentile", "tag_filter_distance_percentile"):
            if not 0.0 <= getattr(self, name) <= 100.0:
                raise ConfigError(name, getattr(self, name), "a percentile in [0, 100]")
        for name in (
            "crh_inertia_delta",
            "tag_filter_distance_exponent",
            "incorrect_interval_half_width",
            "incorrect_factor_clip",
            "large_factor_threshold",
        ):
            if getattr(self, name) <= 0.0:
                raise ConfigError(name, getattr(self, name), "a number > 0")
        if self.net_helpful_balance_upper < self.min_net_helpful:
            raise ConfigError(
                "net_helpful_balance_upper",
                self.net_helpful_balance_upper,
                f"an integer >= min_net_helpful ({self.min_net_helpful})",
            )
        if not 0.0 <= self.min_net_helpful_ratio <= 1.0:
            raise ConfigError("min_net_helpful_ratio", self.min_net_helpful_ratio, "in [0, 1]")
