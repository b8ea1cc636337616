"""Topic-model confidence (scoring-extended.md §4.4)."""

from __future__ import annotations

import numpy as np

from bridgewatch.scoring.topics import topic_note_confidence


def test_confident_needs_more_than_four_ratings_on_each_side() -> None:
    # Raters 0-4 positive (0.0 counts as positive), 5-9 negative, 10 unscored (NaN).
    factors = np.array([0.0, 0.1, 0.2, 0.3, 0.4, -0.1, -0.2, -0.3, -0.4, -0.5, np.nan])
    rows = [(0, r) for r in range(10)]  # note 0: 5 + 5 -> confident
    rows += [(1, r) for r in range(9)] + [(1, 10)]  # note 1: 5 + 4 (+ NaN) -> not
    rows += [(2, r) for r in range(10)]  # note 2: 5 + 5 but unscored -> not
    note_idx = np.array([n for n, _ in rows])
    rater_idx = np.array([r for _, r in rows])
    scored = np.array([True, True, False, True])
    out = topic_note_confidence(note_idx, rater_idx, factors, scored)
    assert out.tolist() == [True, False, False, False]
    loose = topic_note_confidence(note_idx, rater_idx, factors, scored, min_raters_per_side=0)
    assert loose.tolist() == [True, True, False, False]
