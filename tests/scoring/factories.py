"""Small factories for scoring tests: ratings from tuples, per-note rule inputs from scalars."""

from __future__ import annotations

from typing import Any

import numpy as np

from bridgewatch.model import IdIndex, Ratings
from bridgewatch.model.columns import HELPFUL_TAGS, NOT_HELPFUL_TAGS


def tag_bits(names: tuple[str, ...] | list[str], helpful: bool) -> int:
    """uint16 bit-set of the given tag names."""
    order = HELPFUL_TAGS if helpful else NOT_HELPFUL_TAGS
    return sum(1 << order.index(name) for name in names)


def make_ratings(
    rows: list[tuple[int, int, float]],
    *,
    n_notes: int,
    n_participants: int,
    not_helpful: list[list[str]] | None = None,
    helpful: list[list[str]] | None = None,
    population_sampled: list[bool] | None = None,
    created_at_ms: list[int] | None = None,
) -> Ratings:
    """Ratings from (note_idx, rater_idx, helpful_num) rows; ids are "n0".., "p0".."""
    m = len(rows)
    nh = not_helpful or [[] for _ in rows]
    h = helpful or [[] for _ in rows]
    return Ratings(
        note_idx=np.array([r[0] for r in rows], dtype=np.int32),
        rater_idx=np.array([r[1] for r in rows], dtype=np.int32),
        helpful_num=np.array([r[2] for r in rows], dtype=np.float32),
        helpfulness_level=np.full(m, -1, dtype=np.int8),
        created_at_ms=np.array(created_at_ms or [0] * m, dtype=np.int64),
        helpful_tags=np.array([tag_bits(t, True) for t in h], dtype=np.uint16),
        not_helpful_tags=np.array([tag_bits(t, False) for t in nh], dtype=np.uint16),
        population_sampled=np.array(population_sampled or [False] * m, dtype=np.bool_),
        note_ids=IdIndex(np.array([f"n{i:03d}" for i in range(n_notes)], dtype=np.str_)),
        participant_ids=IdIndex(
            np.array([f"p{i:03d}" for i in range(n_participants)], dtype=np.str_)
        ),
    )


def column(values: Any, n: int, dtype: Any) -> np.ndarray[Any, Any]:
    """Broadcast a scalar or sequence to an array of length n."""
    return np.broadcast_to(np.asarray(values, dtype=dtype), (n,)).copy()
