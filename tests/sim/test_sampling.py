"""Vectorized rater sampling against its plain reference."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.sim.sampling import choose_raters, choose_raters_reference


@pytest.mark.parametrize("seed", range(5))
def test_chosen_raters_are_distinct_exact_and_never_the_author(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_raters = 12
    weights = rng.lognormal(0, 1.5, size=n_raters)
    weights[3] = 0.0  # a rater who never rates
    counts = np.array([0, 1, 5, 10, 10, 7], dtype=np.int64)  # 10 = every eligible rater
    authors = np.array([0, 1, 2, 4, 5, 6], dtype=np.int32)
    notes, raters = choose_raters(counts, authors, weights, rng)
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
    _, raters = choose_raters(counts, np.full(2000, 999, np.int32), weights, rng)
    per_rater = np.bincount(raters, minlength=1000)
    assert per_rater[:10].mean() > 10 * per_rater[10:].mean()


@pytest.mark.parametrize("seed", range(2))
def test_vectorized_choice_matches_the_reference_distribution(seed: int) -> None:
    rng = np.random.default_rng(seed)
    weights = np.array([8.0, 4.0, 2.0, 1.0, 1.0, 0.5, 0.5, 0.0])
    n_notes = 2_500
    counts = rng.integers(0, 6, size=n_notes).astype(np.int64)
    authors = rng.integers(0, 8, size=n_notes).astype(np.int32)
    fast_notes, fast = choose_raters(counts, authors, weights, np.random.default_rng(seed))
    ref_notes, ref = choose_raters_reference(counts, authors, weights, np.random.default_rng(9))
    assert np.array_equal(fast_notes, ref_notes)  # same counts per note, both sorted
    fast_share = np.bincount(fast, minlength=8) / fast.size
    ref_share = np.bincount(ref, minlength=8) / ref.size
    assert np.abs(fast_share - ref_share).max() < 0.02
    # Joint inclusion of the two heaviest raters on notes of 2 ratings.
    two = counts[fast_notes] == 2

    def both_top(notes: np.ndarray, raters: np.ndarray) -> float:
        pairs = np.zeros(n_notes, np.int64)
        np.add.at(pairs, notes[two & (raters < 2)], 1)
        return float((pairs[counts == 2] == 2).mean())

    assert abs(both_top(fast_notes, fast) - both_top(ref_notes, ref)) < 0.06
