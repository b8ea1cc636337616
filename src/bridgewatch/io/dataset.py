"""Load the scorer's inputs: typed frames for the small files, columnar arrays for ratings.

:func:`load_dataset` is the one entry point the scorer and the command line use. Ratings go
straight from the TSV into :class:`~bridgewatch.model.Ratings` arrays. Clean TSV input takes
the streaming path (:mod:`bridgewatch.io.ratings_stream`: exact dense id codes per batch, no
frame of all ratings); anything else (bad rows, Parquet) takes the general reader, which maps
ids on 64-bit hashes (:mod:`bridgewatch.io.idmap`) and reports or skips bad rows.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.io import schemas
from bridgewatch.io.idmap import (
    HashedIds,
    hash_ids,
    id_index,
    positions_in_index,
    rows_in_index,
    sorted_union,
)
from bridgewatch.io.ratings_stream import RatingColumns, rating_value_exprs, stream_ratings
from bridgewatch.io.read import FILE_COL, LINE_COL, read_table, source_files
from bridgewatch.io.readers import (
    drop_duplicate_ratings,
    read_note_status_history,
    read_notes,
    read_user_enrollment,
    require_rating_values,
)
from bridgewatch.io.schema import Schema
from bridgewatch.model import IdIndex, Ratings
from bridgewatch.model.dataset import Dataset, SkippedRow

__all__ = ["Dataset", "load_dataset", "ratings_from_frame"]

_log = logging.getLogger(__name__)

# Odd 64-bit constant (golden ratio) that mixes rater and note keys into one pair key.
_MIX = 0x9E3779B97F4A7C15

_ID_COLUMNS = ("noteId", "raterParticipantId")

# Never parsed by load_dataset: the scorer does not use them, and skipping the string columns
# saves a sixth of the parse time. Identical-duplicate detection therefore compares the other
# 32 columns.
_UNUSED_RATING_COLUMNS = ("ratedOnTweetId", "suggestion", "suggestionId")


def ratings_from_frame(frame: pl.DataFrame, note_ids: IdIndex, participant_ids: IdIndex) -> Ratings:
    """Columnar :class:`Ratings` of the ratings in ``frame`` that have a value.

    Parameters
    ----------
    frame : ratings with the ``RATINGS`` schema's columns (String or Categorical ids).
    note_ids, participant_ids : indexes that contain every note and rater id in ``frame``.

    Returns
    -------
    The ratings with a value (scoring-core.md §2.2), in ``frame`` order. ``helpful_num`` is
    1.0 / 0.5 / 0.0; ``helpfulness_level`` -1 where only the legacy columns were set.
    """
    note_rows = pl.Series(note_ids.ids.tolist(), dtype=pl.String)
    participant_rows = pl.Series(participant_ids.ids.tolist(), dtype=pl.String)
    return _ratings(
        frame,
        rows_in_index(hash_ids(frame["noteId"]), note_rows),
        rows_in_index(hash_ids(frame["raterParticipantId"]), participant_rows),
        note_ids,
        participant_ids,
    )


def _ratings(
    frame: pl.DataFrame,
    note_idx: NDArray[np.int32],
    rater_idx: NDArray[np.int32],
    note_ids: IdIndex,
    participant_ids: IdIndex,
) -> Ratings:
    values = frame.select(*rating_value_exprs(), pl.col("createdAtMillis"))
    keep = values["helpful_num"].is_not_null()
    n_dropped = frame.height - int(keep.sum())
    if n_dropped:
        _log.info("dropping %d ratings with no helpfulness value", n_dropped)
        values = values.filter(keep)
        mask = keep.to_numpy()
        note_idx, rater_idx = note_idx[mask], rater_idx[mask]
    return _from_values(values, note_idx, rater_idx, note_ids, participant_ids)


def _from_values(
    values: pl.DataFrame | dict[str, NDArray[np.generic]],
    note_idx: NDArray[np.int32],
    rater_idx: NDArray[np.int32],
    note_ids: IdIndex,
    participant_ids: IdIndex,
) -> Ratings:
    """``Ratings`` from the ``rating_value_exprs`` columns (rows with a value) and the indexes."""
    if (note_idx < 0).any() or (rater_idx < 0).any():
        raise InputError("a rating refers to a note or rater missing from the id index")

    def column(name: str, dtype: type[np.generic]) -> NDArray[Any]:
        return np.asarray(values[name]).astype(dtype, copy=False)

    return Ratings(
        note_idx=note_idx,
        rater_idx=rater_idx,
        helpful_num=column("helpful_num", np.float32),
        helpfulness_level=column("helpfulness_level", np.int8),
        created_at_ms=column("createdAtMillis", np.int64),
        helpful_tags=column("helpful_tags", np.uint16),
        not_helpful_tags=column("not_helpful_tags", np.uint16),
        population_sampled=column("population_sampled", np.bool_),
        note_ids=note_ids,
        participant_ids=participant_ids,
    )


def _empty(schema: Schema) -> pl.DataFrame:
    return pl.DataFrame(schema=schema.polars_schema)


@dataclass(frozen=True)
class _Shard:
    """One ratings file reduced to what the scorer keeps (~42 bytes per rating).

    ``pair_keys`` covers every row (for the duplicate check); the other fields only the
    rows with a value. ``distinct`` holds fresh copies of the id strings: a filtered
    String column still points into the buffers of the whole parsed column, which kept ~40
    more bytes per rating alive per shard (at 150M ratings, ~6 GB of the load peak).
    """

    pair_keys: NDArray[np.uint64]
    note_keys: NDArray[np.uint64]
    rater_keys: NDArray[np.uint64]
    values: dict[str, NDArray[np.generic]]  # ``rating_value_exprs`` columns, createdAtMillis
    distinct: dict[str, pl.DataFrame]  # per id column: ``key`` and ``id``


def _read_shard(path: Path, lenient: bool, skipped: list[SkippedRow]) -> _Shard | None:
    """One file of a sharded ratings table, or None on a 64-bit id hash collision."""
    result = read_table(
        path,
        schemas.RATINGS,
        lenient=lenient,
        skip_columns=_UNUSED_RATING_COLUMNS,
        hash_columns=_ID_COLUMNS,
    )
    if any(bool(result.hashed[c]["collision"].any()) for c in _ID_COLUMNS):
        return None
    skipped.extend(result.skipped)
    # Fresh string buffers: a filtered String column still points into the whole parsed
    # column's buffers (~40 bytes per rating over two id columns otherwise kept per shard).
    distinct = {
        c: pl.DataFrame(
            {
                "key": result.hashed[c]["key"],
                "id": pl.Series("id", result.hashed[c]["id"].to_list(), dtype=pl.String),
            }
        )
        for c in _ID_COLUMNS
    }
    frame = result.frame
    del result
    notes, raters = frame["noteId"].to_numpy(), frame["raterParticipantId"].to_numpy()
    pair_keys = raters * np.uint64(_MIX) ^ notes
    values = frame.select(*rating_value_exprs(), pl.col("createdAtMillis"))
    del frame
    keep = values["helpful_num"].is_not_null().to_numpy()
    if not keep.all():
        notes, raters = notes[keep], raters[keep]
        values = values.filter(pl.Series(keep))
    columns = {name: values[name].to_numpy() for name in values.columns}
    return _Shard(pair_keys, notes, raters, columns, distinct)


def _concat_and_release(shards: list[_Shard], name: str) -> NDArray[np.uint64]:
    """The shards' ``name`` arrays end to end; each shard's own copy is dropped as soon as
    it is copied, so the peak is one full column plus one shard's, not two full columns."""
    out = np.empty(sum(getattr(s, name).shape[0] for s in shards), dtype=np.uint64)
    start = 0
    for i, shard in enumerate(shards):
        part = getattr(shard, name)
        out[start : start + part.shape[0]] = part
        start += part.shape[0]
        shards[i] = dataclasses.replace(shard, **{name: part[:0]})
    return out


def _concat_values_and_release(shards: list[_Shard]) -> dict[str, NDArray[np.generic]]:
    """The shards' value columns end to end, one column at a time (each shard's column is
    dropped once copied), so the peak holds one extra column, not a second copy of all."""
    names = list(shards[0].values) if shards else []
    out: dict[str, NDArray[np.generic]] = {}
    for name in names:
        out[name] = np.concatenate([s.values[name] for s in shards])
        for shard in shards:
            del shard.values[name]
    return out


def _load_sharded_ratings(
    sources: list[Path],
    notes: pl.DataFrame,
    nsh: pl.DataFrame,
    enrollment: pl.DataFrame,
    lenient: bool,
    skipped: list[SkippedRow],
) -> Ratings | None:
    """Ratings of a directory of shards, one shard's parsed columns in memory at a time.

    Each shard is reduced to its value columns and 64-bit id keys before the next is read,
    so the ~80 bytes per rating of the parsed columns never exist for all shards at once.
    Returns None (the caller then reads the whole table at once) when two rows share a
    (rater, note) key, which needs the full rows to tell identical from conflicting
    duplicates, or when two ids share a 64-bit key across shards; otherwise the result is
    the one the whole-table path gives.
    """
    shards: list[_Shard] = []
    shard_skipped: list[SkippedRow] = []
    for source in sources:
        shard = _read_shard(source, lenient, shard_skipped)
        if shard is None:
            return None
        shards.append(shard)
    pair_keys = np.concatenate([s.pair_keys for s in shards])
    n_rows = pair_keys.shape[0]
    shards = [dataclasses.replace(s, pair_keys=pair_keys[:0]) for s in shards]
    pair_keys.sort()
    if bool(np.any(pair_keys[1:] == pair_keys[:-1])):
        _log.info("repeated (rater, note) keys across shards; reading the table at once")
        return None
    del pair_keys
    distinct: dict[str, pl.DataFrame] = {}
    for c in _ID_COLUMNS:
        table = pl.concat([s.distinct[c] for s in shards]).unique(maintain_order=True)
        if table["key"].n_unique() != table.height:
            _log.info("64-bit %s hash collision across shards; reading the table at once", c)
            return None
        distinct[c] = table
    skipped.extend(shard_skipped)
    note_keys = pl.Series(_concat_and_release(shards, "note_keys"))
    rater_keys = pl.Series(_concat_and_release(shards, "rater_keys"))
    values = _concat_values_and_release(shards)
    del shards
    n_kept = int(values["helpful_num"].shape[0]) if values else 0
    if n_rows > n_kept:
        _log.info("dropping %d ratings with no helpfulness value", n_rows - n_kept)
    note_rows = sorted_union(notes["noteId"], nsh["noteId"], distinct["noteId"]["id"])
    participant_rows = sorted_union(
        distinct["raterParticipantId"]["id"],
        notes["noteAuthorParticipantId"],
        nsh["noteAuthorParticipantId"],
        enrollment["participantId"],
    )
    note_idx = rows_in_index(HashedIds(note_keys, distinct["noteId"]), note_rows)
    del note_keys
    rater_idx = rows_in_index(
        HashedIds(rater_keys, distinct["raterParticipantId"]), participant_rows
    )
    del rater_keys
    return _from_values(
        values, note_idx, rater_idx, id_index(note_rows), id_index(participant_rows)
    )


def _load_ratings(
    path: str | Path,
    notes: pl.DataFrame,
    nsh: pl.DataFrame,
    enrollment: pl.DataFrame,
    lenient: bool,
    skipped: list[SkippedRow],
) -> Ratings:
    """Ratings as arrays: the streaming fast path for clean TSV input, else the general
    reader (which reports or skips bad rows)."""
    columns = stream_ratings(
        path, lenient=lenient, skipped=skipped, skip_columns=_UNUSED_RATING_COLUMNS
    )
    if columns is None:
        ratings = _load_ratings_general(path, notes, nsh, enrollment, lenient, skipped)
    else:
        ratings = _ratings_from_columns(columns, notes, nsh, enrollment)
    if ratings.n_ratings == 0:
        # Rare and small: read again to tell an empty file from one with no values.
        result = read_table(
            path, schemas.RATINGS, lenient=lenient, skip_columns=_UNUSED_RATING_COLUMNS
        )
        require_rating_values(path, result.frame.height, 0, result.absent)
    return ratings


def _ratings_from_columns(
    columns: RatingColumns, notes: pl.DataFrame, nsh: pl.DataFrame, enrollment: pl.DataFrame
) -> Ratings:
    note_rows = sorted_union(notes["noteId"], nsh["noteId"], columns.note_ids)
    participant_rows = sorted_union(
        columns.rater_ids,
        notes["noteAuthorParticipantId"],
        nsh["noteAuthorParticipantId"],
        enrollment["participantId"],
    )
    note_pos = positions_in_index(columns.note_ids, note_rows)
    rater_pos = positions_in_index(columns.rater_ids, participant_rows)
    return Ratings(
        note_idx=note_pos[columns.note_code],
        rater_idx=rater_pos[columns.rater_code],
        helpful_num=columns.helpful_num,
        helpfulness_level=columns.helpfulness_level,
        created_at_ms=columns.created_at_ms,
        helpful_tags=columns.helpful_tags,
        not_helpful_tags=columns.not_helpful_tags,
        population_sampled=columns.population_sampled,
        note_ids=id_index(note_rows),
        participant_ids=id_index(participant_rows),
    )


def _load_ratings_general(
    path: str | Path,
    notes: pl.DataFrame,
    nsh: pl.DataFrame,
    enrollment: pl.DataFrame,
    lenient: bool,
    skipped: list[SkippedRow],
) -> Ratings:
    """Ratings as arrays via the general reader: ids arrive as 64-bit keys with distinct-id
    tables; a directory of several files is reduced one file at a time when it can be."""
    sources = source_files(path)
    if len(sources) > 1:
        streamed = _load_sharded_ratings(sources, notes, nsh, enrollment, lenient, skipped)
        if streamed is not None:
            return streamed
    result = read_table(
        path,
        schemas.RATINGS,
        lenient=lenient,
        line_numbers=True,
        skip_columns=_UNUSED_RATING_COLUMNS,
        hash_columns=_ID_COLUMNS,
    )
    if any(bool(result.hashed[c]["collision"].any()) for c in _ID_COLUMNS):
        _log.info("64-bit id hash collision; reading the ratings again with exact ids")
        result = read_table(
            path,
            schemas.RATINGS,
            lenient=lenient,
            line_numbers=True,
            skip_columns=_UNUSED_RATING_COLUMNS,
        )
        exact = {c: hash_ids(result.frame[c]) for c in _ID_COLUMNS}
        frame = result.frame.with_columns(exact[c].keys.alias(c) for c in _ID_COLUMNS)
        distinct = {c: exact[c].distinct for c in _ID_COLUMNS}
    else:
        frame = result.frame
        distinct = {c: result.hashed[c].select("key", "id") for c in _ID_COLUMNS}
    skipped.extend(result.skipped)
    files = result.files
    del result
    # With collision-free keys, equal keys mean equal ids, so duplicates can be found on them.
    pair_keys = frame["raterParticipantId"].to_numpy() * np.uint64(_MIX) ^ (
        frame["noteId"].to_numpy()
    )
    frame = drop_duplicate_ratings(
        frame, files, lenient=lenient, skipped=skipped, pair_keys=pair_keys, id_text=distinct
    )
    del pair_keys
    frame = frame.drop(FILE_COL, LINE_COL)
    note_rows = sorted_union(notes["noteId"], nsh["noteId"], distinct["noteId"]["id"])
    participant_rows = sorted_union(
        distinct["raterParticipantId"]["id"],
        notes["noteAuthorParticipantId"],
        nsh["noteAuthorParticipantId"],
        enrollment["participantId"],
    )
    note_ids = id_index(note_rows)
    participant_ids = id_index(participant_rows)
    note_idx = rows_in_index(HashedIds(frame["noteId"], distinct["noteId"]), note_rows)
    rater_idx = rows_in_index(
        HashedIds(frame["raterParticipantId"], distinct["raterParticipantId"]), participant_rows
    )
    frame = frame.drop(*_ID_COLUMNS)
    return _ratings(frame, note_idx, rater_idx, note_ids, participant_ids)


def load_dataset(
    *,
    notes: str | Path,
    ratings: str | Path,
    status_history: str | Path | None = None,
    enrollment: str | Path | None = None,
    lenient: bool = False,
    on_notes: Callable[[pl.DataFrame], None] | None = None,
) -> Dataset:
    """Read and validate a scoring run's inputs (scoring-core.md §2.1, §2.2).

    Parameters
    ----------
    notes : notes file (TSV, zip, Parquet) or directory of shards.
    ratings : ratings file, downloaded zip, or directory of shards.
    status_history : note status history (24- or 23-column layout), if any.
    enrollment : user enrollment, if any.
    lenient : skip bad rows (reported in ``Dataset.skipped`` and the log) instead of raising.
    on_notes : called with the notes frame as soon as it is read, before the ratings (which
        take most of the time), so that work on the notes alone can overlap their loading.

    Returns
    -------
    The typed frames, the ratings as arrays (identical duplicate rows dropped, ratings with no
    value dropped), and the note and participant id indexes. ``ratedOnTweetId``,
    ``suggestion`` and ``suggestionId`` are not read, so two ratings that differ only there
    count as identical duplicates.

    Memory: clean TSV ratings are parsed in batches whose id strings become int32 codes
    before the next batch is read, so peak memory is ~60 bytes per rating while parsing and
    ~30 bytes per rating in the result (10M ratings: 1.3 GiB peak). The general reader,
    taken for input with bad rows or Parquet, needs about twice that.

    Raises
    ------
    InputError
        Bad input, naming the file, line and field (see :func:`bridgewatch.io.read_table`),
        including two conflicting ratings for one (rater, note), and ratings of which none
        has a value (``helpfulnessLevel`` missing and no legacy helpful/notHelpful 1).
    """
    skipped: list[SkippedRow] = []
    notes_frame = read_notes(notes, lenient=lenient, skipped=skipped)
    if on_notes is not None:
        on_notes(notes_frame)
    nsh_frame = (
        read_note_status_history(status_history, lenient=lenient, skipped=skipped)
        if status_history is not None
        else _empty(schemas.NOTE_STATUS_HISTORY)
    )
    enrollment_frame = (
        read_user_enrollment(enrollment, lenient=lenient, skipped=skipped)
        if enrollment is not None
        else _empty(schemas.USER_ENROLLMENT)
    )
    ratings_arrays = _load_ratings(
        ratings, notes_frame, nsh_frame, enrollment_frame, lenient, skipped
    )
    note_ids, participant_ids = ratings_arrays.note_ids, ratings_arrays.participant_ids
    _log.info(
        "loaded %d ratings on %d notes by %d participants",
        ratings_arrays.n_ratings,
        len(note_ids),
        len(participant_ids),
    )
    return Dataset(
        notes=notes_frame,
        status_history=nsh_frame,
        enrollment=enrollment_frame,
        ratings=ratings_arrays,
        note_ids=note_ids,
        participant_ids=participant_ids,
        skipped=tuple(skipped),
    )
