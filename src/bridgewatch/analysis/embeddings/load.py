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

from pathlib import Path

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


def _vote_expr(columns: set[str]) -> pl.Expr:
    """Vote from ``helpfulnessLevel``, else the legacy helpful / notHelpful flags
    (scoring-core.md §2.2); null when a row has no value."""
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
    level = pl.col("helpfulnessLevel").cast(pl.String)
    return (
        pl.when(level.is_null() | (level == ""))
        .then(legacy)
        .otherwise(level.replace_strict(_LEVEL_VOTE, default=None, return_dtype=pl.Int8))
    )


def _scan(path: Path) -> pl.LazyFrame:
    if path.suffix == ".parquet":
        return pl.scan_parquet(path)
    return pl.scan_csv(
        path, separator="\t", quote_char='"', infer_schema=False, raise_if_empty=False
    )


def _read_file(path: Path) -> pl.DataFrame:
    """``noteId``, ``raterParticipantId`` (String), ``createdAtMillis`` (Int64) and ``vote``
    (Int8) of the rows with a value."""
    return _checked(_scan(path), path)


def _checked(lazy: pl.LazyFrame, path: Path) -> pl.DataFrame:
    """The rows of ``lazy`` with a value, as :func:`_read_file` returns them; ``path`` names
    the source in errors."""
    columns = set(lazy.collect_schema().names())
    missing = [c for c in _KEYS if c not in columns]
    if missing:
        raise InputError("ratings file lacks the column", path=path, field=missing[0])
    if "helpfulnessLevel" not in columns and not {"helpful", "notHelpful"} <= columns:
        raise InputError(
            "ratings file has neither helpfulnessLevel nor helpful/notHelpful",
            path=path,
            field="helpfulnessLevel",
        )
    level = pl.col("helpfulnessLevel").cast(pl.String) if "helpfulnessLevel" in columns else None
    frame = lazy.select(
        pl.col("noteId").cast(pl.String),
        pl.col("raterParticipantId").cast(pl.String),
        pl.col("createdAtMillis").cast(pl.Int64, strict=False),
        _vote_expr(columns).alias("vote"),
        (
            (level.is_not_null() & (level != "") & ~level.is_in(list(_LEVEL_VOTE)))
            if level is not None
            else pl.lit(False)
        ).alias("badLevel"),
    ).collect()
    bad_level = frame["badLevel"]
    if bad_level.any():
        row = int(bad_level.arg_true()[0])
        raise InputError(
            f"unknown helpfulnessLevel (expected one of {', '.join(_LEVEL_VOTE)})",
            path=path,
            line=row + 2 if path.suffix != ".parquet" else None,
            field="helpfulnessLevel",
        )
    frame = frame.drop("badLevel").filter(pl.col("vote").is_not_null())
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
    return frame


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
    note_codes, rater_codes = IdInterner(), IdInterner()
    parts: dict[str, list[NDArray[np.generic]]] = {k: [] for k in ("r", "n", "v", "t")}
    for path in files:
        frame = _read_file(path)
        parts["n"].append(note_codes.codes(frame["noteId"]))
        parts["r"].append(rater_codes.codes(frame["raterParticipantId"]))
        parts["v"].append(frame["vote"].to_numpy().astype(np.int8))
        parts["t"].append(frame["createdAtMillis"].to_numpy().astype(np.int64))
        del frame

    def cat(key: str, dtype: type[np.generic]) -> NDArray[np.generic]:
        out = np.concatenate(parts[key]) if parts[key] else np.zeros(0, dtype=dtype)
        parts[key].clear()
        return out.astype(dtype, copy=False)

    return RatingMatrix(
        rater_ids=rater_codes.ids().to_numpy().astype(np.str_),
        note_ids=note_codes.ids().to_numpy().astype(np.str_),
        rater_idx=cat("r", np.int32),  # type: ignore[arg-type]
        note_idx=cat("n", np.int32),  # type: ignore[arg-type]
        votes=cat("v", np.int8),  # type: ignore[arg-type]
        created_at_ms=cat("t", np.int64),  # type: ignore[arg-type]
    )


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
    path = Path("<ratings frame>")
    rows = _checked(frame.lazy(), path)
    note_codes, rater_codes = IdInterner(), IdInterner()
    note_idx = note_codes.codes(rows["noteId"])
    rater_idx = rater_codes.codes(rows["raterParticipantId"])
    return RatingMatrix(
        rater_ids=rater_codes.ids().to_numpy().astype(np.str_),
        note_ids=note_codes.ids().to_numpy().astype(np.str_),
        rater_idx=rater_idx,
        note_idx=note_idx,
        votes=rows["vote"].to_numpy().astype(np.int8),
        created_at_ms=rows["createdAtMillis"].to_numpy().astype(np.int64),
    )
