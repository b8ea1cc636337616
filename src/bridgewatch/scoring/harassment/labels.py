"""Which ratings train the harassment model, and their labels (scoring-core.md §4.6 steps 2-4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.model.columns import NOT_HELPFUL_TAGS
from bridgewatch.model.enums import HelpfulnessLevel
from bridgewatch.scoring.harassment.config import HarassmentConfig

__all__ = ["HarassmentLabels", "label_harassment_ratings"]

_ABUSE_BIT = np.uint16(1 << NOT_HELPFUL_TAGS.index("notHelpfulSpamHarassmentOrAbuse"))
_OTHER_BIT = np.uint16(1 << NOT_HELPFUL_TAGS.index("notHelpfulOther"))


@dataclass(frozen=True)
class HarassmentLabels:
    """The labelled training ratings.

    Parameters
    ----------
    rows : int64 array of shape (n_labelled,)
        Positions, in the input arrays, of the ratings that train the model (ascending).
    labels : float64 array of shape (n_labelled,)
        1.0 for a harassment/abuse tag, 0.0 for a helpful rating or an "other" tag.
    positive_rate : float
        Mean of ``labels``; NaN when nothing is labelled.
    """

    rows: NDArray[np.int64]
    labels: NDArray[np.float64]
    positive_rate: float


def _min_count_filter(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    keep: NDArray[np.bool_],
    n_notes: int,
    n_raters: int,
    config: HarassmentConfig,
) -> NDArray[np.bool_]:
    """One pass of the §4.1 filter: notes, then raters, then notes again."""
    keep = keep.copy()
    for which in ("note", "rater", "note"):
        idx, n, least = (
            (note_idx, n_notes, config.min_ratings_per_note)
            if which == "note"
            else (rater_idx, n_raters, config.min_ratings_per_rater)
        )
        counts = np.bincount(idx[keep], minlength=n)
        keep &= counts[idx] >= least
    return keep


def label_harassment_ratings(
    note_idx: NDArray[np.int32],
    rater_idx: NDArray[np.int32],
    created_at_ms: NDArray[np.int64],
    not_helpful_tags: NDArray[np.uint16],
    helpfulness_level: NDArray[np.int8],
    *,
    n_notes: int,
    n_raters: int,
    config: HarassmentConfig,
) -> HarassmentLabels:
    """Select and label the harassment-model ratings (§4.6 steps 2-4).

    The input should be the ratingsForTraining of raters above the helpfulness threshold
    (§4.6 step 1; the caller selects them). Ratings created before
    ``config.min_created_at_ms`` are dropped. A rating is positive when it carries
    ``notHelpfulSpamHarassmentOrAbuse``; otherwise negative when its helpfulness level is
    HELPFUL or it carries ``notHelpfulOther``; otherwise dropped. Finally the §4.1 minimum
    counts are applied once (notes >= 5, then raters >= 10, then notes >= 5).

    Parameters
    ----------
    note_idx, rater_idx : int32 arrays of shape (n_ratings,)
    created_at_ms : int64 array of shape (n_ratings,)
        Rating creation time, ms since the Unix epoch.
    not_helpful_tags : uint16 array of shape (n_ratings,)
        Bit k = ``NOT_HELPFUL_TAGS[k]`` (as in ``bridgewatch.model.Ratings``).
    helpfulness_level : int8 array of shape (n_ratings,)
        ``HelpfulnessLevel`` code, -1 when missing.
    n_notes, n_raters : int
        Sizes of the note and rater indexes.
    config : HarassmentConfig

    Returns
    -------
    HarassmentLabels
    """
    m = note_idx.shape[0]
    for name, arr in (
        ("rater_idx", rater_idx),
        ("created_at_ms", created_at_ms),
        ("not_helpful_tags", not_helpful_tags),
        ("helpfulness_level", helpfulness_level),
    ):
        if arr.shape != (m,):
            raise InputError(f"expected shape ({m},), got {arr.shape}", field=name)
    bits = np.asarray(not_helpful_tags, dtype=np.uint16)
    positive = (bits & _ABUSE_BIT) != 0
    negative = ~positive & (
        (np.asarray(helpfulness_level) == HelpfulnessLevel.HELPFUL) | ((bits & _OTHER_BIT) != 0)
    )
    keep = (np.asarray(created_at_ms) >= config.min_created_at_ms) & (positive | negative)
    keep = _min_count_filter(note_idx, rater_idx, keep, n_notes, n_raters, config)
    rows = np.flatnonzero(keep).astype(np.int64)
    labels = positive[rows].astype(np.float64)
    rate = float(labels.mean()) if rows.shape[0] else float("nan")
    return HarassmentLabels(rows=rows, labels=labels, positive_rate=rate)
