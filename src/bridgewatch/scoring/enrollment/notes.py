"""The per-note facts contributor scoring reads: author, times and this run's final status."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import NoteStatus

__all__ = ["MISSING_MS", "ScoredNoteFacts"]

MISSING_MS = -1
"""Timestamp code of a missing time (no status decision yet, note not in history)."""


@dataclass(frozen=True)
class ScoredNoteFacts:
    """What contributor scoring needs of every note, indexed by ``note_idx``.

    Row i describes ``Ratings.note_ids.ids[i]``. The times and statuses are those of the
    note status history *updated by this run* (scoring-extended.md §2.2).

    Parameters
    ----------
    author_idx : int32 array of shape (n_notes,)
        Participant row of the note's author, -1 if unknown.
    created_at_ms : int64 array of shape (n_notes,)
        Note creation time (ms since epoch); ``MISSING_MS`` (-1) when the note is not in the
        status history, which excludes it (and ratings on it) from contributor scoring.
    sort_key : int64 array of shape (n_notes,)
        Time-ordered note id (the numeric snowflake ``noteId``) used to order an author's
        notes, newest first (§2.4).
    final_status : int8 array of shape (n_notes,)
        ``NoteStatus`` code of the final status of this run (CRH, CRNH or NMR); -1 if none.
    latest_non_nmr_ms : int64 array of shape (n_notes,)
        ``timestampMillisOfLatestNonNMRStatus``: time of the latest CRH/CRNH decision, or
        ``MISSING_MS``.
    num_ratings : int64 array of shape (n_notes,)
        Ratings the note has received (``numRatings``).
    """

    author_idx: NDArray[np.int32]
    created_at_ms: NDArray[np.int64]
    sort_key: NDArray[np.int64]
    final_status: NDArray[np.int8]
    latest_non_nmr_ms: NDArray[np.int64]
    num_ratings: NDArray[np.int64]

    def __post_init__(self) -> None:
        n = self.author_idx.shape[0]
        for name in ("created_at_ms", "sort_key", "final_status", "latest_non_nmr_ms"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name} has shape {getattr(self, name).shape}, expected ({n},)")
        if self.num_ratings.shape != (n,):
            raise ValueError(f"num_ratings has shape {self.num_ratings.shape}, expected ({n},)")

    @property
    def n_notes(self) -> int:
        """Number of notes."""
        return int(self.author_idx.shape[0])

    @property
    def in_history(self) -> NDArray[np.bool_]:
        """bool (n_notes,): the note is in the status history (so it is scored)."""
        return np.asarray(self.created_at_ms != MISSING_MS)

    @property
    def is_crh(self) -> NDArray[np.bool_]:
        """bool (n_notes,): final status is CURRENTLY_RATED_HELPFUL."""
        return np.asarray(self.final_status == NoteStatus.CURRENTLY_RATED_HELPFUL)

    @property
    def is_crnh(self) -> NDArray[np.bool_]:
        """bool (n_notes,): final status is CURRENTLY_RATED_NOT_HELPFUL."""
        return np.asarray(self.final_status == NoteStatus.CURRENTLY_RATED_NOT_HELPFUL)

    @property
    def is_nmr(self) -> NDArray[np.bool_]:
        """bool (n_notes,): final status is NEEDS_MORE_RATINGS."""
        return np.asarray(self.final_status == NoteStatus.NEEDS_MORE_RATINGS)
