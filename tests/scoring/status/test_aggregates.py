"""Per-note sign buckets, net helpful counts and raw tag counts (scoring-core.md §5.5a-b)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridgewatch.errors import InputError
from bridgewatch.scoring.status import (
    compute_sign_aggregates,
    count_recent_ratings,
    count_tags,
    sum_tags_per_note,
)
from tests.scoring.factories import make_ratings

NAN = float("nan")
RATER_FACTOR = np.array([-0.5, -0.1, 0.0, 0.3, NAN])  # r2 (0.0) counts as pos; r4 has no params


def test_sign_buckets_by_hand() -> None:
    ratings = make_ratings(
        [
            (0, 0, 1.0),
            (0, 1, 0.0),
            (0, 2, 1.0),
            (0, 3, 0.5),
            (0, 4, 1.0),
            (1, 3, 1.0),
            (1, 2, 1.0),
            (1, 4, 0.0),
            (3, 0, 0.0),
            (3, 2, 0.0),
            (4, 0, 1.0),
            (4, 1, 1.0),
            (4, 2, 1.0),
        ],
        n_notes=5,
        n_participants=5,
        population_sampled=[True, False, False, True] + [False] * 9,
    )
    agg = compute_sign_aggregates(ratings, RATER_FACTOR)
    assert agg.num_ratings.tolist() == [5, 3, 0, 2, 3]
    assert agg.neg_count.tolist() == [2, 0, 0, 1, 2]
    assert agg.pos_count.tolist() == [2, 2, 0, 1, 1]
    assert agg.min_sign_count.tolist() == [2, 0, 0, 1, 1]
    np.testing.assert_allclose(agg.neg_mean_helpful, [0.5, NAN, NAN, 0.0, 1.0])
    np.testing.assert_allclose(agg.pos_mean_helpful, [0.75, 1.0, NAN, 0.0, 1.0])
    assert agg.net_neg.tolist() == [0, 0, 0, -1, 2]
    assert agg.net_pos.tolist() == [1, 2, 0, -1, 1]
    assert agg.net_min_helpful.tolist() == [0, 0, 0, 0, 1]
    np.testing.assert_allclose(agg.net_min_helpful_ratio, [0.0, 0.0, NAN, 0.0, 1 / 3])
    assert agg.pop_neg_count.tolist() == [1, 0, 0, 0, 0]
    assert agg.pop_pos_count.tolist() == [1, 0, 0, 0, 0]


def test_rater_factor_shape_is_checked() -> None:
    ratings = make_ratings([(0, 0, 1.0)], n_notes=1, n_participants=2)
    with pytest.raises(InputError, match="rater_factor"):
        compute_sign_aggregates(ratings, np.zeros(3))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 5), st.sampled_from([0.0, 0.5, 1.0]))))
def test_bucket_counts_add_up_and_net_min_is_bounded(rows: list[tuple[int, int, float]]) -> None:
    unique = list({(n, r): y for n, r, y in rows}.items())
    ratings = make_ratings([(n, r, y) for (n, r), y in unique], n_notes=4, n_participants=6)
    factors = np.array([-1.0, -0.2, 0.0, 0.4, NAN, 2.0])
    agg = compute_sign_aggregates(ratings, factors)
    with_params = agg.neg_count + agg.pos_count
    assert (with_params <= agg.num_ratings).all()
    assert (agg.net_min_helpful >= 0).all()
    assert (agg.net_min_helpful <= agg.min_sign_count).all()


def test_tag_counts_and_recent_ratings() -> None:
    ratings = make_ratings(
        [(0, 0, 1.0), (0, 1, 1.0), (1, 0, 0.0)],
        n_notes=2,
        n_participants=2,
        helpful=[["helpfulClear", "helpfulOther"], ["helpfulClear"], []],
        not_helpful=[[], [], ["notHelpfulNoteNotNeeded", "notHelpfulOther"]],
        created_at_ms=[100, 200, 300],
    )
    counts = count_tags(ratings)
    assert counts.helpful[0].tolist() == [1, 0, 2, 0, 0, 0, 0, 0, 0]
    assert counts.helpful[1].sum() == 0
    assert counts.not_helpful[1].tolist() == [1] + [0] * 11 + [1]
    assert count_recent_ratings(ratings, now_ms=350, window_ms=200).tolist() == [1, 1]
    assert count_recent_ratings(ratings, now_ms=400, window_ms=200).tolist() == [0, 1]


def test_helpful_num_outside_the_three_levels_is_rejected() -> None:
    ratings = make_ratings([(0, 0, 0.3)], n_notes=1, n_participants=1)
    with pytest.raises(InputError, match="helpful_num"):
        compute_sign_aggregates(ratings, np.zeros(1))


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2**16 - 1), st.floats(0, 2)), max_size=60)
)
def test_tag_sums_equal_a_per_tag_loop(rows: list[tuple[int, int, float]]) -> None:
    note = np.array([r[0] for r in rows], dtype=np.int32)
    bits = np.array([r[1] for r in rows], dtype=np.uint16)
    weights = np.array([r[2] for r in rows], dtype=np.float64)
    fast = sum_tags_per_note(note, bits, 13, 5, weights=weights)
    slow = np.zeros((5, 13))
    for k in range(13):
        has = ((bits >> k) & 1).astype(np.float64)
        slow[:, k] = np.bincount(note, weights=weights * has, minlength=5)
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12)
    assert sum_tags_per_note(note, bits, 16, 5).sum() == sum(bin(b).count("1") for b in bits)
