"""The note status history (NSH) as typed columnar arrays (scoring-core.md §11.3).

Statuses are ``NoteStatus`` int8 codes (-1 missing); timestamps are float64 epoch
milliseconds with NaN for empty, as the reference stores them (so -1 stays -1).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.model import NoteStatus
from bridgewatch.model.columns import NOTE_STATUS_HISTORY_COLUMNS

__all__ = ["StatusHistory", "status_codes", "status_names"]

_STATUS_NAMES: tuple[str, ...] = tuple(s.name for s in sorted(NoteStatus))

# field name -> (published column, kind); kind: id, int, ts, status, text
_SCHEMA: tuple[tuple[str, str, str], ...] = (
    ("note_id", "noteId", "id"),
    ("author_id", "noteAuthorParticipantId", "id"),
    ("created_at_ms", "createdAtMillis", "int"),
    ("first_non_nmr_ts", "timestampMillisOfFirstNonNMRStatus", "ts"),
    ("first_non_nmr_status", "firstNonNMRStatus", "status"),
    ("current_status_ts", "timestampMillisOfCurrentStatus", "ts"),
    ("current_status", "currentStatus", "status"),
    ("latest_non_nmr_ts", "timestampMillisOfLatestNonNMRStatus", "ts"),
    ("most_recent_non_nmr_status", "mostRecentNonNMRStatus", "status"),
    ("status_lock_ts", "timestampMillisOfStatusLock", "ts"),
    ("locked_status", "lockedStatus", "status"),
    ("retro_lock_ts", "timestampMillisOfRetroLock", "ts"),
    ("current_core_status", "currentCoreStatus", "status"),
    ("current_expansion_status", "currentExpansionStatus", "status"),
    ("current_group_status", "currentGroupStatus", "status"),
    ("current_decided_by", "currentDecidedBy", "text"),
    ("current_modeling_group", "currentModelingGroup", "ts"),
    ("most_recent_status_change_ts", "timestampMillisOfMostRecentStatusChange", "ts"),
    ("nmr_due_to_min_stable_crh_ts", "timestampMillisOfNmrDueToMinStableCrhTime", "ts"),
    ("current_multi_group_status", "currentMultiGroupStatus", "status"),
    ("current_modeling_multi_group", "currentModelingMultiGroup", "ts"),
    ("final_scoring_output_minute", "timestampMinuteOfFinalScoringOutput", "ts"),
    (
        "first_nmr_due_to_min_stable_crh_ts",
        "timestampMillisOfFirstNmrDueToMinStableCrhTime",
        "ts",
    ),
    ("above_pcrh_threshold_ts", "abovePcrhThresholdTime", "ts"),
)


def status_codes(values: pl.Series | list[str | None], field: str = "status") -> NDArray[np.int8]:
    """``NoteStatus`` codes of status strings; null or empty -> -1.

    Raises
    ------
    InputError
        For a string that is not a status name (names the field and the 1-based data row).
    """
    series = values if isinstance(values, pl.Series) else pl.Series(values, dtype=pl.Utf8)
    texts = series.cast(pl.Utf8).fill_null("").to_list()
    lookup = {name: code for code, name in enumerate(_STATUS_NAMES)}
    lookup[""] = -1
    out = np.empty(len(texts), dtype=np.int8)
    for row, text in enumerate(texts):
        code = lookup.get(text)
        if code is None:
            raise InputError(f"unknown note status {text!r}", line=row + 2, field=field)
        out[row] = code
    return out


def status_names(codes: NDArray[np.integer]) -> list[str | None]:
    """Status strings of ``NoteStatus`` codes; -1 -> None."""
    table: list[str | None] = [*_STATUS_NAMES, None]
    return [table[c] for c in np.asarray(codes, dtype=np.int64).tolist()]


@dataclass(frozen=True)
class StatusHistory:
    """One row per note ever scored; every attribute is an array of shape (n_notes,).

    Field names follow the published columns (see ``_SCHEMA``): ``*_ts`` are float64 epoch
    milliseconds (NaN empty), ``*_status`` int8 ``NoteStatus`` codes (-1 empty), ids and
    ``current_decided_by`` are str arrays ("" empty), ``created_at_ms`` is int64.
    """

    note_id: NDArray[np.str_]
    author_id: NDArray[np.str_]
    created_at_ms: NDArray[np.int64]
    first_non_nmr_ts: NDArray[np.float64]
    first_non_nmr_status: NDArray[np.int8]
    current_status_ts: NDArray[np.float64]
    current_status: NDArray[np.int8]
    latest_non_nmr_ts: NDArray[np.float64]
    most_recent_non_nmr_status: NDArray[np.int8]
    status_lock_ts: NDArray[np.float64]
    locked_status: NDArray[np.int8]
    retro_lock_ts: NDArray[np.float64]
    current_core_status: NDArray[np.int8]
    current_expansion_status: NDArray[np.int8]
    current_group_status: NDArray[np.int8]
    current_decided_by: NDArray[np.str_]
    current_modeling_group: NDArray[np.float64]
    most_recent_status_change_ts: NDArray[np.float64]
    nmr_due_to_min_stable_crh_ts: NDArray[np.float64]
    current_multi_group_status: NDArray[np.int8]
    current_modeling_multi_group: NDArray[np.float64]
    final_scoring_output_minute: NDArray[np.float64]
    first_nmr_due_to_min_stable_crh_ts: NDArray[np.float64]
    above_pcrh_threshold_ts: NDArray[np.float64]

    def __post_init__(self) -> None:
        n = self.note_id.shape[0]
        for f in fields(self):
            if getattr(self, f.name).shape != (n,):
                raise InputError(f"expected shape ({n},)", field=f.name)

    @property
    def n_notes(self) -> int:
        """Number of rows."""
        return int(self.note_id.shape[0])

    @classmethod
    def empty(cls) -> StatusHistory:
        """A history without rows."""
        return cls.new_rows(np.array([], dtype=np.str_), np.array([], dtype=np.str_), np.array([]))

    @classmethod
    def new_rows(
        cls,
        note_id: NDArray[np.str_],
        author_id: NDArray[np.str_],
        created_at_ms: NDArray[np.integer],
    ) -> StatusHistory:
        """Rows for notes new to the history: id, author and creation time, all else empty."""
        n = np.asarray(note_id).shape[0]
        values: dict[str, NDArray[np.generic]] = {}
        for name, _column, kind in _SCHEMA:
            if kind == "ts":
                values[name] = np.full(n, np.nan)
            elif kind == "status":
                values[name] = np.full(n, -1, dtype=np.int8)
            elif kind == "text":
                values[name] = np.full(n, "", dtype=np.str_)
        return cls(
            note_id=np.asarray(note_id, dtype=np.str_),
            author_id=np.asarray(author_id, dtype=np.str_),
            created_at_ms=np.asarray(created_at_ms, dtype=np.int64),
            **values,  # type: ignore[arg-type]
        )

    def with_new_notes(
        self,
        note_id: NDArray[np.str_],
        author_id: NDArray[np.str_],
        created_at_ms: NDArray[np.integer],
    ) -> StatusHistory:
        """Outer union with the notes file (§2.3 step 3): append rows for unseen note ids.

        Existing rows (deleted notes included) are kept unchanged and in order; new notes
        are appended in the given order.
        """
        ids = np.asarray(note_id, dtype=np.str_)
        new = ~np.isin(ids, self.note_id)
        if not new.any():
            return self
        extra = StatusHistory.new_rows(
            ids[new], np.asarray(author_id, dtype=np.str_)[new], np.asarray(created_at_ms)[new]
        )
        return StatusHistory(
            **{
                f.name: np.concatenate([getattr(self, f.name), getattr(extra, f.name)])
                for f in fields(self)
            }
        )

    def with_columns(self, **changes: NDArray[np.generic]) -> StatusHistory:
        """A copy with some attributes replaced."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_frame(cls, frame: pl.DataFrame, path: str | None = None) -> StatusHistory:
        """Parse an NSH frame with the 24 published columns, or the older 23.

        Columns may be strings (as read from TSV) or already typed. In the 23-column layout
        ``timestampMillisOfFirstNmrDueToMinStableCrhTime`` and ``abovePcrhThresholdTime`` are
        reset to NaN (§2.1).

        Raises
        ------
        InputError
            Missing columns, unparsable numbers or unknown statuses (with the field).
        """
        legacy = NOTE_STATUS_HISTORY_COLUMNS[-1] not in frame.columns
        values: dict[str, NDArray[np.generic]] = {}
        n = frame.height
        for name, column, kind in _SCHEMA:
            reset = legacy and column in (
                "timestampMillisOfFirstNmrDueToMinStableCrhTime",
                "abovePcrhThresholdTime",
            )
            if reset:
                values[name] = np.full(n, np.nan)
                continue
            if column not in frame.columns:
                raise InputError("missing column", path=path, field=column)
            series = frame[column]
            if kind == "id":
                values[name] = np.asarray(series.cast(pl.Utf8).fill_null("").to_list(), np.str_)
            elif kind == "text":
                values[name] = np.asarray(series.cast(pl.Utf8).fill_null("").to_list(), np.str_)
            elif kind == "status":
                values[name] = status_codes(series, field=column)
            else:
                values[name] = _numbers(series, column, path, integer=kind == "int")
        return cls(**values)  # type: ignore[arg-type]

    def to_frame(self) -> pl.DataFrame:
        """The 24-column NSH frame in published order (empty values as nulls)."""
        data: dict[str, pl.Series] = {}
        for name, column, kind in _SCHEMA:
            arr = getattr(self, name)
            if kind == "id" or kind == "text":
                data[column] = pl.Series(column, [v or None for v in arr.tolist()], pl.Utf8)
            elif kind == "status":
                data[column] = pl.Series(column, status_names(arr), pl.Utf8)
            elif kind == "int":
                data[column] = pl.Series(column, arr, pl.Int64)
            else:
                data[column] = pl.Series(column, arr, pl.Float64, nan_to_null=True)
        return pl.DataFrame(data)


def _numbers(series: pl.Series, column: str, path: str | None, *, integer: bool) -> NDArray[Any]:
    text = series.cast(pl.Utf8)
    stripped = text.str.strip_chars().replace("", None)
    parsed = stripped.cast(pl.Float64, strict=False)
    bad = parsed.is_null() & stripped.is_not_null()
    if bad.any():
        row = int(bad.arg_max() or 0)
        raise InputError(f"not a number: {stripped[row]!r}", path=path, line=row + 2, field=column)
    if integer:
        if parsed.is_null().any() or parsed.is_nan().any():
            row = int((parsed.is_null() | parsed.is_nan()).arg_max() or 0)
            raise InputError("empty value", path=path, line=row + 2, field=column)
        return parsed.to_numpy().astype(np.int64)
    return parsed.fill_null(np.nan).to_numpy().astype(np.float64)
