"""A pass's ratings kept between passes: the previous pass's, with the store's changes applied.

Every pass scores the live ratings of the raters the last refit knows, in storage order, as
:class:`~bridgewatch.model.Ratings` on the pass's note and participant indexes. Gathering
them from the :class:`~bridgewatch.pipeline.store.RatingStore` costs a scan of every row and
ten gathers of every rating (~15-20 ms at 1M ratings), while a micro-batch changes a few
hundred. Within one store epoch (see the store) a row number never changes, a dead row never
lives again and new rows get larger numbers, so the current rows are the previous pass's
minus the rows killed since, followed by the live rows written since: :class:`LiveRows`
applies exactly that. Its ratings columns live in buffers with room to grow: when only new
rows came (the usual micro-batch) the new ratings are the previous ones with the new rows
written after them, and the returned arrays are views of the buffers' first rows, so the
previous pass's arrays (views of fewer rows) are untouched. Anything else (another epoch,
another index, a killed row in the ratings) gathers everything again, as before.

``tests/pipeline/test_gather.py`` checks the rows, the pending rows and the ratings equal a
full gather after every kind of change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import IdIndex, Ratings
from bridgewatch.model.ratings import RATING_COLUMNS
from bridgewatch.pipeline.store import RatingStore

__all__ = ["LiveRows"]


@dataclass(frozen=True)
class _Rows:
    """The live rows as of one store state, split by whether the refit knows the rater."""

    store: RatingStore
    epoch: int
    n_rows: int  # the store's ``n_rows`` then
    n_dead: int  # the store's ``n_dead`` then
    participant_ids: IdIndex
    known: NDArray[np.int64]  # ascending
    unknown: NDArray[np.int64]  # ascending


@dataclass
class _Columns:
    """Ratings columns in buffers with spare room; the first ``size`` entries are set."""

    store: RatingStore
    epoch: int
    note_ids: IdIndex
    participant_ids: IdIndex
    rows: NDArray[np.int64]  # the stored rows of the first ``size`` entries
    size: int
    buffers: dict[str, NDArray[Any]]


def _without(rows: NDArray[np.int64], dead: NDArray[np.int64]) -> NDArray[np.int64]:
    """``rows`` (ascending) without the values in ``dead`` (values not in ``rows`` ignored)."""
    if dead.shape[0] == 0 or rows.shape[0] == 0:
        return rows
    hit = np.searchsorted(rows, dead)
    inside = hit < rows.shape[0]
    hit, values = hit[inside], dead[inside]
    hit = hit[rows[hit] == values]
    if hit.shape[0] == 0:
        return rows
    keep = np.ones(rows.shape[0], dtype=np.bool_)
    keep[hit] = False
    out: NDArray[np.int64] = rows[keep]
    return out


class LiveRows:
    """The live rows of a :class:`RatingStore` and their ratings, followed by changes (see
    the module docstring)."""

    def __init__(self) -> None:
        self._rows: _Rows | None = None
        self._columns: _Columns | None = None

    def rows(
        self, store: RatingStore, rater_row: NDArray[np.int32], participant_ids: IdIndex
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """The live rows whose rater ``participant_ids`` knows and those whose rater it does
        not, each ascending (``store.live_rows()`` split by ``rater_row[rater] >= 0``).

        Parameters
        ----------
        store : the ratings.
        rater_row : int32 array over ``store.rater_keys``, each rater's row in
            ``participant_ids`` (-1: unknown); extended, never changed, while
            ``participant_ids`` is the same object.
        participant_ids : the refit's participant index.
        """
        last = self._rows
        if (
            last is not None
            and last.store is store
            and last.epoch == store.epoch
            and last.participant_ids is participant_ids
        ):
            dead = store.dead_since(last.n_dead)
            dead = dead[dead < last.n_rows]  # (rows written since are read below as they are)
            fresh = store.live_from(last.n_rows)
            mine = rater_row[store.rater_of(fresh)] >= 0
            known = np.concatenate([_without(last.known, dead), fresh[mine]])
            unknown = np.concatenate([_without(last.unknown, dead), fresh[~mine]])
        else:
            live = store.live_rows()
            mine = rater_row[store.rater_of(live)] >= 0
            known, unknown = live[mine], live[~mine]
        self._rows = _Rows(
            store, store.epoch, store.n_rows, store.n_dead, participant_ids, known, unknown
        )
        return known, unknown

    def ratings(
        self,
        store: RatingStore,
        rows: NDArray[np.int64],
        note_row: NDArray[np.int32],
        rater_row: NDArray[np.int32],
        note_ids: IdIndex,
        participant_ids: IdIndex,
    ) -> Ratings | None:
        """``store.ratings(rows, ...)`` (``rows``: the known rows of :meth:`rows`), or None
        when a rating's note has no row in ``note_ids`` (``note_row`` -1: the caller takes
        the batch path).

        ``note_row`` and ``rater_row`` are extended, never changed, while ``note_ids`` and
        ``participant_ids`` are the same objects.
        """
        last = self._columns
        m = rows.shape[0]
        if (
            last is not None
            and last.store is store
            and last.epoch == store.epoch
            and last.note_ids is note_ids
            and last.participant_ids is participant_ids
            and m >= last.size
            and np.array_equal(rows[: last.size], last.rows)
        ):
            fresh = rows[last.size :]
            if (note_row[store.note_of(fresh)] < 0).any():
                return None
            self._append(last, store, fresh, note_row, rater_row)
            last.rows = rows
        else:
            self._columns = None
            if (note_row[store.note_of(rows)] < 0).any():
                return None
            last = _Columns(store, store.epoch, note_ids, participant_ids, rows[:0], 0, {})
            whole = store.ratings(rows, note_row, rater_row, note_ids, participant_ids)
            for name in _COLUMNS:
                values = getattr(whole, name)
                buffer = np.empty(_room(m), dtype=values.dtype)
                buffer[:m] = values
                last.buffers[name] = buffer
            last.rows, last.size = rows, m
            self._columns = last
        return Ratings(
            **{name: buffer[:m] for name, buffer in last.buffers.items()},
            note_ids=note_ids,
            participant_ids=participant_ids,
        )

    @staticmethod
    def _append(
        last: _Columns,
        store: RatingStore,
        fresh: NDArray[np.int64],
        note_row: NDArray[np.int32],
        rater_row: NDArray[np.int32],
    ) -> None:
        """Write the ratings of ``fresh`` after the first ``last.size`` entries (into new,
        larger buffers when they do not fit: the old ones stay as earlier passes see them)."""
        start, end = last.size, last.size + fresh.shape[0]
        if fresh.shape[0]:
            part = store.ratings(fresh, note_row, rater_row, last.note_ids, last.participant_ids)
            for name in _COLUMNS:
                buffer = last.buffers[name]
                if end > buffer.shape[0]:
                    grown = np.empty(_room(end), dtype=buffer.dtype)
                    grown[:start] = buffer[:start]
                    buffer = last.buffers[name] = grown
                buffer[start:end] = getattr(part, name)
        last.size = end


_COLUMNS = RATING_COLUMNS


def _room(n: int) -> int:
    """Buffer length for ``n`` ratings: room for ~1/8 more (a few thousand micro-batches'
    new ratings at 1M) before the next copy."""
    return n + max(n // 8, 4096)
