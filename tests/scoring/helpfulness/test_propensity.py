"""Rater incorrect propensity (scoring-core.md §4.10)."""

from __future__ import annotations

import numpy as np

from bridgewatch.scoring.helpfulness import incorrect_propensity


def test_counts_only_ratings_with_any_not_helpful_tag() -> None:
    rater = np.array([0, 0, 0, 1], dtype=np.int32)
    # bit 1 = notHelpfulIncorrect, bit 0 = notHelpfulOther
    tags = np.array([0b10, 0b01, 0, 0b11], dtype=np.uint16)
    p = incorrect_propensity(rater, tags, 3)
    assert p.incorrect_tag_ratings.tolist() == [1, 1, 0]
    assert p.total_ratings.tolist() == [2, 1, 0]
