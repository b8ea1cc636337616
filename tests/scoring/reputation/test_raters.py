"""Rater trust from Ratings: verdict items, seeding and the threshold filter."""

from __future__ import annotations

import numpy as np

from bridgewatch.model import Ratings
from bridgewatch.scoring.reputation import TrustConfig, rater_trust, trust_weights, verdict_items
from tests.scoring.factories import make_ratings


def _brigade_ratings() -> tuple[Ratings, int]:
    """40 honest raters agreeing on 30 notes (HELPFUL on even notes, NOT_HELPFUL on odd),
    8 brigade raters rating notes 30-33 HELPFUL plus one honest verdict each."""
    rng = np.random.default_rng(0)
    rows: list[tuple[int, int, float]] = []
    for r in range(40):
        for n in rng.choice(30, size=8, replace=False).tolist():
            rows.append((n, r, 1.0 if n % 2 == 0 else 0.0))
    for r in range(40, 48):
        for n in (30, 31, 32, 33):
            rows.append((n, r, 1.0))
        rows.append((2 * (r - 40), r, 1.0))
    return make_ratings(rows, n_notes=34, n_participants=48), 48


_NOTES_MS = np.zeros(34, dtype=np.int64)


def test_verdict_items_split_each_note_by_timing_and_verdict() -> None:
    ratings = make_ratings(
        [(0, 0, 0.0), (0, 1, 0.5), (0, 2, 1.0), (2, 3, 1.0)],
        n_notes=3,
        n_participants=4,
        created_at_ms=[10, 120_000, 60_000, 50_000],
    )
    created = np.array([0, 0, 40_000], dtype=np.int64)
    # Early = within 60 s of the note: ratings 0 and 2 on note 0, rating 3 on note 2.
    np.testing.assert_array_equal(verdict_items(ratings, created, 60_000.0), [3, 1, 5, 17])
    np.testing.assert_array_equal(verdict_items(ratings, created, 0.0), [0, 1, 2, 14])


def test_brigade_is_filtered_and_honest_raters_kept() -> None:
    ratings, n = _brigade_ratings()
    helpful = np.zeros(n, dtype=np.bool_)
    helpful[:20] = True
    trust = rater_trust(ratings, _NOTES_MS, helpful, TrustConfig(min_relative_trust=0.7))
    assert trust.result is not None and trust.result.converged
    assert trust.seeds[:20].all() and not trust.seeds[20:].any()
    assert trust.trusted[:40].all()
    assert not trust.trusted[40:].any()


def test_without_seeds_every_rater_is_kept() -> None:
    ratings, n = _brigade_ratings()
    trust = rater_trust(ratings, _NOTES_MS, np.zeros(n, dtype=np.bool_), TrustConfig())
    assert trust.result is None
    assert trust.trusted.all()


def test_zero_threshold_keeps_everyone() -> None:
    ratings, n = _brigade_ratings()
    trust = rater_trust(
        ratings, _NOTES_MS, np.ones(n, dtype=np.bool_), TrustConfig(min_relative_trust=0.0)
    )
    assert trust.trusted.all()


def test_trust_weights_ramp_to_one_at_the_threshold() -> None:
    rel = np.array([0.0, 0.3, 0.6, 2.0, np.nan])
    np.testing.assert_allclose(trust_weights(rel, 0.6), [0.0, 0.5, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(trust_weights(rel, 0.0), np.ones(5))


def test_weight_mode_keeps_the_brigade_at_a_low_weight() -> None:
    ratings, n = _brigade_ratings()
    helpful = np.zeros(n, dtype=np.bool_)
    helpful[:20] = True
    trust = rater_trust(
        ratings, _NOTES_MS, helpful, TrustConfig(min_relative_trust=0.7, mode="weight")
    )
    assert trust.result is not None
    np.testing.assert_allclose(trust.weight[:40], 1.0)
    assert (trust.weight[40:] < 0.8).all()
    np.testing.assert_allclose(
        trust.weight, trust_weights(trust.result.relative_trust, 0.7), atol=0
    )
