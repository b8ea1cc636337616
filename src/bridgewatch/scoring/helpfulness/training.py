"""Training-set filter and stable-initialization subset of the prescoring MF (§4.1, §4.2)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from bridgewatch.scoring.helpfulness.config import StableInitConfig, TrainingFilterConfig

__all__ = ["filter_ratings_for_training", "stable_init_mask"]


def _counts_at(idx: NDArray[np.int32], mask: NDArray[np.bool_], size: int) -> NDArray[np.intp]:
    """Per-entity count of the masked rows, gathered back onto every row."""
    counts = np.bincount(idx[mask], minlength=size)
    return counts[idx]


def filter_ratings_for_training(
    note_idx: NDArray[np.int32],
    rater_idx: NDArray[np.int32],
    n_notes: int,
    n_raters: int,
    config: TrainingFilterConfig,
) -> NDArray[np.bool_]:
    """Ratings that enter the prescoring MF, by one pass note -> rater -> note (§4.1).

    Keep notes with >= ``min_ratings_per_note`` ratings; then raters with >=
    ``min_ratings_per_rater`` remaining ratings; then notes with >= ``min_ratings_per_note``
    remaining ratings. There is no iteration to a fixed point.

    Parameters
    ----------
    note_idx, rater_idx : int32 arrays of shape (n_ratings,)
    n_notes, n_raters : sizes of the note and rater indexes
    config : TrainingFilterConfig

    Returns
    -------
    bool array of shape (n_ratings,), true for ratings kept.
    """
    keep = np.ones(note_idx.shape[0], dtype=np.bool_)
    keep &= _counts_at(note_idx, keep, n_notes) >= config.min_ratings_per_note
    keep &= _counts_at(rater_idx, keep, n_raters) >= config.min_ratings_per_rater
    keep &= _counts_at(note_idx, keep, n_notes) >= config.min_ratings_per_note
    return keep


def stable_init_mask(
    note_idx: NDArray[np.int32],
    rater_idx: NDArray[np.int32],
    modeling_group: NDArray[np.int64],
    enrolled: NDArray[np.bool_],
    n_notes: int,
    config: StableInitConfig,
) -> NDArray[np.bool_]:
    """Ratings of the stable-initialization subset (§4.2 step 1).

    Among ratings whose rater is enrolled, keep those by raters of group
    ``config.modeling_group`` on notes where at least ``min_group_share`` of the enrolled
    ratings come from that group and there are at least ``min_ratings`` enrolled ratings.

    Parameters
    ----------
    note_idx, rater_idx : int32 arrays of shape (n_ratings,), the training ratings
    modeling_group : int64 array of shape (n_participants,), -1 where missing
    enrolled : bool array of shape (n_participants,)
    n_notes : size of the note index
    config : StableInitConfig

    Returns
    -------
    bool array of shape (n_ratings,); may be all false (the caller decides what then).
    """
    joined = enrolled[rater_idx]
    in_group = joined & (modeling_group[rater_idx] == config.modeling_group)
    n_joined = np.bincount(note_idx[joined], minlength=n_notes)
    n_group = np.bincount(note_idx[in_group], minlength=n_notes)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = n_group / n_joined
    good_note = (n_joined >= config.min_ratings) & (share >= config.min_group_share)
    result: NDArray[np.bool_] = in_group & good_note[note_idx]
    return result
