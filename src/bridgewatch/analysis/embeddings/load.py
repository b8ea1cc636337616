"""Ratings straight to a :class:`RatingMatrix`, reading only the four columns the analysis
needs (note, rater, value, time), one file at a time.

``bridgewatch.io.load_dataset`` reads what the scorer needs (tags, sources, enrollment) and
checks duplicates: ~14 GB and ~160 s for 150M ratings. The analysis reads files that
``score`` has already read and checked, and needs ~17 bytes per rating (two int32 codes, an
int8 vote, an int64 time), so it reads them leanly here: each file's ids become dense int32
codes (:class:`~bridgewatch.io.intern.IdInterner`, exact) before the next file is read.
Downloaded zips go through ``load_dataset`` instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.analysis.embeddings.ratings import RatingMatrix, rating_matrix
from bridgewatch.errors import InputError
from bridgewatch.io import load_dataset
from bridgewatch.io.intern import IdInterner
from bridgewatch.io.read import source_files

__all__ = ["rating_matrix_from_frame", "read_rating_matrix"]

_LEVEL_VOTE = {"NOT_HELPFUL": -1, "SOMEWHAT_HELPFUL": 0, "HELPFUL": 1}
_KEYS = ("noteId", "raterParticipantId", "createdAtMillis")
# Rows per batch: a batch's id strings stay ~100 MB.
_BATCH_ROWS = 1 << 20


def _vote_expr(schema: pl.Schema) -> pl.Expr:
    """Vote from ``helpfulnessLevel``, else the legacy helpful / notHelpful flags
    (scoring-core.md §2.2); null when a row has no value."""
    columns = set(schema.names())
    legacy = (
        pl.when(pl.col("notHelpful").cast(pl.String) == "1")
        .then(pl.lit(-1, dtype=pl.Int8))
        .when(pl.col("helpful").cast(pl.String) == "1")
        .then(pl.lit(1, dtype=pl.Int8))
        .otherwise(pl.lit(None, dtype=pl.Int8))
        if {"helpful", "notHelpful"} <= columns
        else pl.lit(None, dtype=pl.Int8)
    )
    if "helpfulnessLevel" not in columns:
        return legacy
    categories = _known_enum_levels(schema)
    if categories is not None:
        # An Enum of known levels (the Parquet shards `simulate` and `convert` write): map
        # its codes, not its strings (no string per row is made or hashed).
        codes = pl.col("helpfulnessLevel").to_physical()
        return (
            pl.when(codes.is_null())
            .then(legacy)
            .otherwise(
                codes.replace_strict(
                    list(range(len(categories))),
                    [_LEVEL_VOTE[c] for c in categories],
                    return_dtype=pl.Int8,
                )
            )
        )
    level = pl.col("helpfulnessLevel").cast(pl.String)
    return (
        pl.when(level.is_null() | (level == ""))
        .then(legacy)
        .otherwise(level.replace_strict(_LEVEL_VOTE, default=None, return_dtype=pl.Int8))
    )


def _known_enum_levels(schema: pl.Schema) -> list[str] | None:
    """The categories of an Enum ``helpfulnessLevel`` when every one is a known level."""
    dtype = schema.get("helpfulnessLevel")
    if isinstance(dtype, pl.Enum):
        categories = [str(c) for c in dtype.categories.to_list()]
        if set(categories) <= set(_LEVEL_VOTE):
            return categories
    return None


def _scan(path: Path) -> pl.LazyFrame:
    if path.suffix == ".parquet":
        return pl.scan_parquet(path)
    return pl.scan_csv(
        path, separator="\t", quote_char='"', infer_schema=False, raise_if_empty=False
    )


def _checked_batches(lazy: pl.LazyFrame, path: Path) -> Iterator[pl.DataFrame]:
    """The rows of ``lazy`` with a value, in batches of about ``_BATCH_ROWS``:
    ``noteId``, ``raterParticipantId`` (String), ``createdAtMillis`` (Int64) and ``vote``
    (Int8); ``path`` names the source in errors. Batches keep one batch's id strings in
    memory, not a whole shard's (10M 64-character ids: ~1 GB)."""
    schema = lazy.collect_schema()
    columns = set(schema.names())
    missing = [c for c in _KEYS if c not in columns]
    if missing:
        raise InputError("ratings file lacks the column", path=path, field=missing[0])
    if "helpfulnessLevel" not in columns and not {"helpful", "notHelpful"} <= columns:
        raise InputError(
            "ratings file has neither helpfulnessLevel nor helpful/notHelpful",
            path=path,
            field="helpfulnessLevel",
        )
    # An Enum of known levels holds no unknown one.
    level = (
        pl.col("helpfulnessLevel").cast(pl.String)
        if "helpfulnessLevel" in columns and _known_enum_levels(schema) is None
        else None
    )
    query = lazy.select(
        pl.col("noteId").cast(pl.String),
        pl.col("raterParticipantId").cast(pl.String),
        pl.col("createdAtMillis").cast(pl.Int64, strict=False),
        _vote_expr(schema).alias("vote"),
        (
            (level.is_not_null() & (level != "") & ~level.is_in(list(_LEVEL_VOTE)))
            if level is not None
            else pl.lit(False)
        ).alias("badLevel"),
    )
    offset = 0
    for frame in query.collect_batches(chunk_size=_BATCH_ROWS):
        bad_level = frame["badLevel"]
        if bad_level.any():
            row = offset + int(bad_level.arg_true()[0])
            raise InputError(
                f"unknown helpfulnessLevel (expected one of {', '.join(_LEVEL_VOTE)})",
                path=path,
                line=row + 2 if path.suffix != ".parquet" else None,
                field="helpfulnessLevel",
            )
        offset += frame.height
        frame = frame.drop("badLevel")
        if frame["vote"].null_count():
            frame = frame.filter(pl.col("vote").is_not_null())
        for column in _KEYS:
            nulls = frame[column].is_null()
            if frame[column].dtype == pl.String:
                nulls = nulls | (frame[column] == "")
            if nulls.any():
                raise InputError(
                    "empty or unparsable value in a rating with a value",
                    path=path,
                    field=column,
                )
        yield frame


# The matrix's columns: rater and note codes, vote, time.
_DTYPES: dict[str, type[np.generic]] = {"r": np.int32, "n": np.int32, "v": np.int8, "t": np.int64}


class _Parts:
    """Per-batch code, vote and time arrays, and the two interners.

    With ``capacity`` (an upper bound on the rows, known for Parquet from its metadata) the
    arrays are filled in place, so the whole columns are never held twice (chunks and their
    concatenation: 1.2 GB more for the times alone at 150M ratings).

    The note ids of a batch are interned on ``pool``'s thread while this one interns its
    rater ids (the interner's kernel releases the GIL): each interner still sees its
    column's batches in order, so the codes are those of a serial read."""

    def __init__(self, pool: ThreadPoolExecutor, capacity: int | None = None) -> None:
        self.notes, self.raters = IdInterner(), IdInterner()
        self.arrays: dict[str, list[NDArray[np.generic]]] = {k: [] for k in _DTYPES}
        self._filled: dict[str, NDArray[Any]] | None = (
            None
            if capacity is None
            else {k: np.empty(capacity, dtype=d) for k, d in _DTYPES.items()}
        )
        self._n = 0
        self._pool = pool

    def add(self, frame: pl.DataFrame) -> None:
        notes = self._pool.submit(self.notes.codes, frame["noteId"])
        columns = {
            "r": self.raters.codes(frame["raterParticipantId"]),
            "n": notes.result(),
            "v": frame["vote"].to_numpy(),
            "t": frame["createdAtMillis"].to_numpy(),
        }
        if self._filled is None:
            for k, values in columns.items():
                self.arrays[k].append(values.astype(_DTYPES[k]))
        else:
            stop = self._n + frame.height
            for k, values in columns.items():
                self._filled[k][self._n : stop] = values
        self._n += frame.height

    def _cat(self, key: str) -> NDArray[Any]:
        if self._filled is not None:
            return self._filled[key][: self._n]
        chunks = self.arrays[key]
        dtype = _DTYPES[key]
        out = np.concatenate(chunks) if chunks else np.zeros(0, dtype=dtype)
        chunks.clear()
        return out.astype(dtype, copy=False)

    def matrix(self) -> RatingMatrix:
        return RatingMatrix(
            rater_ids=self.raters.ids().to_numpy().astype(np.str_),
            note_ids=self.notes.ids().to_numpy().astype(np.str_),
            rater_idx=self._cat("r"),
            note_idx=self._cat("n"),
            votes=self._cat("v"),
            created_at_ms=self._cat("t"),
        )


def _parquet_rows(files: list[Path]) -> int | None:
    """Rows of all ``files`` from their metadata when every one is Parquet, else None."""
    if not files or any(f.suffix != ".parquet" for f in files):
        return None
    return sum(int(pl.scan_parquet(f).select(pl.len()).collect().item()) for f in files)


def read_rating_matrix(ratings: str | Path, notes: str | Path | None = None) -> RatingMatrix:
    """The vote matrix of a ratings file, or directory of TSV / Parquet shards.

    Parameters
    ----------
    ratings : the ratings `score` read (public TSV layout or Parquet shards).
    notes : the notes file; only read for a downloaded zip (through ``load_dataset``).

    Returns
    -------
    Rows are raters and columns notes in first-seen order; ratings without a value (no
    ``helpfulnessLevel`` and no legacy flag) are left out. Duplicates are not checked again
    (``score`` checked these files).

    Raises
    ------
    InputError
        A file is missing a column, or a rating with a value has an empty id or time, or an
        unknown ``helpfulnessLevel`` (naming the file and field).
    """
    files = source_files(ratings)
    if any(f.suffix == ".zip" for f in files):
        if notes is None:
            raise InputError("a zipped ratings dump needs --notes", path=ratings, field="notes")
        return rating_matrix(load_dataset(notes=notes, ratings=ratings).ratings)
    with ThreadPoolExecutor(max_workers=1) as pool:
        parts = _Parts(pool, _parquet_rows(list(files)))
        for path in files:
            for frame in _checked_batches(_scan(path), path):
                parts.add(frame)
        return parts.matrix()


def rating_matrix_from_frame(frame: pl.DataFrame) -> RatingMatrix:
    """The vote matrix of ratings held in a frame (e.g. read from the platform's database).

    Parameters
    ----------
    frame : ``noteId``, ``raterParticipantId``, ``createdAtMillis`` and
        ``helpfulnessLevel`` (and/or the legacy ``helpful`` / ``notHelpful``), any types
        castable to String / Int64; rows without a value are left out.

    Raises
    ------
    InputError
        A column is missing, or a rating with a value has an empty id or time or an unknown
        level.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        parts = _Parts(pool)
        for batch in _checked_batches(frame.lazy(), Path("<ratings frame>")):
            parts.add(batch)
        return parts.matrix()
