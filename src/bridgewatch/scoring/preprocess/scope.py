"""Core scope: which raters the Core scorer sees and which notes it captures.

scoring-core.md §2.4.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from bridgewatch.scoring.preprocess.config import CoreScopeConfig

__all__ = ["capture_mask", "raters_in_scope"]


def raters_in_scope(
    modeling_group: NDArray[np.int64],
    enrolled: NDArray[np.bool_],
    config: CoreScopeConfig,
) -> NDArray[np.bool_]:
    """Participants whose ratings the Core scorer sees.

    In scope: enrolled with ``modelingGroup`` in ``config.modeling_groups``, or absent from the
    enrollment file (when ``config.include_unassigned``). Enrolled participants with no
    group (``-1``) are out of scope. With ``config.single_population`` everyone is in scope.

    Parameters
    ----------
    modeling_group : int64 array of shape (n_participants,), -1 where missing
    enrolled : bool array of shape (n_participants,), the participant has an enrollment row
    config : CoreScopeConfig

    Returns
    -------
    bool array of shape (n_participants,)
    """
    if config.single_population:
        return np.ones(modeling_group.shape[0], dtype=np.bool_)
    groups = np.fromiter(sorted(config.modeling_groups), dtype=np.int64)
    in_group = np.isin(modeling_group, groups) & (modeling_group >= 0)
    return in_group | (~enrolled if config.include_unassigned else np.zeros_like(enrolled))


def capture_mask(
    note_idx: NDArray[np.int32],
    rater_in_scope: NDArray[np.bool_],
    n_notes: int,
    config: CoreScopeConfig,
) -> NDArray[np.bool_]:
    """Notes that keep their Core result: >= ``min_capture_share`` of all ratings in scope.

    Parameters
    ----------
    note_idx : int32 array of shape (n_ratings,), note of every post-PSS rating (all raters)
    rater_in_scope : bool array of shape (n_ratings,), the rating's rater is in Core scope
    n_notes : size of the note index
    config : CoreScopeConfig

    Returns
    -------
    bool array of shape (n_notes,); false for notes with no ratings. Without a capture
    threshold every note is captured.
    """
    if config.min_capture_share is None:
        return np.ones(n_notes, dtype=np.bool_)
    # (Integer counts, then floats: the same values as a float-weighted bincount.)
    total, hits = note_counts(
        np.ascontiguousarray(note_idx), np.ascontiguousarray(rater_in_scope), n_notes
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        share = hits.astype(np.float64) / total
    return (total > 0) & (share >= config.min_capture_share)


@njit(cache=True)
def note_counts(
    note_idx: NDArray[np.integer], chosen: NDArray[np.bool_], n_notes: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Ratings per note and chosen ratings per note, in one scan: ``np.bincount(note_idx,
    minlength=n_notes)`` and ``np.bincount(note_idx[chosen], minlength=n_notes)`` (int64;
    every value of ``note_idx`` in ``[0, n_notes)``). The capture share is read on every
    worker pass over all the post-PSS ratings, and once per scorer view."""
    total = np.zeros(n_notes, dtype=np.int64)
    hits = np.zeros(n_notes, dtype=np.int64)
    for k in range(note_idx.shape[0]):
        n = note_idx[k]
        if n < 0 or n >= n_notes:
            raise IndexError("a note index outside [0, n_notes)")
        total[n] += 1
        if chosen[k]:
            hits[n] += 1
    return total, hits
