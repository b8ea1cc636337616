"""One writer per public file type; each enforces its published column order and dtypes.

Every writer takes a polars frame and a path; a path ending in ``.parquet`` gets Parquet,
anything else the public TSV format. Writes are atomic (see :mod:`bridgewatch.io.write`).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from bridgewatch.io import schemas
from bridgewatch.io.write import write_table

__all__ = [
    "write_aux_note_info",
    "write_helpfulness_scores",
    "write_note_requests",
    "write_note_status_history",
    "write_notes",
    "write_ratings",
    "write_scored_notes",
    "write_user_enrollment",
]


def write_notes(df: pl.DataFrame, path: str | Path) -> None:
    """Write a notes table (24 columns, scoring-core.md §2.1)."""
    write_table(df, path, schemas.NOTES)


def write_ratings(df: pl.DataFrame, path: str | Path) -> None:
    """Write a ratings table (35 columns, scoring-core.md §2.1)."""
    write_table(df, path, schemas.RATINGS)


def write_note_status_history(df: pl.DataFrame, path: str | Path) -> None:
    """Write a note status history table (24 columns, scoring-core.md §11.3)."""
    write_table(df, path, schemas.NOTE_STATUS_HISTORY)


def write_user_enrollment(df: pl.DataFrame, path: str | Path) -> None:
    """Write a user enrollment table (8 columns, scoring-core.md §2.1)."""
    write_table(df, path, schemas.USER_ENROLLMENT)


def write_note_requests(df: pl.DataFrame, path: str | Path) -> None:
    """Write a note requests table (7 columns, scoring-extended.md §6.1)."""
    write_table(df, path, schemas.NOTE_REQUESTS)


def write_scored_notes(df: pl.DataFrame, path: str | Path) -> None:
    """Write ``scored_notes`` (99 columns, scoring-core.md §11.1)."""
    write_table(df, path, schemas.SCORED_NOTES)


def write_aux_note_info(df: pl.DataFrame, path: str | Path) -> None:
    """Write ``aux_note_info`` (72 columns, scoring-core.md §11.2)."""
    write_table(df, path, schemas.AUX_NOTE_INFO)


def write_helpfulness_scores(df: pl.DataFrame, path: str | Path) -> None:
    """Write ``helpfulness_scores`` (47 columns, scoring-core.md §11.4)."""
    write_table(df, path, schemas.HELPFULNESS_SCORES)
