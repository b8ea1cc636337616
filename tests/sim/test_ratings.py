"""Rating kernels: levels, tags, rater choice."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.model import HelpfulnessLevel
from bridgewatch.sim.config import SimConfig
from bridgewatch.sim.ratings import (
    _choose_raters,
    draw_levels,
    draw_note_rating_counts,
    draw_tags,
)

H, S, N = HelpfulnessLevel.HELPFUL, HelpfulnessLevel.SOMEWHAT_HELPFUL, HelpfulnessLevel.NOT_HELPFUL


def test_levels_split_the_latent_score_at_plus_minus_half_band() -> None:
    latent = np.array([-1.0, -0.26, -0.24, 0.0, 0.24, 0.26, 3.0])
    assert draw_levels(latent, 0.5).tolist() == [N, N, S, S, S, H, H]


def test_zero_band_has_no_somewhat_helpful() -> None:
    latent = np.random.default_rng(0).normal(size=1000)
    assert not (draw_levels(latent, 0.0) == S).any()


def test_tags_are_consistent_with_levels() -> None:
    rng = np.random.default_rng(1)
    level = rng.integers(0, 3, size=20_000).astype(np.int8)
    opposed = rng.random(20_000) < 0.3
    sources = rng.random(20_000) < 0.6
    helpful_tags, not_helpful_tags = draw_tags(level, opposed, sources, rng)
    assert (helpful_tags[level == H] > 0).all()
    assert (not_helpful_tags[level == H] == 0).all()
    assert (not_helpful_tags[level == N] > 0).all()
    assert (helpful_tags[level == N] == 0).all()
    # Somewhat-helpful ratings carry either kind, sometimes none.
    somewhat = level == S
    assert (helpful_tags[somewhat] > 0).any() and (not_helpful_tags[somewhat] > 0).any()
    assert ((helpful_tags[somewhat] == 0) & (not_helpful_tags[somewhat] == 0)).any()
    assert helpful_tags.max() < 1 << 9 and not_helpful_tags.max() < 1 << 13


def test_opposed_raters_call_notes_argumentative_more_often() -> None:
    rng = np.random.default_rng(2)
    m = 20_000
    level = np.full(m, N, dtype=np.int8)
    opposed = np.arange(m) < m // 2
    _, not_helpful_tags = draw_tags(level, opposed, np.ones(m, np.bool_), rng)
    argumentative = (not_helpful_tags >> 7) & 1
    assert argumentative[opposed].mean() > 2 * argumentative[~opposed].mean()


def test_counts_sum_to_n_ratings_unless_capped() -> None:
    rng = np.random.default_rng(3)
    counts = draw_note_rating_counts(SimConfig(n_ratings=10_000), 200, 10_000, rng)
    assert counts.sum() == 10_000
    capped = draw_note_rating_counts(SimConfig(n_ratings=10_000), 200, 7, rng)
    assert capped.max() <= 7


@pytest.mark.parametrize("seed", range(5))
def test_chosen_raters_are_distinct_exact_and_never_the_author(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_raters = 12
    weights = rng.lognormal(0, 1.5, size=n_raters)
    weights[3] = 0.0  # a rater who never rates
    counts = np.array([0, 1, 5, 10, 10, 7], dtype=np.int64)  # 10 = every eligible rater
    authors = np.array([0, 1, 2, 4, 5, 6], dtype=np.int32)
    notes, raters = _choose_raters(counts, authors, weights, rng)
    assert np.bincount(notes, minlength=counts.size).tolist() == counts.tolist()
    pairs = notes * n_raters + raters
    assert np.unique(pairs).size == pairs.size
    assert not (raters == authors[notes]).any()
    assert not (raters == 3).any()


def test_heavy_raters_are_chosen_more_often() -> None:
    rng = np.random.default_rng(4)
    weights = np.ones(1000)
    weights[:10] = 20.0
    counts = np.full(2000, 5, dtype=np.int64)
    _, raters = _choose_raters(counts, np.full(2000, 999, np.int32), weights, rng)
    per_rater = np.bincount(raters, minlength=1000)
    assert per_rater[:10].mean() > 10 * per_rater[10:].mean()
