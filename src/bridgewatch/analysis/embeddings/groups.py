"""Opinion groups found from the rating matrix itself, as Polis does for votes.

Projection (Polis: PCA of the vote matrix with missing votes imputed by the comment's mean;
Small et al. 2021, "Polis: Scaling Deliberation by Mapping High Dimensional Opinion Spaces",
and its Python re-implementation red-dwarf). Community Notes ratings are far sparser than
Polis votes (a median rater rates under 1% of the notes), so the projection is made to hold
up on sparse data:

- votes (+1 / 0 / -1) are centred by their note's mean vote, so a missing vote imputed by
  that mean is 0 and the matrix stays sparse, then by the rater's mean residual (leniency,
  the rater intercept of the MF model), which would otherwise be the first component;
- the note axes are a ridge-regularised low-rank fit of those votes over the observed ones
  only, on the raters and notes with enough votes (``axes.AxesConfig``), by alternating
  least squares with scipy.sparse: a rater or note with few votes is shrunk towards 0 and
  cannot carry an axis. (A truncated SVD of the matrix scaled by 1 / sqrt(votes of the
  rater x votes of the note), fitted on 100,000 sampled raters, put both axes on a few
  thousand outliers at 10M ratings: issue #17.);
- each rater's position is the ridge least-squares fit of its votes on the note loadings
  over the notes it rated only, the missing-data counterpart of Polis's sqrt(n_notes /
  n_rated) scaling: a light rater is not pulled to the centre by the notes it never saw.

Clustering: k-means (scikit-learn) of the raters with at least ``cluster_min_ratings`` votes,
whose positions are precise enough to show the groups, with the number of groups chosen by
the silhouette (Rousseeuw 1987); every other placed rater joins its nearest group centre.
The light raters' groups are the best guess their few votes allow, no more: at the
simulator's defaults even a classifier that knows every note's true slant places raters
with 7-15 ratings in the right camp only 84% of the time (benchmarks/analyze_truth.py), and
those with 30-59 ratings at an adjusted Rand index of 0.84 (benchmarks/groups_truth.py), so
only raters with 60 or more fit the k-means by default.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from numpy.typing import NDArray
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score, silhouette_score
from threadpoolctl import threadpool_limits

from bridgewatch.analysis.embeddings.axes import AxesConfig, fit_opinion_axes
from bridgewatch.analysis.embeddings.ratings import RatingMatrix
from bridgewatch.errors import ConfigError

__all__ = [
    "OpinionGroups",
    "OpinionGroupsConfig",
    "compare_labels",
    "opinion_groups",
]


@dataclass(frozen=True)
class OpinionGroupsConfig:
    """Settings of the opinion-group clustering.

    Parameters
    ----------
    min_rater_ratings : raters with fewer ratings are not placed (Polis: 7 votes).
    min_note_ratings : notes with fewer ratings are left out of the projection.
    axes : the axis fit (``AxesConfig``: number of axes, which raters and notes fit them,
        ridge penalties).
    cluster_components : the first this many axes are clustered (Polis: both of two). Each
        axis's positions are scaled by its singular value over the first, as principal
        component scores are, so a minor axis weighs less. On one axis alone the silhouette
        picked 3 groups for one of four simulated communities at the default polarization
        (ARI 0.07); on two it picked 2 for all four.
    cluster_min_ratings : raters with at least this many ratings (in the projection) are
        clustered; the others are assigned to the nearest group centre. (At the simulator's
        defaults, 10M ratings: ARI against the camps 0.91 for raters with 60-119 ratings,
        0.80 with 30-59.)
    min_cluster_raters : when fewer raters reach ``cluster_min_ratings``, the this many most
        active placed raters are clustered instead.
    cluster_sample : at most this many of the clustered raters (sampled) fit the k-means.
    k_range : (smallest, largest) number of groups tried; the silhouette picks one.
    silhouette_sample : raters sampled for each silhouette score (it is quadratic).
    seed : seed of the axis fit, k-means and the samples.
    """

    min_rater_ratings: int = 7
    min_note_ratings: int = 5
    axes: AxesConfig = field(default_factory=AxesConfig)
    cluster_components: int = 2
    cluster_min_ratings: int = 60
    min_cluster_raters: int = 100
    cluster_sample: int = 20_000
    k_range: tuple[int, int] = (2, 5)
    silhouette_sample: int = 2000
    seed: int = 0

    def __post_init__(self) -> None:
        for name in (
            "min_rater_ratings",
            "min_note_ratings",
            "cluster_components",
            "cluster_min_ratings",
            "min_cluster_raters",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(name, value, "an integer >= 1")
        lo, hi = self.k_range
        if not 2 <= lo <= hi:
            raise ConfigError("k_range", self.k_range, "(lo, hi) with 2 <= lo <= hi")
        if self.silhouette_sample < 10:
            raise ConfigError("silhouette_sample", self.silhouette_sample, "an integer >= 10")
        if self.cluster_components > self.axes.n_components:
            raise ConfigError(
                "cluster_components", self.cluster_components, "at most axes.n_components"
            )
        if self.cluster_sample < 10:
            raise ConfigError("cluster_sample", self.cluster_sample, "an integer >= 10")


@dataclass(frozen=True)
class OpinionGroups:
    """Raters placed on the opinion map and their groups.

    Parameters
    ----------
    raters : ``raterParticipantId``, ``x``, ``y`` (the rater's position on the first two
        note axes; ``y`` 0 with one component), ``group`` (0..k-1, groups numbered by size,
        largest first), ``nRatings`` (votes in the projection) and ``clustered`` (the rater
        fit the k-means; the others joined the nearest centre); one row per placed rater.
    silhouettes : ``k`` and ``silhouette`` for every k tried.
    k : the chosen number of groups.
    explained_variance : float64 array of shape (n_components,), each axis's share of the sum
        of squares of the centred votes that fitted the axes (``OpinionAxes.explained``).
    """

    raters: pl.DataFrame
    silhouettes: pl.DataFrame
    k: int
    explained_variance: NDArray[np.float64]

    def labels_for(self, rater_ids: NDArray[np.str_]) -> NDArray[np.int64]:
        """Group of each id in ``rater_ids`` (int64, -1 where the rater was not placed)."""
        joined = pl.DataFrame({"raterParticipantId": pl.Series(rater_ids, dtype=pl.String)}).join(
            self.raters.select("raterParticipantId", "group"),
            on="raterParticipantId",
            how="left",
            maintain_order="left",
        )
        out: NDArray[np.int64] = joined["group"].fill_null(-1).to_numpy().astype(np.int64)
        return out


def _projection(
    matrix: RatingMatrix, config: OpinionGroupsConfig
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """Rows of the placed raters, their coordinates (n_placed, n_components), the explained
    variance ratios and each placed rater's number of votes in the projection."""
    per_rater = matrix.ratings_per_rater()
    per_note = np.bincount(matrix.note_idx, minlength=matrix.n_notes)
    keep = (per_rater >= config.min_rater_ratings)[matrix.rater_idx] & (
        per_note >= config.min_note_ratings
    )[matrix.note_idx]
    axes = fit_opinion_axes(matrix, keep, config.axes, np.random.default_rng(config.seed))
    del keep
    raters = np.flatnonzero(axes.rater_votes > 0)
    # Each axis in proportion to its singular value, as principal-component scores are: on
    # unit loadings every axis would weigh alike, and k-means would split the noise of a
    # minor axis as readily as the viewpoint axis.
    singular = axes.singular_values
    coords = axes.rater_positions[raters] * (
        singular / max(float(singular[0]), np.finfo(np.float64).tiny)
    )
    return raters.astype(np.int64), coords, axes.explained, axes.rater_votes[raters]


def opinion_groups(
    matrix: RatingMatrix, config: OpinionGroupsConfig | None = None
) -> OpinionGroups:
    """Project the vote matrix and cluster the raters (see the module docstring).

    Raises
    ------
    ConfigError
        Fewer raters keep ``min_rater_ratings`` votes on notes with ``min_note_ratings``
        than the smallest k tried needs (k + 1).
    """
    cfg = config or OpinionGroupsConfig()
    lo, hi = cfg.k_range
    per_rater = matrix.ratings_per_rater()
    n_eligible = int((per_rater >= cfg.min_rater_ratings).sum())
    if n_eligible > lo:
        raters, coords, explained, n_rated = _projection(matrix, cfg)
        n_eligible = raters.shape[0]
    if n_eligible <= lo:
        raise ConfigError(
            "min_rater_ratings",
            cfg.min_rater_ratings,
            f"a value that leaves more than {lo} raters (only {n_eligible} qualify)",
        )
    fit_rows = _clustered_rows(n_rated, cfg)
    clustered = np.zeros(raters.shape[0], dtype=np.bool_)
    clustered[fit_rows] = True
    hi = min(hi, fit_rows.shape[0] - 1)
    # One thread: k-means on a few dimensions is memory-light, and OpenMP threads spinning on
    # a loaded machine made it ~30x slower (3.4 s against 0.09 s for 3,600 raters).
    with threadpool_limits(limits=1):
        scores, k, labels = _cluster(coords[:, : cfg.cluster_components], fit_rows, cfg, lo, hi)
    y = coords[:, 1] if coords.shape[1] > 1 else np.zeros(coords.shape[0])
    frame = pl.DataFrame(
        {
            "raterParticipantId": matrix.rater_ids[raters],
            "x": coords[:, 0],
            "y": y,
            "group": labels,
            "nRatings": n_rated,
            "clustered": clustered,
        }
    )
    silhouettes = pl.DataFrame(
        {"k": [s[0] for s in scores], "silhouette": [s[1] for s in scores]},
        schema={"k": pl.Int64, "silhouette": pl.Float64},
    )
    return OpinionGroups(frame, silhouettes, k, explained)


def _clustered_rows(n_rated: NDArray[np.int64], cfg: OpinionGroupsConfig) -> NDArray[np.int64]:
    """Sorted rows (into the placed raters) that fit the k-means: those with at least
    ``cluster_min_ratings`` votes, else the ``min_cluster_raters`` most active; at most
    ``cluster_sample`` of them, sampled with the seed."""
    rng = np.random.default_rng(cfg.seed)
    rows = np.flatnonzero(n_rated >= cfg.cluster_min_ratings)
    if rows.shape[0] < min(cfg.min_cluster_raters, n_rated.shape[0]):
        # Ties in activity are broken at random, not by row (rows follow the ids).
        shuffled = rng.permutation(n_rated.shape[0])
        by_activity = shuffled[np.argsort(-n_rated[shuffled], kind="stable")]
        rows = np.sort(by_activity[: cfg.min_cluster_raters])
    if rows.shape[0] > cfg.cluster_sample:
        rows = np.sort(rng.choice(rows, size=cfg.cluster_sample, replace=False))
    return rows.astype(np.int64)


def _cluster(
    coords: NDArray[np.float64],
    fit_rows: NDArray[np.int64],
    cfg: OpinionGroupsConfig,
    lo: int,
    hi: int,
) -> tuple[list[tuple[int, float]], int, NDArray[np.int64]]:
    """k-means on ``coords[fit_rows]`` for each k in [lo, hi]; the k with the best
    silhouette, every row of ``coords`` labelled by its nearest centre of that k (renumbered
    by group size, largest first), and every k's silhouette."""
    rng_state = np.random.RandomState(cfg.seed)
    fit = coords[fit_rows]
    best: tuple[float, int, KMeans] | None = None
    scores = []
    for k in range(lo, hi + 1):
        with warnings.catch_warnings():
            # Fewer distinct positions than k: that k is not a candidate (scored -1 below).
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = KMeans(n_clusters=k, n_init=10, random_state=cfg.seed).fit(fit)
        labels = model.labels_
        sample = min(cfg.silhouette_sample, fit.shape[0])
        if len(np.unique(labels)) < k:
            score = -1.0
        else:
            score = float(silhouette_score(fit, labels, sample_size=sample, random_state=rng_state))
        scores.append((k, score))
        if best is None or score > best[0]:
            best = (score, k, model)
    assert best is not None  # the loop runs at least once: lo <= hi
    _score, k, model = best
    labels = model.predict(coords).astype(np.int64)
    # Number groups by size, largest first, so that runs compare by group number.
    sizes = np.bincount(labels, minlength=k)
    rank = np.empty(k, dtype=np.int64)
    rank[np.lexsort((np.arange(k), -sizes))] = np.arange(k)
    return scores, k, rank[labels]


def compare_labels(
    name_a: str, a: NDArray[np.int64], name_b: str, b: NDArray[np.int64]
) -> pl.DataFrame:
    """Adjusted Rand index (Hubert & Arabie 1985) of two labelings and their crosstab.

    Parameters
    ----------
    a, b : int64 arrays of one shape, -1 where a rater has no label (left out).

    Returns
    -------
    One row per (label in a, label in b) pair present: ``name_a``, ``name_b`` columns with
    the labels, ``raters``, and ``ari`` (the same index on every row).
    """
    both = (a >= 0) & (b >= 0)
    ari = float(adjusted_rand_score(a[both], b[both])) if both.sum() > 1 else float("nan")
    frame = pl.DataFrame({name_a: a[both], name_b: b[both]})
    return (
        frame.group_by(name_a, name_b)
        .len(name="raters")
        .sort(name_a, name_b)
        .with_columns(pl.lit(ari).alias("ari"))
    )
