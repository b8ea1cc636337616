"""Factories of small labelled harassment problems."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Toy:
    note_idx: NDArray[np.int32]
    rater_idx: NDArray[np.int32]
    labels: NDArray[np.float64]
    n_notes: int
    n_raters: int
    rater_factors: NDArray[np.float64]
    note_factors: NDArray[np.float64]
    abusive: NDArray[np.bool_]


def make_toy(seed: int, n_notes: int = 40, n_raters: int = 50, density: float = 0.4) -> Toy:
    """Raters in two camps rating notes; 20% of notes are abusive and mostly tagged so."""
    rng = np.random.default_rng(seed)
    mask = rng.random((n_notes, n_raters)) < density
    note, rater = np.nonzero(mask)
    abusive = rng.random(n_notes) < 0.2
    camp = np.where(np.arange(n_raters) % 2 == 0, -1.0, 1.0)
    p = np.where(abusive[note], 0.8, 0.05) * (1.0 + 0.2 * camp[rater])
    labels = (rng.random(note.shape[0]) < p).astype(np.float64)
    return Toy(
        note.astype(np.int32),
        rater.astype(np.int32),
        labels,
        n_notes,
        n_raters,
        camp * 0.4 + 0.1 * rng.standard_normal(n_raters),
        0.3 * rng.standard_normal(n_notes),
        abusive,
    )
