"""Opinion groups found from the rating matrix itself, as Polis does for votes.

The vote matrix (raters x notes, +1 / 0 / -1, missing votes imputed by the note's mean vote)
is projected on its first principal components (scikit-learn's ``TruncatedSVD`` on the
sparse, column-centred matrix: PCA without densifying), each rater's projection is scaled
by sqrt(n_notes / n_rated) so that light raters are not pulled to the centre (Polis's
sparsity-aware scaling; Small et al. 2021, "Polis: Scaling Deliberation by Mapping High
Dimensional Opinion Spaces", and red-dwarf), and the raters are clustered by k-means, with
the number of groups chosen by the silhouette (Rousseeuw 1987).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.metrics import adjusted_rand_score, silhouette_score
from threadpoolctl import threadpool_limits

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
    n_components : principal components kept (Polis: 2).
    k_range : (smallest, largest) number of groups tried; the silhouette picks one.
    silhouette_sample : raters sampled for each silhouette score (it is quadratic).
    seed : seed of the SVD, k-means and silhouette sampling.
    """

    min_rater_ratings: int = 7
    min_note_ratings: int = 5
    n_components: int = 2
    k_range: tuple[int, int] = (2, 5)
    silhouette_sample: int = 3000
    seed: int = 0

    def __post_init__(self) -> None:
        if self.min_rater_ratings < 1:
            raise ConfigError("min_rater_ratings", self.min_rater_ratings, "an integer >= 1")
        if self.min_note_ratings < 1:
            raise ConfigError("min_note_ratings", self.min_note_ratings, "an integer >= 1")
        if self.n_components < 1:
            raise ConfigError("n_components", self.n_components, "an integer >= 1")
        lo, hi = self.k_range
        if not 2 <= lo <= hi:
            raise ConfigError("k_range", self.k_range, "(lo, hi) with 2 <= lo <= hi")
        if self.silhouette_sample < 10:
            raise ConfigError("silhouette_sample", self.silhouette_sample, "an integer >= 10")


@dataclass(frozen=True)
class OpinionGroups:
    """Raters placed on the opinion map and their groups.

    Parameters
    ----------
    raters : ``raterParticipantId``, ``x``, ``y`` (first two scaled components; ``y`` 0
        with one component), ``group`` (0..k-1, groups numbered by size, largest first) and
        ``nRatings``; one row per placed rater.
    silhouettes : ``k`` and ``silhouette`` for every k tried.
    k : the chosen number of groups.
    explained_variance : float64 array of shape (n_components,), variance ratio per component.
    """

    raters: pl.DataFrame
    silhouettes: pl.DataFrame
    k: int
    explained_variance: NDArray[np.float64]

    def labels_for(self, rater_ids: NDArray[np.str_]) -> NDArray[np.int64]:
        """Group of each id in ``rater_ids`` (int64, -1 where the rater was not placed)."""
        ids = self.raters["raterParticipantId"].to_numpy().astype(np.str_)
        groups = self.raters["group"].to_numpy().astype(np.int64)
        order = np.argsort(ids)
        ids, groups = ids[order], groups[order]
        pos = np.minimum(np.searchsorted(ids, rater_ids), max(ids.shape[0] - 1, 0))
        out = np.full(rater_ids.shape[0], -1, dtype=np.int64)
        if ids.shape[0]:
            found = ids[pos] == rater_ids
            out[found] = groups[pos[found]]
        return out


def _projection(
    matrix: RatingMatrix, config: OpinionGroupsConfig
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    per_rater = matrix.ratings_per_rater()
    per_note = np.bincount(matrix.note_idx, minlength=matrix.n_notes)
    raters = np.flatnonzero(per_rater >= config.min_rater_ratings)
    notes = np.flatnonzero(per_note >= config.min_note_ratings)
    note_col = np.full(matrix.n_notes, -1, dtype=np.int64)
    note_col[notes] = np.arange(notes.shape[0])
    rater_row = np.full(matrix.n_raters, -1, dtype=np.int64)
    rater_row[raters] = np.arange(raters.shape[0])
    keep = (note_col[matrix.note_idx] >= 0) & (rater_row[matrix.rater_idx] >= 0)
    r = rater_row[matrix.rater_idx[keep]]
    c = note_col[matrix.note_idx[keep]]
    v = matrix.votes[keep].astype(np.float64)
    # Missing votes take the note's mean vote, so after centring they are 0: still sparse.
    col_sum = np.bincount(c, weights=v, minlength=notes.shape[0]).astype(np.float64)
    col_n = np.bincount(c, minlength=notes.shape[0])
    mean = np.divide(col_sum, col_n, out=np.zeros_like(col_sum), where=col_n > 0)
    centred = sp.csr_matrix((v - mean[c], (r, c)), shape=(raters.shape[0], notes.shape[0]))
    n_comp = min(config.n_components, max(min(centred.shape) - 1, 1))
    svd = TruncatedSVD(n_components=n_comp, algorithm="arpack", random_state=config.seed)
    coords = svd.fit_transform(centred)
    n_rated = np.bincount(r, minlength=raters.shape[0]).astype(np.float64)
    coords = coords * np.sqrt(notes.shape[0] / np.maximum(n_rated, 1.0))[:, None]
    explained = np.asarray(svd.explained_variance_ratio_, dtype=np.float64)
    return raters, coords, explained, n_rated.astype(np.int64)


def opinion_groups(
    matrix: RatingMatrix, config: OpinionGroupsConfig | None = None
) -> OpinionGroups:
    """Project the vote matrix and cluster the raters (see the module docstring).

    Raises
    ------
    ConfigError
        Fewer raters meet ``min_rater_ratings`` than the largest k tried needs (k + 1).
    """
    cfg = config or OpinionGroupsConfig()
    lo, hi = cfg.k_range
    n_eligible = int((matrix.ratings_per_rater() >= cfg.min_rater_ratings).sum())
    if n_eligible <= lo:
        raise ConfigError(
            "min_rater_ratings",
            cfg.min_rater_ratings,
            f"a value that leaves more than {lo} raters (only {n_eligible} qualify)",
        )
    raters, coords, explained, n_rated = _projection(matrix, cfg)
    hi = min(hi, raters.shape[0] - 1)
    # One thread: k-means on a few dimensions is memory-light, and OpenMP threads spinning on
    # a loaded machine made it ~30x slower (3.4 s against 0.09 s for 3,600 raters).
    with threadpool_limits(limits=1):
        scores, k, labels = _cluster(coords, cfg, lo, hi)
    y = coords[:, 1] if coords.shape[1] > 1 else np.zeros(coords.shape[0])
    frame = pl.DataFrame(
        {
            "raterParticipantId": matrix.rater_ids[raters],
            "x": coords[:, 0],
            "y": y,
            "group": labels,
            "nRatings": n_rated,
        }
    )
    silhouettes = pl.DataFrame(
        {"k": [s[0] for s in scores], "silhouette": [s[1] for s in scores]},
        schema={"k": pl.Int64, "silhouette": pl.Float64},
    )
    return OpinionGroups(frame, silhouettes, k, explained)


def _cluster(
    coords: NDArray[np.float64], cfg: OpinionGroupsConfig, lo: int, hi: int
) -> tuple[list[tuple[int, float]], int, NDArray[np.int64]]:
    """k-means for each k in [lo, hi]; the k with the best silhouette, its labels
    renumbered by group size (largest first), and every k's silhouette."""
    rng_state = np.random.RandomState(cfg.seed)
    best: tuple[float, int, NDArray[np.int64]] | None = None
    scores = []
    for k in range(lo, hi + 1):
        labels = KMeans(n_clusters=k, n_init=10, random_state=cfg.seed).fit_predict(coords)
        sample = min(cfg.silhouette_sample, coords.shape[0])
        if len(np.unique(labels)) < 2:
            score = -1.0
        else:
            score = float(
                silhouette_score(coords, labels, sample_size=sample, random_state=rng_state)
            )
        scores.append((k, score))
        if best is None or score > best[0]:
            best = (score, k, labels.astype(np.int64))
    assert best is not None  # the loop runs at least once: lo <= hi
    _score, k, labels = best
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
