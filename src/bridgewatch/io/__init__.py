"""Readers and writers of the public Community Notes files (TSV, zip, Parquet).

Schemas (one per file type) live in :mod:`bridgewatch.io.schemas`; the generic typed reader in
:mod:`bridgewatch.io.read`; per-type readers and writers in :mod:`bridgewatch.io.readers` and
:mod:`bridgewatch.io.writers`; generic atomic writers in :mod:`bridgewatch.io.write`.
"""

from bridgewatch.io.dataset import Dataset, load_dataset, ratings_from_frame
from bridgewatch.io.read import ReadResult, SkippedRow, read_table, source_files
from bridgewatch.io.readers import (
    drop_duplicate_ratings,
    read_aux_note_info,
    read_file,
    read_helpfulness_scores,
    read_note_requests,
    read_note_status_history,
    read_notes,
    read_ratings,
    read_scored_notes,
    read_user_enrollment,
)
from bridgewatch.io.schema import Column, Schema
from bridgewatch.io.write import atomic_output, conform, write_parquet, write_table, write_tsv
from bridgewatch.io.writers import (
    write_aux_note_info,
    write_helpfulness_scores,
    write_note_requests,
    write_note_status_history,
    write_notes,
    write_ratings,
    write_scored_notes,
    write_user_enrollment,
)

__all__ = [
    "Column",
    "Dataset",
    "ReadResult",
    "Schema",
    "SkippedRow",
    "atomic_output",
    "conform",
    "drop_duplicate_ratings",
    "load_dataset",
    "ratings_from_frame",
    "read_aux_note_info",
    "read_file",
    "read_helpfulness_scores",
    "read_note_requests",
    "read_note_status_history",
    "read_notes",
    "read_ratings",
    "read_scored_notes",
    "read_table",
    "read_user_enrollment",
    "source_files",
    "write_aux_note_info",
    "write_helpfulness_scores",
    "write_note_requests",
    "write_note_status_history",
    "write_notes",
    "write_parquet",
    "write_ratings",
    "write_scored_notes",
    "write_table",
    "write_tsv",
    "write_user_enrollment",
]
