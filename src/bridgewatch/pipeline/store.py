"""The worker's ratings in memory: numpy columns keyed by (note, rater), updated per event.

A rating event carries the whole row, so an upsert kills the rating's old row (if any) and
appends the new one, and a delete kills the row: O(1) per event, no pass over the other
ratings. Ids are interned into growing integer keys (``note_keys``, ``rater_keys``), so a
scoring pass maps the live rows onto its note and participant indexes with two vectorized
gathers instead of looking up strings.

A journal records every change since :meth:`RatingStore.mark`, so a micro-batch whose
transaction did not commit is undone with :meth:`RatingStore.undo` (the live state must
equal the committed offset's). Dead rows are compacted away at a mark once they are half the
rows.

Between compactions and undos (an *epoch*) a row number never changes and a dead row never
lives again; the store lists the rows it kills, so a pass can take the previous pass's live
rows and apply the kills and the new rows (:mod:`bridgewatch.pipeline.gather`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.io import schemas
from bridgewatch.io.columns import HELPFUL_TAGS, NOT_HELPFUL_TAGS
from bridgewatch.io.ratings_stream import rating_value_exprs
from bridgewatch.model import IdIndex, Ratings

__all__ = ["RatingStore"]

# Value columns copied from ``Ratings`` (one entry per stored row).
_VALUES: tuple[tuple[str, type[np.generic]], ...] = (
    ("helpful_num", np.float32),
    ("helpfulness_level", np.int8),
    ("created_at_ms", np.int64),
    ("helpful_tags", np.uint16),
    ("not_helpful_tags", np.uint16),
    ("population_sampled", np.bool_),
)


def _typed(rows: pl.DataFrame) -> pl.DataFrame:
    schema = schemas.RATINGS.polars_schema
    return rows.select(
        [
            (pl.col(name) if name in rows.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in schema.items()
        ]
    )


def _values(frame: pl.DataFrame) -> tuple[NDArray[np.int64], dict[str, NDArray[Any]]]:
    """Rows of ``frame`` that have a value (§2.2) and their value columns.

    The value columns are computed by the scorer's own expressions (the same as
    ``ratings_from_frame``), with the dtypes of :class:`Ratings`.
    """
    values = frame.select(*rating_value_exprs(), pl.col("createdAtMillis"))
    kept = np.flatnonzero(values["helpful_num"].is_not_null().to_numpy())
    out = {
        name: values["createdAtMillis" if name == "created_at_ms" else name]
        .to_numpy()[kept]
        .astype(dtype, copy=False)
        for name, dtype in _VALUES
    }
    return kept.astype(np.int64), out


_SCHEMA = schemas.RATINGS.polars_schema
_LEVELS = {name: code for code, name in enumerate(_SCHEMA["helpfulnessLevel"].categories)}  # type: ignore[attr-defined]
_POPULATION = _SCHEMA["ratingSourceBucketed"].categories[1]  # type: ignore[attr-defined]


def _flag(value: Any) -> bool:
    return value is not None and int(value) == 1


def _row_values(row: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """One event row's value columns, in ``_VALUES`` order, or None when it has no value.

    The rules of ``rating_value_exprs`` (scoring-core.md §2.2) for one row, without building a
    frame; ``tests/pipeline/test_live_inputs.py`` checks they agree.
    """
    level_name = row.get("helpfulnessLevel")
    level = _LEVELS[level_name] if level_name is not None else -1
    if level >= 0:
        value = level * 0.5
    elif _flag(row.get("notHelpful")):
        value = 0.0
    elif _flag(row.get("helpful")):
        value = 1.0
    else:
        return None
    helpful_tags = sum(1 << bit for bit, tag in enumerate(HELPFUL_TAGS) if _flag(row.get(tag)))
    not_helpful = sum(1 << bit for bit, tag in enumerate(NOT_HELPFUL_TAGS) if _flag(row.get(tag)))
    return (
        value,
        level,
        int(row["createdAtMillis"]),
        helpful_tags,
        not_helpful,
        row.get("ratingSourceBucketed") == _POPULATION,
    )


class RatingStore:
    """All current ratings as columns; see the module docstring.

    Attributes
    ----------
    note_keys, rater_keys : interned ids; a row's ``note``/``rater`` is a position in them.
    """

    def __init__(self) -> None:
        self.note_keys: list[str] = []
        self.rater_keys: list[str] = []
        self._note_pos: dict[str, int] = {}
        self._rater_pos: dict[str, int] = {}
        self._row: dict[tuple[int, int], int] = {}
        self._n = 0
        self._note = np.zeros(0, dtype=np.int32)
        self._rater = np.zeros(0, dtype=np.int32)
        self._alive = np.zeros(0, dtype=np.bool_)
        self._cols: dict[str, NDArray[Any]] = {name: np.zeros(0, dtype=t) for name, t in _VALUES}
        self._journal: list[tuple[tuple[int, int], int | None]] = []
        self._mark_n = 0
        self.version = 0
        # Row numbers stay put and a dead row never lives again until the epoch changes
        # (compaction, undo, bulk load); ``_dead`` lists the rows killed in this epoch, in
        # order, so a reader can follow the live rows by changes (``pipeline.gather``).
        self.epoch = 0
        self._dead: list[int] = []

    # ---- size -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._row)

    def _grow(self, extra: int) -> None:
        need = self._n + extra
        if need <= self._note.shape[0]:
            return
        cap = max(need, 2 * self._note.shape[0], 1024)

        def grown(a: NDArray[Any]) -> NDArray[Any]:
            out = np.zeros(cap, dtype=a.dtype)
            out[: self._n] = a[: self._n]
            return out

        self._note, self._rater, self._alive = (
            grown(self._note),
            grown(self._rater),
            grown(self._alive),
        )
        self._cols = {k: grown(v) for k, v in self._cols.items()}

    # ---- ids --------------------------------------------------------------------------
    def note_key(self, note_id: str) -> int:
        """The interned key of ``note_id`` (new ids get the next key)."""
        key = self._note_pos.get(note_id)
        if key is None:
            key = self._note_pos[note_id] = len(self.note_keys)
            self.note_keys.append(note_id)
        return key

    def rater_key(self, rater_id: str) -> int:
        """The interned key of ``rater_id``."""
        key = self._rater_pos.get(rater_id)
        if key is None:
            key = self._rater_pos[rater_id] = len(self.rater_keys)
            self.rater_keys.append(rater_id)
        return key

    # ---- changes ----------------------------------------------------------------------
    def upsert(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Insert or replace ratings given as rows with the public column names.

        A row without a helpfulness value (§2.2) removes the rating, as the scorer would
        drop it.
        """
        rows = list(rows)
        if not rows:
            return
        self._grow(len(rows))
        for r in rows:
            key = (self.note_key(str(r["noteId"])), self.rater_key(str(r["raterParticipantId"])))
            values = _row_values(r)
            if values is None:
                self._kill(key)
                continue
            self._kill(key, journal=False)
            row = self._n
            self._n += 1
            self._note[row], self._rater[row] = key
            self._alive[row] = True
            for column, value in zip(self._cols.values(), values, strict=True):
                column[row] = value
            self._journal.append((key, self._row.get(key)))
            self._row[key] = row
        self.version += 1

    def delete(self, note_id: str, rater_id: str) -> None:
        """Remove one rating (no-op when absent)."""
        self._kill((self.note_key(note_id), self.rater_key(rater_id)))
        self.version += 1

    def _kill(self, key: tuple[int, int], *, journal: bool = True) -> None:
        row = self._row.get(key)
        if row is None:
            return
        self._alive[row] = False
        self._dead.append(row)
        if journal:
            self._journal.append((key, row))
            del self._row[key]
        else:
            # The caller journals the replacement with this row as the previous one.
            self._row[key] = row

    # ---- transactions -----------------------------------------------------------------
    def mark(self) -> None:
        """Start a new journal (compacting first when half the rows are dead)."""
        if self._n > 1024 and len(self._row) * 2 < self._n:
            self._compact()
        self._journal = []
        self._mark_n = self._n

    def undo(self) -> None:
        """Revert every change since :meth:`mark`."""
        for key, previous in reversed(self._journal):
            current = self._row.get(key)
            if current is not None:
                self._alive[current] = False
            if previous is None:
                self._row.pop(key, None)
            else:
                self._row[key] = previous
                self._alive[previous] = True
        self._alive[self._mark_n : self._n] = False
        self._n = self._mark_n
        self._journal = []
        self.version += 1
        self._new_epoch()

    def _new_epoch(self) -> None:
        """Rows were renumbered or revived: readers following the changes start over."""
        self.epoch += 1
        self._dead = []

    def _compact(self) -> None:
        live = np.flatnonzero(self._alive[: self._n])
        new_row = np.full(self._n, -1, dtype=np.int64)
        new_row[live] = np.arange(live.shape[0])
        self._note, self._rater = self._note[live], self._rater[live]
        self._alive = np.ones(live.shape[0], dtype=np.bool_)
        self._cols = {k: v[live] for k, v in self._cols.items()}
        self._row = {k: int(new_row[r]) for k, r in self._row.items()}
        self._n = int(live.shape[0])
        self._new_epoch()

    # ---- reads ------------------------------------------------------------------------
    def live_rows(self) -> NDArray[np.int64]:
        """Row numbers of the current ratings, in storage order."""
        return np.flatnonzero(self._alive[: self._n])

    @property
    def n_rows(self) -> int:
        """Rows written in this epoch (live or dead): new rows get numbers from here."""
        return self._n

    @property
    def n_dead(self) -> int:
        """Rows killed in this epoch so far."""
        return len(self._dead)

    def dead_since(self, start: int) -> NDArray[np.int64]:
        """The rows killed in this epoch after its first ``start`` kills (see
        :attr:`n_dead`), in the order they died."""
        return np.asarray(self._dead[start:], dtype=np.int64)

    def live_from(self, start: int) -> NDArray[np.int64]:
        """Row numbers >= ``start`` of the current ratings, ascending."""
        return start + np.flatnonzero(self._alive[start : self._n])

    def newest_ms(self) -> int:
        """Creation time of the newest stored rating (0 if none), ms."""
        created = self._cols["created_at_ms"][: self._n]
        return int(created.max()) if self._n else 0

    def note_of(self, rows: NDArray[np.int64]) -> NDArray[np.int32]:
        """Note keys of ``rows``."""
        return self._note[rows]

    def rater_of(self, rows: NDArray[np.int64]) -> NDArray[np.int32]:
        """Rater keys of ``rows``."""
        return self._rater[rows]

    def ratings(
        self,
        rows: NDArray[np.int64],
        note_row: NDArray[np.int32],
        rater_row: NDArray[np.int32],
        note_ids: IdIndex,
        participant_ids: IdIndex,
    ) -> Ratings:
        """``rows`` as :class:`Ratings` on the given indexes.

        Parameters
        ----------
        rows : int64 array, stored rows (see :meth:`live_rows`).
        note_row, rater_row : int32 arrays over ``note_keys`` / ``rater_keys``: each key's
            position in ``note_ids`` / ``participant_ids`` (every key of ``rows`` must have
            one, >= 0).
        """
        return Ratings(
            note_idx=note_row[self._note[rows]],
            rater_idx=rater_row[self._rater[rows]],
            note_ids=note_ids,
            participant_ids=participant_ids,
            **{name: column[rows] for name, column in self._cols.items()},
        )

    @classmethod
    def from_frame(cls, frame: pl.DataFrame) -> RatingStore:
        """A store holding the ratings of ``frame`` (public column names)."""
        store = cls()
        if frame.height:
            store._load(_typed(frame))
        store.mark()
        return store

    def _load(self, frame: pl.DataFrame) -> None:
        """Bulk insert into an empty store (one row per key, as the database holds them)."""
        notes = frame["noteId"].cast(pl.String)
        raters = frame["raterParticipantId"].cast(pl.String)
        note_key = {v: self.note_key(v) for v in notes.unique().to_list()}
        rater_key = {v: self.rater_key(v) for v in raters.unique().to_list()}
        kept, values = _values(frame)
        n = kept.shape[0]
        self._grow(n)
        note = notes.replace_strict(note_key, return_dtype=pl.Int32).to_numpy()[kept]
        rater = raters.replace_strict(rater_key, return_dtype=pl.Int32).to_numpy()[kept]
        self._note[:n], self._rater[:n] = note, rater
        self._alive[:n] = True
        for name, column in self._cols.items():
            column[:n] = values[name]
        self._n = n
        self._row = dict(
            zip(zip(note.tolist(), rater.tolist(), strict=True), range(n), strict=True)
        )
        self.version += 1
        self._new_epoch()
