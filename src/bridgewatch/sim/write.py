"""Write a synthetic community as the public TSV files plus its ground truth.

Layout of ``out_dir``::

    notes-00000.tsv  ratings-00000.tsv  noteStatusHistory-00000.tsv  userEnrollment-00000.tsv
    noteRequests-00000.tsv  posts-00000.tsv  truth/notes.tsv  truth/raters.tsv
    truth/config.json

as in the fixtures' ``input/`` folders, plus ``posts-00000.tsv``: the text and author of
each post (columns ``tweetId``, ``createdAtMillis``, ``authorHandle``, ``text``; schema
``io.schemas.POSTS``), which the public dump does not have and ``bridgewatch import``
loads when present. With ``ratings_per_file`` the ratings go to
``ratings/ratings-00000.tsv``, ``ratings/ratings-00001.tsv``, ... instead: a directory of
shards that the io readers (and the reference scorer) read as one ratings table. With
``ratings_format="parquet"`` the ratings files are Parquet (zstd, the dtypes of
``io.schemas.RATINGS``, one row group per simulated block) named ``ratings-NNNNN.parquet``:
about a seventh of the TSV's size and faster to load, for communities of 100M+ ratings.

The public files go through the ``bridgewatch.io`` writers (atomic, public TSV format);
ratings are streamed block by block into ``io.atomic_output`` files in the same format.
``write_community`` (from an in-memory ``Community``) and ``write_simulation`` (streaming,
for sizes that do not fit in memory) write the same bytes.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from bridgewatch.errors import ConfigError
from bridgewatch.io import (
    atomic_output,
    schemas,
    write_note_requests,
    write_note_status_history,
    write_notes,
    write_table,
    write_tsv,
    write_user_enrollment,
)
from bridgewatch.io.columns import RATINGS_COLUMNS
from bridgewatch.io.write import conform, tsv_text_frame
from bridgewatch.sim.config import SimConfig
from bridgewatch.sim.frames import ratings_frame, ratings_text_frame
from bridgewatch.sim.simulate import (
    Community,
    SmallFrames,
    iter_rating_blocks,
    iter_rating_frames,
    plan_simulation,
    public_small_frames,
    with_scored_history,
)

__all__ = ["RatingsFormat", "WrittenFiles", "write_community", "write_simulation"]

_RATINGS_HEADER = ("\t".join(RATINGS_COLUMNS) + "\n").encode()

RatingsFormat = Literal["tsv", "parquet"]
"""File format of the simulated ratings: the public TSV format, or Parquet."""


@dataclass(frozen=True)
class WrittenFiles:
    """Paths written and the number of ratings.

    Parameters
    ----------
    notes, note_status_history, user_enrollment, note_requests, posts : the single files
        of each kind.
    ratings : the ratings files in order.
    note_truth, rater_truth, config : the ground-truth files.
    n_ratings : ratings written over all ratings files.
    """

    notes: Path
    ratings: tuple[Path, ...]
    note_status_history: Path
    user_enrollment: Path
    note_requests: Path
    posts: Path
    note_truth: Path
    rater_truth: Path
    config: Path
    n_ratings: int


class _RatingsSink:
    """Appends rating frames to ratings-NNNNN.tsv files of at most ``per_file`` rows.

    Files are ``io.atomic_output`` handles held in ``stack``: they appear under their final
    names only when the stack closes without an error.
    """

    def __init__(self, out_dir: Path, per_file: int | None, stack: contextlib.ExitStack) -> None:
        self._out_dir = out_dir
        self._per_file = per_file
        self._stack = stack
        self._handle: BinaryIO | None = None
        self._rows_in_file = 0
        self.paths: list[Path] = []
        self.n_ratings = 0

    def _open_next(self) -> BinaryIO:
        path = self._out_dir / f"ratings-{len(self.paths):05d}.tsv"
        self.paths.append(path)
        self._handle = self._stack.enter_context(atomic_output(path))
        self._handle.write(_RATINGS_HEADER)
        self._rows_in_file = 0
        return self._handle

    def write(self, frame: pl.DataFrame) -> None:
        """Append rows: a public ratings frame, or a ``ratings_text_frame`` (same bytes)."""
        # A text frame holds pre-joined fields with tabs inside: it must not be quoted (no
        # simulated rating field contains a tab, quote or newline of its own).
        quote_style: Literal["necessary", "never"] = "never"
        if frame.columns == list(RATINGS_COLUMNS):
            frame = tsv_text_frame(frame)
            quote_style = "necessary"
        offset = 0
        while offset < frame.height or self._handle is None:
            full = self._per_file is not None and self._rows_in_file >= self._per_file
            handle = self._open_next() if self._handle is None or full else self._handle
            room = frame.height - offset
            if self._per_file is not None:
                room = min(room, self._per_file - self._rows_in_file)
            part = frame.slice(offset, room)
            # The same options as io.write_tsv, appended block by block.
            part.write_csv(
                handle,
                separator="\t",
                include_header=False,
                null_value="",
                quote_style=quote_style,
                line_terminator="\n",
            )
            self._rows_in_file += part.height
            offset += part.height
        self.n_ratings += frame.height


class _ParquetRatingsSink:
    """Streams public ratings frames into ratings-NNNNN.parquet files of at most ``per_file``
    rows, one row group per frame (never more than one frame in memory).

    Files are ``io.atomic_output`` handles held in ``stack``, as for ``_RatingsSink``.
    """

    def __init__(self, out_dir: Path, per_file: int | None, stack: contextlib.ExitStack) -> None:
        self._out_dir = out_dir
        self._per_file = per_file
        self._stack = stack
        self._writer: pq.ParquetWriter | None = None
        self._rows_in_file = 0
        self.paths: list[Path] = []
        self.n_ratings = 0

    def _open_next(self, schema: pa.Schema) -> pq.ParquetWriter:
        path = self._out_dir / f"ratings-{len(self.paths):05d}.parquet"
        self.paths.append(path)
        handle = self._stack.enter_context(atomic_output(path))
        # Registered after the handle, so it is closed (footer written) before the rename.
        self._writer = self._stack.enter_context(
            pq.ParquetWriter(handle, schema, compression="zstd")
        )
        self._rows_in_file = 0
        return self._writer

    def write(self, frame: pl.DataFrame) -> None:
        """Append rows of a public ratings frame (any column order; cast to the schema)."""
        table = conform(frame, schemas.RATINGS).to_arrow()
        offset = 0
        while offset < table.num_rows or self._writer is None:
            full = self._per_file is not None and self._rows_in_file >= self._per_file
            writer = self._writer
            if writer is None or full:
                writer = self._open_next(table.schema)
            room = table.num_rows - offset
            if self._per_file is not None:
                room = min(room, self._per_file - self._rows_in_file)
            if room:
                writer.write_table(table.slice(offset, room))
            self._rows_in_file += room
            offset += room
        self.n_ratings += table.num_rows


def _write_all(
    out_dir: Path,
    *,
    config: SimConfig,
    small: SmallFrames,
    rating_frames: Iterable[pl.DataFrame],
    ratings_per_file: int | None,
    ratings_format: RatingsFormat,
) -> WrittenFiles:
    if ratings_per_file is not None and ratings_per_file < 1:
        raise ConfigError("ratings_per_file", ratings_per_file, "None or an integer >= 1")
    if ratings_format not in ("tsv", "parquet"):
        raise ConfigError("ratings_format", ratings_format, "'tsv' or 'parquet'")
    truth_dir = out_dir / "truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    ratings_dir = out_dir if ratings_per_file is None else out_dir / "ratings"
    ratings_dir.mkdir(exist_ok=True)
    with contextlib.ExitStack() as stack:
        sink: _RatingsSink | _ParquetRatingsSink = (
            _RatingsSink(ratings_dir, ratings_per_file, stack)
            if ratings_format == "tsv"
            else _ParquetRatingsSink(ratings_dir, ratings_per_file, stack)
        )
        for frame in rating_frames:
            sink.write(frame)
    config_path = truth_dir / "config.json"
    with atomic_output(config_path) as handle:
        handle.write((json.dumps(config.describe(), indent=2, sort_keys=True) + "\n").encode())
    written = WrittenFiles(
        notes=out_dir / "notes-00000.tsv",
        ratings=tuple(sink.paths),
        note_status_history=out_dir / "noteStatusHistory-00000.tsv",
        user_enrollment=out_dir / "userEnrollment-00000.tsv",
        note_requests=out_dir / "noteRequests-00000.tsv",
        posts=out_dir / "posts-00000.tsv",
        note_truth=truth_dir / "notes.tsv",
        rater_truth=truth_dir / "raters.tsv",
        config=config_path,
        n_ratings=sink.n_ratings,
    )
    write_notes(small.notes, written.notes)
    write_note_status_history(small.note_status_history, written.note_status_history)
    write_user_enrollment(small.user_enrollment, written.user_enrollment)
    write_note_requests(small.note_requests, written.note_requests)
    write_table(small.posts, written.posts, schemas.POSTS)
    write_tsv(small.note_truth, written.note_truth)
    write_tsv(small.rater_truth, written.rater_truth)
    return written


def write_community(
    community: Community,
    out_dir: str | Path,
    *,
    ratings_per_file: int | None = None,
    ratings_format: RatingsFormat = "tsv",
) -> WrittenFiles:
    """Write an in-memory community to ``out_dir`` (created if missing).

    Parameters
    ----------
    community : from ``simulate``.
    out_dir : the directory to write into; existing files of the same names are replaced.
    ratings_per_file : split ratings into ``ratings/`` files of at most this many rows
        (None: one ``ratings-00000.tsv`` file).
    ratings_format : ``"tsv"`` (the public format) or ``"parquet"``.
    """
    small = SmallFrames(
        notes=community.notes,
        note_status_history=community.note_status_history,
        user_enrollment=community.user_enrollment,
        note_requests=community.note_requests,
        posts=community.posts,
        note_truth=community.note_truth,
        rater_truth=community.rater_truth,
    )
    return _write_all(
        Path(out_dir),
        config=community.config,
        small=small,
        rating_frames=[community.ratings],
        ratings_per_file=ratings_per_file,
        ratings_format=ratings_format,
    )


def write_simulation(
    config: SimConfig,
    out_dir: str | Path,
    *,
    ratings_per_file: int | None = None,
    ratings_format: RatingsFormat = "tsv",
) -> WrittenFiles:
    """Simulate and write block by block, never holding all ratings in memory.

    Writes the same TSV bytes as ``write_community(simulate(config), out_dir, ...)``, and
    the same Parquet rows (one row group per block here, one in total there).
    """
    plan = plan_simulation(config)
    small = public_small_frames(plan)
    if config.score_status_history:
        # Scoring needs every rating in memory: drawn once more (same streams, same rows)
        # for the history, and streamed to disk below as usual.
        everything = pl.concat(list(iter_rating_frames(plan)), how="vertical", rechunk=True)
        small = with_scored_history(small, config, everything)
        del everything
    blocks = iter_rating_blocks(plan)
    frames = (
        (ratings_text_frame(block, plan.ids) for block in blocks)
        if ratings_format == "tsv"
        else (ratings_frame(block, plan.ids) for block in blocks)
    )
    return _write_all(
        Path(out_dir),
        config=config,
        small=small,
        rating_frames=frames,
        ratings_per_file=ratings_per_file,
        ratings_format=ratings_format,
    )
