"""Tests of the schemas: published order, dtypes, enum literals, file-name detection."""

from __future__ import annotations

import polars as pl
import pytest

from bridgewatch.io import columns, schemas
from bridgewatch.io.schema import Column, Schema
from bridgewatch.model import EnrollmentState, HelpfulnessLevel, NoteStatus


def test_input_schemas_follow_the_published_column_order() -> None:
    assert schemas.NOTES.names == columns.NOTES_COLUMNS
    assert schemas.RATINGS.names == columns.RATINGS_COLUMNS
    assert schemas.NOTE_STATUS_HISTORY.names == columns.NOTE_STATUS_HISTORY_COLUMNS
    assert schemas.USER_ENROLLMENT.names == columns.USER_ENROLLMENT_COLUMNS
    assert len(schemas.SCORED_NOTES.columns) == 99
    assert len(schemas.HELPFULNESS_SCORES.columns) == 47
    assert len(schemas.AUX_NOTE_INFO.columns) == 72


def test_enum_categories_follow_the_model_codes() -> None:
    level = schemas.RATINGS.column("helpfulnessLevel")
    assert level is not None
    assert level.allowed == tuple(m.name for m in HelpfulnessLevel)
    status = schemas.NOTE_STATUS_HISTORY.column("currentStatus")
    assert status is not None and status.allowed == tuple(m.name for m in NoteStatus)
    state = schemas.USER_ENROLLMENT.column("enrollmentState")
    assert state is not None and state.allowed == tuple(m.name for m in EnrollmentState)
    note = schemas.NOTES.column("noteId")
    assert note is not None and note.allowed is None


def test_ids_are_strings_and_keys_are_required() -> None:
    for schema, key in [
        (schemas.NOTES, "noteId"),
        (schemas.RATINGS, "raterParticipantId"),
        (schemas.NOTE_STATUS_HISTORY, "noteId"),
        (schemas.USER_ENROLLMENT, "participantId"),
        (schemas.NOTE_REQUESTS, "tweetId"),
        (schemas.SCORED_NOTES, "noteId"),
        (schemas.HELPFULNESS_SCORES, "raterParticipantId"),
    ]:
        column = schema.column(key)
        assert column is not None
        assert column.dtype == pl.String
        assert column.required and not column.nullable


def test_aliases_resolve_to_the_canonical_column() -> None:
    column = schemas.NOTE_STATUS_HISTORY.column("latestNonNMRStatus")
    assert column is not None and column.name == "mostRecentNonNMRStatus"
    author = schemas.NOTES.column("participantId")
    assert author is not None and author.name == "noteAuthorParticipantId"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ratings-00003.zip", "ratings"),
        ("notes-00000.tsv", "notes"),
        ("noteStatusHistory-00000.tsv", "noteStatusHistory"),
        ("note_status_history.tsv", "noteStatusHistory"),
        ("batSignals-00000.tsv", "noteRequests"),
        ("scored_notes.parquet", "scored_notes"),
        ("userEnrollment", "userEnrollment"),
        ("helpfulness_scores", "helpfulness_scores"),
        ("aux_note_info.tsv", "aux_note_info"),
    ],
)
def test_schema_for_name(name: str, expected: str) -> None:
    schema = schemas.schema_for_name(name)
    assert schema is not None and schema.name == expected


def test_schema_for_unknown_name_is_none() -> None:
    assert schemas.schema_for_name("foo.tsv") is None


def test_with_columns_replaces_and_appends() -> None:
    base = Schema("t", (Column("a", pl.Int64()), Column("b", pl.String())))
    out = base.with_columns([Column("b", pl.Int8()), Column("c", pl.String())])
    assert out.names == ("a", "b", "c")
    assert out.polars_schema["b"] == pl.Int8
