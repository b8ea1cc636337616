"""Post Selection Similarity: clusters of accounts that pick the same notes (extended §3.1).

Family A flags (author, rater) pairs whose fast HELPFUL ratings concentrate on one another;
family B flags rater pairs that co-rate the same notes within 20 minutes on more posts than
chance allows. The union of both families' pairs is split into connected components, and
each component's id is its members' ``postSelectionValue``.

All counting is vectorised: pair totals via sorted keys and ``np.unique``, components via
``scipy.sparse.csgraph``. ``count_co_ratings_reference`` is the plain loop version used to
test ``count_co_ratings``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numba import njit
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

from bridgewatch.model import HelpfulnessLevel, Ratings
from bridgewatch.scoring.manipulation.config import PostSelectionConfig

__all__ = [
    "NO_CLUSTER",
    "CoRatingCounts",
    "PostSelectionResult",
    "cluster_pairs",
    "count_co_ratings",
    "count_co_ratings_reference",
    "find_author_rater_pairs",
    "find_co_rating_pairs",
    "find_post_selection_clusters",
]

NO_CLUSTER = -1
"""Cluster id of a participant in no cluster."""

_MINUTE_MS = 60_000


def _sorted_unique(keys: NDArray[np.int64]) -> NDArray[np.int64]:
    """Distinct keys, ascending (a sort; faster than hashing for large int64 arrays)."""
    ordered = np.sort(keys)
    if ordered.shape[0] == 0:
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


def _unique_counts(
    keys: NDArray[np.int64], *, is_sorted: bool = False
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Distinct keys, ascending, with their multiplicities."""
    ordered = keys if is_sorted else np.sort(keys)
    if ordered.shape[0] == 0:
        return ordered, np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    counts = np.diff(np.r_[starts, ordered.shape[0]])
    return ordered[starts], counts.astype(np.int64)


def find_author_rater_pairs(
    ratings: Ratings,
    note_author_idx: NDArray[np.int32],
    note_created_at_ms: NDArray[np.int64],
    config: PostSelectionConfig,
) -> NDArray[np.int64]:
    """Family A: (author, rater) pairs with high affinity or coverage (§3.1).

    For each latency window L, over HELPFUL ratings made at most L minutes after the note's
    creation: ``affinity = pairTotal_L / raterTotal_L`` (defined when raterTotal_L >= 10) and
    ``coverage = pairTotal_L / writerTotal`` (defined when the author wrote >= 10 notes).

    Parameters
    ----------
    ratings : Ratings
    note_author_idx : int32 array of shape (n_notes,)
        Author of each note in the notes file; -1 for notes absent from it.
    note_created_at_ms : int64 array of shape (n_notes,)
        Creation time of each note (ignored where the author is -1).
    config : PostSelectionConfig

    Returns
    -------
    int64 array of shape (k, 2)
        Distinct flagged pairs as (smaller idx, larger idx); an author rating their own notes
        gives a pair (a, a).
    """
    n_p = ratings.n_participants
    in_file = note_author_idx >= 0
    writer_total = np.bincount(note_author_idx[in_file], minlength=n_p)
    author = note_author_idx[ratings.note_idx]
    latency = ratings.created_at_ms - note_created_at_ms[ratings.note_idx]
    usable = (ratings.helpfulness_level == HelpfulnessLevel.HELPFUL) & (author >= 0)
    flagged: list[NDArray[np.int64]] = []
    for minutes, coverage_min, affinity_min in zip(
        config.latency_windows_min,
        config.writer_coverage_thresholds,
        config.rater_affinity_thresholds,
        strict=True,
    ):
        within = usable & (latency <= minutes * _MINUTE_MS)
        raters = ratings.rater_idx[within].astype(np.int64)
        keys, pair_total = _unique_counts(author[within].astype(np.int64) * n_p + raters)
        a, r = keys // n_p, keys % n_p
        rater_total = np.bincount(raters, minlength=n_p)[r]
        # Divide as the reference does, so ratios on a threshold round the same way.
        affinity = pair_total / np.maximum(rater_total, 1)
        coverage = pair_total / np.maximum(writer_total[a], 1)
        affinity_ok = (rater_total >= config.min_denominator) & (affinity >= affinity_min)
        coverage_ok = (writer_total[a] >= config.min_denominator) & (coverage >= coverage_min)
        hit = affinity_ok | coverage_ok
        flagged.append(np.stack([np.minimum(a[hit], r[hit]), np.maximum(a[hit], r[hit])], axis=1))
    pairs = np.concatenate(flagged) if flagged else np.zeros((0, 2), dtype=np.int64)
    return np.unique(pairs, axis=0).reshape(-1, 2).astype(np.int64)


@dataclass(frozen=True)
class CoRatingCounts:
    """Family B raw counts.

    Parameters
    ----------
    pairs : int64 array of shape (m, 2)
        Rater pairs (smaller idx, larger idx) that co-rated on at least one post.
    co_posts : int64 array of shape (m,)
        Number of posts on which the pair co-rated (``co``).
    rater_posts : int64 array of shape (n_participants,)
        Distinct posts each rater rated (``n``).
    n_post_raters : int
        Distinct (post, rater) pairs (``N``).
    """

    pairs: NDArray[np.int64]
    co_posts: NDArray[np.int64]
    rater_posts: NDArray[np.int64]
    n_post_raters: int


def _window_starts(
    note_sorted: NDArray[np.int64], time_sorted: NDArray[np.int64], window_ms: int
) -> NDArray[np.int64]:
    """For each sorted rating, the first rating of its note within ``window_ms`` before it."""
    n = note_sorted.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    seg_first = np.r_[True, note_sorted[1:] != note_sorted[:-1]]
    seg_id = np.cumsum(seg_first) - 1
    seg_min = time_sorted[seg_first][seg_id]
    rel = time_sorted - seg_min
    span = int(rel.max()) + window_ms + 1
    n_segments = int(seg_id[-1]) + 1
    if n_segments < (1 << 62) // span:
        # One sorted composite key: segment * span + time within segment.
        key = seg_id.astype(np.int64) * span + rel
        return np.asarray(np.searchsorted(key, key - window_ms, side="left"), dtype=np.int64)
    starts = np.empty(n, dtype=np.int64)
    bounds = np.r_[np.flatnonzero(seg_first), n]
    for lo, hi in itertools.pairwise(bounds.tolist()):
        t = time_sorted[lo:hi]
        starts[lo:hi] = lo + np.searchsorted(t, t - window_ms, side="left")
    return starts


def _pair_keys_numpy(
    starts: NDArray[np.int64], rater: NDArray[np.int64], post: NDArray[np.int64], n_p: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Every co-rating (rating i, earlier rating j of the note in the window) as
    (pair key lo * n_p + hi, post), plain numpy; rows for equal raters dropped."""
    n_before = np.arange(rater.shape[0], dtype=np.int64) - starts
    total = int(n_before.sum())
    i = np.repeat(np.arange(rater.shape[0], dtype=np.int64), n_before)
    first = np.cumsum(n_before) - n_before
    j = np.repeat(starts, n_before) + (
        np.arange(total, dtype=np.int64) - np.repeat(first, n_before)
    )
    a, b = rater[i], rater[j]
    differ = a != b
    pair_key = np.minimum(a, b)[differ] * n_p + np.maximum(a, b)[differ]
    return pair_key, post[i][differ]


@njit(cache=True)
def _pair_post_keys_numba(
    starts: NDArray[np.int64],
    rater: NDArray[np.int64],
    post: NDArray[np.int64],
    n_p: int,
    n_posts: int,
) -> NDArray[np.int64]:  # pragma: no cover - compiled
    """Same rows as ``_pair_keys_numpy`` as one key ``pair_key * n_posts + post``."""
    n = rater.shape[0]
    total = 0
    for i in range(n):
        total += i - starts[i]
    out = np.empty(total, dtype=np.int64)
    k = 0
    for i in range(n):
        a = rater[i]
        for j in range(starts[i], i):
            b = rater[j]
            if a != b:
                lo = min(a, b)
                hi = max(a, b)
                out[k] = (lo * n_p + hi) * n_posts + post[i]
                k += 1
    return out[:k]


def count_co_ratings(
    ratings: Ratings,
    note_post_idx: NDArray[np.int64],
    config: PostSelectionConfig,
    *,
    accelerated: bool = True,
    min_rater_posts: int = 0,
) -> CoRatingCounts:
    """Count, per rater pair, the posts where they rated a note within the window (§3.1 B).

    Two different raters co-rate when their ratings of the same note are at most
    ``co_rating_window_ms`` apart; each pair counts once per post.

    Parameters
    ----------
    ratings : Ratings
        Ratings of any helpfulness level.
    note_post_idx : int64 array of shape (n_notes,)
        Post row of each note; -1 for notes without a real post (or absent from the notes
        file), whose ratings are ignored.
    config : PostSelectionConfig
    accelerated : bool
        Generate pair keys with the numba kernel (default) instead of plain numpy; both
        give identical counts.
    min_rater_posts : int
        Skip pairs involving raters with fewer distinct posts (family B ignores them anyway;
        passing ``min_unique_posts`` saves memory). ``rater_posts`` and ``N`` still count
        every rating.

    Returns
    -------
    CoRatingCounts
    """
    n_p = ratings.n_participants
    post_of_rating = note_post_idx[ratings.note_idx]
    keep = post_of_rating >= 0
    note = ratings.note_idx[keep].astype(np.int64)
    time = ratings.created_at_ms[keep]
    rater = ratings.rater_idx[keep].astype(np.int64)
    post = post_of_rating[keep].astype(np.int64)
    post_rater = _sorted_unique(post * n_p + rater)
    rater_posts = np.bincount(post_rater % n_p, minlength=n_p).astype(np.int64)
    if min_rater_posts > 0:
        active = rater_posts[rater] >= min_rater_posts
        note, time, rater, post = note[active], time[active], rater[active], post[active]

    order = np.lexsort((time, note))
    note, time, rater, post = note[order], time[order], rater[order], post[order]
    starts = _window_starts(note, time, config.co_rating_window_ms)
    n_posts = int(post.max(initial=0)) + 1
    if accelerated and n_p * n_p < (1 << 62) // n_posts:
        # One int64 key per (pair, post): a single sort finds the distinct rows, already
        # grouped by pair.
        keys_with_post = _pair_post_keys_numba(starts, rater, post, n_p, n_posts)
        distinct = _sorted_unique(keys_with_post) // n_posts
    else:
        pair_key, pair_post = _pair_keys_numpy(starts, rater, post, n_p)
        order = np.lexsort((pair_post, pair_key))
        pair_key, pair_post = pair_key[order], pair_post[order]
        changed = (pair_key[1:] != pair_key[:-1]) | (pair_post[1:] != pair_post[:-1])
        distinct = pair_key[np.r_[True, changed][: pair_key.shape[0]]]
    keys, co = _unique_counts(distinct, is_sorted=True)
    pairs = np.stack([keys // n_p, keys % n_p], axis=1).astype(np.int64)
    return CoRatingCounts(pairs, co, rater_posts, int(post_rater.shape[0]))


def count_co_ratings_reference(
    ratings: Ratings, note_post_idx: NDArray[np.int64], config: PostSelectionConfig
) -> CoRatingCounts:
    """Plain-loop version of ``count_co_ratings`` (for tests; quadratic per note)."""
    n_p = ratings.n_participants
    by_note: dict[int, list[tuple[int, int]]] = {}
    post_raters: set[tuple[int, int]] = set()
    for k in range(ratings.n_ratings):
        note = int(ratings.note_idx[k])
        post = int(note_post_idx[note])
        if post < 0:
            continue
        rater = int(ratings.rater_idx[k])
        by_note.setdefault(note, []).append((int(ratings.created_at_ms[k]), rater))
        post_raters.add((post, rater))
    per_post: dict[int, set[tuple[int, int]]] = {}
    for note, rows in by_note.items():
        post = int(note_post_idx[note])
        for t1, r1 in rows:
            for t2, r2 in rows:
                if r1 < r2 and abs(t1 - t2) <= config.co_rating_window_ms:
                    per_post.setdefault(post, set()).add((r1, r2))
    co: dict[tuple[int, int], int] = {}
    for pairs in per_post.values():
        for pair in pairs:
            co[pair] = co.get(pair, 0) + 1
    keys = sorted(co)
    rater_posts = np.zeros(n_p, dtype=np.int64)
    for _, rater in post_raters:
        rater_posts[rater] += 1
    return CoRatingCounts(
        pairs=np.array(keys, dtype=np.int64).reshape(-1, 2),
        co_posts=np.array([co[k] for k in keys], dtype=np.int64),
        rater_posts=rater_posts,
        n_post_raters=len(post_raters),
    )


def find_co_rating_pairs(counts: CoRatingCounts, config: PostSelectionConfig) -> NDArray[np.int64]:
    """Family B: rater pairs whose co-rating is too frequent (§3.1).

    With ``co`` the pair's co-rated posts, ``n`` each rater's distinct posts (raters with
    fewer than ``min_unique_posts`` are ignored) and ``N`` the distinct (post, rater) pairs::

        NPMI   = ln(co N / ((n_A + 500)(n_B + 500))) / -ln(co / N)
        minSim = co / (min(n_A, n_B) + 10)

    a pair is flagged when NPMI >= 0.55 or minSim >= 0.4.

    Returns
    -------
    int64 array of shape (k, 2), flagged pairs (smaller idx, larger idx).
    """
    a, b = counts.pairs[:, 0], counts.pairs[:, 1]
    n_a, n_b = counts.rater_posts[a], counts.rater_posts[b]
    eligible = (n_a >= config.min_unique_posts) & (n_b >= config.min_unique_posts)
    co = counts.co_posts.astype(np.float64)
    big_n = float(counts.n_post_raters)
    reg = config.pmi_regularization
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(co * big_n / ((n_a + reg) * (n_b + reg)))
        npmi = pmi / -np.log(co / big_n)
        min_sim = co / (np.minimum(n_a, n_b) + config.min_sim_pseudocounts)
        hit = eligible & ((npmi >= config.npmi_threshold) | (min_sim >= config.min_sim_threshold))
    return np.asarray(counts.pairs[hit], dtype=np.int64)


def cluster_pairs(pairs: NDArray[np.int64], n_participants: int) -> NDArray[np.int32]:
    """Connected components of the flagged pairs, numbered 1, 2, ... (§3.1 "Clustering").

    Components are numbered in ascending order of their smallest participant row, so the
    numbering is deterministic. A pair (a, a) makes a one-member cluster.

    Parameters
    ----------
    pairs : int64 array of shape (k, 2)
    n_participants : int

    Returns
    -------
    int32 array of shape (n_participants,)
        Cluster id of each participant, ``NO_CLUSTER`` (-1) if in no pair.
    """
    out = np.full(n_participants, NO_CLUSTER, dtype=np.int32)
    if pairs.shape[0] == 0:
        return out
    graph = sp.coo_matrix(
        (np.ones(pairs.shape[0]), (pairs[:, 0], pairs[:, 1])),
        shape=(n_participants, n_participants),
    ).tocsr()
    _, labels = connected_components(graph, directed=False)
    members = np.zeros(n_participants, dtype=np.bool_)
    members[pairs.ravel()] = True
    member_rows = np.flatnonzero(members)
    # First appearance in ascending row order gives the component's number.
    _, first = np.unique(labels[member_rows], return_index=True)
    rank = np.empty(first.shape[0], dtype=np.int32)
    rank[np.argsort(first, kind="stable")] = np.arange(1, first.shape[0] + 1, dtype=np.int32)
    component_ids = np.unique(labels[member_rows])
    out[member_rows] = rank[np.searchsorted(component_ids, labels[member_rows])]
    return out


@dataclass(frozen=True)
class PostSelectionResult:
    """Output of Post Selection Similarity.

    Parameters
    ----------
    post_selection_value : int32 array of shape (n_participants,)
        Cluster id (``postSelectionValue``) of each participant, -1 if none.
    author_rater_pairs : int64 array of shape (k, 2)
        Family A pairs.
    co_rating_pairs : int64 array of shape (m, 2)
        Family B pairs.
    n_clusters : int
    """

    post_selection_value: NDArray[np.int32]
    author_rater_pairs: NDArray[np.int64]
    co_rating_pairs: NDArray[np.int64]
    n_clusters: int


def find_post_selection_clusters(
    ratings: Ratings,
    note_author_idx: NDArray[np.int32],
    note_created_at_ms: NDArray[np.int64],
    note_post_idx: NDArray[np.int64],
    config: PostSelectionConfig,
) -> PostSelectionResult:
    """Run both PSS families and cluster their pairs (scoring-extended.md §3.1).

    Parameters
    ----------
    ratings : Ratings
        All preprocessed ratings.
    note_author_idx : int32 array of shape (n_notes,)
        Author of each note of the notes file, -1 for notes absent from it.
    note_created_at_ms : int64 array of shape (n_notes,)
    note_post_idx : int64 array of shape (n_notes,)
        Post row of each note, -1 for no real post (``tweetId`` -1) or absent notes.
    config : PostSelectionConfig

    Returns
    -------
    PostSelectionResult
    """
    n_notes = ratings.n_notes
    for name, arr in (
        ("note_author_idx", note_author_idx),
        ("note_created_at_ms", note_created_at_ms),
        ("note_post_idx", note_post_idx),
    ):
        if arr.shape != (n_notes,):
            raise ValueError(f"{name} has shape {arr.shape}, expected ({n_notes},)")
    family_a = find_author_rater_pairs(ratings, note_author_idx, note_created_at_ms, config)
    counts = count_co_ratings(
        ratings, note_post_idx, config, min_rater_posts=config.min_unique_posts
    )
    family_b = find_co_rating_pairs(counts, config)
    clusters = cluster_pairs(np.concatenate([family_a, family_b]), ratings.n_participants)
    return PostSelectionResult(
        post_selection_value=clusters,
        author_rater_pairs=family_a,
        co_rating_pairs=family_b,
        n_clusters=int(clusters.max(initial=0)),
    )
