"""Rating kernels: rating counts per note and levels from latent scores."""

from __future__ import annotations

import numpy as np

from bridgewatch.model import HelpfulnessLevel
from bridgewatch.sim.config import SimConfig
from bridgewatch.sim.ratings import draw_levels, draw_note_rating_counts

H, S, N = HelpfulnessLevel.HELPFUL, HelpfulnessLevel.SOMEWHAT_HELPFUL, HelpfulnessLevel.NOT_HELPFUL


def test_levels_split_the_latent_score_at_plus_minus_half_band() -> None:
    latent = np.array([-1.0, -0.26, -0.24, 0.0, 0.24, 0.26, 3.0])
    assert draw_levels(latent, 0.5).tolist() == [N, N, S, S, S, H, H]


def test_zero_band_has_no_somewhat_helpful() -> None:
    latent = np.random.default_rng(0).normal(size=1000)
    assert not (draw_levels(latent, 0.0) == S).any()


def test_counts_sum_to_n_ratings_unless_capped() -> None:
    rng = np.random.default_rng(3)
    counts = draw_note_rating_counts(SimConfig(n_ratings=10_000), 200, 10_000, rng)
    assert counts.sum() == 10_000
    capped = draw_note_rating_counts(SimConfig(n_ratings=10_000), 200, 7, rng)
    assert capped.max() <= 7
