"""No window between refits: the coordination watch that holds status changes (not in the
reference).

The defences decide at refits, over the whole rating graph. Between refits a brigade could
push a note to helpful (or off it) within minutes, so every pass looks at each note's recent
ratings for the signals the defences use: a burst of same-verdict ratings within
``window_ms`` whose raters either belong to a group the last refit flagged, or keep meeting
each other (each has given the same verdict as another rater of the burst on at least
``min_meetings`` other notes). Such a note is held: the pass keeps its previous status
instead of letting it newly become CURRENTLY_RATED_HELPFUL or lose that status, until the
next refit decides (:func:`apply_holds`). Other status changes go through.

Pure: arrays in, arrays out; the caller keeps the held notes between passes.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError
from bridgewatch.model import Ratings
from bridgewatch.model.enums import NoteStatus
from bridgewatch.scoring.history import StatusHistory

__all__ = ["WatchConfig", "apply_holds", "crosses_helpful", "suspicious_notes"]

_CRH = int(NoteStatus.CURRENTLY_RATED_HELPFUL)


@dataclass(frozen=True)
class WatchConfig:
    """The coordination watch's thresholds.

    Attributes
    ----------
    window_ms : how far back a note's "recent" ratings go, ms (> 0; default 30 minutes).
    min_burst : same-verdict recent ratings on one note that make a burst (>= 2).
    min_suspect : raters of the burst that must be flagged or keep meeting (>= 2).
    min_meetings : notes (other than this one) two raters gave the same verdict on for
        them to "keep meeting" (>= 1).
    """

    window_ms: int = 30 * 60_000
    min_burst: int = 5
    min_suspect: int = 4
    min_meetings: int = 3

    def __post_init__(self) -> None:
        if self.window_ms <= 0:
            raise ConfigError("window_ms", self.window_ms, "> 0")
        if self.min_burst < 2:
            raise ConfigError("min_burst", self.min_burst, ">= 2")
        if not 2 <= self.min_suspect <= self.min_burst:
            raise ConfigError("min_suspect", self.min_suspect, "in [2, min_burst]")
        if self.min_meetings < 1:
            raise ConfigError("min_meetings", self.min_meetings, ">= 1")


def _levels(helpful_num: NDArray[np.floating]) -> NDArray[np.int64]:
    out: NDArray[np.int64] = np.clip(np.rint(helpful_num.astype(np.float64) * 2.0), 0, 2).astype(
        np.int64
    )
    return out


def suspicious_notes(
    ratings: Ratings,
    notes: NDArray[np.int64],
    flagged_raters: NDArray[np.bool_],
    as_of_ms: int,
    config: WatchConfig,
) -> dict[int, str]:
    """The notes of ``notes`` whose recent ratings look coordinated, with the reason.

    Parameters
    ----------
    ratings : every current rating (post-PSS) on the pass's note index.
    notes : int64 note rows to look at (those with new ratings in this pass).
    flagged_raters : bool array of shape (n_participants,), raters in a group the last
        refit flagged (co-rating groups, coordinated burst raters).
    as_of_ms : the pass's "now".
    config : WatchConfig.

    Returns
    -------
    dict note row -> reason (a sentence for the note page).
    """
    out: dict[int, str] = {}
    if notes.shape[0] == 0 or ratings.n_ratings == 0:
        return out
    look = np.zeros(ratings.n_notes, dtype=np.bool_)
    look[notes] = True
    cand = np.flatnonzero(look[ratings.note_idx])
    cand = cand[ratings.created_at_ms[cand] > as_of_ms - config.window_ms]
    if cand.shape[0] < config.min_burst:
        return out
    # Same-verdict groups of recent ratings per note.
    key = ratings.note_idx[cand].astype(np.int64) * 3 + _levels(ratings.helpful_num[cand])
    uniq, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    bursts = np.flatnonzero(counts >= config.min_burst)
    if bursts.shape[0] == 0:
        return out
    mark = np.zeros(ratings.n_participants, dtype=np.bool_)
    for b in bursts.tolist():
        rows = cand[inverse == b]
        raters = np.unique(ratings.rater_idx[rows])
        note = int(uniq[b] // 3)
        verdict = ("not helpful", "somewhat helpful", "helpful")[int(uniq[b] % 3)]
        flagged = int(flagged_raters[raters].sum())
        if flagged >= config.min_suspect:
            out[note] = (
                f"{raters.shape[0]} '{verdict}' ratings within "
                f"{config.window_ms // 60_000} minutes, {flagged} of them from raters the "
                "last refit found coordinated"
            )
            continue
        mark[raters] = True
        mine = np.flatnonzero(mark[ratings.rater_idx] & (ratings.note_idx != note))
        mark[raters] = False
        if not mine.shape[0]:
            continue
        r_pos = np.searchsorted(raters, ratings.rater_idx[mine])
        # Cells (note, verdict) of the burst raters' other ratings.
        cells = ratings.note_idx[mine].astype(np.int64) * 3 + _levels(ratings.helpful_num[mine])
        c_val, c_pos = np.unique(cells, return_inverse=True)
        m = sp.csr_matrix(
            (np.ones(r_pos.shape[0]), (r_pos, c_pos)), shape=(raters.shape[0], c_val.shape[0])
        )
        meet = (m @ m.T).toarray()
        np.fill_diagonal(meet, 0)
        keep_meeting = int(((meet >= config.min_meetings).any(axis=1)).sum())
        if keep_meeting >= config.min_suspect:
            out[note] = (
                f"{raters.shape[0]} '{verdict}' ratings within "
                f"{config.window_ms // 60_000} minutes, {keep_meeting} of them from raters "
                f"who gave the same verdicts together on {config.min_meetings} or more other "
                "notes"
            )
    return out


def crosses_helpful(old: NDArray[np.int8], new: NDArray[np.int8]) -> NDArray[np.bool_]:
    """Whether a status change newly makes a note helpful or takes that away (per note)."""
    out: NDArray[np.bool_] = (old == _CRH) != (new == _CRH)
    return out


def apply_holds(
    old: StatusHistory, new: StatusHistory, held: NDArray[np.bool_]
) -> tuple[StatusHistory, NDArray[np.bool_]]:
    """``new`` with the held notes' crossing changes undone (their ``old`` row kept).

    Parameters
    ----------
    old, new : the pass's input and output status history (same notes, same order).
    held : bool array of shape (n_notes,), notes under a hold.

    Returns
    -------
    (history, stopped): the history to publish, and the notes whose change was stopped.
    """
    stopped = held & crosses_helpful(old.current_status, new.current_status)
    if not stopped.any():
        return new, stopped
    columns = {}
    for f in fields(StatusHistory):
        values = getattr(new, f.name).copy()
        values[stopped] = getattr(old, f.name)[stopped]
        columns[f.name] = values
    return new.with_columns(**columns), stopped
