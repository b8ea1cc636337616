"""Hyperparameters of the bridging matrix-factorization model (scoring-core.md §3)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bridgewatch.errors import ConfigError

__all__ = ["MFConfig"]


@dataclass(frozen=True)
class MFConfig:
    """Frozen hyperparameters of one MF fit.

    The lambdas multiply the *mean*-normalised penalties of the reference objective
    (scoring-core.md §3.2); see :func:`bridgewatch.scoring.mf.fit_mf` for the exact form.

    Parameters
    ----------
    rater_factor_lambda : λ_fu, dimensionless, > 0 (§3.2, default 0.03).
    note_factor_lambda : λ_fn, dimensionless, > 0 (§3.2, default 0.03).
    rater_intercept_lambda : λ_iu, dimensionless, > 0 (§3.2, default 0.15).
    note_intercept_lambda : λ_in, dimensionless, > 0 (§3.2, default 0.15).
    global_intercept_lambda : λ_μ, dimensionless, > 0 (§3.2, default 0.15).
    diamond_lambda : λ_◇ (§3.2). Only 0 is supported: the |f_n·i_n| term is non-smooth and
        no Core fit uses it.
    n_factors : k, factor dimensions, >= 1 (§3.1 uses 1).
    tolerance : stop when the objective's decrease over one ALS sweep is at most
        ``tolerance`` times the objective (relative), in (0, 1).
    param_tolerance : ... and the largest absolute change of any parameter in that sweep is
        at most this (rating units), > 0.
    max_iterations : cap on ALS sweeps, >= 1. Hitting it raises a ConvergenceWarning.
    acceleration_depth : history length m of the safeguarded Anderson acceleration of the
        sweeps, >= 0 (0 = plain ALS). Costs 2·m parameter vectors of memory.
    """

    rater_factor_lambda: float = 0.03
    note_factor_lambda: float = 0.03
    rater_intercept_lambda: float = 0.15
    note_intercept_lambda: float = 0.15
    global_intercept_lambda: float = 0.15
    diamond_lambda: float = 0.0
    n_factors: int = 1
    tolerance: float = 1e-10
    param_tolerance: float = 1e-7
    max_iterations: int = 2000
    acceleration_depth: int = 5

    def __post_init__(self) -> None:
        for name in (
            "rater_factor_lambda",
            "note_factor_lambda",
            "rater_intercept_lambda",
            "note_intercept_lambda",
            "global_intercept_lambda",
        ):
            value = getattr(self, name)
            # > 0 keeps every block subproblem strictly convex (unique closed-form optimum).
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ConfigError(name, value, "a finite number > 0")
        if self.diamond_lambda != 0:
            raise ConfigError("diamond_lambda", self.diamond_lambda, "0 (the only value supported)")
        if isinstance(self.n_factors, bool) or not isinstance(self.n_factors, int):
            raise ConfigError("n_factors", self.n_factors, "an integer >= 1")
        if self.n_factors < 1:
            raise ConfigError("n_factors", self.n_factors, "an integer >= 1")
        if not (isinstance(self.tolerance, int | float) and 0 < self.tolerance < 1):
            raise ConfigError("tolerance", self.tolerance, "a number in (0, 1)")
        if not (
            isinstance(self.param_tolerance, int | float)
            and math.isfinite(self.param_tolerance)
            and self.param_tolerance > 0
        ):
            raise ConfigError("param_tolerance", self.param_tolerance, "a finite number > 0")
        if (
            isinstance(self.max_iterations, bool)
            or not isinstance(self.max_iterations, int)
            or self.max_iterations < 1
        ):
            raise ConfigError("max_iterations", self.max_iterations, "an integer >= 1")
        if (
            isinstance(self.acceleration_depth, bool)
            or not isinstance(self.acceleration_depth, int)
            or self.acceleration_depth < 0
        ):
            raise ConfigError("acceleration_depth", self.acceleration_depth, "an integer >= 0")
