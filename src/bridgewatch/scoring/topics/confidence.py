"""Confidence of a topic model's result for a note (scoring-extended.md §4.4).

A note scored by a topic model is *confident* when more than ``min_raters_per_side`` of its
ratings come from raters with topic factor >= 0 and more than that many from raters with
factor < 0 (4 per side; 0 for InDimensionTwo). ``topicNoteConfident`` in scored_notes.tsv.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["topic_note_confidence"]


def topic_note_confidence(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    rater_factors: NDArray[np.floating],
    note_scored: NDArray[np.bool_],
    *,
    min_raters_per_side: int = 4,
) -> NDArray[np.bool_]:
    """Which topic-model notes have enough ratings from both sides of the topic factor.

    Parameters
    ----------
    note_idx, rater_idx : int arrays of shape (n_ratings,)
        The ratings the topic model was given (its notes' preprocessed ratings).
    rater_factors : float array of shape (n_participants,)
        Topic-model rater factors; NaN for raters the model did not fit (they count on
        neither side).
    note_scored : bool array of shape (n_notes,)
        Notes the topic model gave an intercept; the others are never confident.
    min_raters_per_side : int
        Each side needs strictly more ratings than this (4; 0 for InDimensionTwo).

    Returns
    -------
    bool array of shape (n_notes,)
    """
    if min_raters_per_side < 0:
        raise ValueError(f"min_raters_per_side must be >= 0, got {min_raters_per_side}")
    n_notes = note_scored.shape[0]
    factor = rater_factors[rater_idx]
    with np.errstate(invalid="ignore"):
        positive = factor >= 0
        negative = factor < 0
    pos = np.bincount(note_idx[positive], minlength=n_notes)
    neg = np.bincount(note_idx[negative], minlength=n_notes)
    return np.asarray(note_scored & (pos > min_raters_per_side) & (neg > min_raters_per_side))
