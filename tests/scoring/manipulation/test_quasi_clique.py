"""Quasi-clique detection (scoring-extended.md §3.2, scoring-core.md Appendix B)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bridgewatch.scoring.manipulation.quasi_clique as qc
from bridgewatch.model import IdIndex, Ratings
from bridgewatch.scoring.manipulation import QuasiCliqueConfig, count_collisions, find_quasi_cliques

CONFIG = QuasiCliqueConfig()
T0 = 1_790_000_000_000
DAY = 86_400_000


def _ratings(rows: list[tuple[int, int, float]], *, n_notes: int, n_participants: int) -> Ratings:
    """Ratings from (rater_idx, note_idx, helpful_num)."""
    n = len(rows)
    return Ratings(
        note_idx=np.array([r[1] for r in rows], dtype=np.int32),
        rater_idx=np.array([r[0] for r in rows], dtype=np.int32),
        helpful_num=np.array([r[2] for r in rows], dtype=np.float32),
        helpfulness_level=np.full(n, -1, dtype=np.int8),
        created_at_ms=np.full(n, T0, dtype=np.int64),
        helpful_tags=np.zeros(n, dtype=np.uint16),
        not_helpful_tags=np.zeros(n, dtype=np.uint16),
        population_sampled=np.zeros(n, dtype=np.bool_),
        note_ids=IdIndex(np.array([f"n{i:05d}" for i in range(n_notes)])),
        participant_ids=IdIndex(np.array([f"p{i:05d}" for i in range(n_participants)])),
    )


def _community(
    seed: int, *, n_indep: int = 120, brigade: int = 8, brigade_posts: int = 60
) -> tuple[Ratings, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n_posts = 300
    rows: list[tuple[int, int, float]] = []
    seen: set[tuple[int, int]] = set()
    for rater in range(n_indep):
        for note in rng.choice(n_posts, size=40, replace=False).tolist():
            seen.add((rater, note))
            rows.append((rater, note, float(rng.choice([0.0, 0.5, 1.0]))))
    for note in rng.choice(n_posts, size=brigade_posts, replace=False).tolist():
        for member in range(n_indep, n_indep + brigade):
            rows.append((member, note, 1.0))
    ratings = _ratings(rows, n_notes=n_posts, n_participants=n_indep + brigade)
    created = T0 - rng.integers(0, 30 * DAY, size=n_posts)
    return (
        ratings,
        created.astype(np.int64),
        np.arange(n_posts, dtype=np.int64),
        np.ones(n_posts, dtype=np.bool_),
    )


def test_collisions_count_distinct_posts_with_the_same_value() -> None:
    # Notes 0 and 1 on post 0, note 2 on post 1, note 3 not misleading, note 4 no post.
    rows = [
        (0, 0, 1.0),
        (1, 0, 1.0),  # collision on post 0
        (0, 1, 0.0),
        (1, 1, 0.0),  # again post 0: still one post
        (0, 2, 0.5),
        (1, 2, 0.5),  # post 1
        (2, 2, 1.0),  # different value: no collision
        (0, 3, 1.0),
        (1, 3, 1.0),  # not misleading: out of scope
        (0, 4, 1.0),
        (1, 4, 1.0),  # no post: out of scope
    ]
    ratings = _ratings(rows, n_notes=5, n_participants=3)
    created = np.full(5, T0, dtype=np.int64)
    posts = np.array([0, 0, 1, 2, -1], dtype=np.int64)
    misleading = np.array([True, True, True, False, True])
    loose = QuasiCliqueConfig(min_pair_posts=1)
    for accelerated in (True, False):
        out = count_collisions(ratings, created, posts, misleading, loose, accelerated=accelerated)
        assert out.pairs.tolist() == [[0, 1]]
        assert out.posts.tolist() == [2]
        assert out.in_scope.tolist() == [True] * 7 + [False] * 4


def test_old_notes_are_out_of_scope() -> None:
    rows = [(0, 0, 1.0), (1, 0, 1.0), (0, 1, 1.0), (1, 1, 1.0)]
    ratings = _ratings(rows, n_notes=2, n_participants=2)
    created = np.array([T0, T0 - CONFIG.recent_window_ms], dtype=np.int64)
    out = count_collisions(
        ratings,
        created,
        np.array([0, 1]),
        np.array([True, True]),
        QuasiCliqueConfig(min_pair_posts=1),
    )
    assert out.in_scope.tolist() == [True, True, False, False]


@pytest.mark.parametrize("seed", range(3))
def test_planted_clique_is_found_and_independent_raters_are_not(seed: int) -> None:
    ratings, created, posts, misleading = _community(seed)
    result = find_quasi_cliques(ratings, created, posts, misleading, CONFIG)
    values = result.quasi_clique_value
    assert values[120:].tolist() == [1] * 8
    assert np.all(values[:120] == 0)
    assert result.clique_sizes.tolist() == [8]
    assert result.clique_posts.tolist() == [60]


def test_brigade_below_the_seed_threshold_is_not_a_clique() -> None:
    ratings, created, posts, misleading = _community(0, brigade_posts=50)
    result = find_quasi_cliques(ratings, created, posts, misleading, CONFIG)
    assert not result.quasi_clique_value.any()


def test_accelerated_and_plain_collision_counts_agree() -> None:
    ratings, created, posts, misleading = _community(1)
    fast = count_collisions(ratings, created, posts, misleading, CONFIG, accelerated=True)
    slow = count_collisions(ratings, created, posts, misleading, CONFIG, accelerated=False)
    np.testing.assert_array_equal(fast.pairs, slow.pairs)
    np.testing.assert_array_equal(fast.posts, slow.posts)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 11), st.integers(0, 14), st.sampled_from([0.0, 0.5, 1.0])),
        min_size=1,
        max_size=120,
        unique_by=lambda t: (t[0], t[1]),
    ),
    posts_of=st.lists(st.integers(0, 5), min_size=15, max_size=15),
    min_pair_posts=st.integers(1, 3),
    block=st.sampled_from([1, 7, 10_000_000]),
)
def test_blocked_counts_match_every_pair_enumerated(
    rows: list[tuple[int, int, float]],
    posts_of: list[int],
    min_pair_posts: int,
    block: int,
) -> None:
    """Several notes per post (a pair colliding on two notes of a post counts once, sharing
    a post and value on different notes counts zero) and tiny row blocks."""
    ratings = _ratings(rows, n_notes=15, n_participants=12)
    created = np.full(15, T0, dtype=np.int64)
    posts = np.array(posts_of, dtype=np.int64)
    config = QuasiCliqueConfig(min_pair_posts=min_pair_posts)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(qc, "_BLOCK_ENTRIES", block)
        fast = count_collisions(ratings, created, posts, np.ones(15, np.bool_), config)
    slow = count_collisions(
        ratings, created, posts, np.ones(15, np.bool_), config, accelerated=False
    )
    np.testing.assert_array_equal(fast.pairs.reshape(-1, 2), slow.pairs.reshape(-1, 2))
    np.testing.assert_array_equal(fast.posts, slow.posts)
