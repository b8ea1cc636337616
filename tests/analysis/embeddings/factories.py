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


def camps_with_a_light_block(
    n_light: int = 200, shifted: tuple[int, ...] = (0, 1, 2, 3, 20, 21, 22, 23), vote: int = -1
) -> tuple[RatingMatrix, np.ndarray]:
    """``two_camps()`` plus ``n_light`` raters with 4 votes each, all ``vote``, on the
    ``shifted`` notes (half of the raters on the first four, half on the rest): enough votes
    to move those notes' means, too few for any of these raters to fit an axis. Returns the
    matrix and each rater's camp (-1 for the light raters)."""
    m, camps = two_camps()
    votes = [
        (int(r), int(c), int(v)) for r, c, v in zip(m.rater_idx, m.note_idx, m.votes, strict=True)
    ]
    half = len(shifted) // 2
    for i in range(n_light):
        notes = shifted[:half] if i % 2 == 0 else shifted[half:]
        votes.extend((m.n_raters + i, n, vote) for n in notes)
    labels = np.concatenate([camps, np.full(n_light, -1)])
    return matrix_of(votes, m.n_raters + n_light, m.n_notes), labels


def skewed_camps(
    seed: int, n_raters: int = 3000, n_notes: int = 3000, n_draws: int = 60_000
) -> tuple[RatingMatrix, np.ndarray]:
    """Two camps on sparse ratings with skewed activity: rater and note popularity
    lognormal (sigma 1 and 1.5, so a few notes draw thousands of votes), a fifth of the notes
    slanted (+-1), votes +1 / 0 / -1 cut from 0.3 + 1.5 x position x slant + N(0, 1) at
    +-0.5, ``n_draws`` (rater, note) draws with repeats dropped. Returns the matrix and each
    rater's camp (0 or 1; position -1 or +1)."""
    rng = np.random.default_rng(seed)
    camps = rng.integers(0, 2, n_raters)
    slant = np.where(rng.random(n_notes) < 0.2, rng.choice([-1.0, 1.0], n_notes), 0.0)
    p_rater = rng.lognormal(0.0, 1.0, n_raters)
    p_note = rng.lognormal(0.0, 1.5, n_notes)
    r = rng.choice(n_raters, n_draws, p=p_rater / p_rater.sum())
    n = rng.choice(n_notes, n_draws, p=p_note / p_note.sum())
    key = np.unique(r.astype(np.int64) * n_notes + n)
    r, n = key // n_notes, key % n_notes
    latent = 0.3 + 1.5 * np.where(camps[r] == 1, 1.0, -1.0) * slant[n]
    latent = latent + rng.normal(0.0, 1.0, r.shape[0])
    votes = np.where(latent > 0.5, 1, np.where(latent < -0.5, -1, 0))
    return RatingMatrix(
        rater_ids=np.array([f"r{i}" for i in range(n_raters)], dtype=np.str_),
        note_ids=np.array([f"n{j}" for j in range(n_notes)], dtype=np.str_),
        rater_idx=r.astype(np.int32),
        note_idx=n.astype(np.int32),
        votes=votes.astype(np.int8),
        created_at_ms=np.full(r.shape[0], SEPTEMBER_MS, dtype=np.int64),
    ), camps
