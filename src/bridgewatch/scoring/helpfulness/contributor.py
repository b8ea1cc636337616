"""Contributor statistics of ``helpfulness_scores.tsv`` from this run's final statuses (§11.4)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError
from bridgewatch.model import NoteStatus
from bridgewatch.scoring.helpfulness.config import ValidRatingsConfig
from bridgewatch.scoring.helpfulness.valid import (
    ValidRatingCounts,
    classify_valid_ratings,
    created_after,
    ratings_before_note_status,
)

__all__ = ["ContributorConfig", "ContributorStats", "compute_contributor_stats"]

_DAY_MS = 86_400_000


@dataclass(frozen=True)
class ContributorConfig:
    """Windows of the contributor statistics (§11.4, extended §2.7).

    Parameters
    ----------
    recent_window_days : window of the ``*Total14d`` counts, before the newest note (14).
    long_window_days : window of the ``*Total90d`` counts (90).
    min_ratings_recent : a recent NMR note counts only with this many ratings (10).
    valid : ValidRatingsConfig
    """

    recent_window_days: int = 14
    long_window_days: int = 90
    min_ratings_recent: int = 10
    valid: ValidRatingsConfig = field(default_factory=ValidRatingsConfig)

    def __post_init__(self) -> None:
        if self.recent_window_days <= 0:
            raise ConfigError("recent_window_days", self.recent_window_days, "a positive int")
        if self.long_window_days <= 0:
            raise ConfigError("long_window_days", self.long_window_days, "a positive int")


@dataclass(frozen=True)
class ContributorStats:
    """Per-participant statistics; every array has shape (n_participants,), int64.

    Attributes
    ----------
    valid : per-rater valid-rating counts against the final statuses.
    ratings_awaiting_more_ratings : before-status ratings on notes that are now NMR.
    rated_after_decision : ratings created after the note's latest non-NMR timestamp.
    notes_crh, notes_crnh, notes_nmr : the author's notes by final status, all time.
    aggregate_rating_received_total : ratings received over the author's notes.
    crh_14d, crnh_14d, nmr_14d : recent notes by status (with >= min ratings or decided).
    crh_90d, crnh_90d, nmr_90d : notes of the long window by status.
    is_author : the participant authored a note with a row in NSH.
    """

    valid: ValidRatingCounts
    ratings_awaiting_more_ratings: NDArray[np.int64]
    rated_after_decision: NDArray[np.int64]
    notes_crh: NDArray[np.int64]
    notes_crnh: NDArray[np.int64]
    notes_nmr: NDArray[np.int64]
    aggregate_rating_received_total: NDArray[np.int64]
    crh_14d: NDArray[np.int64]
    crnh_14d: NDArray[np.int64]
    nmr_14d: NDArray[np.int64]
    crh_90d: NDArray[np.int64]
    crnh_90d: NDArray[np.int64]
    nmr_90d: NDArray[np.int64]
    is_author: NDArray[np.bool_]


def _by_author(
    authors: NDArray[np.int32], mask: NDArray[np.bool_], n: int, weights: NDArray[np.int64] | None
) -> NDArray[np.int64]:
    w = None if weights is None else weights[mask].astype(np.float64)
    return np.rint(np.bincount(authors[mask], weights=w, minlength=n)).astype(np.int64)


def compute_contributor_stats(
    note_idx: NDArray[np.int32],
    rater_idx: NDArray[np.int32],
    created_at_ms: NDArray[np.int64],
    helpful_num: NDArray[np.float32],
    note_in_nsh: NDArray[np.bool_],
    note_created_at_ms: NDArray[np.int64],
    note_author_idx: NDArray[np.int32],
    note_latest_non_nmr_ms: NDArray[np.float64],
    note_final_status: NDArray[np.int8],
    note_num_ratings: NDArray[np.int64],
    n_participants: int,
    config: ContributorConfig,
) -> ContributorStats:
    """Rating and writing statistics of every participant from this run's final statuses.

    Parameters
    ----------
    note_idx, rater_idx : int32 arrays of shape (n_ratings,), all preprocessed pre-PSS ratings
    created_at_ms : int64 array of shape (n_ratings,), ms since the epoch
    helpful_num : float32 array of shape (n_ratings,)
    note_in_nsh : bool array of shape (n_notes,), the note has a row in the new NSH
    note_created_at_ms : int64 array of shape (n_notes,), ms since the epoch
    note_author_idx : int32 array of shape (n_notes,), -1 where unknown
    note_latest_non_nmr_ms : float64 array of shape (n_notes,), the new NSH's
        ``timestampMillisOfLatestNonNMRStatus``, NaN where missing
    note_final_status : int8 array of shape (n_notes,), final ``NoteStatus`` code, -1 for
        notes without a row
    note_num_ratings : int64 array of shape (n_notes,), ``numRatings`` of the scored notes
    n_participants : size of the participant index
    config : ContributorConfig

    Returns
    -------
    ContributorStats
    """
    before = ratings_before_note_status(
        note_idx,
        created_at_ms,
        note_in_nsh,
        note_created_at_ms,
        note_latest_non_nmr_ms,
        config.valid,
    )
    valid = classify_valid_ratings(note_idx, helpful_num, before, note_final_status)
    awaiting = before & (note_final_status[note_idx] == NoteStatus.NEEDS_MORE_RATINGS)
    after = created_after(created_at_ms, note_idx, note_latest_non_nmr_ms)

    has_author = note_in_nsh & (note_author_idx >= 0)
    authors = np.where(has_author, note_author_idx, 0).astype(np.int32)
    crh = has_author & (note_final_status == NoteStatus.CURRENTLY_RATED_HELPFUL)
    crnh = has_author & (note_final_status == NoteStatus.CURRENTLY_RATED_NOT_HELPFUL)
    nmr = has_author & (note_final_status == NoteStatus.NEEDS_MORE_RATINGS)
    newest = int(note_created_at_ms[has_author].max()) if has_author.any() else 0
    recent = has_author & (note_created_at_ms > newest - config.recent_window_days * _DAY_MS)
    recent &= (note_num_ratings >= config.min_ratings_recent) | crh | crnh
    long = has_author & (note_created_at_ms > newest - config.long_window_days * _DAY_MS)
    n = n_participants

    def per_rater(mask: NDArray[np.bool_]) -> NDArray[np.int64]:
        return np.bincount(rater_idx[mask], minlength=n).astype(np.int64)

    return ContributorStats(
        valid=valid.per_rater(rater_idx, n),
        ratings_awaiting_more_ratings=per_rater(awaiting),
        rated_after_decision=per_rater(after),
        notes_crh=_by_author(authors, crh, n, None),
        notes_crnh=_by_author(authors, crnh, n, None),
        notes_nmr=_by_author(authors, nmr, n, None),
        aggregate_rating_received_total=_by_author(authors, has_author, n, note_num_ratings),
        crh_14d=_by_author(authors, recent & crh, n, None),
        crnh_14d=_by_author(authors, recent & crnh, n, None),
        nmr_14d=_by_author(authors, recent & nmr, n, None),
        crh_90d=_by_author(authors, long & crh, n, None),
        crnh_90d=_by_author(authors, long & crnh, n, None),
        nmr_90d=_by_author(authors, long & nmr, n, None),
        is_author=np.bincount(authors[has_author], minlength=n) > 0,
    )
