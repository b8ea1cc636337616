"""Hyperparameters of the bridging matrix-factorization model (scoring-core.md §3).

Variants of the non-Core scorers (scoring-multimodel.md §4.2-§4.5, §5.3, §8.1) are values of
the same :class:`MFConfig`: an unregularised μ (``global_intercept_lambda=0``), no μ at all
(``use_global_intercept=False``), the "diamond" penalty (``diamond_lambda``) and the
normalized two-stage fit of group 14 (``normalized_loss``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bridgewatch.errors import ConfigError

__all__ = ["AdamConfig", "MFConfig", "NormalizedLossConfig"]


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class NormalizedLossConfig:
    """Per-rating weights of the stage-2 fit of group 14 (scoring-multimodel.md §4.2).

    Weights start at 1 for every training rating and are then changed in this order (the
    reference's ``NormalizedLoss``), from the stage-1 rater factors f_u (first factor):

    1. note sign (when ``note_sign_alpha`` is not None): on every note with at least one
       rating with f_u > 0 and one with f_u <= 0, the positive-side weights are multiplied by
       (α + W_neg)/(α + W_pos) (weight sums of the note's two sides), then the note's weights
       are rescaled to their previous total;
    2. global sign (when ``global_sign_norm``): with P = #ratings with f_u > 0 and
       N = #ratings with f_u <= 0, the f_u > 0 weights are multiplied by N/P, then all weights
       are rescaled so their sum is unchanged;
    3. note norm (when ``note_norm_exponent`` != 0): w <- w·(Σ of the note's weights)^exp;
    4. rater norm (when ``rater_norm_exponent`` != 0): w <- w·(Σ of the rater's weights)^exp.

    The defaults are group 14's: global sign norm on, note sign α None, note norm exponent 0,
    rater norm exponent −0.25.

    Parameters
    ----------
    global_sign_norm : bool, default True
    rater_norm_exponent : float, default −0.25; finite.
    note_norm_exponent : float, default 0 (step 3 off); finite.
    note_sign_alpha : float >= 0 or None, default None (step 1 off); rating-weight units.
    """

    global_sign_norm: bool = True
    rater_norm_exponent: float = -0.25
    note_norm_exponent: float = 0.0
    note_sign_alpha: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.global_sign_norm, bool):
            raise ConfigError("global_sign_norm", self.global_sign_norm, "a bool")
        for name in ("rater_norm_exponent", "note_norm_exponent"):
            if not _finite(getattr(self, name)):
                raise ConfigError(name, getattr(self, name), "a finite number")
        alpha = self.note_sign_alpha
        if alpha is not None and not (_finite(alpha) and alpha >= 0):
            raise ConfigError("note_sign_alpha", alpha, "None or a finite number >= 0")


@dataclass(frozen=True)
class AdamConfig:
    """The reference's gradient training loop (scoring-core.md §3.3), for fits that must
    stop where the reference stops rather than at the optimum (group 14, multimodel §4.2).

    Full-batch Adam with torch's defaults, global gradient-norm clipping, and the
    reference's stopping rule: stop when |L − L_prev| <= ``tolerance``, or when the loss
    rose after more than ``rise_after_epochs`` epochs. See
    :func:`bridgewatch.scoring.mf.adam.adam_descent`.

    Parameters
    ----------
    learning_rate : lr of a fit without both note and rater initial values, > 0
        (§3.3: 1.0; group 14: 0.02).
    init_learning_rate : lr of a fit given both note and rater initial values, > 0
        (§3.3: 0.2; group 14: 0.02).
    beta1, beta2 : Adam moment decay rates in [0, 1) (torch: 0.9, 0.999).
    epsilon : added to the bias-corrected RMS, > 0 (torch: 1e-8).
    max_grad_norm : clip of the global L2 gradient norm, > 0 (§3.3: 1.0).
    tolerance : stop when the loss changes by at most this, > 0 (§3.3: 1e-7, loss units).
    rise_after_epochs : the loss-rise stop applies once the epoch count exceeds this,
        >= 0 (§3.3: 100).
    max_epochs : our safety cap (the reference has none), >= 1; hitting it raises a
        ConvergenceWarning.
    """

    learning_rate: float = 1.0
    init_learning_rate: float = 0.2
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    max_grad_norm: float = 1.0
    tolerance: float = 1e-7
    rise_after_epochs: int = 100
    max_epochs: int = 100_000

    def __post_init__(self) -> None:
        for name in (
            "learning_rate",
            "init_learning_rate",
            "epsilon",
            "max_grad_norm",
            "tolerance",
        ):
            value = getattr(self, name)
            if not (_finite(value) and value > 0):
                raise ConfigError(name, value, "a finite number > 0")
        for name in ("beta1", "beta2"):
            value = getattr(self, name)
            if not (_finite(value) and 0 <= value < 1):
                raise ConfigError(name, value, "a number in [0, 1)")
        for name, low in (("rise_after_epochs", 0), ("max_epochs", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(name, value, f"an integer >= {low}")


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
    global_intercept_lambda : λ_μ, dimensionless, >= 0 (§3.2, default 0.15). 0 leaves μ
        unregularised (groups 15 and 18, multimodel §4.4-§4.5); the μ update stays exact
        and unique as long as the ratings' total weight is > 0.
    diamond_lambda : λ_◇, dimensionless, >= 0 (§3.2, default 0; group 14: 0.75). Penalty on
        |f_n·i_n| per note, normalised like the other note terms (mean over the n·k entries
        of the note-factor matrix, or ×ρ_note/|R| in ratio mode). The per-note subproblem is
        then non-smooth and non-convex; ALS solves it exactly by a sign-quadrant case
        analysis. Needs ``n_factors == 1``.
    use_global_intercept : bool, default True. False: no μ in the prediction (topic 5
        prescoring, multimodel §5.3); μ is fixed at 0, carries no penalty and is reported
        as 0.0 (the reference reports None).
    normalized_loss : NormalizedLossConfig or None, default None. When set, every fit is the
        two-stage normalized fit of group 14 (multimodel §4.2; see ``fit_mf``).
    adam : AdamConfig or None, default None. When set, every fit of this config runs the
        reference's Adam loop (:func:`bridgewatch.scoring.mf.adam.adam_descent`) instead
        of ALS: it stops where the reference stops, not at the optimum (group 14, whose
        diamond problem's optimum is often not where the reference lands; multimodel
        §4.2). ``tolerance``, ``param_tolerance``, ``max_iterations`` and
        ``acceleration_depth`` then play no part.
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
    use_global_intercept: bool = True
    normalized_loss: NormalizedLossConfig | None = None
    adam: AdamConfig | None = None

    def __post_init__(self) -> None:
        for name in (
            "rater_factor_lambda",
            "note_factor_lambda",
            "rater_intercept_lambda",
            "note_intercept_lambda",
        ):
            value = getattr(self, name)
            # > 0 keeps every note / rater block subproblem strictly convex (the ridge part
            # alone is positive definite), so its optimum is unique.
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ConfigError(name, value, "a finite number > 0")
        for name in ("global_intercept_lambda", "diamond_lambda"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ConfigError(name, value, "a finite number >= 0")
        if isinstance(self.n_factors, bool) or not isinstance(self.n_factors, int):
            raise ConfigError("n_factors", self.n_factors, "an integer >= 1")
        if self.n_factors < 1:
            raise ConfigError("n_factors", self.n_factors, "an integer >= 1")
        if self.diamond_lambda > 0 and self.n_factors != 1:
            raise ConfigError(
                "diamond_lambda", self.diamond_lambda, "0 unless n_factors is 1 (1-factor only)"
            )
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
        if not isinstance(self.use_global_intercept, bool):
            raise ConfigError("use_global_intercept", self.use_global_intercept, "a bool")
        if self.normalized_loss is not None and not isinstance(
            self.normalized_loss, NormalizedLossConfig
        ):
            raise ConfigError(
                "normalized_loss", self.normalized_loss, "None or a NormalizedLossConfig"
            )
        if self.adam is not None and not isinstance(self.adam, AdamConfig):
            raise ConfigError("adam", self.adam, "None or an AdamConfig")
