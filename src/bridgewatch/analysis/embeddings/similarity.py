"""Who rates alike: agreement between and within rater sides or groups, and nearest
neighbours by embedding or by co-rating agreement.

Agreement of two raters on a note they both rated means the same vote (HELPFUL, SOMEWHAT or
NOT_HELPFUL). Rates between groups are counted exactly from per-note vote counts
(:func:`bridgewatch.analysis.embeddings.ratings.note_value_counts`), never from a
rater x rater matrix: raters a, b of groups A != B agree on note n in
``sum_v c[n, A, v] * c[n, B, v]`` of the ``N[n, A] * N[n, B]`` pairs, and within one group in
``sum_v C(c[n, A, v], 2)`` of ``C(N[n, A], 2)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import NDArray
from sklearn.neighbors import NearestNeighbors

from bridgewatch.analysis.embeddings._kernels import corating_candidates
from bridgewatch.analysis.embeddings.ratings import RatingMatrix, note_value_counts
from bridgewatch.analysis.perspectives import PERSPECTIVE_SPLIT
from bridgewatch.errors import ConfigError

__all__ = [
    "PERSPECTIVE_SPLIT",
    "PairCounts",
    "corating_neighbours",
    "embedding_neighbours",
    "group_agreement",
    "perspective_buckets",
    "rater_sides",
    "side_similarity",
]


def rater_sides(factors: NDArray[np.float64], split: float = 0.0) -> NDArray[np.int64]:
    """Side of each rater on the factor axis.

    Parameters
    ----------
    factors : float64 array of shape (n_raters,), NaN where the rater has no factor.
    split : raters with |factor| <= split belong to neither side.

    Returns
    -------
    int64 array of shape (n_raters,): 0 negative side ("left"), 1 positive side ("right"),
    -1 neither. The sign of an MF factor is arbitrary, so left and right are names only.
    """
    out = np.full(factors.shape[0], -1, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        out[factors < -split] = 0
        out[factors > split] = 1
    return out


def perspective_buckets(
    factors: NDArray[np.float64], split: float = PERSPECTIVE_SPLIT
) -> NDArray[np.int64]:
    """0 left (factor < -split), 1 neutral, 2 right (factor > split), -1 no factor (NaN)."""
    out = np.full(factors.shape[0], 1, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        out[factors < -split] = 0
        out[factors > split] = 2
    out[np.isnan(factors)] = -1
    return out


@dataclass(frozen=True)
class PairCounts:
    """Rater pairs that co-rated a note, by group, and how many of them agreed.

    Parameters
    ----------
    agreeing : float64 array of shape (n_groups, n_groups), symmetric: pairs (one rater of
        each group, or two distinct raters of one group on the diagonal) with the same vote.
    pairs : float64 array of the same shape: all such co-rating pairs.
    """

    agreeing: NDArray[np.float64]
    pairs: NDArray[np.float64]

    def rates(self) -> NDArray[np.float64]:
        """Agreement rate per group pair (NaN where no pair co-rated)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.pairs > 0, self.agreeing / self.pairs, np.nan)


def group_agreement(
    counts: NDArray[np.int64], note_weights: NDArray[np.float64] | None = None
) -> PairCounts:
    """Co-rating pairs and agreeing pairs between and within groups.

    Parameters
    ----------
    counts : int64 array of shape (n_notes, n_groups, 3) from ``note_value_counts``.
    note_weights : float64 array of shape (n_notes,) weighting each note (a bootstrap's
        resampling weights); all ones by default.
    """
    c = counts.astype(np.float64)
    w = np.ones(c.shape[0]) if note_weights is None else note_weights
    totals = c.sum(axis=2)
    agreeing = np.einsum("n,nav,nbv->ab", w, c, c)
    pairs = np.einsum("n,na,nb->ab", w, totals, totals)
    # Within a group, pairs of distinct raters: C(k, 2) = (k^2 - k) / 2.
    diag = np.arange(c.shape[1])
    agreeing[diag, diag] = (agreeing[diag, diag] - np.einsum("n,nav->a", w, c)) / 2.0
    pairs[diag, diag] = (pairs[diag, diag] - np.einsum("n,na->a", w, totals)) / 2.0
    return PairCounts(agreeing=agreeing, pairs=pairs)


def side_similarity(matrix: RatingMatrix, sides: NDArray[np.int64]) -> pl.DataFrame:
    """Agreement within and between the two factor sides.

    Parameters
    ----------
    matrix : the ratings.
    sides : int64 array of shape (n_raters,) from :func:`rater_sides`.

    Returns
    -------
    One row per side pair (``left``/``left``, ``left``/``right``, ``right``/``right``):
    ``sideA``, ``sideB``, ``pairs`` (co-rating rater pairs), ``agreeingPairs`` and
    ``agreementRate``.
    """
    pc = group_agreement(note_value_counts(matrix, sides, 2))
    names = ("left", "right")
    rows = [(0, 0), (0, 1), (1, 1)]
    rates = pc.rates()
    return pl.DataFrame(
        {
            "sideA": [names[a] for a, _ in rows],
            "sideB": [names[b] for _, b in rows],
            "pairs": [float(pc.pairs[a, b]) for a, b in rows],
            "agreeingPairs": [float(pc.agreeing[a, b]) for a, b in rows],
            "agreementRate": [float(rates[a, b]) for a, b in rows],
        }
    )


def embedding_neighbours(
    embeddings: pl.DataFrame,
    *,
    id_column: str = "raterParticipantId",
    k: int = 10,
    max_queries: int | None = None,
    seed: int = 0,
) -> pl.DataFrame:
    """The ``k`` nearest raters of each rater in one scorer's (intercept, factor) plane.

    Parameters
    ----------
    embeddings : ``id_column``, ``intercept``, ``factor`` (one scorer; rows with a null
        factor are left out).
    k : neighbours per rater (fewer when there are fewer raters).
    max_queries : at most this many raters (sampled with ``seed``, in their order) get their
        neighbours listed, among all raters; None for every rater.

    Returns
    -------
    ``id_column``, ``neighbour`` (its id), ``rank`` (1 = nearest) and ``distance``
    (Euclidean, in the embedding's units). A k-d tree, never a rater x rater matrix.
    """
    if k < 1:
        raise ConfigError("k", k, "an integer >= 1")
    rows = embeddings.filter(pl.col("factor").is_not_null() & pl.col("factor").is_not_nan())
    n = rows.height
    kk = min(k, n - 1)
    if kk < 1:
        return pl.DataFrame(
            schema={
                id_column: pl.String,
                "neighbour": pl.String,
                "rank": pl.Int32,
                "distance": pl.Float64,
            }
        )
    points = rows.select("intercept", "factor").to_numpy().astype(np.float64)
    tree = NearestNeighbors(n_neighbors=kk + 1, algorithm="kd_tree").fit(points)
    queries = np.arange(n)
    if max_queries is not None and n > max_queries:
        rng = np.random.default_rng(seed)
        queries = np.sort(rng.choice(n, size=max_queries, replace=False))
    dist, idx = tree.kneighbors(points[queries])
    ids = rows[id_column].cast(pl.String).to_numpy()
    # Drop each point itself (the first neighbour, or a later one among exact duplicates).
    not_self = idx != queries[:, None]
    keep_rank = np.cumsum(not_self, axis=1) <= kk
    mask = not_self & keep_rank
    ranks = np.cumsum(not_self, axis=1)
    return pl.DataFrame(
        {
            id_column: np.repeat(ids[queries], mask.sum(axis=1)),
            "neighbour": ids[idx[mask]],
            "rank": ranks[mask].astype(np.int32),
            "distance": dist[mask],
        }
    )


def corating_neighbours(
    matrix: RatingMatrix,
    query_raters: NDArray[np.int64],
    *,
    k: int = 10,
    min_common: int = 3,
) -> pl.DataFrame:
    """The ``k`` raters who agree most often with each query rater on notes both rated.

    Parameters
    ----------
    matrix : the ratings.
    query_raters : int64 array of rater rows to find neighbours for.
    k : neighbours per query rater.
    min_common : candidates must share at least this many rated notes.

    Returns
    -------
    ``raterParticipantId``, ``neighbour``, ``rank`` (1 = most similar), ``commonNotes`` and
    ``agreement`` (share of common notes with the same vote; ties broken by more common
    notes, then by rater row). Cost: two passes over the ratings, then work proportional
    to the ratings on the notes the query raters rated; memory is those ratings and two
    counters per rater, never a rater x rater matrix.
    """
    if k < 1:
        raise ConfigError("k", k, "an integer >= 1")
    if min_common < 1:
        raise ConfigError("min_common", min_common, "an integer >= 1")
    q = np.asarray(query_raters, dtype=np.int64)
    rows, others, n_common, n_agree = corating_candidates(
        matrix.rater_idx,
        matrix.note_idx,
        matrix.votes,
        q,
        matrix.n_raters,
        matrix.n_notes,
        min_common,
    )
    share = n_agree / n_common
    order = np.lexsort((others, -n_common, -share, rows))
    rows, others, n_common, share = rows[order], others[order], n_common[order], share[order]
    starts = np.searchsorted(rows, rows, side="left")
    rank = np.arange(rows.shape[0]) - starts + 1
    top = rank <= k
    return pl.DataFrame(
        {
            "raterParticipantId": matrix.rater_ids[q[rows[top]]],
            "neighbour": matrix.rater_ids[others[top]],
            "rank": rank[top].astype(np.int32),
            "commonNotes": n_common[top].astype(np.int64),
            "agreement": share[top].astype(np.float64),
        }
    )
