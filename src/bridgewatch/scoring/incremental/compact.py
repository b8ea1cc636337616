"""The notes a pass must redo, and the inputs of those notes alone.

Between refits every scorer's per-note figures (its four note fits, the aggregates of
scoring-core.md §5.5, the pseudo-rater bounds of §5.3) depend on the note's own ratings
given what the refit froze and a few run-wide tallies (:mod:`.notes`). So a pass finds the
notes whose post-PSS ratings changed (:func:`note_prints`: one fingerprint per note over
the shared inputs, with every per-rating flag a scorer reads) and hands each scorer a
compact copy of the inputs holding only those notes (:func:`restrict`): its cost follows
the changed notes, not all ratings.

Within a note the ratings keep their order, so per-note sums add in the same order as over
the whole index and the figures are bit for bit those of a pass over every note.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import numpy as np
from numba import njit
from numpy.typing import NDArray

from bridgewatch.model import IdIndex, Ratings
from bridgewatch.scoring.history import StatusHistory
from bridgewatch.scoring.incremental.cache import _mix
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.preprocess import NoteInfo
from bridgewatch.scoring.status import TagCounts, count_tags

__all__ = [
    "changed_notes",
    "merge_tag_counts",
    "note_prints",
    "notes_of_raters",
    "positions_in",
    "ratings_of_notes",
    "restrict",
    "update_prints",
]


def _prints_of(inputs: CoreInputs, sel: NDArray[np.int64] | None, n: int) -> NDArray[np.float64]:
    """Fingerprints over the post-PSS ratings at ``sel`` (None: all), shape (n, 3)."""
    post = inputs.post_pss

    def col(values: NDArray[Any]) -> NDArray[Any]:
        return values if sel is None else values[sel]

    note_idx, rater_idx = col(post.note_idx), col(post.rater_idx)
    flags = (
        col(inputs.correlated).astype(np.uint64)
        + inputs.high_volume[rater_idx].astype(np.uint64) * np.uint64(2)
        + col(post.population_sampled).astype(np.uint64) * np.uint64(4)
        + col(post.helpfulness_level).astype(np.int64).astype(np.uint64) * np.uint64(8)
    )
    with np.errstate(over="ignore"):
        key = (
            rater_idx.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
            + (col(post.helpful_num).astype(np.float64) * 2.0).astype(np.uint64)
            + col(post.created_at_ms).astype(np.uint64) * np.uint64(0xD1B54A32D192ED03)
            + col(post.not_helpful_tags).astype(np.uint64) * np.uint64(0x8CB92BA72F3D8DD7)
            + col(post.helpful_tags).astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
            + flags * np.uint64(0xABC98388FB8FAC03)
        )
    h1 = _mix(key)
    h2 = _mix(h1 ^ np.uint64(0x5851F42D4C957F2D))
    out = np.empty((n, 3))
    out[:, 0] = np.bincount(note_idx, minlength=n)
    out[:, 1] = np.bincount(note_idx, h1.astype(np.float64) * 2.0**-64, minlength=n)
    out[:, 2] = np.bincount(note_idx, h2.astype(np.float64) * 2.0**-64, minlength=n)
    return out


def note_prints(inputs: CoreInputs) -> NDArray[np.float64]:
    """Per-note fingerprint of the post-PSS ratings and their per-rating flags.

    Covers what any scorer of a pass reads per rating: rater, value, level, time, both tag
    sets, the population flag, the correlated flag and the rater's high-volume flag (a rater
    crossing the high-volume line changes every note they rated). The defences' held
    weights are a function of these (note, rater, time), so they need no field of their own.

    Returns
    -------
    float64 array of shape (n_notes, 3): count and two hashed sums.
    """
    return _prints_of(inputs, None, inputs.n_notes)


def _mark(n: int, rows: NDArray[np.int64]) -> NDArray[np.bool_]:
    out = np.zeros(n, dtype=np.bool_)
    out[rows] = True
    return out


def update_prints(
    inputs: CoreInputs, previous: NDArray[np.float64], rows: NDArray[np.int64]
) -> NDArray[np.float64]:
    """``note_prints(inputs)`` from the previous pass's prints, hashing the notes at
    ``rows`` alone.

    Parameters
    ----------
    inputs : the pass's shared inputs.
    previous : float64 array of shape (inputs.n_notes, 3), the prints of a pass over the
        same note index whose post-PSS ratings and flags differ from ``inputs``' only on the
        notes at ``rows`` (the caller's candidates: a superset of the changed notes).
    rows : int64 array of note rows.

    Returns
    -------
    float64 array of shape (n_notes, 3), bit for bit ``note_prints(inputs)`` (a note's
    ratings are summed in the same order).
    """
    out = previous.copy()
    if rows.shape[0] == 0:
        return out
    n = inputs.n_notes
    chosen = np.full(n, -1, dtype=np.int32)
    chosen[rows] = 0
    sel = positions_in(inputs.post_pss.note_idx, chosen)
    out[rows] = _prints_of(inputs, sel, n)[rows]
    return out


def notes_of_raters(inputs: CoreInputs, raters: NDArray[np.int64]) -> NDArray[np.int64]:
    """Rows of the notes with a post-PSS rating by one of ``raters``."""
    post = inputs.post_pss
    mark = _mark(inputs.n_participants, raters)
    return np.unique(post.note_idx[mark[post.rater_idx]]).astype(np.int64)


def merge_tag_counts(
    previous: TagCounts, compact: CoreInputs, rows: NDArray[np.int64]
) -> TagCounts:
    """The tag counts of every note (``count_tags(inputs.post_pss)``) from the previous
    pass's, with the notes at ``rows`` recounted on ``compact = restrict(inputs, rows)``.

    ``previous`` is over the pass's note index and differs from the current counts only on
    ``rows`` (their post-PSS ratings changed); the counts are integers, so the running
    totals equal a recount exactly.
    """
    part = count_tags(compact.post_pss)
    helpful = previous.helpful.copy()
    not_helpful = previous.not_helpful.copy()
    helpful[rows] = part.helpful
    not_helpful[rows] = part.not_helpful
    return TagCounts(helpful=helpful, not_helpful=not_helpful)


def changed_notes(prints: NDArray[np.float64], previous: NDArray[np.float64]) -> NDArray[np.int64]:
    """Rows whose fingerprint differs (both over the same note index)."""
    return np.flatnonzero(np.any(prints != previous, axis=1)).astype(np.int64)


@njit(cache=True)
def _rows_of_notes(  # pragma: no cover
    note_idx: NDArray[np.int32], new_row: NDArray[np.int32]
) -> NDArray[np.int64]:
    """Positions (ascending) of the ratings whose note has a row (``new_row >= 0``): one
    scan, no intermediate mask."""
    out = np.empty(note_idx.shape[0], dtype=np.int64)
    k = 0
    for i in range(note_idx.shape[0]):
        if new_row[note_idx[i]] >= 0:
            out[k] = i
            k += 1
    return out[:k].copy()


def positions_in(idx: NDArray[np.integer], chosen: NDArray[np.integer]) -> NDArray[np.int64]:
    """Positions (ascending, int64) of the entries of ``idx`` (note or rater rows of the
    ratings) whose row is chosen: ``np.flatnonzero(chosen[idx] >= 0)`` in one scan.

    Parameters
    ----------
    idx : int array of shape (n_ratings,), each rating's row.
    chosen : int32 array over the rows, >= 0 for the rows wanted, -1 for the others.
    """
    return _rows_of_notes(np.ascontiguousarray(idx), np.asarray(chosen, dtype=np.int32))


def _ratings(
    r: Ratings, new_row: NDArray[np.int32], note_ids: IdIndex
) -> tuple[Ratings, NDArray[np.int64]]:
    sel = _rows_of_notes(np.ascontiguousarray(r.note_idx), new_row)
    part = r.take(sel)
    out = replace(part, note_idx=new_row[part.note_idx], note_ids=note_ids)
    return out, sel


def ratings_of_notes(ratings: Ratings, rows: NDArray[np.int64]) -> Ratings:
    """The ratings of the notes at ``rows`` (ascending) alone, in their order, on a note
    index of those notes (note ``k`` is ``rows[k]``)."""
    n = ratings.n_notes
    new_row = np.full(n, -1, dtype=np.int32)
    new_row[rows] = np.arange(rows.shape[0], dtype=np.int32)
    out, _ = _ratings(ratings, new_row, IdIndex(ratings.note_ids.ids[rows]))
    return out


def _history(history: StatusHistory, rows: NDArray[np.int64]) -> StatusHistory:
    return history.with_columns(**{f.name: getattr(history, f.name)[rows] for f in fields(history)})


def restrict(inputs: CoreInputs, rows: NDArray[np.int64]) -> CoreInputs:
    """``inputs`` on the notes at ``rows`` alone (sorted rows; participant arrays kept).

    Parameters
    ----------
    inputs : CoreInputs over the whole note index.
    rows : int64 array, ascending note rows.

    Returns
    -------
    CoreInputs whose note ``k`` is ``inputs``' note ``rows[k]``, with all of its ratings in
    their order.
    """
    n = inputs.n_notes
    new_row = np.full(n, -1, dtype=np.int32)
    new_row[rows] = np.arange(rows.shape[0], dtype=np.int32)
    note_ids = IdIndex(inputs.note_ids.ids[rows])
    ratings, _ = _ratings(inputs.ratings, new_row, note_ids)
    post, post_sel = _ratings(inputs.post_pss, new_row, note_ids)
    scoped, scoped_sel = _ratings(inputs.scoped, new_row, note_ids)
    info = inputs.note_info
    return replace(
        inputs,
        note_ids=note_ids,
        ratings=ratings,
        post_pss=post,
        correlated=inputs.correlated[post_sel],
        scoped=scoped,
        scoped_mask=None,
        scoped_correlated=inputs.scoped_correlated[scoped_sel],
        note_info=NoteInfo(**{f.name: getattr(info, f.name)[rows] for f in fields(info)}),
        note_topic=inputs.note_topic[rows],
        captured=inputs.captured[rows],
        history=_history(inputs.history, rows),
    )
