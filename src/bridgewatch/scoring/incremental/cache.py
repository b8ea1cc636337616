"""The per-note fit cache of incremental rescoring, and re-indexing onto a new note index.

Between refits the note index grows (new notes sort into it), so everything per note that a
refit froze (prescoring's note arrays, the cache of each scorer's last pass) is re-indexed
by note id before a pass (:func:`rows_of`, :func:`align_prescoring`,
:meth:`NoteFitCache.aligned`). Which notes changed is found from per-note fingerprints of
each fit's ratings (:func:`rating_fingerprints`): count and two hashed sums over rater,
value, time, tags, population flag and weight, so the caller needs no bookkeeping.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import Ratings
from bridgewatch.scoring.mf import MFParams
from bridgewatch.scoring.prescoring import PrescoringResult

__all__ = [
    "FITS",
    "NoteFitCache",
    "align_prescoring",
    "prescoring_on_rows",
    "rating_fingerprints",
    "rows_of",
    "take_rows",
]

FITS: tuple[str, ...] = ("no_high_vol", "no_correlated", "population", "main")
"""The four final-scoring fits of a scorer (scoring-core.md §5.1), in batch order."""


def rows_of(old_ids: NDArray[np.str_], new_ids: NDArray[np.str_]) -> NDArray[np.int64]:
    """Row of each of ``new_ids`` in the sorted ``old_ids``, -1 where absent."""
    if old_ids.shape[0] == 0:
        return np.full(new_ids.shape[0], -1, dtype=np.int64)
    pos = np.searchsorted(old_ids, new_ids)
    pos = np.minimum(pos, old_ids.shape[0] - 1)
    out: NDArray[np.int64] = np.where(old_ids[pos] == new_ids, pos, -1).astype(np.int64)
    return out


def take_rows(values: NDArray[Any], rows: NDArray[np.int64], fill: Any) -> NDArray[Any]:
    """``values`` re-indexed by ``rows`` (-1: ``fill``); Any: any dtype is carried."""
    known = rows >= 0
    if values.shape[0]:
        out = values[np.where(known, rows, 0)].copy()
    else:
        out = np.empty((rows.shape[0], *values.shape[1:]), dtype=values.dtype)
    out[~known] = fill
    return out


@dataclass(frozen=True)
class NoteFitCache:
    """Per-note results of a scorer's last pass, keyed by note id; arrays of shape (n_notes,).

    Attributes
    ----------
    note_ids : str array, the notes of the pass (sorted, as ``CoreInputs.note_ids``).
    intercepts, factors : dict fit name -> float64 array (NaN where not fitted); fit names
        are :data:`FITS`.
    fingerprints : dict fit name -> float64 array of shape (n_notes, 3): rating count and
        two hashed sums of the note's ratings in that fit.
    low_diligence : float64, the low-diligence intercept of the last pass.
    rater_factor : float64 array of shape (n_participants,), the main fit's rater factors
        of a scorer whose fits move raters (group 14, held until a refit); None elsewhere
        (the frozen prescoring factors are used).
    """

    note_ids: NDArray[np.str_]
    intercepts: dict[str, NDArray[np.float64]]
    factors: dict[str, NDArray[np.float64]]
    fingerprints: dict[str, NDArray[np.float64]]
    low_diligence: NDArray[np.float64]
    rater_factor: NDArray[np.float64] | None = None

    @property
    def n_notes(self) -> int:
        """Number of cached notes."""
        return int(self.note_ids.shape[0])

    def aligned(self, note_ids: NDArray[np.str_]) -> NoteFitCache:
        """The cache re-indexed onto ``note_ids`` (unknown notes: NaN and zero fingerprint)."""
        if self.note_ids.shape == note_ids.shape and np.array_equal(self.note_ids, note_ids):
            return self
        rows = rows_of(self.note_ids, note_ids)
        return NoteFitCache(
            note_ids=np.asarray(note_ids, dtype=np.str_),
            intercepts={k: take_rows(v, rows, np.nan) for k, v in self.intercepts.items()},
            factors={k: take_rows(v, rows, np.nan) for k, v in self.factors.items()},
            fingerprints={k: take_rows(v, rows, 0.0) for k, v in self.fingerprints.items()},
            low_diligence=take_rows(self.low_diligence, rows, np.nan),
            rater_factor=self.rater_factor,
        )

    @classmethod
    def empty(cls) -> NoteFitCache:
        """A cache that knows no note: the first pass solves every note."""
        none = np.zeros(0)
        return cls(
            note_ids=np.zeros(0, dtype=np.str_),
            intercepts=dict.fromkeys(FITS, none),
            factors=dict.fromkeys(FITS, none),
            fingerprints={k: np.zeros((0, 3)) for k in FITS},
            low_diligence=none,
        )


def _mix(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """splitmix64 finalizer, vectorized (wrapping uint64 arithmetic)."""
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint64(30))
        x = x * np.uint64(0xBF58476D1CE4E5B9)
        x = x ^ (x >> np.uint64(27))
        x = x * np.uint64(0x94D049BB133111EB)
        out: NDArray[np.uint64] = x ^ (x >> np.uint64(31))
    return out


def rating_fingerprints(
    ratings: Ratings, n_notes: int, weights: NDArray[np.float64] | None = None
) -> NDArray[np.float64]:
    """Per-note fingerprint of a set of ratings: count and two hashed sums.

    Parameters
    ----------
    ratings : Ratings
    n_notes : int
    weights : optional float64 array of shape (ratings.n_ratings,), the ratings' weights in
        the fits (the defences'); None: all 1.

    Returns
    -------
    float64 array of shape (n_notes, 3). Equal multisets of (rater, value, time, population
    flag, tags, weight) give equal rows up to float rounding of the sums.
    """
    with np.errstate(over="ignore"):
        key = (
            ratings.rater_idx.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
            + (ratings.helpful_num.astype(np.float64) * 2.0).astype(np.uint64)
            + ratings.created_at_ms.astype(np.uint64) * np.uint64(0xD1B54A32D192ED03)
            + ratings.not_helpful_tags.astype(np.uint64) * np.uint64(0x8CB92BA72F3D8DD7)
            + ratings.population_sampled.astype(np.uint64) * np.uint64(0xABC98388FB8FAC03)
        )
        if weights is not None:
            key = key + (weights * 2.0**20).astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
    h1 = _mix(key)
    h2 = _mix(h1 ^ np.uint64(0x5851F42D4C957F2D))
    scale = 2.0**-64
    out = np.empty((n_notes, 3))
    out[:, 0] = np.bincount(ratings.note_idx, minlength=n_notes)
    out[:, 1] = np.bincount(ratings.note_idx, h1.astype(np.float64) * scale, minlength=n_notes)
    out[:, 2] = np.bincount(ratings.note_idx, h2.astype(np.float64) * scale, minlength=n_notes)
    return out


def _align_params(params: MFParams, rows: NDArray[np.int64]) -> MFParams:
    return replace(
        params,
        note_intercepts=take_rows(params.note_intercepts, rows, np.nan),
        note_factors=take_rows(params.note_factors, rows, np.nan),
    )


def align_prescoring(
    pre: PrescoringResult, old_note_ids: NDArray[np.str_], new_note_ids: NDArray[np.str_]
) -> PrescoringResult:
    """Prescoring re-indexed onto a new note index (notes created since the refit).

    Rater figures are unchanged; per-note figures move with their note, and notes the refit
    did not know get what prescoring gives a note without ratings (NaN params, 0 ratings,
    no provisional status).

    Parameters
    ----------
    pre : the refit's prescoring, note arrays over ``old_note_ids``.
    old_note_ids, new_note_ids : sorted str arrays.

    Returns
    -------
    PrescoringResult with note arrays of shape (len(new_note_ids),).
    """
    if old_note_ids.shape == new_note_ids.shape and np.array_equal(old_note_ids, new_note_ids):
        return pre
    return prescoring_on_rows(pre, rows_of(old_note_ids, new_note_ids))


def prescoring_on_rows(pre: PrescoringResult, rows: NDArray[np.int64]) -> PrescoringResult:
    """``pre`` re-indexed by ``rows`` (each new note's row in ``pre``'s notes, -1: a note
    ``pre`` does not have), as :func:`align_prescoring` does once it has the rows: callers
    that align several prescorings on the same notes find the rows once."""
    dil = pre.diligence
    return replace(
        pre,
        round1=_align_params(pre.round1, rows),
        final_round=_align_params(pre.final_round, rows),
        num_ratings=take_rows(pre.num_ratings, rows, 0),
        provisional_status=take_rows(pre.provisional_status, rows, -1),
        diligence=replace(
            dil,
            note_intercepts=take_rows(dil.note_intercepts, rows, np.nan),
            note_factors=take_rows(dil.note_factors, rows, np.nan),
            note_intercepts_round2=take_rows(dil.note_intercepts_round2, rows, np.nan),
        ),
    )
