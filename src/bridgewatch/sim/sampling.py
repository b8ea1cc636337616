"""Weighted sampling of distinct raters per note, vectorized, with a plain reference."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["choose_raters", "choose_raters_reference", "first_occurrences"]


def choose_raters(
    counts: NDArray[np.int64],
    authors: NDArray[np.int32],
    weights: NDArray[np.float64],
    rng: np.random.Generator,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Distinct raters per note, drawn with probability proportional to ``weights``.

    Each note takes the first distinct eligible raters of a stream of draws with
    replacement (successive sampling, i.e. weighted sampling without replacement); notes
    still short after a few rounds fall back to an exact draw without replacement. The
    author and zero-weight raters are never chosen.

    Returns
    -------
    (note positions within ``counts``, rater indexes), both int64 of the same length
    ``counts.sum()``, sorted by note then rater.
    """
    n_raters = weights.shape[0]
    cumulative = np.cumsum(weights)
    total = cumulative[-1]
    keys_done = np.empty(0, np.int64)
    remaining = counts.copy()
    for round_ in range(3):
        short = np.flatnonzero(remaining > 0)
        if short.size == 0:
            break
        draws = np.ceil(remaining[short] * (1.25 + round_)).astype(np.int64) + 2
        notes = np.repeat(short, draws)
        raters = np.searchsorted(cumulative, rng.random(notes.shape[0]) * total, side="right")
        raters = np.minimum(raters, n_raters - 1)
        keys = notes * n_raters + raters
        first = first_occurrences(keys) & (raters != authors[notes])
        if keys_done.size:
            first &= ~np.isin(keys, keys_done)
        # Rank of each first occurrence within its note's stream (1-based).
        seen = np.cumsum(first)
        group_start = np.repeat(np.cumsum(draws) - draws, draws)
        rank = seen - (seen[group_start] - first[group_start])
        accepted = first & (rank <= remaining[notes])
        keys_done = np.sort(np.concatenate([keys_done, keys[accepted]]))
        remaining -= np.bincount(notes[accepted], minlength=counts.shape[0])
    extra = [
        _exact_draw(int(i), int(remaining[i]), authors[i], weights, keys_done, rng)
        for i in np.flatnonzero(remaining > 0)
    ]
    keys_done = np.sort(np.concatenate([keys_done, *extra]))
    return keys_done // n_raters, keys_done % n_raters


def choose_raters_reference(
    counts: NDArray[np.int64],
    authors: NDArray[np.int32],
    weights: NDArray[np.float64],
    rng: np.random.Generator,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Plain per-note reference of the vectorized rater choice: for each note, draw
    ``counts[i]`` distinct raters with ``rng.choice(replace=False, p=...)`` (successive
    sampling with probabilities proportional to ``weights``, the author excluded).

    Same distribution as the vectorized sampler, not the same draws. Slow; for tests.

    Returns
    -------
    (note positions, rater indexes), int64 arrays sorted by note then rater.
    """
    n_raters = weights.shape[0]
    parts = []
    for note, k in enumerate(counts.tolist()):
        w = weights.copy()
        w[authors[note]] = 0.0
        k = min(k, int(np.count_nonzero(w)))
        if k:
            chosen = np.sort(rng.choice(n_raters, size=k, replace=False, p=w / w.sum()))
            parts.append(note * n_raters + chosen.astype(np.int64))
    keys = np.concatenate(parts) if parts else np.empty(0, np.int64)
    return keys // n_raters, keys % n_raters


def first_occurrences(values: NDArray[np.int64]) -> NDArray[np.bool_]:
    """True where a value appears for the first time, scanning in order."""
    first = np.zeros(values.size, dtype=np.bool_)
    if values.size == 0:
        return first
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    new = np.empty(values.size, dtype=np.bool_)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    first[order] = new
    return first


def _exact_draw(
    note: int,
    k: int,
    author: np.int32,
    weights: NDArray[np.float64],
    keys_done: NDArray[np.int64],
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    n_raters = weights.shape[0]
    w = weights.copy()
    w[author] = 0.0
    taken = keys_done[(keys_done // n_raters) == note] % n_raters
    w[taken] = 0.0
    k = min(k, int(np.count_nonzero(w)))
    chosen = rng.choice(n_raters, size=k, replace=False, p=w / w.sum()) if k else np.empty(0)
    keys: NDArray[np.int64] = note * n_raters + np.asarray(chosen, dtype=np.int64)
    return keys
