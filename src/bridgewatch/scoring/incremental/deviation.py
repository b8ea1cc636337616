"""Recent deviation: the watch's test on what the bridging model cannot explain (not in
the reference).

Established accounts (an aged brigade with camouflage) that strike a note before they
share any verdict a pair or group test could see, and before a refit has evidence, look
like honest raters to the watch's other rules (:mod:`bridgewatch.scoring.incremental.watch`).
What they cannot hide on a note that already has raters is the point of the attack: they
say something the model does not expect *from them* -- raters of both camps call helpful a
note its earlier raters, read through their own viewpoints, did not -- and they say it on
the same note at about the same time.

Limit (measured, ``benchmarks/results/liveaged/``): the test needs earlier ratings. On the
live attack replay every target the aged brigade got shown is a new note it rated first;
there the bridging model explains the brigade perfectly (raters of both camps calling a
note helpful is a bridging note) and the test has nothing to say. On every replay kind
it changed no outcome (notes held, targets shown, honest delays), honest notes included.

Between refits the worker holds the rater side of the Core scorer's model frozen
(``ŷ = μ + i_u + i_n + f_u f_n``; :class:`~bridgewatch.scoring.incremental.watch.RaterModel`).
For each note that would newly become helpful (or lose that status) in a pass:

1. **Reference.** Its ratings older than ``window_ms`` (by raters the model knows) fix
   ``(i_n, f_n)`` by ridge least squares on ``r = y - μ - i_u`` (pseudo-ratings
   ``intercept_prior`` and ``factor_prior`` at the raters' mean squared factor, as the
   batch's unexplained-ratings test), so the recent ratings cannot bend the prediction
   they are tested against.
2. **Residuals.** Every rating on the note gets ``e = r - i_n - f_u f_n``.
3. **Two-sample test.** With ``k`` recent ratings (mean residual ``ē_k``) and ``m``
   reference ones (``ē_m``: the ridge's shrinkage bias every rater of the note shares),
   the shift ``d = ē_k - ē_m`` over its standard error, ``s² / m + max(s², s_k²) / k``,
   ``s²`` the pooled within-group variance plus ``variance_prior`` pseudo-ratings of the
   refit's residual variance ``σ²`` (``residual_spread``) over ``ν = k + m - 3 +
   variance_prior`` degrees of freedom, ``s_k²`` the recent group's own (same prior): the
   batch test's statistic (``bridgewatch.scoring.manipulation.unexplained``, step 3) with
   time, not the raters' record, splitting the groups. As a Student ``t`` converted to the
   normal scale it must reach ``z* = max(min_z, Φ⁻¹(1 - alpha / N))`` (one-sided: the
   deviation's sign must push the way the status moves; ``N`` the notes tested in the
   pass), and ``|d| >= min_shift``.

A note found so is held until the next refit decides (and again after it while the test
still finds it: the refit's defences need the whole attack to convict an aged brigade).
Honest raters who arrive later agree with the earlier ones through their viewpoints: their
residuals are noise around 0, and a new note (no reference yet) is not tested.

Pure: arrays in, arrays out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.manipulation.unexplained import _normal_isf, _t_as_z

if TYPE_CHECKING:
    from bridgewatch.model import Ratings
    from bridgewatch.scoring.incremental.watch import RaterModel

__all__ = [
    "DeviationConfig",
    "DeviationResult",
    "deviation_holds",
    "recent_deviation",
    "residual_spread",
]


@dataclass(frozen=True)
class DeviationConfig:
    """Thresholds of the recent-deviation test (see the module docstring).

    Attributes
    ----------
    window_ms : ratings newer than this (ms before the pass) are the tested group, older
        ones the reference (> 0; 24 hours: an aged brigade's target is rated over hours).
    min_recent : recent ratings (by raters the model knows) a note needs to be tested (>= 2).
    min_reference : reference ratings it needs (>= 1).
    min_shift : |recent mean residual - reference mean residual| at least this (>= 0,
        rating units).
    min_z : the shift at least this many standard errors, on the normal scale (> 0) ...
    alpha : ... and at least the one-sided Bonferroni bound for ``alpha`` over the notes
        tested in the pass (in (0, 1]).
    variance_prior : pseudo-ratings (and degrees of freedom) of the refit's residual
        variance in each note's variance (> 0).
    intercept_prior, factor_prior : ridge pseudo-ratings of the reference refit (> 0; the
        factor's at the raters' mean squared factor).
    """

    window_ms: int = 24 * 3_600_000
    min_recent: int = 5
    min_reference: int = 3
    min_shift: float = 0.3
    min_z: float = 3.0
    alpha: float = 0.01
    variance_prior: float = 10.0
    intercept_prior: float = 1.0
    factor_prior: float = 1.0

    def __post_init__(self) -> None:
        if self.window_ms <= 0:
            raise ConfigError("window_ms", self.window_ms, "> 0")
        if self.min_recent < 2:
            raise ConfigError("min_recent", self.min_recent, ">= 2")
        if self.min_reference < 1:
            raise ConfigError("min_reference", self.min_reference, ">= 1")
        if not 0.0 <= self.min_shift < 1e6:
            raise ConfigError("min_shift", self.min_shift, ">= 0")
        if not 0.0 < self.min_z < 1e6:
            raise ConfigError("min_z", self.min_z, "> 0")
        if not 0.0 < self.alpha <= 1.0:
            raise ConfigError("alpha", self.alpha, "in (0, 1]")
        for name in ("variance_prior", "intercept_prior", "factor_prior"):
            if not 0.0 < getattr(self, name) < 1e9:
                raise ConfigError(name, getattr(self, name), "> 0")


@dataclass(frozen=True)
class DeviationResult:
    """Per note of the pass's index (float64 / int64 / bool arrays of shape (n_notes,)).

    Attributes
    ----------
    z : signed statistic on the normal scale (positive: the recent ratings are more
        helpful than the model predicts from the reference; 0 where not tested).
    shift : ``d`` (NaN where not tested).
    recent, reference : the ratings in each group.
    tested : notes with ``min_recent`` and ``min_reference`` ratings among those asked for.
    z_star : the bar the pass used.
    """

    z: NDArray[np.float64]
    shift: NDArray[np.float64]
    recent: NDArray[np.int64]
    reference: NDArray[np.int64]
    tested: NDArray[np.bool_]
    z_star: float

    def pushed(self, config: DeviationConfig, sign: int) -> NDArray[np.bool_]:
        """Notes whose recent ratings deviate beyond the bar in direction ``sign`` (+1:
        towards helpful, -1: away from it)."""
        out: NDArray[np.bool_] = (
            self.tested
            & (sign * self.z >= self.z_star)
            & (sign * np.nan_to_num(self.shift) >= config.min_shift)
        )
        return out


def _known(ratings: Ratings, rows: NDArray[np.int64], model: RaterModel) -> NDArray[np.int64]:
    rater = ratings.rater_idx[rows]
    keep = np.isfinite(model.rater_intercepts[rater]) & np.isfinite(model.rater_factors[rater])
    out: NDArray[np.int64] = rows[keep]
    return out


def residual_spread(ratings: Ratings, model: RaterModel) -> float:
    """The RMS residual of every rating by a known rater under per-note ridge refits with
    the raters frozen (the model's noise level ``σ``; NaN without ratings). Computed once
    per refit."""
    from bridgewatch.scoring.incremental.watch import established_fit

    rows = _known(ratings, np.arange(ratings.n_ratings, dtype=np.int64), model)
    if rows.shape[0] == 0:
        return float("nan")
    i_n, f_n = established_fit(ratings, rows, model)
    rater, note = ratings.rater_idx[rows], ratings.note_idx[rows]
    e = (
        ratings.helpful_num[rows].astype(np.float64)
        - model.global_intercept
        - model.rater_intercepts[rater]
        - i_n[note]
        - f_n[note] * model.rater_factors[rater]
    )
    return float(np.sqrt(np.mean(e * e)))


def recent_deviation(
    ratings: Ratings,
    notes: NDArray[np.int64],
    model: RaterModel,
    sigma: float,
    as_of_ms: int,
    config: DeviationConfig,
) -> DeviationResult:
    """The recent-deviation statistic of ``notes`` (see the module docstring).

    Parameters
    ----------
    ratings : every current rating (post-PSS) on the pass's note index.
    notes : int64 note rows to test (those whose helpful status would change).
    model : the Core scorer's frozen raters (shape (n_participants,) like ``ratings``).
    sigma : the refit's residual spread (:func:`residual_spread`).
    as_of_ms : the pass's "now".
    config : DeviationConfig.

    Returns
    -------
    DeviationResult over the whole note index.
    """
    from bridgewatch.scoring.incremental.watch import ridge_note_fit

    if model.rater_intercepts.shape != (ratings.n_participants,):
        raise ConfigError(
            "model", model.rater_intercepts.shape, f"shape ({ratings.n_participants},)"
        )
    n = ratings.n_notes
    z = np.zeros(n)
    shift = np.full(n, np.nan)
    zeros = np.zeros(n, dtype=np.int64)
    none = np.zeros(n, dtype=np.bool_)
    if notes.shape[0] == 0 or ratings.n_ratings == 0 or not np.isfinite(sigma) or sigma <= 0:
        return DeviationResult(z, shift, zeros, zeros.copy(), none, float("inf"))
    look = np.zeros(n, dtype=np.bool_)
    look[notes] = True
    rows = _known(ratings, np.flatnonzero(look[ratings.note_idx]).astype(np.int64), model)
    note = ratings.note_idx[rows].astype(np.int64)
    rater = ratings.rater_idx[rows]
    fu = model.rater_factors[rater]
    r = ratings.helpful_num[rows].astype(np.float64) - model.global_intercept
    r = r - model.rater_intercepts[rater]
    recent = ratings.created_at_ms[rows] > as_of_ms - config.window_ms
    old = ~recent
    # 1. The reference refit (ridge; the factor's pseudo-rating at the mean squared factor).
    scale = max(float(np.mean(fu * fu)), 1e-6)
    no = note[old]
    i_n, f_n = ridge_note_fit(
        no, fu[old], r[old], n, config.intercept_prior, config.factor_prior * scale
    )
    # 2. Residuals.
    e = r - i_n[note] - f_n[note] * fu
    # 3. The two-sample statistic.
    k = np.bincount(note[recent], minlength=n)
    m = np.bincount(no, minlength=n)
    s_k = np.bincount(note[recent], weights=e[recent], minlength=n)
    s_m = np.bincount(no, weights=e[old], minlength=n)
    k_pos, m_pos = np.maximum(k, 1), np.maximum(m, 1)
    mean_k, mean_m = s_k / k_pos, s_m / m_pos
    ss_k = np.bincount(note[recent], weights=e[recent] ** 2, minlength=n) - k * mean_k**2
    ss_m = np.bincount(no, weights=e[old] ** 2, minlength=n) - m * mean_m**2
    ss_k, ss_m = np.maximum(ss_k, 0.0), np.maximum(ss_m, 0.0)
    prior = config.variance_prior * sigma**2
    df = np.maximum(k + m - 3.0, 0.0) + config.variance_prior
    pooled = (ss_k + ss_m + prior) / df
    own = np.maximum(pooled, (ss_k + prior) / (np.maximum(k - 1.0, 0.0) + config.variance_prior))
    d = mean_k - mean_m
    t = d / np.sqrt(own / k_pos + pooled / m_pos)
    tested = look & (k >= config.min_recent) & (m >= config.min_reference)
    z_abs = _t_as_z(np.abs(t), df)
    z = np.where(tested, np.sign(d) * np.minimum(z_abs, 1e3), 0.0)
    shift = np.where(tested, d, np.nan)
    count = int(tested.sum())
    z_star = max(config.min_z, _normal_isf(config.alpha / max(count, 1)))
    return DeviationResult(
        z.astype(np.float64),
        shift.astype(np.float64),
        k.astype(np.int64),
        m.astype(np.int64),
        tested,
        z_star,
    )


def deviation_holds(
    ratings: Ratings,
    old_status: NDArray[np.int8],
    new_status: NDArray[np.int8],
    model: RaterModel,
    sigma: float,
    as_of_ms: int,
    config: DeviationConfig,
) -> dict[int, str]:
    """The notes whose helpful status would change in a pass (``old_status`` ->
    ``new_status``, int8 arrays of shape (n_notes,)) because of recent ratings that deviate
    that way beyond chance (:func:`recent_deviation`), with the reason for the note page."""
    from bridgewatch.scoring.incremental.watch import crosses_helpful, newly_helpful

    rising = newly_helpful(old_status, new_status)
    falling = crosses_helpful(old_status, new_status) & ~rising
    moving = np.flatnonzero(rising | falling).astype(np.int64)
    out: dict[int, str] = {}
    if moving.shape[0] == 0:
        return out
    result = recent_deviation(ratings, moving, model, sigma, as_of_ms, config)
    hours = config.window_ms / 3_600_000
    span = f"{hours:g} hours" if hours >= 1 else f"{config.window_ms // 60_000} minutes"
    for sign, hit, way in (
        (1, rising, "more helpful"),
        (-1, falling, "less helpful"),
    ):
        for k in np.flatnonzero(result.pushed(config, sign) & hit).tolist():
            out[k] = (
                f"its {int(result.recent[k])} ratings of the last {span} are {way} than the "
                f"model predicts for their raters from its {int(result.reference[k])} earlier "
                f"ratings (by {abs(float(result.shift[k])):.2f}, z {abs(float(result.z[k])):.1f}"
                f" >= {result.z_star:.1f}), and the next refit's defences test them"
            )
    return out
