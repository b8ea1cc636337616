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

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import IdIndex, Ratings
from bridgewatch.scoring.history import StatusHistory
from bridgewatch.scoring.incremental.cache import _mix
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.preprocess import NoteInfo

__all__ = ["changed_notes", "note_prints", "restrict"]


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
    post = inputs.post_pss
    flags = (
        inputs.correlated.astype(np.uint64)
        + inputs.high_volume[post.rater_idx].astype(np.uint64) * np.uint64(2)
        + post.population_sampled.astype(np.uint64) * np.uint64(4)
        + post.helpfulness_level.astype(np.int64).astype(np.uint64) * np.uint64(8)
    )
    with np.errstate(over="ignore"):
        key = (
            post.rater_idx.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
            + (post.helpful_num.astype(np.float64) * 2.0).astype(np.uint64)
            + post.created_at_ms.astype(np.uint64) * np.uint64(0xD1B54A32D192ED03)
            + post.not_helpful_tags.astype(np.uint64) * np.uint64(0x8CB92BA72F3D8DD7)
            + post.helpful_tags.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
            + flags * np.uint64(0xABC98388FB8FAC03)
        )
    h1 = _mix(key)
    h2 = _mix(h1 ^ np.uint64(0x5851F42D4C957F2D))
    n = inputs.n_notes
    out = np.empty((n, 3))
    out[:, 0] = np.bincount(post.note_idx, minlength=n)
    out[:, 1] = np.bincount(post.note_idx, h1.astype(np.float64) * 2.0**-64, minlength=n)
    out[:, 2] = np.bincount(post.note_idx, h2.astype(np.float64) * 2.0**-64, minlength=n)
    return out


def changed_notes(prints: NDArray[np.float64], previous: NDArray[np.float64]) -> NDArray[np.int64]:
    """Rows whose fingerprint differs (both over the same note index)."""
    return np.flatnonzero(np.any(prints != previous, axis=1)).astype(np.int64)


def _ratings(
    r: Ratings, keep_note: NDArray[np.bool_], new_row: NDArray[np.int32], note_ids: IdIndex
) -> tuple[Ratings, NDArray[np.int64]]:
    sel = np.flatnonzero(keep_note[r.note_idx])
    out = Ratings(
        note_idx=new_row[r.note_idx[sel]],
        rater_idx=r.rater_idx[sel],
        helpful_num=r.helpful_num[sel],
        helpfulness_level=r.helpfulness_level[sel],
        created_at_ms=r.created_at_ms[sel],
        helpful_tags=r.helpful_tags[sel],
        not_helpful_tags=r.not_helpful_tags[sel],
        population_sampled=r.population_sampled[sel],
        note_ids=note_ids,
        participant_ids=r.participant_ids,
    )
    return out, sel


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
    keep_note = np.zeros(n, dtype=np.bool_)
    keep_note[rows] = True
    new_row = np.full(n, -1, dtype=np.int32)
    new_row[rows] = np.arange(rows.shape[0], dtype=np.int32)
    note_ids = IdIndex(inputs.note_ids.ids[rows])
    ratings, _ = _ratings(inputs.ratings, keep_note, new_row, note_ids)
    post, post_sel = _ratings(inputs.post_pss, keep_note, new_row, note_ids)
    scoped, scoped_sel = _ratings(inputs.scoped, keep_note, new_row, note_ids)
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
