"""High-volume rater flag (scoring-core.md §2.3 step 2)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from bridgewatch.scoring.preprocess.config import PreprocessConfig

__all__ = ["flag_high_volume_raters"]


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
    if np.count_nonzero(np.bincount(note_idx)) < config.min_notes_for_safeguards:
        return flags
    newest = int(created_at_ms.max())
    for window_ms in config.high_volume_windows_ms:
        recent = created_at_ms > newest - window_ms
        counts = np.bincount(rater_idx[recent], minlength=n_raters)
        active = counts > 0
        if not active.any():
            continue
        threshold = np.quantile(counts[active].astype(np.float64), config.high_volume_quantile)
        flags |= counts > threshold
    return flags
