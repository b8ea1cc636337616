"""Post Selection Similarity (scoring-extended.md §3.1, scoring-core.md Appendix B)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from bridgewatch.model import HelpfulnessLevel, IdIndex, Ratings
from bridgewatch.scoring.manipulation import (
    PostSelectionConfig,
    cluster_pairs,
    count_co_ratings,
    count_co_ratings_reference,
    find_author_rater_pairs,
    find_co_rating_pairs,
    find_post_selection_clusters,
)

CONFIG = PostSelectionConfig()
MINUTE = 60_000
T0 = 1_790_000_000_000


def _ratings(
    rows: Sequence[tuple[int, int, int]],
    *,
    n_notes: int,
    n_participants: int,
    level: int = HelpfulnessLevel.HELPFUL,
) -> Ratings:
    """Ratings from (rater_idx, note_idx, created_at_ms)."""
    n = len(rows)
    arr = np.array(rows, dtype=np.int64).reshape(n, 3)
    return Ratings(
        note_idx=arr[:, 1].astype(np.int32),
        rater_idx=arr[:, 0].astype(np.int32),
        helpful_num=np.ones(n, dtype=np.float32),
        helpfulness_level=np.full(n, level, dtype=np.int8),
        created_at_ms=arr[:, 2],
        helpful_tags=np.zeros(n, dtype=np.uint16),
        not_helpful_tags=np.zeros(n, dtype=np.uint16),
        population_sampled=np.zeros(n, dtype=np.bool_),
        note_ids=IdIndex(np.array([f"n{i:05d}" for i in range(n_notes)])),
        participant_ids=IdIndex(np.array([f"p{i:05d}" for i in range(n_participants)])),
    )


def _random_community(
    seed: int, *, n_raters: int, n_notes: int, n_posts: int, n_ratings: int, span_ms: int
) -> tuple[Ratings, np.ndarray]:
    rng = np.random.default_rng(seed)
    pairs: set[tuple[int, int]] = set()
    rows: list[tuple[int, int, int]] = []
    while len(rows) < n_ratings:
        rater, note = int(rng.integers(n_raters)), int(rng.integers(n_notes))
        if (rater, note) in pairs:
            continue
        pairs.add((rater, note))
        rows.append((rater, note, T0 + int(rng.integers(span_ms))))
    note_post = rng.integers(-1, n_posts, size=n_notes).astype(np.int64)
    return _ratings(rows, n_notes=n_notes, n_participants=n_raters), note_post


@pytest.mark.parametrize("accelerated", [True, False])
@pytest.mark.parametrize("seed", range(6))
def test_vectorised_co_rating_counts_equal_the_loop_version(seed: int, accelerated: bool) -> None:
    ratings, note_post = _random_community(
        seed, n_raters=40, n_notes=25, n_posts=8, n_ratings=400, span_ms=6 * 60 * MINUTE
    )
    fast = count_co_ratings(ratings, note_post, CONFIG, accelerated=accelerated)
    slow = count_co_ratings_reference(ratings, note_post, CONFIG)
    np.testing.assert_array_equal(fast.pairs, slow.pairs)
    np.testing.assert_array_equal(fast.co_posts, slow.co_posts)
    np.testing.assert_array_equal(fast.rater_posts, slow.rater_posts)
    assert fast.n_post_raters == slow.n_post_raters
    assert fast.pairs.shape[0] > 0


def test_co_rating_window_is_inclusive_and_pairs_count_once_per_post() -> None:
    # Notes 0 and 1 are on post 0, note 2 on post 1, note 3 has no post.
    rows = [
        (0, 0, T0),
        (1, 0, T0 + 20 * MINUTE),  # exactly 20 minutes: co-rating
        (2, 0, T0 + 20 * MINUTE + 1),  # 1 ms too late for rater 0, fine for rater 1
        (0, 1, T0),
        (1, 1, T0 + MINUTE),  # same pair again on post 0: still one post
        (0, 2, T0),
        (1, 2, T0 + MINUTE),
        (0, 3, T0),
        (2, 3, T0),
    ]
    ratings = _ratings(rows, n_notes=4, n_participants=3)
    counts = count_co_ratings(ratings, np.array([0, 0, 1, -1]), CONFIG)
    assert counts.pairs.tolist() == [[0, 1], [1, 2]]
    assert counts.co_posts.tolist() == [2, 1]
    assert counts.rater_posts.tolist() == [2, 2, 1]
    assert counts.n_post_raters == 5


def test_author_rater_pairs_need_coverage_or_affinity_with_enough_data() -> None:
    # Author 0 wrote notes 0-9, author 3 wrote notes 10-14, author 6 wrote 15-34.
    authors = np.array([0] * 10 + [3] * 5 + [6] * 20, dtype=np.int32)
    created = np.full(35, T0, dtype=np.int64)
    rows = [(1, k, T0 + 30_000) for k in range(3)]  # coverage 3/10 at 1 min
    rows += [(2, 3, T0 + 30_000)]  # coverage 1/10: no
    rows += [(4, 10 + k, T0 + 30_000) for k in range(5)]  # author has < 10 notes, rater < 10
    # Rater 5: 10 fast ratings, 2 on author 3 (affinity 0.2 at 1 min), 8 on author 6.
    rows += [(5, 10 + k, T0 + 30_000) for k in range(2)]
    rows += [(5, 15 + k, T0 + 30_000) for k in range(8)]
    ratings = _ratings(rows, n_notes=35, n_participants=7)
    pairs = find_author_rater_pairs(ratings, authors, created, CONFIG)
    # (6, 5): coverage 8/20 = 0.4 >= 0.2 at 1 minute.
    assert pairs.tolist() == [[0, 1], [3, 5], [5, 6]]


def test_slow_or_not_helpful_ratings_never_make_author_pairs() -> None:
    authors = np.zeros(10, dtype=np.int32)
    created = np.full(10, T0, dtype=np.int64)
    slow = _ratings([(1, k, T0 + 21 * MINUTE) for k in range(10)], n_notes=10, n_participants=2)
    assert find_author_rater_pairs(slow, authors, created, CONFIG).shape == (0, 2)
    fast_not_helpful = _ratings(
        [(1, k, T0) for k in range(10)],
        n_notes=10,
        n_participants=2,
        level=HelpfulnessLevel.NOT_HELPFUL,
    )
    assert find_author_rater_pairs(fast_not_helpful, authors, created, CONFIG).shape == (0, 2)


def test_clusters_are_components_numbered_by_smallest_member() -> None:
    pairs = np.array([[5, 6], [2, 3], [1, 2], [7, 7]], dtype=np.int64)
    assert cluster_pairs(pairs, 9).tolist() == [-1, 1, 1, 1, -1, 2, 2, 3, -1]


@pytest.mark.parametrize("seed", range(3))
def test_planted_brigade_is_one_cluster_and_independent_raters_are_none(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_indep, n_brigade, n_posts = 200, 6, 300
    n_p = n_indep + n_brigade
    brigade = np.arange(n_indep, n_p)
    rows: list[tuple[int, int, int]] = []
    seen: set[tuple[int, int]] = set()
    post_time = T0 + rng.integers(0, 60 * 24 * 60 * MINUTE, size=n_posts)
    # Independent raters: 40 random posts each, at random times within a day of the post.
    for rater in range(n_indep):
        for post in rng.choice(n_posts, size=40, replace=False):
            seen.add((rater, int(post)))
            delay = int(rng.integers(0, 24 * 60 * MINUTE))
            rows.append((rater, int(post), int(post_time[post]) + delay))
    # The brigade rates the same 30 posts, all within five minutes of each other.
    for brigade_post in rng.choice(n_posts, size=30, replace=False).tolist():
        start = int(post_time[brigade_post]) + int(rng.integers(0, 24 * 60 * MINUTE))
        for member in brigade.tolist():
            if (member, brigade_post) not in seen:
                rows.append((member, brigade_post, start + int(rng.integers(0, 5 * MINUTE))))
    ratings = _ratings(rows, n_notes=n_posts, n_participants=n_p)
    authors = np.full(n_posts, -1, dtype=np.int32)
    result = find_post_selection_clusters(
        ratings,
        authors,
        post_time.astype(np.int64),
        np.arange(n_posts, dtype=np.int64),
        CONFIG,
    )
    clusters = result.post_selection_value
    assert np.all(clusters[brigade] == clusters[brigade[0]])
    assert clusters[brigade[0]] >= 1
    assert np.all(clusters[:n_indep] == -1)
    assert result.n_clusters == 1


@pytest.mark.parametrize("seed", range(3))
def test_skipping_raters_with_few_posts_keeps_the_flagged_pairs(seed: int) -> None:
    ratings, note_post = _random_community(
        seed, n_raters=60, n_notes=40, n_posts=30, n_ratings=700, span_ms=2 * 60 * MINUTE
    )
    config = PostSelectionConfig(npmi_threshold=0.05, min_sim_threshold=0.15)
    full = find_co_rating_pairs(count_co_ratings(ratings, note_post, config), config)
    pruned_counts = count_co_ratings(ratings, note_post, config, min_rater_posts=10)
    np.testing.assert_array_equal(find_co_rating_pairs(pruned_counts, config), full)
    assert full.shape[0] > 0
    assert (
        pruned_counts.pairs.shape[0] < count_co_ratings(ratings, note_post, config).pairs.shape[0]
    )
