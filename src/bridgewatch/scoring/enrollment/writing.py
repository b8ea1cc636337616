"""Writing Impact, the recent-notes window and recent outcome counts (extended §2.4, §2.7).

All-time counts use every note of the author in the status history (deleted ones too) by
this run's final status::

    WI = CRH_all - CRNH_all          hitRate = WI / max(1, CRH_all + CRNH_all + NMR_all)

The state machine's window holds the author's notes created strictly after their last
earn-out, decided notes (CRH or CRNH) first, then newest first by note id, cut to 5.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.scoring.enrollment.config import EnrollmentConfig
from bridgewatch.scoring.enrollment.notes import ScoredNoteFacts

__all__ = ["WritingOutcomes", "count_window_crnh", "score_writing_outcomes"]


@dataclass(frozen=True)
class WritingOutcomes:
    """Per-author note outcomes; int64 arrays of shape (n_participants,) unless stated.

    Parameters
    ----------
    notes_crh, notes_crnh, notes_nmr : all-time notes by final status.
    aggregate_ratings_received : sum of ``num_ratings`` over the author's notes.
    is_author : bool (n_participants,), the participant wrote a note in the status history
        (the reference leaves the four counts above empty for the others).
    crh_14d, crnh_14d, nmr_14d : notes created within 14 days before the newest note, counted
        if CRH/CRNH or with at least 10 ratings, by status.
    crh_90d, crnh_90d, nmr_90d : notes created within 90 days before the newest note.
    """

    notes_crh: NDArray[np.int64]
    notes_crnh: NDArray[np.int64]
    notes_nmr: NDArray[np.int64]
    aggregate_ratings_received: NDArray[np.int64]
    is_author: NDArray[np.bool_]
    crh_14d: NDArray[np.int64]
    crnh_14d: NDArray[np.int64]
    nmr_14d: NDArray[np.int64]
    crh_90d: NDArray[np.int64]
    crnh_90d: NDArray[np.int64]
    nmr_90d: NDArray[np.int64]

    @property
    def writing_impact(self) -> NDArray[np.int64]:
        """int64 (n_participants,): CRH_all - CRNH_all."""
        return self.notes_crh - self.notes_crnh

    @property
    def hit_rate(self) -> NDArray[np.float64]:
        """float64 (n_participants,): WI / max(1, all notes)."""
        total = np.maximum(self.notes_crh + self.notes_crnh + self.notes_nmr, 1)
        return np.asarray(self.writing_impact / total, dtype=np.float64)


def score_writing_outcomes(
    notes: ScoredNoteFacts, n_participants: int, config: EnrollmentConfig
) -> WritingOutcomes:
    """All-time and recent note outcomes of every author (§2.4, §2.7).

    Parameters
    ----------
    notes : ScoredNoteFacts
    n_participants : int
        Length of the participant index that ``notes.author_idx`` points into.
    config : EnrollmentConfig

    Returns
    -------
    WritingOutcomes
    """
    authored = notes.in_history & (notes.author_idx >= 0)
    author = notes.author_idx

    def count(
        mask: NDArray[np.bool_], weights: NDArray[np.int64] | None = None
    ) -> NDArray[np.int64]:
        rows = mask & authored
        w = None if weights is None else weights[rows]
        return np.bincount(author[rows], weights=w, minlength=n_participants).astype(np.int64)

    crh, crnh, nmr = notes.is_crh, notes.is_crnh, notes.is_nmr
    newest = int(notes.created_at_ms[authored].max()) if authored.any() else 0
    in_14d = notes.created_at_ms > newest - config.recent_note_window_short_ms
    in_90d = notes.created_at_ms > newest - config.recent_note_window_long_ms
    counted_14d = in_14d & (crh | crnh | (notes.num_ratings >= config.recent_note_min_ratings))
    return WritingOutcomes(
        notes_crh=count(crh),
        notes_crnh=count(crnh),
        notes_nmr=count(nmr),
        aggregate_ratings_received=count(np.ones(notes.n_notes, dtype=np.bool_), notes.num_ratings),
        is_author=count(np.ones(notes.n_notes, dtype=np.bool_)) > 0,
        crh_14d=count(counted_14d & crh),
        crnh_14d=count(counted_14d & crnh),
        nmr_14d=count(counted_14d & nmr),
        crh_90d=count(in_90d & crh),
        crnh_90d=count(in_90d & crnh),
        nmr_90d=count(in_90d & nmr),
    )


def count_window_crnh(
    notes: ScoredNoteFacts,
    last_earn_out_ms: NDArray[np.int64],
    config: EnrollmentConfig,
) -> NDArray[np.int64]:
    """CRNH notes in each author's recent window (``CRNH_5`` of §2.4).

    Parameters
    ----------
    notes : ScoredNoteFacts
    last_earn_out_ms : int64 array of shape (n_participants,)
        Each participant's ``timestampOfLastEarnOut`` as the state machine sees it (after
        step 0; 1 for "never").
    config : EnrollmentConfig

    Returns
    -------
    int64 array of shape (n_participants,)
    """
    n_participants = last_earn_out_ms.shape[0]
    author = notes.author_idx
    eligible = notes.in_history & (author >= 0)
    rows = np.flatnonzero(eligible)
    rows = rows[notes.created_at_ms[rows] > last_earn_out_ms[author[rows]]]
    decided = (notes.is_crh | notes.is_crnh)[rows]
    # Sort by author, then decided first, then newest (largest id) first.
    order = rows[np.lexsort((-notes.sort_key[rows], ~decided, author[rows]))]
    authors_sorted = author[order]
    starts = np.flatnonzero(np.r_[True, authors_sorted[1:] != authors_sorted[:-1]])
    run_start = np.repeat(starts, np.diff(np.r_[starts, order.shape[0]]))
    in_window = (np.arange(order.shape[0]) - run_start) < config.max_history_earn_out
    window_rows = order[in_window & notes.is_crnh[order]]
    return np.bincount(author[window_rows], minlength=n_participants).astype(np.int64)
