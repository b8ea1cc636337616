"""Load the scorer's inputs: typed frames for the small files, columnar arrays for ratings.

:func:`load_dataset` is the one entry point the scorer and the command line use. Ratings go
straight from the TSV into :class:`~bridgewatch.model.Ratings` arrays. Clean TSV input takes
the streaming path (:mod:`bridgewatch.io.ratings_stream`: exact dense id codes per batch, no
frame of all ratings); anything else (bad rows, Parquet) takes the general reader, which maps
ids on 64-bit hashes (:mod:`bridgewatch.io.idmap`) and reports or skips bad rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch._allocator import release_free_heap
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
from bridgewatch.io.shard_ids import ShardIdCodes
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

# Rows of a Parquet file parsed at a time by the shard path: the parsed columns take ~160
# bytes per rating (the id strings most), so 10M-row files cost ~2 GB at once otherwise.
_PIECE_ROWS = 1 << 21


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


@dataclass
class _Shard:
    """One ratings file reduced to what the scorer keeps: int32 id codes of every row (for
    the duplicate check) and the value columns of the rows with a value (26 bytes per
    rating in all); ``keep`` marks the rows with a value, None when all have one."""

    n_rows: int
    note_codes: NDArray[np.int32]
    rater_codes: NDArray[np.int32]
    keep: NDArray[np.bool_] | None
    values: dict[str, NDArray[np.generic]]  # ``rating_value_exprs`` columns, createdAtMillis


def _pieces(sources: list[Path]) -> list[tuple[Path, tuple[int, int] | None]]:
    """The sources cut into pieces: Parquet files into ``_PIECE_ROWS`` rows (their row
    count is in the footer), other files whole."""
    pieces: list[tuple[Path, tuple[int, int] | None]] = []
    for source in sources:
        if source.suffix != ".parquet":
            pieces.append((source, None))
            continue
        try:
            n_rows = int(pl.scan_parquet(source).select(pl.len()).collect().item())
        except (pl.exceptions.PolarsError, OSError):
            pieces.append((source, None))  # read_table names the problem
            continue
        starts = range(0, max(n_rows, 1), _PIECE_ROWS)
        pieces.extend((source, (start, _PIECE_ROWS)) for start in starts)
    return pieces


def _read_shard(
    path: Path,
    rows: tuple[int, int] | None,
    codes: dict[str, ShardIdCodes],
    lenient: bool,
    skipped: list[SkippedRow],
) -> _Shard | None:
    """One piece of a sharded ratings table, or None on a 64-bit id hash collision."""
    result = read_table(
        path,
        schemas.RATINGS,
        lenient=lenient,
        skip_columns=_UNUSED_RATING_COLUMNS,
        parquet_rows=rows,
    )
    skipped.extend(result.skipped)
    frame = result.frame
    del result
    note_codes = codes["noteId"].add(frame["noteId"])
    rater_codes = codes["raterParticipantId"].add(frame["raterParticipantId"])
    if note_codes is None or rater_codes is None:
        return None
    values = frame.select(*rating_value_exprs(), pl.col("createdAtMillis"))
    del frame
    keep: NDArray[np.bool_] | None = values["helpful_num"].is_not_null().to_numpy()
    if keep is not None and keep.all():
        keep = None
    elif keep is not None:
        values = values.filter(pl.Series(keep))
    columns = {name: values[name].to_numpy() for name in values.columns}
    return _Shard(note_codes.shape[0], note_codes, rater_codes, keep, columns)


def _concat_and_release(shards: list[_Shard], name: str) -> NDArray[np.int32]:
    """The shards' ``name`` code arrays end to end; each shard's own copy is dropped as soon
    as it is copied, so the peak is one full column plus one shard's, not two full columns."""
    out = np.empty(sum(getattr(s, name).shape[0] for s in shards), dtype=np.int32)
    start = 0
    for shard in shards:
        part = getattr(shard, name)
        out[start : start + part.shape[0]] = part
        start += part.shape[0]
        setattr(shard, name, part[:0])
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


def _has_repeated_pairs(note_codes: NDArray[np.int32], rater_codes: NDArray[np.int32]) -> bool:
    """Whether two rows share a (rater, note) pair: codes are exact, so this is exact."""
    pairs = rater_codes.astype(np.int64)
    pairs *= max(int(note_codes.max(initial=0)) + 1, 1)
    pairs += note_codes
    pairs.sort()
    return bool(np.any(pairs[1:] == pairs[:-1]))


def _to_positions(codes: NDArray[np.int32], positions: NDArray[np.int32]) -> NDArray[np.int32]:
    """``positions[codes]``, written over ``codes`` a block at a time (no second array)."""
    block = 1 << 20
    for start in range(0, codes.shape[0], block):
        part = codes[start : start + block]
        part[:] = positions[part]
    return codes


def _load_sharded_ratings(
    sources: list[Path],
    notes: pl.DataFrame,
    nsh: pl.DataFrame,
    enrollment: pl.DataFrame,
    lenient: bool,
    skipped: list[SkippedRow],
) -> Ratings | None:
    """Ratings of a directory of shards, one shard's parsed columns in memory at a time.

    Parquet files are read ``_PIECE_ROWS`` rows at a time, other files whole. Each piece is
    reduced to int32 id codes (:class:`ShardIdCodes`, shared over the pieces) and its value
    columns before the next is read, so the ~160 bytes per rating of the parsed columns
    exist for one piece only, and there are no per-shard tables of id strings. Returns None
    (the caller then reads the whole table at once) when two rows share a (rater, note)
    pair, which needs the full rows to tell identical from conflicting duplicates, or when
    two ids share a 64-bit key; otherwise the result is the one the whole-table path gives.
    """
    codes = {c: ShardIdCodes() for c in _ID_COLUMNS}
    shards: list[_Shard] = []
    shard_skipped: list[SkippedRow] = []
    for source, rows in _pieces(sources):
        shard = _read_shard(source, rows, codes, lenient, shard_skipped)
        if shard is None:
            _log.info("64-bit id hash collision in %s; reading the table at once", source)
            return None
        shards.append(shard)
    note_codes = _concat_and_release(shards, "note_codes")
    rater_codes = _concat_and_release(shards, "rater_codes")
    n_rows = note_codes.shape[0]
    if _has_repeated_pairs(note_codes, rater_codes):
        _log.info("repeated (rater, note) keys across shards; reading the table at once")
        return None
    skipped.extend(shard_skipped)
    if any(s.keep is not None for s in shards):
        keep = np.concatenate(
            [np.ones(s.n_rows, np.bool_) if s.keep is None else s.keep for s in shards]
        )
        note_codes, rater_codes = note_codes[keep], rater_codes[keep]
        del keep
    values = _concat_values_and_release(shards)
    del shards
    n_kept = int(values["helpful_num"].shape[0]) if values else 0
    if n_rows > n_kept:
        _log.info("dropping %d ratings with no helpfulness value", n_rows - n_kept)
    note_distinct = codes["noteId"].ids()
    rater_distinct = codes["raterParticipantId"].ids()
    del codes
    note_rows = sorted_union(notes["noteId"], nsh["noteId"], note_distinct)
    participant_rows = sorted_union(
        rater_distinct,
        notes["noteAuthorParticipantId"],
        nsh["noteAuthorParticipantId"],
        enrollment["participantId"],
    )
    note_idx = _to_positions(note_codes, positions_in_index(note_distinct, note_rows))
    rater_idx = _to_positions(rater_codes, positions_in_index(rater_distinct, participant_rows))
    ratings = _from_values(
        values, note_idx, rater_idx, id_index(note_rows), id_index(participant_rows)
    )
    release_free_heap()  # the pieces' freed temporaries (~110 MB kept at 10M otherwise)
    return ratings


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
    """Ratings as arrays via the general reader, one file at a time when it can be (see
    :func:`_load_sharded_ratings`; a single file too: it then holds 26 bytes per rating
    where the whole-table read below holds every parsed column); else the whole table at
    once, with ids as 64-bit keys and distinct-id tables."""
    sources = source_files(path)
    if sources:
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
