"""Small rating matrices built by hand or at random, for checking the kernels on paper."""

from __future__ import annotations

import numpy as np

from bridgewatch.analysis.embeddings import RatingMatrix

# 2026-09-15 and 2026-10-15, UTC, in ms.
SEPTEMBER_MS = 1_789_430_400_000
OCTOBER_MS = 1_792_022_400_000


def matrix_of(
    votes: list[tuple[int, int, int]], n_raters: int, n_notes: int, *, month_ms: int = SEPTEMBER_MS
) -> RatingMatrix:
    """A matrix from (rater row, note column, vote) triples; ids are ``r0..``, ``n0..``."""
    rows = np.array([v[0] for v in votes], dtype=np.int32)
    cols = np.array([v[1] for v in votes], dtype=np.int32)
    return RatingMatrix(
        rater_ids=np.array([f"r{i}" for i in range(n_raters)], dtype=np.str_),
        note_ids=np.array([f"n{j}" for j in range(n_notes)], dtype=np.str_),
        rater_idx=rows,
        note_idx=cols,
        votes=np.array([v[2] for v in votes], dtype=np.int8),
        created_at_ms=np.full(rows.shape[0], month_ms, dtype=np.int64),
    )


def random_matrix(seed: int, n_raters: int = 12, n_notes: int = 9, p: float = 0.5) -> RatingMatrix:
    """Each (rater, note) rated with probability ``p``, votes uniform on -1, 0, +1; half
    the ratings in September, half in October."""
    rng = np.random.default_rng(seed)
    rated = rng.random((n_raters, n_notes)) < p
    r, c = np.nonzero(rated)
    votes = rng.integers(-1, 2, size=r.shape[0])
    m = matrix_of(
        [(int(a), int(b), int(v)) for a, b, v in zip(r, c, votes, strict=True)], n_raters, n_notes
    )
    months = np.where(rng.random(r.shape[0]) < 0.5, SEPTEMBER_MS, OCTOBER_MS)
    return RatingMatrix(
        m.rater_ids, m.note_ids, m.rater_idx, m.note_idx, m.votes, months.astype(np.int64)
    )


def two_camps(n_per_camp: int = 30, n_notes: int = 40) -> tuple[RatingMatrix, np.ndarray]:
    """Two camps who rate every note, agreeing on even notes and opposing on odd ones (camp
    0 votes +1 on odd notes, camp 1 votes -1); returns the matrix and each rater's camp."""
    votes = []
    camps = np.repeat([0, 1], n_per_camp)
    for r, camp in enumerate(camps):
        for n in range(n_notes):
            if n % 2 == 0:
                votes.append((r, n, 1 if (r + n) % 5 else 0))
            else:
                votes.append((r, n, 1 if camp == 0 else -1))
    return matrix_of(votes, 2 * n_per_camp, n_notes), camps
