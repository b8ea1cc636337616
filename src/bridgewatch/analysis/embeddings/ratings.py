"""Ratings as a signed rater x note matrix, and per-note vote counts by rater label.

The analysis codes a rating's value as a vote, as Polis does: +1 HELPFUL, 0 SOMEWHAT_HELPFUL,
-1 NOT_HELPFUL (from ``helpful_num`` 1.0 / 0.5 / 0.0, scoring-core.md §2.2). The sparse matrix
is never made dense: every rater x rater quantity below is counted per note.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl
import scipy.sparse as sp
from numpy.typing import NDArray

from bridgewatch.analysis.embeddings._kernels import label_value_counts
from bridgewatch.model import Ratings

__all__ = [
    "N_VALUES",
    "RatingMatrix",
    "label_rows",
    "month_windows",
    "note_value_counts",
    "rating_matrix",
]

# Votes -1, 0, +1 sit at columns 0, 1, 2 of the per-note count arrays.
N_VALUES = 3


@dataclass(frozen=True)
class RatingMatrix:
    """Ratings as coordinates of a rater x note matrix of votes.

    Parameters
    ----------
    rater_ids : str array of shape (n_raters,), the external id of each rater row.
    note_ids : str array of shape (n_notes,), the external id of each note column.
    rater_idx, note_idx : int32 arrays of shape (n_ratings,), row and column of each rating.
    votes : int8 array of shape (n_ratings,), -1 / 0 / +1.
    created_at_ms : int64 array of shape (n_ratings,), ms since the Unix epoch.
    """

    rater_ids: NDArray[np.str_]
    note_ids: NDArray[np.str_]
    rater_idx: NDArray[np.int32]
    note_idx: NDArray[np.int32]
    votes: NDArray[np.int8]
    created_at_ms: NDArray[np.int64]

    @property
    def n_raters(self) -> int:
        """Rater rows (every participant of the index, raters or not)."""
        return int(self.rater_ids.shape[0])

    @property
    def n_notes(self) -> int:
        """Note columns."""
        return int(self.note_ids.shape[0])

    @property
    def n_ratings(self) -> int:
        """Ratings."""
        return int(self.votes.shape[0])

    def csr(self) -> sp.csr_matrix:
        """float32 CSR matrix of shape (n_raters, n_notes) with the votes (0 votes stored)."""
        return sp.csr_matrix(
            (self.votes.astype(np.float32), (self.rater_idx, self.note_idx)),
            shape=(self.n_raters, self.n_notes),
        )

    def ratings_per_rater(self) -> NDArray[np.int64]:
        """int64 array of shape (n_raters,): ratings made by each rater (counted once per
        matrix and shared: read-only)."""
        return self._per_rater

    @cached_property
    def _per_rater(self) -> NDArray[np.int64]:
        counts = np.bincount(self.rater_idx, minlength=self.n_raters).astype(np.int64)
        counts.flags.writeable = False
        return counts

    def subset(self, mask: NDArray[np.bool_]) -> RatingMatrix:
        """The ratings where ``mask`` (bool, shape (n_ratings,)) is set; same rows and columns."""
        return RatingMatrix(
            self.rater_ids,
            self.note_ids,
            self.rater_idx[mask],
            self.note_idx[mask],
            self.votes[mask],
            self.created_at_ms[mask],
        )


def rating_matrix(ratings: Ratings) -> RatingMatrix:
    """The vote matrix of loaded ratings (``bridgewatch.io.load_dataset(...).ratings``).

    Rows are ``ratings.participant_ids`` and columns ``ratings.note_ids``, in their order.
    """
    votes = np.rint(2.0 * ratings.helpful_num.astype(np.float64) - 1.0).astype(np.int8)
    return RatingMatrix(
        rater_ids=ratings.participant_ids.ids,
        note_ids=ratings.note_ids.ids,
        rater_idx=ratings.rater_idx.astype(np.int32, copy=False),
        note_idx=ratings.note_idx.astype(np.int32, copy=False),
        votes=votes,
        created_at_ms=ratings.created_at_ms.astype(np.int64, copy=False),
    )


def label_rows(
    ids: NDArray[np.str_], frame: pl.DataFrame, id_column: str, value_column: str
) -> NDArray[np.float64]:
    """``frame[value_column]`` aligned to ``ids``: float64 array of shape (len(ids),), NaN where
    an id has no row (or a null value)."""
    if frame.height == 0 or ids.shape[0] == 0:
        return np.full(ids.shape[0], np.nan)
    # A hash join, not a sort and binary search of fixed-width strings (10x faster at 500k).
    right = frame.select(
        pl.col(id_column).cast(pl.String).alias("_id"),
        pl.col(value_column).cast(pl.Float64).fill_null(np.nan).alias("_value"),
    ).unique(subset="_id", keep="first", maintain_order=True)
    joined = pl.DataFrame({"_id": pl.Series(ids, dtype=pl.String)}).join(
        right, on="_id", how="left", maintain_order="left"
    )
    out: NDArray[np.float64] = joined["_value"].fill_null(np.nan).to_numpy().astype(np.float64)
    return out


def _int8_labels(labels: NDArray[np.int64], n_labels: int) -> NDArray[np.int8]:
    """``labels`` as int8 (negative: left out), checked to lie below ``n_labels`` (the
    kernels index with them unchecked)."""
    if n_labels > np.iinfo(np.int8).max:
        raise ValueError(f"at most {np.iinfo(np.int8).max} labels, got {n_labels}")
    if labels.shape[0] and int(labels.max()) >= n_labels:
        raise ValueError(f"a label is {int(labels.max())}, not below n_labels={n_labels}")
    return np.ascontiguousarray(np.maximum(labels, -1), dtype=np.int8)


def note_value_counts(
    matrix: RatingMatrix, rater_labels: NDArray[np.int64], n_labels: int
) -> NDArray[np.int64]:
    """Votes per note, rater label and value.

    Parameters
    ----------
    matrix : the ratings.
    rater_labels : int64 array of shape (n_raters,), each rater's label in [0, n_labels), or
        -1 to leave the rater out.
    n_labels : number of labels.

    Returns
    -------
    int64 array of shape (n_notes, n_labels, 3): ``counts[n, g, v]`` is the number of ratings
    of note ``n`` by raters of label ``g`` with vote ``v - 1``.
    """
    # One pass, no per-rating temporaries (a label and a key per rating: 2.4 GB at 150M).
    out: NDArray[np.int64] = label_value_counts(
        matrix.rater_idx,
        matrix.note_idx,
        matrix.votes,
        _int8_labels(rater_labels, n_labels),
        matrix.n_notes,
        n_labels,
    )
    return out


def month_windows(created_at_ms: NDArray[np.int64]) -> list[tuple[str, int, int]]:
    """Every calendar month (UTC) from the earliest timestamp's to the latest's.

    Returns
    -------
    ``(YYYY-MM, lo_ms, hi_ms)`` per month, oldest first: the month holds the times
    ``lo_ms <= t < hi_ms``. Only the extremes are converted, not every timestamp.
    """
    if created_at_ms.shape[0] == 0:
        return []
    first, last = (
        np.datetime64(int(t), "ms").astype("datetime64[M]")
        for t in (created_at_ms.min(), created_at_ms.max())
    )
    months = np.arange(first, last + 1, dtype="datetime64[M]")
    edges = np.append(months, last + 1).astype("datetime64[ms]").astype(np.int64)
    return [(str(m), int(edges[i]), int(edges[i + 1])) for i, m in enumerate(months)]
