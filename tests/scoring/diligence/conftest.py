"""Factories of small low-diligence problems."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Toy:
    note_idx: NDArray[np.int32]
    rater_idx: NDArray[np.int32]
    targets: NDArray[np.float64]
    n_notes: int
    n_raters: int
    rater_factors: NDArray[np.float64]
    sloppy: NDArray[np.bool_]


def make_toy(seed: int, n_notes: int = 30, n_raters: int = 40, density: float = 0.4) -> Toy:
    """Raters in two camps; 20% of notes are 'sloppy' and mostly tagged incorrect/unsourced."""
    rng = np.random.default_rng(seed)
    note, rater = np.nonzero(rng.random((n_notes, n_raters)) < density)
    sloppy = rng.random(n_notes) < 0.2
    p = np.where(sloppy[note], 0.6, 0.03)
    targets = (rng.random(note.shape[0]) < p).astype(np.float64)
    camp = np.where(np.arange(n_raters) % 2 == 0, -1.0, 1.0)
    return Toy(
        note.astype(np.int32),
        rater.astype(np.int32),
        targets,
        n_notes,
        n_raters,
        camp * 0.5 + 0.1 * rng.standard_normal(n_raters),
        sloppy,
    )
