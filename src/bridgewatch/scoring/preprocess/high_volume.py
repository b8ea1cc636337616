"""High-volume rater flag (scoring-core.md §2.3 step 2)."""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from bridgewatch.scoring.preprocess.config import PreprocessConfig

__all__ = ["counts_after", "flag_high_volume_raters"]


def flag_high_volume_raters(
    rater_idx: NDArray[np.int32],
    created_at_ms: NDArray[np.int64],
    note_idx: NDArray[np.int32],
    n_raters: int,
    config: PreprocessConfig,
) -> NDArray[np.bool_]:
    """Flag raters who rated unusually much in the last 7 or 28 days.

    For each window D the cutoff is (newest rating timestamp) - D. Each rater's ratings created
    strictly after the cutoff are counted over raters with at least one such rating; the
    threshold is the ``config.high_volume_quantile`` quantile (linear interpolation) of those
    counts, and a rater is high volume when its count exceeds the threshold in any window.
    Nobody is flagged when the ratings cover fewer than ``config.min_notes_for_safeguards``
    distinct notes.

    Parameters
    ----------
    rater_idx : int32 array of shape (n_ratings,)
    created_at_ms : int64 array of shape (n_ratings,), ms since the epoch
    note_idx : int32 array of shape (n_ratings,)
    n_raters : size of the rater index
    config : PreprocessConfig

    Returns
    -------
    bool array of shape (n_raters,), true for high-volume raters.
    """
    flags = np.zeros(n_raters, dtype=np.bool_)
    if rater_idx.shape[0] == 0:
        return flags
    if _distinct(note_idx) < config.min_notes_for_safeguards:
        return flags
    newest = int(created_at_ms.max())
    windows = tuple(config.high_volume_windows_ms)
    cutoffs = np.asarray([newest - w for w in windows], dtype=np.int64)
    per_window = counts_after(rater_idx, created_at_ms, cutoffs, n_raters)
    for counts in per_window:
        active = counts > 0
        if not active.any():
            continue
        threshold = np.quantile(counts[active].astype(np.float64), config.high_volume_quantile)
        flags |= counts > threshold
    return flags


@njit(cache=True)
def _distinct(note_idx: NDArray[np.int32]) -> int:
    """Distinct values of ``note_idx`` (``np.count_nonzero(np.bincount(note_idx))``)."""
    if note_idx.shape[0] == 0:
        return 0
    seen = np.zeros(int(note_idx.max()) + 1, dtype=np.bool_)
    count = 0
    for k in range(note_idx.shape[0]):
        if not seen[note_idx[k]]:
            seen[note_idx[k]] = True
            count += 1
    return count


@njit(cache=True)
def counts_after(
    rater_idx: NDArray[np.int32],
    created_at_ms: NDArray[np.int64],
    cutoffs: NDArray[np.int64],
    n_raters: int,
) -> NDArray[np.int64]:
    """int64 array of shape (len(cutoffs), n_raters): the ratings of each row of ``rater_idx``'s
    index (raters, or any index: notes) created strictly after each cutoff, i.e.
    ``np.bincount(rater_idx[created_at_ms > cutoff], minlength=n_raters)`` per cutoff, in one
    scan of the ratings (every value of ``rater_idx`` in ``[0, n_raters)``)."""
    out = np.zeros((cutoffs.shape[0], n_raters), dtype=np.int64)
    for k in range(rater_idx.shape[0]):
        if rater_idx[k] < 0 or rater_idx[k] >= n_raters:
            raise IndexError("an index value outside [0, n_raters)")
        at = created_at_ms[k]
        for w in range(cutoffs.shape[0]):
            if at > cutoffs[w]:
                out[w, rater_idx[k]] += 1
    return out
