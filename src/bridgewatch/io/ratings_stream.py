"""Ratings TSV -> compact columns in one streaming pass (the fast path of ``load_dataset``).

polars' streaming engine parses the TSV files in batches (only the columns the scorer needs,
on every core) and derives the model's columns in the same query: the helpfulness value,
level, tag bit-sets and the population-sampled flag. Each batch's note and rater ids become
exact dense codes (:class:`~bridgewatch.io.intern.IdInterner`) before the next batch is read,
so id strings never all sit in memory.

Identical duplicates are dropped and conflicting ones reported exactly as
:func:`~bridgewatch.io.readers.drop_duplicate_ratings` does on the full frame: each row keeps
its timestamp, ``version`` and a 64-bit word that packs every other parsed column exactly
(2 bits per 0/1 flag and per enum), and duplicates are compared on those.

This path only takes clean input. A row of the wrong shape (short, long, a NUL byte; see
:mod:`~bridgewatch.io.row_shape`) raises, naming its line. On anything else unusual (a field
that does not parse, an empty key field, a flag other than 0/1, a Parquet shard, or a bad
row in lenient mode) :func:`stream_ratings` returns ``None``
and the caller reads the files with the general reader, which reports the bad rows (or, in
lenient mode, skips them) by file, line and field.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.io import schemas
from bridgewatch.io.intern import IdInterner
from bridgewatch.io.rating_kernels import FLAG_NULL, LEVEL_NULL, derive_columns, repeated_pairs
from bridgewatch.io.read import (
    FILE_COL,
    LINE_COL,
    SkippedRow,
    _layout,
    _members,
    _read_header,
    source_files,
)
from bridgewatch.io.readers import drop_duplicate_ratings
from bridgewatch.io.row_shape import check_row_shape
from bridgewatch.model.columns import HELPFUL_TAGS, NOT_HELPFUL_TAGS

__all__ = ["RatingColumns", "rating_value_exprs", "stream_ratings"]

_log = logging.getLogger(__name__)

# Rows per batch handed to Python: large enough that per-batch overhead is negligible, small
# enough that a batch's id strings stay a few tens of MB.
_BATCH_ROWS = 1 << 18

# The 0/1 flag columns, in the column order of derive_columns' ``flags``.
_FLAGS = ("helpful", "notHelpful", "agree", "disagree", *HELPFUL_TAGS, *NOT_HELPFUL_TAGS)


class _Unusual(Exception):
    """The input needs the general reader."""


@dataclass(frozen=True)
class RatingColumns:
    """Ratings with a value, in file order, with ids as dense codes.

    Parameters
    ----------
    note_code, rater_code : int32 arrays of shape (n,); positions in ``note_ids`` /
        ``rater_ids``.
    note_ids, rater_ids : String series; the distinct ids of the rows read (duplicates
        and value-less rows included), in first-seen order.
    helpful_num : float32 (n,), 1.0 / 0.5 / 0.0.
    helpfulness_level : int8 (n,), 0 / 1 / 2, -1 where only the legacy columns were set.
    created_at_ms : int64 (n,), milliseconds since the epoch.
    helpful_tags, not_helpful_tags : uint16 (n,), bit i = tag i of ``HELPFUL_TAGS`` /
        ``NOT_HELPFUL_TAGS`` set to 1.
    population_sampled : bool (n,).
    """

    note_code: NDArray[np.int32]
    rater_code: NDArray[np.int32]
    note_ids: pl.Series
    rater_ids: pl.Series
    helpful_num: NDArray[np.float32]
    helpfulness_level: NDArray[np.int8]
    created_at_ms: NDArray[np.int64]
    helpful_tags: NDArray[np.uint16]
    not_helpful_tags: NDArray[np.uint16]
    population_sampled: NDArray[np.bool_]


def _tag_bits(tags: tuple[str, ...]) -> pl.Expr:
    # Missing tag values count as 0 (scoring-core.md §2.5).
    return pl.sum_horizontal(
        (pl.col(tag) == 1).fill_null(False).cast(pl.UInt16) * (1 << bit)
        for bit, tag in enumerate(tags)
    ).cast(pl.UInt16)


def rating_value_exprs() -> list[pl.Expr]:
    """Expressions for the model's columns from a ``RATINGS`` frame (scoring-core.md §2.2):
    ``helpful_num`` (Float32, null without a value), ``helpfulness_level`` (Int8, -1 for
    legacy-only rows), ``helpful_tags`` / ``not_helpful_tags`` (UInt16 bit-sets) and
    ``population_sampled`` (Boolean)."""
    level = pl.col("helpfulnessLevel").to_physical().cast(pl.Int8)
    # Later rules overwrite earlier ones, so test them in reverse.
    helpful_num = (
        pl.when(level.is_not_null())
        .then(level.cast(pl.Float32) * 0.5)
        .when(pl.col("notHelpful") == 1)
        .then(pl.lit(0.0, dtype=pl.Float32))
        .when(pl.col("helpful") == 1)
        .then(pl.lit(1.0, dtype=pl.Float32))
        .otherwise(pl.lit(None, dtype=pl.Float32))
    )
    return [
        helpful_num.alias("helpful_num"),
        level.fill_null(-1).alias("helpfulness_level"),
        _tag_bits(HELPFUL_TAGS).alias("helpful_tags"),
        _tag_bits(NOT_HELPFUL_TAGS).alias("not_helpful_tags"),
        (pl.col("ratingSourceBucketed").to_physical() == 1)
        .fill_null(False)
        .alias("population_sampled"),
    ]


def _query(path: Path, header: list[str], read: dict[str, str]) -> pl.LazyFrame:
    """The per-file streaming query; ``read`` maps header names to canonical names."""
    dtypes = {c.name: c.dtype for c in schemas.RATINGS.columns}
    overrides = {h: dtypes[c] for h, c in read.items()}
    lazy = pl.scan_csv(
        path,
        separator="\t",
        has_header=True,
        new_columns=header,
        quote_char='"',
        schema_overrides=overrides,
        infer_schema=False,
        raise_if_empty=False,
    )
    present = set(read.values())
    columns = [pl.col(h).alias(c) for h, c in read.items()] + [
        pl.lit(None, dtype=dtypes[c.name]).alias(c.name)
        for c in schemas.RATINGS.columns
        if c.name not in present
    ]
    return lazy.select(columns).select(
        "noteId",
        "raterParticipantId",
        "createdAtMillis",
        pl.col("version").fill_null(0),
        pl.col("version").is_null().alias("version_null"),
        pl.col("helpfulnessLevel").to_physical().cast(pl.Int8).fill_null(LEVEL_NULL),
        pl.col("ratingSourceBucketed").to_physical().cast(pl.Int8).fill_null(LEVEL_NULL),
        *_FLAGS,
    )


@dataclass
class _Parts:
    """Per-batch arrays, concatenated at the end."""

    note: list[NDArray[np.int32]]
    rater: list[NDArray[np.int32]]
    created: list[NDArray[np.int64]]
    version: list[NDArray[np.int64]]
    content: list[NDArray[np.uint64]]
    helpful_num: list[NDArray[np.float32]]
    level: list[NDArray[np.int8]]
    helpful_tags: list[NDArray[np.uint16]]
    not_helpful_tags: list[NDArray[np.uint16]]
    sampled: list[NDArray[np.bool_]]


def _add_batch(batch: pl.DataFrame, parts: _Parts, notes: IdInterner, raters: IdInterner) -> None:
    keys = ("noteId", "raterParticipantId", "createdAtMillis")
    if any(batch[k].null_count() for k in keys):
        raise _Unusual
    n_null = sum(batch[f].null_count() for f in _FLAGS)
    flags = batch.select(pl.col(_FLAGS).fill_null(FLAG_NULL)).to_numpy()
    (
        helpful_num,
        level,
        helpful_tags,
        not_helpful_tags,
        sampled,
        content,
        n_flag_null,
        n_bad,
    ) = derive_columns(
        flags,
        batch["helpfulnessLevel"].to_numpy(),
        batch["ratingSourceBucketed"].to_numpy(),
        batch["version_null"].to_numpy(),
        len(HELPFUL_TAGS),
        len(NOT_HELPFUL_TAGS),
    )
    # A flag written as 2 would read as empty: the counts of empty fields tell them apart.
    if n_bad or n_flag_null != n_null:
        raise _Unusual
    parts.note.append(notes.codes(batch["noteId"]))
    parts.rater.append(raters.codes(batch["raterParticipantId"]))
    parts.created.append(batch["createdAtMillis"].to_numpy())
    parts.version.append(batch["version"].to_numpy())
    parts.content.append(content)
    parts.helpful_num.append(helpful_num)
    parts.level.append(level)
    parts.helpful_tags.append(helpful_tags)
    parts.not_helpful_tags.append(not_helpful_tags)
    parts.sampled.append(sampled)


def _cat(chunks: Sequence[NDArray[Any]], dtype: type[np.generic]) -> NDArray[Any]:
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=dtype)


def _duplicates(
    parts: dict[str, NDArray[np.generic]],
    n_notes: int,
    file_starts: NDArray[np.int64],
    files: tuple[str, ...],
    ids: dict[str, pl.Series],
    lenient: bool,
    skipped: list[SkippedRow],
) -> NDArray[np.int64]:
    """Rows to drop: identical duplicates after the first, and (lenient) conflicting ones."""
    rater = parts["rater"].astype(np.int32, copy=False)
    note = parts["note"].astype(np.int32, copy=False)
    repeated = repeated_pairs(rater, note, len(ids["raterParticipantId"]), n_notes)
    if not repeated.any():
        return np.zeros(0, dtype=np.int64)
    rows = np.flatnonzero(repeated)
    pair = rater[rows].astype(np.int64) * max(n_notes, 1) + note[rows]
    file_idx = np.searchsorted(file_starts, rows, side="right") - 1
    frame = pl.DataFrame(
        {
            FILE_COL: pl.Series(file_idx, dtype=pl.UInt32),
            LINE_COL: rows - file_starts[file_idx] + 2,
            "__pos": rows,
            "noteId": parts["note"][rows].astype(np.int64),
            "raterParticipantId": parts["rater"][rows].astype(np.int64),
            "createdAtMillis": parts["created"][rows],
            "version": parts["version"][rows],
            "content": parts["content"][rows],
        }
    )
    id_text = {
        column: pl.DataFrame({"key": np.arange(len(s), dtype=np.int64), "id": s})
        for column, s in ids.items()
    }
    kept = drop_duplicate_ratings(
        frame,
        files,
        lenient=lenient,
        skipped=skipped,
        pair_keys=pair.view(np.uint64),
        id_text=id_text,
    )
    return np.setdiff1d(rows, kept["__pos"].to_numpy())


def stream_ratings(
    path: str | Path,
    *,
    lenient: bool = False,
    skipped: list[SkippedRow] | None = None,
    skip_columns: Collection[str] = (),
) -> RatingColumns | None:
    """Read ratings TSVs (a file, zip, or directory of shards) into :class:`RatingColumns`.

    Identical duplicate ratings are dropped (keeping the first), ratings with no value too.
    Returns ``None`` when the input needs the general reader (see the module docstring);
    nothing is appended to ``skipped`` then.

    Raises
    ------
    InputError
        A header problem (missing required column, a column twice), or two conflicting
        ratings for one (rater, note) (lenient: those ratings are skipped and appended to
        ``skipped``).
    """
    notes, raters = IdInterner(), IdInterner()
    parts = _Parts([], [], [], [], [], [], [], [], [], [])
    files: list[str] = []
    file_starts = [0]
    warned: set[str] = set()
    try:
        for source in source_files(path):
            with _members(source) as members:
                for display, local in members:
                    if local.suffix != ".tsv":
                        raise _Unusual
                    header = _read_header(display, local)
                    layout = _layout(display, header, schemas.RATINGS, warned, skip_columns)
                    # Strict: a row of the wrong shape raises here, naming its line.
                    if check_row_shape(display, local, header, lenient=lenient).bad:
                        raise _Unusual
                    read = {h: c.name for h, c in layout.read.items()}
                    query = _query(local, header, read)
                    rows = 0
                    for batch in query.collect_batches(chunk_size=_BATCH_ROWS):
                        _add_batch(batch, parts, notes, raters)
                        rows += batch.height
                    files.append(display)
                    file_starts.append(file_starts[-1] + rows)
    except (_Unusual, pl.exceptions.PolarsError) as exc:
        _log.debug("ratings need the general reader: %r", exc)
        return None
    arrays: dict[str, NDArray[np.generic]] = {
        "note": _cat(parts.note, np.int32),
        "rater": _cat(parts.rater, np.int32),
        "created": _cat(parts.created, np.int64),
        "version": _cat(parts.version, np.int64),
        "content": _cat(parts.content, np.uint64),
        "helpful_num": _cat(parts.helpful_num, np.float32),
        "level": _cat(parts.level, np.int8),
        "helpful_tags": _cat(parts.helpful_tags, np.uint16),
        "not_helpful_tags": _cat(parts.not_helpful_tags, np.uint16),
        "sampled": _cat(parts.sampled, np.bool_),
    }
    del parts
    ids = {"noteId": notes.ids(), "raterParticipantId": raters.ids()}
    bad: list[SkippedRow] = []
    drop = _duplicates(
        arrays,
        len(notes),
        np.asarray(file_starts, dtype=np.int64),
        tuple(files),
        ids,
        lenient,
        bad,
    )
    if skipped is not None:
        skipped.extend(bad)
    del arrays["version"], arrays["content"]
    keep = ~np.isnan(arrays["helpful_num"])
    n_no_value = int(keep.size - keep.sum())
    if n_no_value:
        _log.info("dropping %d ratings with no helpfulness value", n_no_value)
    keep[drop] = False
    if not keep.all():
        arrays = {k: v[keep] for k, v in arrays.items()}
    return RatingColumns(
        note_code=arrays["note"].astype(np.int32, copy=False),
        rater_code=arrays["rater"].astype(np.int32, copy=False),
        note_ids=ids["noteId"],
        rater_ids=ids["raterParticipantId"],
        helpful_num=arrays["helpful_num"].astype(np.float32, copy=False),
        helpfulness_level=arrays["level"].astype(np.int8, copy=False),
        created_at_ms=arrays["created"].astype(np.int64, copy=False),
        helpful_tags=arrays["helpful_tags"].astype(np.uint16, copy=False),
        not_helpful_tags=arrays["not_helpful_tags"].astype(np.uint16, copy=False),
        population_sampled=arrays["sampled"].astype(np.bool_, copy=False),
    )
