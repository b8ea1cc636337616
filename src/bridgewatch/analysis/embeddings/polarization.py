"""Polarization of raters: measures from the literature on the factor axis and on the
agreement graph, for the whole run and per month, with Poisson-bootstrap intervals.

Measures (each larger = more polarized):

* ``bimodality``: bimodality coefficient of the rater factors, (g1^2 + 1) / (g2 + 3 (n-1)^2
  / ((n-2)(n-3))) with g1, g2 the sample skewness and excess kurtosis (SAS Institute 1990;
  Pfister et al. 2013, Front. Psychol. 4:700). Above 5/9 ~ 0.555 suggests two modes.
* ``ashman_d``: Ashman's D of a two-component Gaussian mixture fitted to the factors, the
  distance between the components' means over their pooled spread, sqrt(2) |m_1 - m_2| /
  sqrt(s_1^2 + s_2^2); D > 2 is needed for a clean separation (Ashman, Bird & Zepf 1994,
  Astron. J. 108:2348). A mixture, not a split at 0: any distribution cut at 0 has two
  separated halves.
* ``esteban_ray``: the Esteban-Ray index with two groups (the sides) and alpha = 1,
  sum_ij p_i^(1+alpha) p_j |y_i - y_j| on factors in units of their standard deviation
  (Esteban & Ray 1994, Econometrica 62:819): distance weighted by the sides' size parity.
The agreement-graph measures below need sides, and a split fitted to the same votes it is
then judged on looks polarized even when no camps exist (at no polarization the MF factor
fits noise, and the raters it puts together agree in-sample). So these sides are
cross-fitted: notes are split in two halves at random, each half's sides are the sign of
each rater's position on the first opinion axis of the other half's votes (``axes``: a
ridge low-rank fit of the double-centred votes, note means and rater means removed so that
rater leniency is not a side, on the raters and notes with enough votes), and each half's
ratings are judged with the sides learned on the other. (A truncated SVD of those votes
lost the camps at scale: the leading singular vector of a sparse matrix with skewed
activity sits on a few hundred busy notes, 99.6% of its weight on 1,000 of 95,000 at 10M
ratings, so its sides were unrelated to the camps, ARI 0.01, and cross-side disagreement
was 0.002 at 10M simulated ratings and 0.004 at 150M, 0.063 at 10M with the ridge axis and
0.114 with the simulated camps themselves as sides.)

* ``cross_side_disagreement``: 1 - (agreement rate across sides) / (agreement rate within
  sides), from co-rating pairs (a Polis-like comparison of votes).
* ``modularity``: Newman's modularity Q of the agreement graph (raters linked once per note
  on which they cast the same vote) partitioned into the two sides (Newman 2006, PNAS
  103:8577), exact from per-note counts.
* ``insularity``: how much lower the E-I index (E - I) / (E + I) of that graph is than the
  E-I index of all co-rating pairs, with E and I the pairs across and within sides
  (Krackhardt & Stern 1988, Soc. Psychol. Q. 51:123). Subtracting the index that mixing at
  random would give removes its dependence on the sides' sizes: 0 when agreement ignores
  sides.

``side_parity`` (smaller side / larger side) is reported beside them as context: it is a
size balance, not a polarization measure, and does not grow with polarization.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from numpy.typing import NDArray
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from bridgewatch.analysis.embeddings._kernels import active_raters, crossfit_counts
from bridgewatch.analysis.embeddings.axes import AxesConfig, fit_opinion_axes
from bridgewatch.analysis.embeddings.ratings import (
    N_VALUES,
    RatingMatrix,
    month_windows,
    note_value_counts,
)
from bridgewatch.errors import ConfigError

__all__ = [
    "FACTOR_MEASURES",
    "GRAPH_MEASURES",
    "SIDE_AXES",
    "CrossFitSides",
    "PolarizationConfig",
    "crossfit_sides",
    "factor_measures",
    "graph_measures",
    "polarization_table",
]

_log = logging.getLogger(__name__)

FACTOR_MEASURES: tuple[str, ...] = ("bimodality", "ashman_d", "esteban_ray", "side_parity")
GRAPH_MEASURES: tuple[str, ...] = ("cross_side_disagreement", "modularity", "insularity")
# Bootstrap replicates of ``ashman_d`` (each one a mixture fit), at most.
_MIXTURE_REPLICATES = 25
# Raters per ``ashman_d`` replicate, at most.
_MIXTURE_SAMPLE = 5_000
# Units (raters or notes) reweighted per bootstrap replicate of the other measures, at most.
_BOOT_SAMPLE = 50_000
# The axis fit of each half's sides: one axis, otherwise ``AxesConfig``'s defaults (the
# opinion groups' fit).
SIDE_AXES = AxesConfig(n_components=1)
# Raters whose factors fit the ``ashman_d`` point estimate, at most (a seeded sample beyond:
# a 1-D mixture fit on 2M raters takes tens of seconds per scope, and the estimate from
# 200,000 raters differs from the full-data one by a fraction of the bootstrap interval,
# whose half-width shrinks as 1 / sqrt(raters)).
_MIXTURE_POINT_SAMPLE = 200_000
# Bytes of per-month vote counts held at once (int64, n_notes x 2 sides x 3 values a month).
_COUNTS_BYTES = 512 * 2**20


@dataclass(frozen=True)
class PolarizationConfig:
    """How polarization is measured.

    Parameters
    ----------
    min_ratings : raters count in the factor measures only with at least this many ratings
        (MF shrinks the factors of light raters towards 0, a spike that would mask the
        modes), when ratings are given.
    n_boot : Poisson-bootstrap replicates for the intervals (0: no intervals).
    ci : two-sided coverage of the percentile intervals, in (0, 1).
    seed : seed of the bootstrap (one ``numpy.random.Generator`` per scope, spawned from it),
        of the note halves and of the side axes.
    side_axes : the axis fit that gives each half's sides (``crossfit_sides``).
    """

    min_ratings: int = 5
    n_boot: int = 200
    ci: float = 0.9
    seed: int = 0
    side_axes: AxesConfig = field(default_factory=lambda: SIDE_AXES)

    def __post_init__(self) -> None:
        if self.min_ratings < 0:
            raise ConfigError("min_ratings", self.min_ratings, "an integer >= 0")
        if self.n_boot < 0:
            raise ConfigError("n_boot", self.n_boot, "an integer >= 0")
        if not 0.0 < self.ci < 1.0:
            raise ConfigError("ci", self.ci, "a number in (0, 1)")


def _power_sums(x: NDArray[np.float64], w: NDArray[np.float64]) -> NDArray[np.float64]:
    """Weighted power sums of ``x`` standardised, in one product per weight row.

    Parameters
    ----------
    x : float64 array of shape (n,).
    w : float64 array of shape (b, n), one weight row per replicate.

    Returns
    -------
    float64 array of shape (b, 8): sum w z^k for k = 0..4 over all values, then sum w z^k for
    k = 0..2 over the left side (x < 0), with z = (x - mean(x)) / sd(x) (the unweighted
    mean and sd: standardising keeps the moments of large, offset values from cancelling).
    """
    sd = float(x.std())
    z = (x - float(x.mean())) / (sd if sd > 0 else 1.0)
    left = (x < 0).astype(np.float64)
    basis = np.stack([np.ones_like(z), z, z * z, z**3, z**4, left, left * z, left * z * z], axis=1)
    out: NDArray[np.float64] = w @ basis
    return out


def _moments(p: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
    """Weight sum and central moments 2-4 (of z) from the first five power sums."""
    n = p[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        d, e2, e3, e4 = p[:, 1] / n, p[:, 2] / n, p[:, 3] / n, p[:, 4] / n
        m2 = e2 - d * d
        m3 = e3 - 3 * d * e2 + 2 * d**3
        m4 = e4 - 4 * d * e3 + 6 * d * d * e2 - 3 * d**4
    return n, m2, m3, m4


def _bimodality(p: NDArray[np.float64]) -> NDArray[np.float64]:
    n, m2, m3, m4 = _moments(p)
    with np.errstate(invalid="ignore", divide="ignore"):
        g1 = m3 / m2**1.5 * np.sqrt(n * (n - 1)) / (n - 2)
        g2 = ((n + 1) * (m4 / m2**2 - 3.0) + 6.0) * (n - 1) / ((n - 2) * (n - 3))
        return (g1**2 + 1.0) / (g2 + 3.0 * (n - 1) ** 2 / ((n - 2) * (n - 3)))


def _mixture_d(x: NDArray[np.float64], w: NDArray[np.float64], seed: int) -> NDArray[np.float64]:
    """Ashman's D of a two-component Gaussian mixture per weight row (integer weights:
    each value repeated that many times). Replicates start from the first row's fit."""
    out = np.full(w.shape[0], np.nan)
    start: GaussianMixture | None = None
    for i, row in enumerate(w):
        sample = np.repeat(x, row.astype(np.int64))[:, None]
        if sample.shape[0] < 4 or np.ptp(sample) == 0:
            continue
        if start is None:
            gm = GaussianMixture(2, random_state=seed, n_init=2)
        else:
            gm = GaussianMixture(
                2,
                random_state=seed,
                means_init=start.means_,
                weights_init=start.weights_,
                precisions_init=start.precisions_,
                max_iter=30,
            )
        # One thread: on a few-dimensional problem, idle BLAS/OpenMP threads only spin.
        with threadpool_limits(limits=1):
            gm.fit(sample)
        if start is None:
            start = gm
        means = gm.means_.ravel()
        variances = gm.covariances_.ravel()
        out[i] = np.sqrt(2.0) * abs(means[0] - means[1]) / np.sqrt(variances.sum())
    return out


def _factor_measures_weighted(
    x: NDArray[np.float64], w: NDArray[np.float64], seed: int = 0, *, mixture: bool = True
) -> dict[str, NDArray[np.float64]]:
    p = _power_sums(x, w)
    _n, m2, _m3, _m4 = _moments(p)
    n_l, n_r = p[:, 5], p[:, 0] - p[:, 5]
    with np.errstate(invalid="ignore", divide="ignore"):
        # Side means of z; the gap over the overall sd of z is the gap of x over sd(x).
        m_l = p[:, 6] / n_l
        m_r = (p[:, 1] - p[:, 6]) / n_r
        gap = np.abs(m_r - m_l)
        p_l, p_r = n_l / (n_l + n_r), n_r / (n_l + n_r)
        return {
            "bimodality": _bimodality(p),
            "ashman_d": _mixture_d(x, w, seed) if mixture else np.full(w.shape[0], np.nan),
            # alpha = 1: p_l^2 p_r + p_r^2 p_l = p_l p_r (p_l + p_r) = p_l p_r.
            "esteban_ray": p_l * p_r * gap / np.sqrt(m2),
            "side_parity": np.minimum(n_l, n_r) / np.maximum(n_l, n_r),
        }


def factor_measures(factors: NDArray[np.float64]) -> dict[str, float]:
    """The factor-axis measures (``FACTOR_MEASURES``) of rater factors.

    Parameters
    ----------
    factors : float64 array of shape (n_raters,); NaNs are dropped. Sides split at 0.

    Returns
    -------
    Measure name -> value (NaN when undefined, e.g. fewer than 4 raters or an empty side).
    """
    x = factors[np.isfinite(factors)]
    if x.shape[0] < 4:
        return dict.fromkeys(FACTOR_MEASURES, float("nan"))
    got = _factor_measures_weighted(x, np.ones((1, x.shape[0])))
    return {k: float(v[0]) for k, v in got.items()}


def _per_note_pairs(counts: NDArray[np.int64]) -> NDArray[np.float64]:
    """Per note: agreeing pairs within side 0, within side 1, across; then all co-rating
    pairs within side 0, within side 1, across. float64 array of shape (n_notes, 6)."""
    c = counts.astype(np.float64)
    n = c.sum(axis=2)
    return np.stack(
        [
            (c[:, 0] * (c[:, 0] - 1)).sum(axis=1) / 2.0,
            (c[:, 1] * (c[:, 1] - 1)).sum(axis=1) / 2.0,
            (c[:, 0] * c[:, 1]).sum(axis=1),
            n[:, 0] * (n[:, 0] - 1) / 2.0,
            n[:, 1] * (n[:, 1] - 1) / 2.0,
            n[:, 0] * n[:, 1],
        ],
        axis=1,
    )


def _graph_measures_weighted(
    counts: NDArray[np.int64], w: NDArray[np.float64]
) -> dict[str, NDArray[np.float64]]:
    # Every replicate's pair totals in one product: (b, n_notes) @ (n_notes, 6).
    t = w @ _per_note_pairs(counts)
    a00, a11, external, p00, p11, p01 = (t[:, i] for i in range(6))
    internal = a00 + a11
    m = internal + external
    pairs_within = p00 + p11
    with np.errstate(invalid="ignore", divide="ignore"):
        within = internal / pairs_within
        across = external / p01
        # Newman's Q = sum_s [L_s / m - (d_s / 2m)^2], degree sum d_s = 2 L_s + external.
        q = (
            internal / m
            - ((2 * a00 + external) / (2 * m)) ** 2
            - ((2 * a11 + external) / (2 * m)) ** 2
        )
        ei_all = (p01 - pairs_within) / (p01 + pairs_within)
        return {
            "cross_side_disagreement": 1.0 - across / within,
            "modularity": q,
            "insularity": ei_all - (external - internal) / m,
        }


@dataclass(frozen=True)
class CrossFitSides:
    """Rater sides learned on one half of the notes, for judging the other half.

    Parameters
    ----------
    note_half : int64 array of shape (n_notes,), 0 or 1: the half each note is in.
    sides : int64 array of shape (2, n_raters): ``sides[h]`` are the sides (0, 1, or -1 for
        none) for judging the ratings of half ``h``, learned from half ``1 - h``; the two
        rows' labels are aligned (side 1 is the same camp in both).
    """

    note_half: NDArray[np.int64]
    sides: NDArray[np.int64]

    def rating_labels(self, matrix: RatingMatrix) -> NDArray[np.int64]:
        """int64 array of shape (n_ratings,): the side each rating is judged with."""
        return self.sides[self.note_half[matrix.note_idx], matrix.rater_idx]


def _first_axis_sides(
    matrix: RatingMatrix,
    learn: NDArray[np.bool_],
    min_ratings: int,
    axes: AxesConfig,
    seed: int,
) -> NDArray[np.int64]:
    """Sides from the first opinion axis (``axes.fit_opinion_axes``: a ridge low-rank fit of
    the double-centred votes on the raters and notes with enough votes) of the votes on the
    notes where ``learn`` (bool, shape (n_notes,)): the sign of each rater's position, for
    the raters with at least ``min_ratings`` of those votes (-1 for the others, and for
    everyone when too few raters have enough votes to fit an axis)."""
    keep = learn[matrix.note_idx]
    sides = np.full(matrix.n_raters, -1, dtype=np.int64)
    try:
        fitted = fit_opinion_axes(matrix, keep, axes, np.random.default_rng(seed))
    except ConfigError as exc:
        _log.warning("no cross-fitted sides for a half of the notes: %s", exc)
        return sides
    u = fitted.rater_positions[:, 0]
    ok = fitted.rater_votes >= max(min_ratings, 1)
    sides[ok] = (u[ok] > 0).astype(np.int64)
    return sides


def crossfit_sides(
    matrix: RatingMatrix,
    *,
    min_ratings: int = 5,
    seed: int = 0,
    axes: AxesConfig | None = None,
) -> CrossFitSides:
    """Two-fold cross-fitted sides (see the module docstring).

    Parameters
    ----------
    matrix : the ratings.
    min_ratings : raters need this many ratings in the learning half to get a side.
    seed : seed of the note split and of the axis fits.
    axes : the axis fit of each half (default ``SIDE_AXES``: one axis).
    """
    axes = SIDE_AXES if axes is None else axes
    rng = np.random.default_rng(seed)
    note_half = (rng.permutation(matrix.n_notes) % 2).astype(np.int64)
    sides = np.stack(
        [_first_axis_sides(matrix, note_half != h, min_ratings, axes, seed) for h in (0, 1)]
    )
    both = (sides[0] >= 0) & (sides[1] >= 0)
    if both.any() and (sides[0][both] == sides[1][both]).mean() < 0.5:
        sides[1] = np.where(sides[1] >= 0, 1 - sides[1], -1)
    return CrossFitSides(note_half, sides)


def _rating_label_counts(matrix: RatingMatrix, labels: NDArray[np.int64]) -> NDArray[np.int64]:
    """Like ``note_value_counts`` with two labels, but with a label per rating."""
    keep = labels >= 0
    key = (
        matrix.note_idx[keep].astype(np.int64) * (2 * N_VALUES)
        + labels[keep] * N_VALUES
        + (matrix.votes[keep].astype(np.int64) + 1)
    )
    flat = np.bincount(key, minlength=matrix.n_notes * 2 * N_VALUES)
    return flat.reshape(matrix.n_notes, 2, N_VALUES)


def graph_measures(matrix: RatingMatrix, sides: NDArray[np.int64]) -> dict[str, float]:
    """The agreement-graph measures (``GRAPH_MEASURES``) of ratings split by rater side.

    Parameters
    ----------
    matrix : the ratings.
    sides : int64 array of shape (n_raters,) (0 left, 1 right, -1 left out), or of shape
        (n_ratings,) with the side each rating is judged with (``CrossFitSides``).
    """
    if sides.shape[0] == matrix.n_ratings:
        counts = _rating_label_counts(matrix, sides)
    else:
        counts = note_value_counts(matrix, sides, 2)
    got = _graph_measures_weighted(counts, np.ones((1, matrix.n_notes)))
    return {k: float(v[0]) for k, v in got.items()}


# P(X <= k) of X ~ Poisson(1), k = 0..11 (P(X > 11) ~ 1e-9, below float32's resolution).
_POISSON_ONE_CDF = np.cumsum(
    [np.exp(-1.0) / math.factorial(k) for k in range(12)], dtype=np.float64
).astype(np.float32)


def _poisson_one(rng: np.random.Generator, shape: tuple[int, int]) -> NDArray[np.float64]:
    """Poisson(1) draws by inverting the CDF on float32 uniforms: 3x faster than
    ``Generator.poisson`` for the millions of bootstrap weights (float64 array of ``shape``)."""
    u = rng.random(shape, dtype=np.float32)
    out = np.zeros(shape, dtype=np.float64)
    for threshold in _POISSON_ONE_CDF:
        out += u >= threshold
    return out


def _interval(
    estimate: Callable[
        [NDArray[np.float64], NDArray[np.int64] | None], dict[str, NDArray[np.float64]]
    ],
    n: int,
    config: PolarizationConfig,
    rng: np.random.Generator,
) -> dict[str, tuple[float, float, float]]:
    """Point estimate and Poisson-bootstrap interval of each measure.

    ``estimate(w, rows)`` gives each measure per weight row ``w`` (shape (b, len(rows)``,
    or (b, n) when ``rows`` is None) over the units ``rows`` (raters or notes). Above
    ``_BOOT_SAMPLE`` units the replicates reweight a random subset of that many (an
    m-out-of-n bootstrap) and the interval's half-widths are scaled by sqrt(m / n) around the
    full-data estimate (Bickel, Götze & van Zwet 1997): the measures are smooth functions
    of sums over units, whose spread shrinks as 1 / sqrt(units).
    """
    point = {k: float(v[0]) for k, v in estimate(np.ones((1, n)), None).items()}
    if config.n_boot == 0 or n == 0:
        return {k: (v, float("nan"), float("nan")) for k, v in point.items()}
    m = min(n, _BOOT_SAMPLE)
    rows = None if m == n else np.sort(rng.choice(n, size=m, replace=False)).astype(np.int64)
    # Poisson(1) weights: the bootstrap that needs no resampled copy (Hanley & MacGibbon 2006).
    boots: dict[str, list[NDArray[np.float64]]] = {k: [] for k in point}
    chunk = max(1, min(config.n_boot, 4_000_000 // m))
    done = 0
    while done < config.n_boot:
        size = min(chunk, config.n_boot - done)
        w = _poisson_one(rng, (size, m))
        for k, replicate in estimate(w, rows).items():
            boots[k].append(replicate)
        done += size
    tail = (1.0 - config.ci) / 2.0
    scale = float(np.sqrt(m / n))
    out: dict[str, tuple[float, float, float]] = {}
    for k, v in point.items():
        sample = np.concatenate(boots[k])
        sample = sample[np.isfinite(sample)]
        if not sample.size:
            out[k] = (v, float("nan"), float("nan"))
            continue
        lo, hi = (float(q) for q in np.quantile(sample, [tail, 1.0 - tail]))
        if rows is not None:
            centre = float(sample.mean())
            lo, hi = v + (lo - centre) * scale, v + (hi - centre) * scale
        out[k] = (v, lo, hi)
    return out


def _mixture_interval(
    x: NDArray[np.float64], config: PolarizationConfig, rng: np.random.Generator
) -> tuple[float, float, float]:
    """``ashman_d`` and its interval. A mixture fit per replicate is the one costly measure,
    so at most ``_MIXTURE_REPLICATES`` replicates, each an m-out-of-n bootstrap sample of at
    most ``_MIXTURE_SAMPLE`` raters whose spread around its mean is scaled by sqrt(m / n)
    (Bickel, Götze & van Zwet 1997). Above ``_MIXTURE_POINT_SAMPLE`` raters the point
    estimate too is fitted on a seeded sample of that many."""
    n = x.shape[0]
    fit = x
    if n > _MIXTURE_POINT_SAMPLE:
        fit = x[np.sort(rng.choice(n, size=_MIXTURE_POINT_SAMPLE, replace=False))]
    point = float(_mixture_d(fit, np.ones((1, fit.shape[0])), config.seed)[0])
    n_boot = min(config.n_boot, _MIXTURE_REPLICATES)
    if n_boot == 0:
        return point, float("nan"), float("nan")
    m = min(n, _MIXTURE_SAMPLE)
    draws = rng.integers(0, n, size=(n_boot, m))
    w = np.stack([np.bincount(d, minlength=n) for d in draws]).astype(np.float64)
    sample = _mixture_d(x, w, config.seed)
    sample = sample[np.isfinite(sample)]
    if not sample.size:
        return point, float("nan"), float("nan")
    tail = (1.0 - config.ci) / 2.0
    lo, hi = (float(q) for q in np.quantile(sample, [tail, 1.0 - tail]))
    centre, scale = float(sample.mean()), float(np.sqrt(m / n))
    return point, point + (lo - centre) * scale, point + (hi - centre) * scale


def _scope_rows(
    scope: str,
    factors: NDArray[np.float64],
    counts: NDArray[np.int64],
    config: PolarizationConfig,
    rng: np.random.Generator,
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    x = factors[np.isfinite(factors)]
    if x.shape[0] >= 4:
        got = _interval(
            lambda w, rows: _factor_measures_weighted(
                x if rows is None else x[rows], w, config.seed, mixture=False
            ),
            x.shape[0],
            config,
            rng,
        )
        got["ashman_d"] = _mixture_interval(x, config, rng)
        for k, (v, lo, hi) in got.items():
            rows.append(
                {
                    "scope": scope,
                    "measure": k,
                    "value": v,
                    "ciLow": lo,
                    "ciHigh": hi,
                    "n": int(x.shape[0]),
                }
            )
    rated = counts.sum(axis=(1, 2)) > 0
    counts = counts[rated]
    if counts.shape[0] > 0:
        got = _interval(
            lambda w, rows: _graph_measures_weighted(counts if rows is None else counts[rows], w),
            counts.shape[0],
            config,
            rng,
        )
        for k, (v, lo, hi) in got.items():
            rows.append(
                {
                    "scope": scope,
                    "measure": k,
                    "value": v,
                    "ciLow": lo,
                    "ciHigh": hi,
                    "n": int(counts.shape[0]),
                }
            )
    return rows


def polarization_table(
    matrix: RatingMatrix,
    rater_factors: NDArray[np.float64],
    config: PolarizationConfig | None = None,
) -> pl.DataFrame:
    """Every measure for the whole run and for each calendar month of ratings.

    Parameters
    ----------
    matrix : the ratings.
    rater_factors : float64 array of shape (n_raters,) aligned with ``matrix.rater_ids`` (one
        scorer's rater factors; NaN where the rater has none). Sides for the factor
        measures split at factor 0; the graph measures use ``crossfit_sides``.
    config : measurement settings.

    Returns
    -------
    ``scope`` (``all`` or ``YYYY-MM``), ``measure``, ``value``, ``ciLow``, ``ciHigh`` (the
    bootstrap interval; NaN without replicates) and ``n`` (raters for the factor measures,
    notes for the graph measures). A month's factor measures use the raters who rated in
    that month (with the run's factors); its graph measures use that month's ratings.
    """
    cfg = config or PolarizationConfig()
    counts = matrix.ratings_per_rater()
    eligible = counts >= max(cfg.min_ratings, 1)
    factors = np.where(eligible, rater_factors, np.nan)
    sides = crossfit_sides(matrix, min_ratings=cfg.min_ratings, seed=cfg.seed, axes=cfg.side_axes)

    months = month_windows(matrix.created_at_ms)
    # One generator per scope (the run, then each month), so that no scope's draws depend on
    # the order the scopes are computed in.
    rngs = [
        np.random.default_rng(s) for s in np.random.SeedSequence(cfg.seed).spawn(1 + len(months))
    ]
    # Every month's counts in one pass over the ratings (a few months per pass, so that the
    # buffer stays under _COUNTS_BYTES); the run's counts are their sum.
    per_month = max(1, _COUNTS_BYTES // max(1, matrix.n_notes * 2 * N_VALUES * 8))
    side_codes = sides.sides.astype(np.int8)
    half_codes = sides.note_half.astype(np.int8)
    total = np.zeros((matrix.n_notes, 2, N_VALUES), dtype=np.int64)
    month_rows: list[dict[str, object]] = []
    for first in range(0, len(months), per_month):
        chunk = months[first : first + per_month]
        edges = np.array([lo for _, lo, _ in chunk] + [chunk[-1][2]], dtype=np.int64)
        counts = crossfit_counts(
            matrix.rater_idx,
            matrix.note_idx,
            matrix.votes,
            matrix.created_at_ms,
            side_codes,
            half_codes,
            edges,
        )
        total += counts.sum(axis=0)
        for k, ((name, lo_ms, hi_ms), month_counts) in enumerate(zip(chunk, counts, strict=True)):
            active = active_raters(
                matrix.rater_idx, matrix.created_at_ms, matrix.n_raters, lo_ms, hi_ms
            )
            month_factors = np.where(active, factors, np.nan)
            rng = rngs[1 + first + k]
            month_rows.extend(_scope_rows(name, month_factors, month_counts, cfg, rng))
        del counts
    rows = _scope_rows("all", factors, total, cfg, rngs[0]) + month_rows
    schema = {
        "scope": pl.String,
        "measure": pl.String,
        "value": pl.Float64,
        "ciLow": pl.Float64,
        "ciHigh": pl.Float64,
        "n": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema)
