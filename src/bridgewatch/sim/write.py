"""Write a synthetic community as the public TSV files plus its ground truth.

Layout of ``out_dir``::

    notes-00000.tsv  ratings-00000.tsv [ratings-00001.tsv ...]  noteStatusHistory-00000.tsv
    userEnrollment-00000.tsv  truth/notes.tsv  truth/raters.tsv  truth/config.json

Every file is written to a temporary name and renamed into place, so readers never see a
half-written file. ``write_community`` (from an in-memory ``Community``) and
``write_simulation`` (streaming, for sizes that do not fit in memory) write the same bytes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import polars as pl

from bridgewatch.errors import ConfigError
from bridgewatch.sim.config import SimConfig
from bridgewatch.sim.frames import (
    enrollment_frame,
    note_status_history_frame,
    note_truth_frame,
    notes_frame,
    rater_truth_frame,
)
from bridgewatch.sim.simulate import Community, iter_rating_frames, plan_simulation

__all__ = ["WrittenFiles", "write_community", "write_simulation"]


@dataclass(frozen=True)
class WrittenFiles:
    """Paths written and the number of ratings.

    Parameters
    ----------
    notes, note_status_history, user_enrollment : the single files of each kind.
    ratings : the ratings files in order.
    note_truth, rater_truth, config : the ground-truth files.
    n_ratings : ratings written over all ratings files.
    """

    notes: Path
    ratings: tuple[Path, ...]
    note_status_history: Path
    user_enrollment: Path
    note_truth: Path
    rater_truth: Path
    config: Path
    n_ratings: int


def _write_tsv_to(frame: pl.DataFrame, handle: IO[bytes], *, header: bool) -> None:
    # The public files carry no quoting; summaries never contain tabs or newlines.
    frame.write_csv(handle, separator="\t", quote_style="never", include_header=header)


def _write_tsv(frame: pl.DataFrame, path: Path) -> Path:
    """Write one TSV atomically (temporary file, then rename)."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as handle:
        _write_tsv_to(frame, handle, header=True)
    os.replace(tmp, path)
    return path


class _RatingsSink:
    """Appends rating frames to ratings-NNNNN.tsv files of at most ``per_file`` rows."""

    def __init__(self, out_dir: Path, per_file: int | None) -> None:
        self._out_dir = out_dir
        self._per_file = per_file
        self._handle: IO[bytes] | None = None
        self._rows_in_file = 0
        self._header_pending = True
        self._tmp_paths: list[Path] = []
        self.n_ratings = 0

    def _open_next(self) -> IO[bytes]:
        if self._handle is not None:
            self._handle.close()
        path = self._out_dir / f"ratings-{len(self._tmp_paths):05d}.tsv.tmp"
        self._tmp_paths.append(path)
        self._handle = path.open("wb")
        self._rows_in_file = 0
        self._header_pending = True
        return self._handle

    def write(self, frame: pl.DataFrame) -> None:
        offset = 0
        while offset < frame.height or self._handle is None:
            full = self._per_file is not None and self._rows_in_file >= self._per_file
            handle = self._open_next() if self._handle is None or full else self._handle
            room = frame.height - offset
            if self._per_file is not None:
                room = min(room, self._per_file - self._rows_in_file)
            part = frame.slice(offset, room)
            _write_tsv_to(part, handle, header=self._header_pending)
            self._header_pending = False
            self._rows_in_file += part.height
            offset += part.height
        self.n_ratings += frame.height

    def close(self) -> tuple[Path, ...]:
        if self._handle is not None:
            self._handle.close()
        final = []
        for tmp in self._tmp_paths:
            path = tmp.with_name(tmp.name.removesuffix(".tmp"))
            os.replace(tmp, path)
            final.append(path)
        return tuple(final)


def _write_all(
    out_dir: Path,
    *,
    config: SimConfig,
    small: dict[str, pl.DataFrame],
    rating_frames: Iterable[pl.DataFrame],
    ratings_per_file: int | None,
) -> WrittenFiles:
    if ratings_per_file is not None and ratings_per_file < 1:
        raise ConfigError("ratings_per_file", ratings_per_file, "None or an integer >= 1")
    truth_dir = out_dir / "truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    sink = _RatingsSink(out_dir, ratings_per_file)
    for frame in rating_frames:
        sink.write(frame)
    ratings = sink.close()
    config_path = truth_dir / "config.json"
    tmp = config_path.with_name("config.json.tmp")
    tmp.write_text(json.dumps(config.describe(), indent=2, sort_keys=True) + "\n")
    os.replace(tmp, config_path)
    return WrittenFiles(
        notes=_write_tsv(small["notes"], out_dir / "notes-00000.tsv"),
        ratings=ratings,
        note_status_history=_write_tsv(small["history"], out_dir / "noteStatusHistory-00000.tsv"),
        user_enrollment=_write_tsv(small["enrollment"], out_dir / "userEnrollment-00000.tsv"),
        note_truth=_write_tsv(small["note_truth"], truth_dir / "notes.tsv"),
        rater_truth=_write_tsv(small["rater_truth"], truth_dir / "raters.tsv"),
        config=config_path,
        n_ratings=sink.n_ratings,
    )


def write_community(
    community: Community, out_dir: str | Path, *, ratings_per_file: int | None = None
) -> WrittenFiles:
    """Write an in-memory community to ``out_dir`` (created if missing).

    Parameters
    ----------
    community : from ``simulate``.
    out_dir : the directory to write into; existing files of the same names are replaced.
    ratings_per_file : split ratings into files of at most this many rows (None: one file).
    """
    return _write_all(
        Path(out_dir),
        config=community.config,
        small={
            "notes": community.notes,
            "history": community.note_status_history,
            "enrollment": community.user_enrollment,
            "note_truth": community.note_truth,
            "rater_truth": community.rater_truth,
        },
        rating_frames=[community.ratings],
        ratings_per_file=ratings_per_file,
    )


def write_simulation(
    config: SimConfig, out_dir: str | Path, *, ratings_per_file: int | None = None
) -> WrittenFiles:
    """Simulate and write block by block, never holding all ratings in memory.

    Writes the same bytes as ``write_community(simulate(config), out_dir, ...)``.
    """
    plan = plan_simulation(config)
    small = {
        "notes": notes_frame(plan.notes, plan.raters),
        "history": note_status_history_frame(
            plan.notes, plan.raters, seeded=config.seed_status_history
        ),
        "enrollment": enrollment_frame(plan.raters),
        "note_truth": note_truth_frame(config, plan.notes, plan.adversaries.target_brigade),
        "rater_truth": rater_truth_frame(plan.raters),
    }
    return _write_all(
        Path(out_dir),
        config=config,
        small=small,
        rating_frames=iter_rating_frames(plan),
        ratings_per_file=ratings_per_file,
    )
