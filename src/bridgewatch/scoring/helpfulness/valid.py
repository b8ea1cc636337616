"""Valid ratings: ratings made before the note's status was public (§4.4, extended §2.2)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import NoteStatus
from bridgewatch.scoring.helpfulness.config import ValidRatingsConfig

__all__ = [
    "RATING_BLOCK",
    "ValidRatings",
    "classify_valid_ratings",
    "created_after",
    "created_before",
    "ratings_before_note_status",
]

_INT64_MAX = np.iinfo(np.int64).max
# Ratings per block of the per-rating passes: their temporaries take ~20 bytes per rating,
# so a block costs ~80 MB whatever the number of ratings.
RATING_BLOCK = 1 << 22
_LIMIT = float(2**62)  # timestamps are far inside (+-2**62 ms); both bounds are exact floats


def _integer_cutoffs(note_ms: NDArray[np.float64], *, before: bool) -> NDArray[np.int64]:
    """Per-note int64 cutoffs t with ``c < x`` iff ``c < t`` (``before``), else ``c > x`` iff
    ``c > t``, for every integer ``|c| < 2**62``; where ``x`` is NaN the cutoff is the int64
    maximum, which every such ``c`` is below (``before``) and none is above."""
    nan = np.isnan(note_ms)
    with np.errstate(invalid="ignore"):
        rounded = np.ceil(note_ms) if before else np.floor(note_ms)
    cutoffs = np.clip(np.where(nan, 0.0, rounded), -_LIMIT, _LIMIT).astype(np.int64)
    cutoffs[nan] = _INT64_MAX
    return cutoffs


def created_before(
    created_at_ms: NDArray[np.int64], note_idx: NDArray[np.int32], note_ms: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """``isnan(x) | (created < x)`` with ``x = note_ms[note_idx]``, per rating.

    Equal to comparing ``created_at_ms.astype(float64)`` with the gathered float64 times
    (integer ms below 2**53 are exact), without two float64 arrays per rating.
    """
    result: NDArray[np.bool_] = created_at_ms < _integer_cutoffs(note_ms, before=True)[note_idx]
    return result


def created_after(
    created_at_ms: NDArray[np.int64], note_idx: NDArray[np.int32], note_ms: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """``created > x`` with ``x = note_ms[note_idx]`` (false where x is NaN), per rating."""
    result: NDArray[np.bool_] = created_at_ms > _integer_cutoffs(note_ms, before=False)[note_idx]
    return result


def ratings_before_note_status(
    note_idx: NDArray[np.int32],
    created_at_ms: NDArray[np.int64],
    note_in_nsh: NDArray[np.bool_],
    note_created_at_ms: NDArray[np.int64],
    note_latest_non_nmr_ms: NDArray[np.float64],
    config: ValidRatingsConfig,
) -> NDArray[np.bool_]:
    """Ratings made before the note's status and before the ratings became public.

    A rating qualifies when its note is in NSH, it was made less than ``public_delay_ms`` after
    the note's creation, and either (note created at or after ``tombstone_launch_ms``) the note
    has no latest non-NMR timestamp or the rating is strictly earlier than it, or (older note)
    it is among the first ``first_n_old_notes`` ratings by time of the note's ratings in the
    window (ties by input order).

    Parameters
    ----------
    note_idx : int32 array of shape (n_ratings,)
    created_at_ms : int64 array of shape (n_ratings,), ms since the epoch
    note_in_nsh : bool array of shape (n_notes,)
    note_created_at_ms : int64 array of shape (n_notes,), ms since the epoch
    note_latest_non_nmr_ms : float64 array of shape (n_notes,), NSH
        ``timestampMillisOfLatestNonNMRStatus`` in ms, NaN where missing
    config : ValidRatingsConfig

    Returns
    -------
    bool array of shape (n_ratings,)
    """
    # Per-note figures first, then one gather per rating, a block of ratings at a time
    # (gathered int64 note times would cost 8 bytes per rating each: at 150M ratings the
    # whole-array form held ~3 GiB of temporaries at once).
    window_end = note_created_at_ms + config.public_delay_ms
    old_per_note = note_created_at_ms < config.tombstone_launch_ms
    cutoffs = _integer_cutoffs(note_latest_non_nmr_ms, before=True)  # ``created_before``
    n = note_idx.shape[0]
    result = np.empty(n, dtype=np.bool_)
    old_in_window = np.empty(n, dtype=np.bool_)
    for start in range(0, n, RATING_BLOCK):
        block = slice(start, start + RATING_BLOCK)
        notes, created = note_idx[block], created_at_ms[block]
        in_window = (created < window_end[notes]) & note_in_nsh[notes]
        old_note = old_per_note[notes]
        result[block] = in_window & ~old_note & (created < cutoffs[notes])
        old_in_window[block] = in_window & old_note
    old_rows = np.flatnonzero(old_in_window)
    del old_in_window
    if old_rows.size:
        order = np.lexsort((created_at_ms[old_rows], note_idx[old_rows]))
        sorted_rows = old_rows[order]
        sorted_notes = note_idx[sorted_rows]
        starts = np.ones(sorted_rows.shape[0], dtype=np.bool_)
        starts[1:] = sorted_notes[1:] != sorted_notes[:-1]
        group_start = np.maximum.accumulate(np.where(starts, np.arange(sorted_rows.shape[0]), 0))
        rank = np.arange(sorted_rows.shape[0]) - group_start
        result[sorted_rows[rank < config.first_n_old_notes]] = True
    return result


@dataclass(frozen=True)
class ValidRatings:
    """Valid ratings split by outcome; every array has shape (n_ratings,).

    Attributes
    ----------
    valid : the rating is valid (before status, on a CRH/CRNH note, value 0 or 1).
    agree : valid and matching the status (1.0 on CRH or 0.0 on CRNH).
    successful_helpful : 1.0 on a CRH note (``successfulRatingHelpfulCount``).
    successful_not_helpful : 0.0 on a CRNH note (``successfulRatingNotHelpfulCount``).
    unsuccessful_helpful : 0.0 on a CRH note (``unsuccessfulRatingHelpfulCount``; the name
        refers to the note).
    unsuccessful_not_helpful : 1.0 on a CRNH note (``unsuccessfulRatingNotHelpfulCount``).
    """

    valid: NDArray[np.bool_]
    agree: NDArray[np.bool_]
    successful_helpful: NDArray[np.bool_]
    successful_not_helpful: NDArray[np.bool_]
    unsuccessful_helpful: NDArray[np.bool_]
    unsuccessful_not_helpful: NDArray[np.bool_]

    def per_rater(self, rater_idx: NDArray[np.int32], n_raters: int) -> ValidRatingCounts:
        """Per-rater counts of each class; arrays of shape (n_raters,)."""

        def count(mask: NDArray[np.bool_]) -> NDArray[np.int64]:
            return np.bincount(rater_idx[mask], minlength=n_raters).astype(np.int64)

        return ValidRatingCounts(
            valid=count(self.valid),
            agree=count(self.agree),
            successful_helpful=count(self.successful_helpful),
            successful_not_helpful=count(self.successful_not_helpful),
            unsuccessful_helpful=count(self.unsuccessful_helpful),
            unsuccessful_not_helpful=count(self.unsuccessful_not_helpful),
        )


@dataclass(frozen=True)
class ValidRatingCounts:
    """Per-rater counts of valid ratings by class; int64 arrays of shape (n_raters,)."""

    valid: NDArray[np.int64]
    agree: NDArray[np.int64]
    successful_helpful: NDArray[np.int64]
    successful_not_helpful: NDArray[np.int64]
    unsuccessful_helpful: NDArray[np.int64]
    unsuccessful_not_helpful: NDArray[np.int64]


def classify_valid_ratings(
    note_idx: NDArray[np.int32],
    helpful_num: NDArray[np.float32],
    before_status: NDArray[np.bool_],
    note_status: NDArray[np.int8],
) -> ValidRatings:
    """Split the before-status ratings on decided notes into the four outcome classes (§4.4).

    Parameters
    ----------
    note_idx : int32 array of shape (n_ratings,)
    helpful_num : float32 array of shape (n_ratings,), 0.0 / 0.5 / 1.0
    before_status : bool array of shape (n_ratings,), from ``ratings_before_note_status``
    note_status : int8 array of shape (n_notes,), ``NoteStatus`` code (provisional in
        prescoring, final in contributor scoring), -1 where none

    Returns
    -------
    ValidRatings
    """
    status = note_status[note_idx]
    crh = status == NoteStatus.CURRENTLY_RATED_HELPFUL
    crnh = status == NoteStatus.CURRENTLY_RATED_NOT_HELPFUL
    helpful = helpful_num == 1.0
    not_helpful = helpful_num == 0.0
    valid = before_status & (crh | crnh) & (helpful | not_helpful)
    s_h = valid & crh & helpful
    s_nh = valid & crnh & not_helpful
    u_h = valid & crh & not_helpful
    u_nh = valid & crnh & helpful
    return ValidRatings(
        valid=valid,
        agree=s_h | s_nh,
        successful_helpful=s_h,
        successful_not_helpful=s_nh,
        unsuccessful_helpful=u_h,
        unsuccessful_not_helpful=u_nh,
    )
