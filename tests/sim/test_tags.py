"""Rating tags."""

from __future__ import annotations

import numpy as np

from bridgewatch.model import HelpfulnessLevel
from bridgewatch.sim.tags import draw_tags

H, S, N = HelpfulnessLevel.HELPFUL, HelpfulnessLevel.SOMEWHAT_HELPFUL, HelpfulnessLevel.NOT_HELPFUL


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
