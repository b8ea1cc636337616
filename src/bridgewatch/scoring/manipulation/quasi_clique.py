"""Quasi-clique detection: dense groups of raters acting alike on many posts (ext. §3.2).

1. Scope: ratings on misleading notes with a real post, created within 13 weeks of the
   newest such note.
2. A collision is two raters giving the same value to the same note; ``pairCount`` is the
   number of distinct posts where a pair collided. Pairs with >= 5 posts make the candidate
   pool (all in-scope ratings of their raters).
3. Seeds are pairs with more than 50 posts, taken in descending order; each seed grows a
   clique greedily (``grow_clique``); seed pairs touching the clique are then removed and
   the clique is kept if it has >= 5 raters.
4. Kept cliques are numbered 1..K in ascending size: the rater's ``quasiCliqueValue``.

The pool is a sparse rater x action matrix (an action is a (post, note, value) triple), so
each growth step is a few sparse row sums.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numba import njit
from numpy.typing import NDArray

from bridgewatch.model import Ratings
from bridgewatch.scoring.manipulation.config import QuasiCliqueConfig
from bridgewatch.scoring.manipulation.pss import (
    _pair_keys_numpy,
    _unique_counts,
)

__all__ = [
    "CollisionCounts",
    "QuasiCliqueResult",
    "count_collisions",
    "find_quasi_cliques",
    "grow_clique",
]


@dataclass(frozen=True)
class CollisionCounts:
    """Rater pairs that collided, and on how many distinct posts.

    Parameters
    ----------
    pairs : int64 array of shape (m, 2), (smaller idx, larger idx)
    posts : int64 array of shape (m,)
    in_scope : bool array of shape (n_ratings,), the ratings quasi-clique detection sees.
    """

    pairs: NDArray[np.int64]
    posts: NDArray[np.int64]
    in_scope: NDArray[np.bool_]


def _scope(
    ratings: Ratings,
    note_created_at_ms: NDArray[np.int64],
    note_post_idx: NDArray[np.int64],
    note_misleading: NDArray[np.bool_],
    config: QuasiCliqueConfig,
) -> NDArray[np.bool_]:
    created = note_created_at_ms[ratings.note_idx]
    known = created != -1
    if not known.any():
        return np.zeros(ratings.n_ratings, dtype=np.bool_)
    # As in the reference, "newest" is over every rated note, before the post and
    # classification filters.
    newest = int(created[known].max())
    usable = known & (note_post_idx[ratings.note_idx] >= 0) & note_misleading[ratings.note_idx]
    return np.asarray(usable & (created > newest - config.recent_window_ms))


# Budget of product entries per row block of the candidate pass (~12 bytes each).
_BLOCK_ENTRIES = 8_000_000


def _row_blocks(q: sp.csr_matrix, budget: int) -> list[tuple[int, int]]:
    """Row ranges of ``q`` whose ``q[rows] @ q.T`` has at most about ``budget`` entries
    (bounded by the sum of the rows' column degrees)."""
    n = q.shape[0]
    col_degree = np.bincount(q.indices, minlength=q.shape[1]).astype(np.float64)
    row_of = np.repeat(np.arange(n), np.diff(q.indptr))
    cost = np.bincount(row_of, weights=col_degree[q.indices], minlength=n).astype(np.int64)
    # Block b holds the rows whose cumulative cost falls in [b * budget, (b + 1) * budget).
    block_of = np.cumsum(cost) // max(budget, 1)
    if n == 0:
        return []
    starts = np.flatnonzero(np.r_[True, block_of[1:] != block_of[:-1]])
    bounds = [*map(int, starts), n]
    return [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]


def _candidate_pairs(
    rater: NDArray[np.int64], post_value: NDArray[np.int64], n_p: int, min_posts: int
) -> NDArray[np.int64]:
    """Pair keys ``lo * n_p + hi`` sharing at least ``min_posts`` (post, value) cells: an upper
    bound of the distinct posts where they collided (every such post has a shared cell).
    Row-blocked sparse products keep the memory bounded by ``_BLOCK_ENTRIES``."""
    _, cols = np.unique(post_value, return_inverse=True)
    n_cols = int(cols.max()) + 1 if cols.size else 0
    q = sp.csr_matrix(
        (np.ones(rater.shape[0], dtype=np.int32), (rater, cols.ravel())), shape=(n_p, n_cols)
    )
    q.sum_duplicates()
    q.data[:] = 1
    qt = q.T.tocsc()
    found = []
    for lo, hi in _row_blocks(q, _BLOCK_ENTRIES):
        block = sp.coo_matrix(q[lo:hi] @ qt)
        rows = block.row.astype(np.int64) + lo
        cols_b = block.col.astype(np.int64)
        keep = (block.data >= min_posts) & (cols_b > rows)
        found.append(rows[keep] * n_p + cols_b[keep])
    keys = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
    keys.sort()
    return keys


@njit(cache=True)
def _exact_posts(
    pair_keys: NDArray[np.int64],
    indptr: NDArray[np.int64],
    actions: NDArray[np.int64],
    action_post: NDArray[np.int64],
    n_p: int,
) -> NDArray[np.int64]:  # pragma: no cover - compiled
    """Distinct posts where each pair gave the same value to the same note: a merge of the
    two raters' sorted (note, value) actions."""
    out = np.zeros(pair_keys.shape[0], dtype=np.int64)
    for k in range(pair_keys.shape[0]):
        a = pair_keys[k] // n_p
        b = pair_keys[k] % n_p
        i, i_end = indptr[a], indptr[a + 1]
        j, j_end = indptr[b], indptr[b + 1]
        buf = np.empty(min(i_end - i, j_end - j), dtype=np.int64)
        m = 0
        while i < i_end and j < j_end:
            if actions[i] == actions[j]:
                buf[m] = action_post[i]
                m += 1
                i += 1
                j += 1
            elif actions[i] < actions[j]:
                i += 1
            else:
                j += 1
        if m > 0:
            posts = np.sort(buf[:m])
            distinct = 1
            for t in range(1, m):
                if posts[t] != posts[t - 1]:
                    distinct += 1
            out[k] = distinct
    return out


def _collisions_blocked(
    note: NDArray[np.int64],
    value: NDArray[np.int64],
    rater: NDArray[np.int64],
    post: NDArray[np.int64],
    n_p: int,
    min_posts: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Pair keys (sorted) and their distinct collision posts, for pairs with at least
    ``min_posts``: candidates from (post, value) cells, then exact counts per candidate."""
    n_values = 3
    candidates = _candidate_pairs(rater, post * n_values + value, n_p, min_posts)
    if candidates.size == 0:
        return candidates, np.zeros(0, dtype=np.int64)
    action = note * n_values + value
    order = np.lexsort((action, rater))
    rater_s, action_s, post_s = rater[order], action[order], post[order]
    indptr = np.zeros(n_p + 1, dtype=np.int64)
    np.cumsum(np.bincount(rater_s, minlength=n_p), out=indptr[1:])
    counts = _exact_posts(candidates, indptr, action_s, post_s, n_p)
    kept = counts >= min_posts
    return candidates[kept], counts[kept]


def count_collisions(
    ratings: Ratings,
    note_created_at_ms: NDArray[np.int64],
    note_post_idx: NDArray[np.int64],
    note_misleading: NDArray[np.bool_],
    config: QuasiCliqueConfig,
    *,
    accelerated: bool = True,
) -> CollisionCounts:
    """Count, per rater pair, the posts where both gave a note the same value (§3.2 step 2).

    Parameters
    ----------
    ratings : Ratings
    note_created_at_ms : int64 array of shape (n_notes,), -1 for notes absent from the notes
        file (their ratings are ignored)
    note_post_idx : int64 array of shape (n_notes,), -1 for no real post
    note_misleading : bool array of shape (n_notes,), classified misleading
    config : QuasiCliqueConfig
    accelerated : bool
        Candidate pairs from row-blocked sparse products then exact counts by a numba merge
        (default: memory bounded by the pairs kept, not by all colliding pairs), or the
        plain numpy enumeration of every colliding pair; results are identical.

    Returns
    -------
    CollisionCounts, keeping pairs with at least ``min_pair_posts`` posts.
    """
    n_p = ratings.n_participants
    in_scope = _scope(ratings, note_created_at_ms, note_post_idx, note_misleading, config)
    note = ratings.note_idx[in_scope].astype(np.int64)
    value = np.round(ratings.helpful_num[in_scope] * 2).astype(np.int64)
    rater = ratings.rater_idx[in_scope].astype(np.int64)
    post = note_post_idx[ratings.note_idx[in_scope]].astype(np.int64)
    order = np.lexsort((rater, value, note))
    note, value, rater, post = note[order], value[order], rater[order], post[order]
    group_first = np.r_[True, (note[1:] != note[:-1]) | (value[1:] != value[:-1])]
    group_first = group_first[: note.shape[0]]
    starts = np.flatnonzero(group_first)[np.cumsum(group_first) - 1].astype(np.int64)
    if accelerated and n_p * n_p < (1 << 62) // 4:
        keys_b, counts_b = _collisions_blocked(note, value, rater, post, n_p, config.min_pair_posts)
        pairs_b = np.stack([keys_b // n_p, keys_b % n_p], axis=1).astype(np.int64)
        return CollisionCounts(pairs_b, counts_b, in_scope)
    keys, posts = _pair_keys_numpy(starts, rater, post, n_p)
    order = np.lexsort((posts, keys))
    keys, posts = keys[order], posts[order]
    changed = (keys[1:] != keys[:-1]) | (posts[1:] != posts[:-1])
    pair_keys = keys[np.r_[True, changed][: keys.shape[0]]]
    keys_u, counts = _unique_counts(pair_keys, is_sorted=True)
    kept = counts >= config.min_pair_posts
    pairs = np.stack([keys_u[kept] // n_p, keys_u[kept] % n_p], axis=1).astype(np.int64)
    return CollisionCounts(pairs, counts[kept], in_scope)


@dataclass(frozen=True)
class _ActionPool:
    """Candidate pool as a sparse rater x action incidence (CSR, int32 ones)."""

    incidence: sp.csr_matrix
    incidence_csc: sp.csc_matrix
    action_post: NDArray[np.int64]
    n_posts: int


def _build_pool(
    ratings: Ratings,
    in_scope: NDArray[np.bool_],
    raters: NDArray[np.int64],
    post_of_note: NDArray[np.int64],
) -> _ActionPool:
    pool = in_scope & np.isin(ratings.rater_idx, raters)
    note = ratings.note_idx[pool].astype(np.int64)
    value = np.round(ratings.helpful_num[pool] * 2).astype(np.int64)
    action_key = note * 3 + value
    actions, action_idx = np.unique(action_key, return_inverse=True)
    action_post = post_of_note[actions // 3].astype(np.int64)
    matrix = sp.csr_matrix(
        (
            np.ones(action_idx.shape[0], dtype=np.int32),
            (ratings.rater_idx[pool].astype(np.int64), action_idx),
        ),
        shape=(ratings.n_participants, actions.shape[0]),
    )
    n_posts = int(action_post.max(initial=0)) + 1
    return _ActionPool(matrix, matrix.tocsc(), action_post, n_posts)


def _group_actions(
    pool: _ActionPool, members: NDArray[np.int64], config: QuasiCliqueConfig
) -> NDArray[np.bool_]:
    size = members.shape[0]
    counts = np.asarray(pool.incidence[members].sum(axis=0)).ravel()
    return np.asarray(
        (counts >= size * config.member_fraction) & (counts >= min(size, config.min_action_members))
    )


def _posts_per_rater(pool: _ActionPool, actions: NDArray[np.bool_]) -> sp.csr_matrix:
    """Rater x post indicator of having taken one of ``actions`` on the post (CSR)."""
    cols = np.flatnonzero(actions)
    sub = pool.incidence_csc[:, cols]
    to_post = sp.csr_matrix(
        (
            np.ones(cols.shape[0], dtype=np.int32),
            (np.arange(cols.shape[0]), pool.action_post[cols]),
        ),
        shape=(cols.shape[0], pool.n_posts),
    )
    result = (sub @ to_post).tocsr()
    result.data[:] = 1
    return result


def grow_clique(
    pool: _ActionPool, seed: tuple[int, int], config: QuasiCliqueConfig
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Greedily grow a quasi-clique from a seed pair (§3.2 step 4).

    Each step: group actions are (post, note, value) triples taken by at least
    max(0.25 |C|, min(|C|, 4)) members; the candidate is the non-member taking such actions
    on the most distinct posts (ties: smallest row); it joins iff, with it, the group
    actions cover >= 25 posts and every member that matches any of them matches on at least
    25% of those posts.

    Returns
    -------
    (members, posts): sorted int64 arrays of participant rows and post rows.
    """
    members = np.array(sorted(seed), dtype=np.int64)
    actions = _group_actions(pool, members, config)
    for _ in range(config.max_growth_steps):
        posts_now = np.unique(pool.action_post[actions])
        per_rater = np.asarray(_posts_per_rater(pool, actions).sum(axis=1)).ravel()
        per_rater[members] = 0
        if per_rater.max(initial=0) == 0:
            return members, posts_now
        candidate = int(np.argmax(per_rater))
        trial = np.sort(np.r_[members, candidate])
        trial_actions = _group_actions(pool, trial, config)
        satisfied = np.unique(pool.action_post[trial_actions]).shape[0]
        matches = np.asarray(_posts_per_rater(pool, trial_actions)[trial].sum(axis=1)).ravel()
        below = int(((matches > 0) & (matches < config.min_member_post_fraction * satisfied)).sum())
        if satisfied < config.min_clique_posts or below > 0:
            return members, posts_now
        members, actions = trial, trial_actions
    return members, np.unique(pool.action_post[actions])


@dataclass(frozen=True)
class QuasiCliqueResult:
    """Output of quasi-clique detection.

    Parameters
    ----------
    quasi_clique_value : int32 array of shape (n_participants,)
        Clique id (1..K, ascending clique size) of each rater, 0 for none. A rater grown into
        two cliques keeps the smaller id.
    clique_sizes : int64 array of shape (K,)
    clique_posts : int64 array of shape (K,), posts covered by each clique's group actions
    """

    quasi_clique_value: NDArray[np.int32]
    clique_sizes: NDArray[np.int64]
    clique_posts: NDArray[np.int64]


def find_quasi_cliques(
    ratings: Ratings,
    note_created_at_ms: NDArray[np.int64],
    note_post_idx: NDArray[np.int64],
    note_misleading: NDArray[np.bool_],
    config: QuasiCliqueConfig,
) -> QuasiCliqueResult:
    """Find disjoint-seeded quasi-cliques of raters (scoring-extended.md §3.2).

    Parameters
    ----------
    ratings : Ratings
        All preprocessed ratings.
    note_created_at_ms : int64 array of shape (n_notes,)
    note_post_idx : int64 array of shape (n_notes,), -1 for no real post or absent note
    note_misleading : bool array of shape (n_notes,), note classified misleading
    config : QuasiCliqueConfig

    Returns
    -------
    QuasiCliqueResult
    """
    collisions = count_collisions(
        ratings, note_created_at_ms, note_post_idx, note_misleading, config
    )
    values = np.zeros(ratings.n_participants, dtype=np.int32)
    seeds_mask = collisions.posts > config.min_seed_posts
    seed_pairs = collisions.pairs[seeds_mask]
    seed_counts = collisions.posts[seeds_mask]
    if seed_pairs.shape[0] == 0:
        return QuasiCliqueResult(values, np.zeros(0, np.int64), np.zeros(0, np.int64))
    order = np.lexsort((seed_pairs[:, 1], seed_pairs[:, 0], -seed_counts))
    seed_pairs = seed_pairs[order]
    pool = _build_pool(ratings, collisions.in_scope, np.unique(collisions.pairs), note_post_idx)
    alive = np.ones(seed_pairs.shape[0], dtype=np.bool_)
    cliques: list[tuple[NDArray[np.int64], int]] = []
    while alive.any():
        first = int(np.flatnonzero(alive)[0])
        members, posts = grow_clique(
            pool, (int(seed_pairs[first, 0]), int(seed_pairs[first, 1])), config
        )
        touched = np.isin(seed_pairs[:, 0], members) | np.isin(seed_pairs[:, 1], members)
        alive &= ~touched
        alive[first] = False
        if members.shape[0] >= config.min_clique_size:
            cliques.append((members, int(posts.shape[0])))
    cliques.sort(key=lambda clique: clique[0].shape[0])
    for clique_id in range(len(cliques), 0, -1):
        values[cliques[clique_id - 1][0]] = clique_id
    return QuasiCliqueResult(
        quasi_clique_value=values,
        clique_sizes=np.array([c[0].shape[0] for c in cliques], dtype=np.int64),
        clique_posts=np.array([c[1] for c in cliques], dtype=np.int64),
    )
