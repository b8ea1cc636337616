"""One reader per public file type, returning polars frames with canonical names and dtypes.

Each reader accepts a ``.tsv`` file, a downloaded ``.zip`` (a zip holding the TSV), a
``.parquet`` file, or a directory of shards (every ``*.tsv`` / ``*.zip`` / ``*.parquet`` in it,
in sorted order). Bad input raises :class:`~bridgewatch.errors.InputError` naming the file,
line and field; with ``lenient=True`` bad rows are skipped instead, logged, and appended to
``skipped`` when a list is given.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from pathlib import Path

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.io import schemas
from bridgewatch.io.read import (
    FILE_COL,
    LINE_COL,
    ReadResult,
    SkippedRow,
    _members,
    _read_header,
    read_table,
    source_files,
)
from bridgewatch.io.schema import Schema

__all__ = [
    "detect_schema",
    "drop_duplicate_ratings",
    "read_aux_note_info",
    "read_file",
    "read_helpfulness_scores",
    "read_note_requests",
    "read_note_status_history",
    "read_notes",
    "read_ratings",
    "read_scored_notes",
    "read_user_enrollment",
    "require_rating_values",
]

_log = logging.getLogger(__name__)

_RATING_KEY = ("raterParticipantId", "noteId")


def _frame(
    path: str | Path, schema: Schema, lenient: bool, skipped: list[SkippedRow] | None
) -> ReadResult:
    result = read_table(path, schema, lenient=lenient)
    if skipped is not None:
        skipped.extend(result.skipped)
    return result


def read_notes(
    path: str | Path, *, lenient: bool = False, skipped: list[SkippedRow] | None = None
) -> pl.DataFrame:
    """Read notes (schema ``NOTES``, scoring-core.md §2.1)."""
    return _frame(path, schemas.NOTES, lenient, skipped).frame


def read_user_enrollment(
    path: str | Path, *, lenient: bool = False, skipped: list[SkippedRow] | None = None
) -> pl.DataFrame:
    """Read user enrollment (schema ``USER_ENROLLMENT``, scoring-core.md §2.1)."""
    return _frame(path, schemas.USER_ENROLLMENT, lenient, skipped).frame


def read_note_requests(
    path: str | Path, *, lenient: bool = False, skipped: list[SkippedRow] | None = None
) -> pl.DataFrame:
    """Read note requests, published as ``batSignals-*.tsv`` (schema ``NOTE_REQUESTS``)."""
    return _frame(path, schemas.NOTE_REQUESTS, lenient, skipped).frame


def read_note_status_history(
    path: str | Path, *, lenient: bool = False, skipped: list[SkippedRow] | None = None
) -> pl.DataFrame:
    """Read note status history, 24-column or older 23-column layout (scoring-core.md §2.1).

    As the reference does, a file without ``abovePcrhThresholdTime`` (the 23-column layout)
    also has ``timestampMillisOfFirstNmrDueToMinStableCrhTime`` reset to null. The reference's
    own ``note_status_history.tsv`` output (integers written as ``17935.0``) reads too.
    """
    return _reset_legacy_nsh(_frame(path, schemas.NOTE_STATUS_HISTORY, lenient, skipped)).frame


def _reset_legacy_nsh(result: ReadResult) -> ReadResult:
    if "abovePcrhThresholdTime" not in result.absent:
        return result
    frame = result.frame.with_columns(
        pl.lit(None, dtype=pl.Int64).alias("timestampMillisOfFirstNmrDueToMinStableCrhTime")
    )
    return ReadResult(frame, result.files, result.skipped, result.absent)


def read_scored_notes(
    path: str | Path, *, lenient: bool = False, skipped: list[SkippedRow] | None = None
) -> pl.DataFrame:
    """Read a scorer's ``scored_notes.tsv`` (schema ``SCORED_NOTES``, §11.1)."""
    return _frame(path, schemas.SCORED_NOTES, lenient, skipped).frame


def read_aux_note_info(
    path: str | Path, *, lenient: bool = False, skipped: list[SkippedRow] | None = None
) -> pl.DataFrame:
    """Read a scorer's ``aux_note_info.tsv`` (schema ``AUX_NOTE_INFO``, §11.2)."""
    return _frame(path, schemas.AUX_NOTE_INFO, lenient, skipped).frame


def read_helpfulness_scores(
    path: str | Path, *, lenient: bool = False, skipped: list[SkippedRow] | None = None
) -> pl.DataFrame:
    """Read a scorer's ``helpfulness_scores.tsv`` (schema ``HELPFULNESS_SCORES``, §11.4)."""
    return _frame(path, schemas.HELPFULNESS_SCORES, lenient, skipped).frame


def read_ratings(
    path: str | Path,
    *,
    lenient: bool = False,
    skipped: list[SkippedRow] | None = None,
    dtypes: Mapping[str, pl.DataType] | None = None,
) -> pl.DataFrame:
    """Read ratings: one file, a downloaded zip, or a directory of shards (§2.1, §2.2).

    Rows identical in every column are dropped silently, keeping the first, as the
    reference does. Two different ratings by one rater on one note are an error naming both
    lines (lenient: every rating of that pair is skipped).

    Parameters
    ----------
    path : file, zip or directory of shards.
    lenient : skip bad rows instead of raising.
    skipped : if given, skipped rows are appended to it.
    dtypes : dtype overrides, e.g. ``pl.Categorical`` ids to save memory on large dumps.
    """
    result = read_table(path, schemas.RATINGS, lenient=lenient, dtypes=dtypes, line_numbers=True)
    bad: list[SkippedRow] = list(result.skipped)
    frame = drop_duplicate_ratings(result.frame, result.files, lenient=lenient, skipped=bad)
    if skipped is not None:
        skipped.extend(bad)
    return frame.drop(FILE_COL, LINE_COL)


# Odd 64-bit constant (golden ratio) to mix the two hashes of a (rater, note) pair.
_MIX = 0x9E3779B97F4A7C15


def _pair_keys(frame: pl.DataFrame) -> NDArray[np.uint64]:
    """One UInt64 per row, equal for equal (rater, note) pairs (collisions are possible and
    only make extra candidates for the exact comparison)."""
    rater, note = (pl.col(c) for c in _RATING_KEY)
    if all(isinstance(frame.schema[c], pl.Categorical) for c in _RATING_KEY):
        rater, note = rater.to_physical(), note.to_physical()
    key = (rater.hash(seed=0) * pl.lit(_MIX, dtype=pl.UInt64)).xor(note.hash(seed=0))
    out: NDArray[np.uint64] = frame.select(key).to_series().to_numpy()
    return out


def _id_text(id_text: Mapping[str, pl.DataFrame] | None, column: str, value: object) -> str:
    if id_text is None or column not in id_text:
        return str(value)
    table = id_text[column]
    match = table.filter(pl.col("key") == value)["id"]
    return str(match[0]) if match.len() else str(value)


def drop_duplicate_ratings(
    frame: pl.DataFrame,
    files: tuple[str, ...],
    *,
    lenient: bool = False,
    skipped: list[SkippedRow] | None = None,
    pair_keys: NDArray[np.uint64] | None = None,
    id_text: Mapping[str, pl.DataFrame] | None = None,
) -> pl.DataFrame:
    """Drop identical duplicate ratings; raise (or, lenient, skip) on conflicting ones.

    Parameters
    ----------
    frame : ratings with the ``__file`` / ``__line`` columns of :func:`read_table`.
    files : the source file names that ``__file`` indexes.
    lenient : skip every rating of a conflicting pair (appended to ``skipped``).
    skipped : list to append skipped rows to.
    pair_keys : uint64 array of shape (n,), equal for equal (rater, note) pairs; computed
        from the id columns when not given. Equal keys only make candidates: duplicates are
        confirmed on the actual columns.
    id_text : for id columns that hold keys rather than ids, a frame with columns ``key`` and
        ``id`` to show the ids in messages.

    Returns
    -------
    ``frame`` without the duplicates, in the same order, still with ``__file`` / ``__line``.

    Raises
    ------
    InputError
        Two different ratings for one (rater, note), naming both lines.
    """
    keys = _pair_keys(frame) if pair_keys is None else pair_keys
    ordered = np.sort(keys)
    repeats = ordered[1:][ordered[1:] == ordered[:-1]]
    del ordered
    if repeats.size == 0:
        return frame
    dup_mask = pl.Series(np.isin(keys, repeats))
    data_cols = [c for c in frame.columns if not c.startswith("__")]
    rows = frame.with_row_index("__row").filter(dup_mask)
    repeated = ~rows.select(pl.struct(data_cols).is_first_distinct()).to_series()
    drop_rows = rows.filter(repeated)["__row"]
    rows = rows.filter(~repeated)
    conflicts = rows.filter(rows.select(_RATING_KEY).is_duplicated())
    if conflicts.height:
        conflicts = conflicts.sort("__row")
        first = conflicts.row(0, named=True)
        other = conflicts.filter(
            (pl.col("raterParticipantId") == first["raterParticipantId"])
            & (pl.col("noteId") == first["noteId"])
        ).row(1, named=True)
        where_other = (
            f"line {other[LINE_COL]}"
            if other[FILE_COL] == first[FILE_COL]
            else f"{files[other[FILE_COL]]} line {other[LINE_COL]}"
        )
        rater = _id_text(id_text, "raterParticipantId", first["raterParticipantId"])
        note = _id_text(id_text, "noteId", first["noteId"])
        message = (
            f"conflicting ratings by rater {rater} on note {note}: "
            f"line {first[LINE_COL]} and {where_other} differ"
        )
        if not lenient:
            raise InputError(
                message, path=files[first[FILE_COL]], line=first[LINE_COL], field="noteId"
            )
        for row in conflicts.iter_rows(named=True):
            if skipped is not None:
                skipped.append(
                    SkippedRow(
                        files[row[FILE_COL]],
                        row[LINE_COL],
                        "noteId",
                        _id_text(id_text, "noteId", row["noteId"]),
                        "conflicting ratings for one (rater, note)",
                    )
                )
        _log.warning("skipped %d conflicting ratings (first: %s)", conflicts.height, message)
        drop_rows = pl.concat([drop_rows, conflicts["__row"]])
    _log.debug("dropping %d identical duplicate ratings", int(repeated.sum()))
    keep = pl.Series(values=[True], dtype=pl.Boolean).extend_constant(True, frame.height - 1)
    keep = keep.scatter(drop_rows.cast(pl.Int64).to_numpy(), False)
    return frame.filter(keep)


def require_rating_values(
    path: str | Path, n_rows: int, n_valued: int, absent: Collection[str]
) -> None:
    """Raise unless some of ``n_rows`` ratings has a value (scoring needs one).

    A ratings file may lack ``helpfulnessLevel`` when it has the legacy ``helpful`` /
    ``notHelpful`` pair; but when no row then has a value, every rating would be dropped
    and every note scored on nothing.

    Raises
    ------
    InputError
        ``n_rows > 0`` and ``n_valued == 0``, naming ``helpfulnessLevel``.
    """
    if n_rows == 0 or n_valued > 0:
        return
    if "helpfulnessLevel" in absent:
        message = (
            f"none of the {n_rows} ratings has a value: the helpfulnessLevel column is "
            "missing and neither helpful nor notHelpful is 1 in any row"
        )
    else:
        message = f"none of the {n_rows} ratings has a value (helpfulnessLevel is empty)"
    raise InputError(message, path=path, field="helpfulnessLevel")


def _header_of(path: Path) -> list[str]:
    """Column names of the first table in ``path`` (a file or a zip)."""
    if path.suffix == ".parquet":
        try:
            return list(pl.read_parquet_schema(path))
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise InputError(f"not a readable Parquet file: {exc}", path=path) from exc
    with _members(path) as members:
        display, local = members[0]
        if local.suffix == ".parquet":
            return _header_of(local)
        return _read_header(display, local)


def _schema_for_header(header: list[str]) -> Schema | None:
    """The schema whose required columns the header has and which knows most of its
    names; ``None`` when none fits or two fit equally well."""
    scored = []
    for schema in schemas.SCHEMAS.values():
        names = {c.name for c in (schema.column(h) for h in header) if c is not None}
        if not all(name in names for name in schema.required):
            continue
        if not all(
            any(all(n in names for n in alt) for alt in group) for group in schema.required_any
        ):
            continue
        scored.append((len(names), schema))
    scored.sort(key=lambda pair: -pair[0])
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
        return None
    return scored[0][1]


def detect_schema(path: str | Path) -> Schema | None:
    """The file type of ``path``: from its name (``ratings-00003.zip``, a ``ratings/``
    directory), else from the names of the files in a directory, else from the header of
    the (first) file; ``None`` if it cannot be told.

    Raises
    ------
    InputError
        ``path`` does not exist, a directory holds no table file, or the header cannot be
        read (for example a UTF-16 file).
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file or directory", path=path)
    schema = schemas.schema_for_name(path.name)
    if schema is not None:
        return schema
    files = source_files(path)
    if path.is_dir():
        named = {schemas.schema_for_name(f.name) for f in files}
        if len(named) == 1 and None not in named:
            return named.pop()
    return _schema_for_header(_header_of(files[0]))


def read_file(
    path: str | Path, schema: Schema | None = None, *, lenient: bool = False
) -> ReadResult:
    """Read any public file type, found by :func:`detect_schema` unless ``schema`` is given.

    Applies the per-type rules of the readers above (ratings duplicates, the 23-column NSH
    reset) and returns the frame with the files read, the skipped rows and absent columns.

    Raises
    ------
    InputError
        The type cannot be told (see :func:`detect_schema`), or the input is bad.
    """
    if schema is None:
        schema = detect_schema(path)
        if schema is None:
            raise InputError(
                "cannot tell the file type from the name or the header; expected a public "
                "file name such as notes-00000.tsv, ratings-00000.zip or scored_notes.tsv",
                path=path,
            )
    if schema is schemas.RATINGS:
        result = read_table(path, schema, lenient=lenient, line_numbers=True)
        bad = list(result.skipped)
        frame = drop_duplicate_ratings(result.frame, result.files, lenient=lenient, skipped=bad)
        return ReadResult(frame.drop(FILE_COL, LINE_COL), result.files, tuple(bad), result.absent)
    result = read_table(path, schema, lenient=lenient)
    if schema is schemas.NOTE_STATUS_HISTORY:
        result = _reset_legacy_nsh(result)
    return result
