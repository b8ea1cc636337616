"""Configuration of trust propagation over the rater-note graph."""

from __future__ import annotations

from dataclasses import dataclass

from bridgewatch.errors import ConfigError

__all__ = ["TrustConfig"]


@dataclass(frozen=True)
class TrustConfig:
    """Personalized-PageRank trust of raters, and how the scorer uses it.

    Parameters
    ----------
    damping : probability d in (0, 1) that the walk follows an edge instead of restarting at
        a seed (0.85). The power iteration contracts the L1 error by at least d per step.
    tolerance : stop when the L1 change of the trust vector falls to this (1e-10).
    max_iterations : iteration cap (200); reaching it warns with ``ConvergenceWarning``.
    min_relative_trust : raters whose relative trust (trust over the degree-proportional
        share a walk without restarts would give them) is below this lose their ratings
        before the final fit (0.6) in "filter" mode, or get a weight below 1 in "weight"
        mode. 0 keeps every rater at full weight.
    mode : how the final fits use trust: "filter" (default) drops the ratings of raters
        below ``min_relative_trust``; "weight" keeps them with rating weight
        ``min(1, relative_trust / min_relative_trust)`` in the weighted closed-form note
        fits (a ramp instead of a step, so a rater just under the threshold still counts).
    min_seed_ratings : seeds need at least this many ratings in the graph and, in the
        scorer, this many valid ratings (on notes with a bridged outcome, §4.4) (5).
    early_window_minutes : ratings made within this many minutes of the note's creation
        form their own items (60): an early verdict is shared only with other early raters
        of the same note, so a brigade that rates its targets at once shares those items
        almost only with itself. 0 puts every rating of a verdict in one item.
    """

    damping: float = 0.85
    tolerance: float = 1e-10
    max_iterations: int = 200
    min_relative_trust: float = 0.6
    min_seed_ratings: int = 5
    early_window_minutes: float = 60.0
    mode: str = "filter"

    def __post_init__(self) -> None:
        if not 0.0 < self.damping < 1.0:
            raise ConfigError("damping", self.damping, "a value in (0, 1)")
        if not self.tolerance > 0.0:
            raise ConfigError("tolerance", self.tolerance, "a value > 0")
        if isinstance(self.max_iterations, bool) or not 1 <= self.max_iterations <= 1_000_000:
            raise ConfigError("max_iterations", self.max_iterations, "an int in [1, 1e6]")
        if not 0.0 <= self.min_relative_trust < 1e6:
            raise ConfigError("min_relative_trust", self.min_relative_trust, "a value >= 0")
        if not 0.0 <= self.early_window_minutes <= 1e7:
            raise ConfigError("early_window_minutes", self.early_window_minutes, "in [0, 1e7]")
        if self.mode not in ("filter", "weight"):
            raise ConfigError("mode", self.mode, "'filter' or 'weight'")
        if isinstance(self.min_seed_ratings, bool) or self.min_seed_ratings < 0:
            raise ConfigError("min_seed_ratings", self.min_seed_ratings, "an int >= 0")
