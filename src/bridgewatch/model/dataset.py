"""The inputs of one scoring run as one container, and the rows lenient reading skipped.

``bridgewatch.io`` fills a :class:`Dataset` from the public files (``io.load_dataset``); the
scorer reads it. It lives here, below both, so ``scoring`` needs nothing from ``io``.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from bridgewatch.model.ids import IdIndex
from bridgewatch.model.ratings import Ratings

__all__ = ["Dataset", "SkippedRow"]


@dataclass(frozen=True)
class SkippedRow:
    """A row that lenient reading skipped.

    Parameters
    ----------
    path : the file (``archive.zip!member.tsv`` inside a zip).
    line : 1-based line (header = 1); for Parquet the 1-based row.
    field : the first bad column of the row.
    value : the bad text, ``None`` for an empty field.
    reason : what is wrong with it.
    """

    path: str
    line: int | None
    field: str
    value: str | None
    reason: str


@dataclass(frozen=True)
class Dataset:
    """The inputs of one scoring run.

    Parameters
    ----------
    notes : notes frame (schema ``NOTES``).
    status_history : note status history frame (schema ``NOTE_STATUS_HISTORY``); empty if
        none was given.
    enrollment : user enrollment frame (schema ``USER_ENROLLMENT``); empty if none was given.
    ratings : the ratings with a value, as columnar arrays (scoring-core.md §2.2).
    note_ids : union of the note ids of the notes file, the status history and the ratings.
    participant_ids : union of raters, note authors (notes and status history) and enrolled
        participants.
    skipped : rows skipped by lenient loading (empty otherwise).
    """

    notes: pl.DataFrame
    status_history: pl.DataFrame
    enrollment: pl.DataFrame
    ratings: Ratings
    note_ids: IdIndex
    participant_ids: IdIndex
    skipped: tuple[SkippedRow, ...] = ()
