"""Hyperparameters of the Gaussian scorers (scoring-multimodel.md §6, Appendix B).

One :class:`GaussianPassConfig` per aggregation pass (CRH and CRNH, §6.3 table) and one
:class:`GaussianConfig` per scorer instance. The defaults are the reference's
GaussianScorer / GaussianCoreWithTopicsScorer / GaussianGroupScorer_15 values;
:meth:`GaussianConfig.topic_in_dimension_two` is the topic-5 variant (§5.3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from bridgewatch.errors import ConfigError

__all__ = [
    "CRH_PASS",
    "CRH_POINTS",
    "CRNH_PASS",
    "CRNH_POINTS",
    "GaussianConfig",
    "GaussianPassConfig",
]

_NEGATIVE_HALF = (
    -0.92, -0.65, -0.61, -0.58, -0.55, -0.52, -0.49, -0.46, -0.43, -0.41, -0.38, -0.35, -0.33,
    -0.30, -0.28, -0.25, -0.22, -0.20, -0.17, -0.14, -0.12, -0.09, -0.07, -0.04, -0.01,
)  # fmt: skip

CRH_POINTS: tuple[float, ...] = _NEGATIVE_HALF + tuple(-p for p in reversed(_NEGATIVE_HALF))
"""The 50 evaluation points of the CRH pass (rater-factor units, ascending, §6.3)."""

CRNH_POINTS: tuple[float, ...] = CRH_POINTS[0:25:2] + CRH_POINTS[25::2]
"""The 26 points of the CRNH pass: every other point of each half, from -0.92 and 0.01."""


@dataclass(frozen=True)
class GaussianPassConfig:
    """Constants of one aggregation pass (§6.3 steps 1-11).

    Parameters
    ----------
    bandwidth : σ of the normal kernel over rater factors, > 0.
    smoothing_weight : s, prior weight before the count adaptation, > 0.
    smoothing_value : v, the prior's ceiling and offset, in (0, 1].
    adaptive_weight_base : B > 1; the prior weighs s·ln(max(c_n, B))/ln(B).
    min_prior : floor of the factor-dependent prior, in [0, 1].
    negative_weight : extra weight of rows with value 0 after the flip, > 0.
    weight_floor : a note is "insufficient" when its unweighted kernel mass at any point is
        below this, >= 0.
    somewhat_helpful_value : value of a SOMEWHAT_HELPFUL (0.5) rating, in [0, 1].
    clip_lo, clip_hi : per-point estimates are clipped to [clip_lo, clip_hi], 0 < lo <= hi.
    flip_values : y <- 1 - y (the CRNH pass scores unhelpfulness).
    normalize_rows : divide each rating's kernel row by its sum (each rating weighs 1).
    multiplier_slope, multiplier_cap : unexpected-negative multiplier
        M = min(1 + slope·pct, cap), slope >= 0, cap >= 1.
    points : evaluation points p_k (rater-factor units), at least one.
    """

    bandwidth: float = 0.1
    smoothing_weight: float = 0.4
    smoothing_value: float = 0.35
    adaptive_weight_base: float = 9.0
    min_prior: float = 0.2
    negative_weight: float = 1.75
    weight_floor: float = 1e-9
    somewhat_helpful_value: float = 0.7
    clip_lo: float = 0.05
    clip_hi: float = 0.8
    flip_values: bool = False
    normalize_rows: bool = True
    multiplier_slope: float = 3.0
    multiplier_cap: float = 2.0
    points: tuple[float, ...] = CRH_POINTS

    def __post_init__(self) -> None:
        positive = ("bandwidth", "smoothing_weight", "negative_weight")
        for name in positive:
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ConfigError(name, value, "a finite number > 0")
        if not (0 < self.smoothing_value <= 1):
            raise ConfigError("smoothing_value", self.smoothing_value, "a number in (0, 1]")
        if not (math.isfinite(self.adaptive_weight_base) and self.adaptive_weight_base > 1):
            raise ConfigError("adaptive_weight_base", self.adaptive_weight_base, "a number > 1")
        if not (0 <= self.min_prior <= 1):
            raise ConfigError("min_prior", self.min_prior, "a number in [0, 1]")
        if not (math.isfinite(self.weight_floor) and self.weight_floor >= 0):
            raise ConfigError("weight_floor", self.weight_floor, "a finite number >= 0")
        if not (0 <= self.somewhat_helpful_value <= 1):
            raise ConfigError(
                "somewhat_helpful_value", self.somewhat_helpful_value, "a number in [0, 1]"
            )
        if not (0 < self.clip_lo <= self.clip_hi <= 1):
            raise ConfigError(
                "clip_lo, clip_hi", (self.clip_lo, self.clip_hi), "0 < clip_lo <= clip_hi <= 1"
            )
        if not (math.isfinite(self.multiplier_slope) and self.multiplier_slope >= 0):
            raise ConfigError("multiplier_slope", self.multiplier_slope, "a number >= 0")
        if not (math.isfinite(self.multiplier_cap) and self.multiplier_cap >= 1):
            raise ConfigError("multiplier_cap", self.multiplier_cap, "a number >= 1")
        if not self.points or not all(math.isfinite(p) for p in self.points):
            raise ConfigError("points", self.points, "at least one finite point")


CRH_PASS = GaussianPassConfig()
"""The CRH pass of every Gaussian scorer but topic 5 (§6.3 table, left column)."""

CRNH_PASS = GaussianPassConfig(
    bandwidth=0.2,
    smoothing_weight=5.0,
    min_prior=0.3,
    negative_weight=1.25,
    weight_floor=5e-4,
    clip_lo=0.25,
    clip_hi=0.65,
    flip_values=True,
    normalize_rows=False,
    multiplier_slope=4.0,
    multiplier_cap=4.0,
    points=CRNH_POINTS,
)
"""The CRNH pass (§6.3 table, right column)."""


@dataclass(frozen=True)
class GaussianConfig:
    """One Gaussian scorer's note fit (§6.2-6.4).

    Parameters
    ----------
    crh, crnh : the two aggregation passes.
    sigmoid_slope, sigmoid_window : a negative row counts as unexpected by
        1/(1 + exp(-slope·(|f_u - m| - window))), m the mean factor of the note's negatives
        (§6.3 step 4); slope > 0, window >= 0.
    sparse_side_min_raters : a note with fewer rows than this with f_u < 0, or fewer with
        f_u > 0, gets the flat prior ``sparse_side_prior`` at every point (step 8); >= 0.
    sparse_side_prior : that prior, in [0, 1].
    use_author_rows : add one HELPFUL self-rating per note by its author to the CRH pass.
    min_ratings_per_note : notes need this many (scoped) ratings to enter a fit (§6.2 step 1).
    use_helpfulness_gate : keep only raters above the borrowed helpfulness threshold (step 3;
        off for topic 5).
    use_global_intercept : the note-factor MF (§6.4) freezes μ at the borrowed prescoring
        value; False freezes it at 0 (topic 5, whose prescoring has no μ).
    """

    crh: GaussianPassConfig = CRH_PASS
    crnh: GaussianPassConfig = CRNH_PASS
    sigmoid_slope: float = 200.0
    sigmoid_window: float = 0.14
    sparse_side_min_raters: int = 3
    sparse_side_prior: float = 0.1
    use_author_rows: bool = True
    min_ratings_per_note: int = 5
    use_helpfulness_gate: bool = True
    use_global_intercept: bool = True

    def __post_init__(self) -> None:
        if not (math.isfinite(self.sigmoid_slope) and self.sigmoid_slope > 0):
            raise ConfigError("sigmoid_slope", self.sigmoid_slope, "a finite number > 0")
        if not (math.isfinite(self.sigmoid_window) and self.sigmoid_window >= 0):
            raise ConfigError("sigmoid_window", self.sigmoid_window, "a finite number >= 0")
        if self.sparse_side_min_raters < 0:
            raise ConfigError("sparse_side_min_raters", self.sparse_side_min_raters, "an int >= 0")
        if not (0 <= self.sparse_side_prior <= 1):
            raise ConfigError("sparse_side_prior", self.sparse_side_prior, "a number in [0, 1]")
        if self.min_ratings_per_note < 1:
            raise ConfigError("min_ratings_per_note", self.min_ratings_per_note, "an int >= 1")

    @classmethod
    def topic_in_dimension_two(cls) -> GaussianConfig:
        """GaussianTopicScorer_InDimensionTwo (§5.3): CRH-pass σ 0.05, no helpfulness gate,
        μ = 0 in the note-factor MF; everything else default."""
        return cls(
            crh=replace(CRH_PASS, bandwidth=0.05),
            use_helpfulness_gate=False,
            use_global_intercept=False,
        )
