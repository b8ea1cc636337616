"""Small builders of Ratings and ScoredNoteFacts for enrollment tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bridgewatch.model import IdIndex, Ratings
from bridgewatch.scoring.enrollment import MISSING_MS, ScoredNoteFacts

HOUR_MS = 3_600_000


def make_ratings(
    rows: Sequence[tuple[int, int, float, int]], *, n_notes: int, n_participants: int
) -> Ratings:
    """Ratings from (rater_idx, note_idx, helpful_num, created_at_ms) tuples."""
    n = len(rows)
    arr = np.array(rows, dtype=np.float64).reshape(n, 4)
    return Ratings(
        note_idx=arr[:, 1].astype(np.int32),
        rater_idx=arr[:, 0].astype(np.int32),
        helpful_num=arr[:, 2].astype(np.float32),
        helpfulness_level=np.full(n, -1, dtype=np.int8),
        created_at_ms=np.array([r[3] for r in rows], dtype=np.int64),
        helpful_tags=np.zeros(n, dtype=np.uint16),
        not_helpful_tags=np.zeros(n, dtype=np.uint16),
        population_sampled=np.zeros(n, dtype=np.bool_),
        note_ids=IdIndex(np.array([f"n{i:03d}" for i in range(n_notes)])),
        participant_ids=IdIndex(np.array([f"p{i:03d}" for i in range(n_participants)])),
    )


def make_notes(
    rows: Sequence[tuple[int, int, int, int, int]], *, num_ratings: Sequence[int] | None = None
) -> ScoredNoteFacts:
    """Notes from (author_idx, created_at_ms, sort_key, final_status, latest_non_nmr_ms)."""
    n = len(rows)
    return ScoredNoteFacts(
        author_idx=np.array([r[0] for r in rows], dtype=np.int32),
        created_at_ms=np.array([r[1] for r in rows], dtype=np.int64),
        sort_key=np.array([r[2] for r in rows], dtype=np.int64),
        final_status=np.array([r[3] for r in rows], dtype=np.int8),
        latest_non_nmr_ms=np.array([r[4] for r in rows], dtype=np.int64),
        num_ratings=np.zeros(n, dtype=np.int64)
        if num_ratings is None
        else np.array(num_ratings, dtype=np.int64),
    )


__all__ = ["HOUR_MS", "MISSING_MS", "make_notes", "make_ratings"]
