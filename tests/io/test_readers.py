"""Tests of the per-type readers and writers: fixtures load, round trips, legacy layouts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from bridgewatch.errors import InputError
from bridgewatch.io import readers, schemas, writers
from bridgewatch.io.read import SkippedRow
from tests.io.conftest import FIXTURES, WriteTsv

Reader = Callable[[Path], pl.DataFrame]
Writer = Callable[[pl.DataFrame, Path], None]

_BY_PREFIX: dict[str, tuple[Reader, Writer]] = {
    "notes": (readers.read_notes, writers.write_notes),
    "ratings": (readers.read_ratings, writers.write_ratings),
    "noteStatusHistory": (readers.read_note_status_history, writers.write_note_status_history),
    "note_status_history": (readers.read_note_status_history, writers.write_note_status_history),
    "userEnrollment": (readers.read_user_enrollment, writers.write_user_enrollment),
    "scored_notes": (readers.read_scored_notes, writers.write_scored_notes),
    "aux_note_info": (readers.read_aux_note_info, writers.write_aux_note_info),
    "helpfulness_scores": (readers.read_helpfulness_scores, writers.write_helpfulness_scores),
}

FIXTURE_FILES = sorted(FIXTURES.glob("*/input/*.tsv")) + sorted(
    FIXTURES.glob("*/reference/*/*.tsv")
)


def _pair(path: Path) -> tuple[Reader, Writer]:
    return _BY_PREFIX[path.name.split("-")[0].removesuffix(".tsv")]


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: "/".join(p.parts[-3:]))
def test_every_fixture_file_loads(path: Path) -> None:
    read, _ = _pair(path)
    frame = read(path)
    n_lines = path.read_bytes().count(b"\n") - 1
    assert frame.height == n_lines
    schema = schemas.schema_for_name(path.name)
    assert schema is not None and frame.schema == schema.polars_schema


@pytest.mark.parametrize("suffix", [".tsv", ".parquet"])
@pytest.mark.parametrize(
    "path",
    [p for p in FIXTURE_FILES if "S-full" in p.parts and "run2" in p.parts[-2:]]
    + sorted((FIXTURES / "S-full" / "input").glob("*.tsv")),
    ids=lambda p: "/".join(p.parts[-2:]),
)
def test_round_trip_gives_identical_tables(path: Path, suffix: str, tmp_path: Path) -> None:
    read, write = _pair(path)
    first = read(path)
    out = tmp_path / f"out{suffix}"
    write(first, out)
    assert_frame_equal(read(out), first)


def test_scored_notes_tsv_is_byte_identical_to_the_reference(tmp_path: Path) -> None:
    path = FIXTURES / "S-full" / "reference" / "run2" / "scored_notes.tsv"
    out = tmp_path / "scored_notes.tsv"
    writers.write_scored_notes(readers.read_scored_notes(path), out)
    assert out.read_bytes() == path.read_bytes()


def test_legacy_23_column_nsh_resets_first_stabilization_time(write_tsv_text: WriteTsv) -> None:
    header = list(schemas.NOTE_STATUS_HISTORY.names[:23])
    row = ["1", "a", "100"] + [""] * 19 + ["555"]
    legacy = readers.read_note_status_history(write_tsv_text("nsh.tsv", header, [row]))
    assert legacy["timestampMillisOfFirstNmrDueToMinStableCrhTime"].to_list() == [None]
    assert legacy["abovePcrhThresholdTime"].to_list() == [None]
    full = readers.read_note_status_history(
        write_tsv_text("nsh24.tsv", [*header, "abovePcrhThresholdTime"], [[*row, "7"]])
    )
    assert full["timestampMillisOfFirstNmrDueToMinStableCrhTime"].to_list() == [555]


def test_public_latest_non_nmr_status_name_is_accepted(write_tsv_text: WriteTsv) -> None:
    header = ["noteId", "noteAuthorParticipantId", "createdAtMillis", "latestNonNMRStatus"]
    path = write_tsv_text("nsh.tsv", header, [["1", "a", "5", "CURRENTLY_RATED_HELPFUL"]])
    frame = readers.read_note_status_history(path)
    assert frame["mostRecentNonNMRStatus"].cast(pl.String).to_list() == ["CURRENTLY_RATED_HELPFUL"]


@pytest.mark.parametrize("suffix", [".tsv", ".parquet"])
def test_legacy_ratings_round_trip(write_tsv_text: WriteTsv, tmp_path: Path, suffix: str) -> None:
    header = ["noteId", "participantId", "createdAtMillis", "helpful", "notHelpful"]
    path = write_tsv_text(
        "ratings.tsv", header, [["1", "a", "5", "1", "0"], ["2", "a", "6", "0", "1"]]
    )
    first = readers.read_ratings(path)
    assert first["raterParticipantId"].to_list() == ["a", "a"]
    assert first["helpfulnessLevel"].null_count() == 2
    assert first["ratingSourceBucketed"].null_count() == 2
    out = tmp_path / f"r{suffix}"
    writers.write_ratings(first, out)
    assert_frame_equal(readers.read_ratings(out), first)


def test_notes_without_is_collaborative_note(write_tsv_text: WriteTsv, tmp_path: Path) -> None:
    header = [c for c in schemas.NOTES.names if c != "isCollaborativeNote"]
    row = ["1", "a", "5", "99", "NOT_MISLEADING"] + [""] * 3 + ["0"] * 13 + ["hi", "1"]
    first = readers.read_notes(write_tsv_text("notes.tsv", header, [row]))
    assert first["isCollaborativeNote"].to_list() == [None]
    assert first["isMediaNote"].to_list() == [1]
    writers.write_notes(first, tmp_path / "n.tsv")
    assert_frame_equal(readers.read_notes(tmp_path / "n.tsv"), first)


def test_ratings_need_a_value_column(write_tsv_text: WriteTsv) -> None:
    path = write_tsv_text("ratings.tsv", ["noteId", "raterParticipantId", "createdAtMillis"], [])
    with pytest.raises(InputError) as err:
        readers.read_ratings(path)
    assert (err.value.line, err.value.field) == (1, "helpfulnessLevel")


RATING_HEADER = ["noteId", "raterParticipantId", "createdAtMillis", "helpfulnessLevel"]


def test_identical_duplicate_ratings_are_dropped(write_tsv_text: WriteTsv) -> None:
    rows = [["1", "a", "5", "HELPFUL"], ["1", "a", "5", "HELPFUL"], ["2", "a", "5", "HELPFUL"]]
    frame = readers.read_ratings(write_tsv_text("ratings.tsv", RATING_HEADER, rows))
    assert frame["noteId"].to_list() == ["1", "2"]


def test_conflicting_ratings_name_both_lines(write_tsv_text: WriteTsv) -> None:
    rows = [["1", "a", "5", "HELPFUL"], ["2", "a", "5", "HELPFUL"], ["1", "a", "5", "NOT_HELPFUL"]]
    path = write_tsv_text("ratings.tsv", RATING_HEADER, rows)
    with pytest.raises(InputError) as err:
        readers.read_ratings(path)
    assert (err.value.path, err.value.line) == (str(path), 2)
    assert "line 2 and line 4" in str(err.value)


def test_conflicting_ratings_across_shards_name_both_files(tmp_path: Path) -> None:
    shards = tmp_path / "ratings"
    shards.mkdir()
    head = "\t".join(RATING_HEADER)
    (shards / "ratings-00000.tsv").write_text(f"{head}\n1\ta\t5\tHELPFUL\n")
    (shards / "ratings-00001.tsv").write_text(f"{head}\n2\tb\t5\tHELPFUL\n1\ta\t6\tHELPFUL\n")
    with pytest.raises(InputError) as err:
        readers.read_ratings(shards)
    assert err.value.path == str(shards / "ratings-00000.tsv")
    assert "ratings-00001.tsv line 3" in str(err.value)


def test_lenient_skips_every_conflicting_rating(write_tsv_text: WriteTsv) -> None:
    rows = [["1", "a", "5", "HELPFUL"], ["2", "a", "5", "HELPFUL"], ["1", "a", "6", "HELPFUL"]]
    skipped: list[SkippedRow] = []
    frame = readers.read_ratings(
        write_tsv_text("ratings.tsv", RATING_HEADER, rows), lenient=True, skipped=skipped
    )
    assert frame["noteId"].to_list() == ["2"]
    assert [s.line for s in skipped] == [2, 4]


def test_note_requests_round_trip(write_tsv_text: WriteTsv, tmp_path: Path) -> None:
    header = list(schemas.NOTE_REQUESTS_COLUMNS)
    rows = [
        ["1212092628029698048", "-1", "-1", "1774176942021", "1774176942021",
         "https://x.com/i/status/1,https://x.com/i/status/2", '[{"suggestion": "a"}]'],
        ["1212092628029698049", "17", "-1", "-1", "-1", "", ""],
    ]  # fmt: skip
    path = write_tsv_text("batSignals-00000.tsv", header, rows)
    first = readers.read_note_requests(path)
    assert first["apiLargeFeedEligibleAtMillis"].to_list() == [1774176942021, -1]
    assert first["suggestions"].to_list() == ['[{"suggestion": "a"}]', None]
    writers.write_note_requests(first, tmp_path / "nr.tsv")
    assert_frame_equal(readers.read_note_requests(tmp_path / "nr.tsv"), first)


def test_read_file_detects_the_type(tmp_path: Path) -> None:
    path = FIXTURES / "S-core" / "input" / "userEnrollment-00000.tsv"
    result = readers.read_file(path)
    assert result.frame.height == 5000
    with pytest.raises(InputError, match="no such file or directory"):
        readers.read_file(tmp_path / "mystery.tsv")
    (tmp_path / "mystery.tsv").write_text("a\tb\n1\t2\n")
    with pytest.raises(InputError, match="cannot tell the file type"):
        readers.read_file(tmp_path / "mystery.tsv")


def test_writer_rejects_unknown_enum_value_and_leaves_no_file(tmp_path: Path) -> None:
    frame = pl.DataFrame({"participantId": ["a"], "enrollmentState": ["wizard"]})
    out = tmp_path / "ue.tsv"
    with pytest.raises(InputError) as err:
        writers.write_user_enrollment(frame, out)
    assert err.value.field == "enrollmentState"
    assert list(tmp_path.iterdir()) == []


def test_writer_rejects_missing_required_column(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        writers.write_ratings(pl.DataFrame({"noteId": ["1"]}), tmp_path / "r.tsv")
    assert err.value.field == "raterParticipantId"
    assert list(tmp_path.iterdir()) == []


def test_writer_orders_columns_and_casts(tmp_path: Path) -> None:
    frame = pl.DataFrame({"timestampMillisOfCurrentStatus": [17], "noteId": ["9"], "extra": [1]})
    out = tmp_path / "scored_notes.tsv"
    writers.write_scored_notes(frame, out)
    header, row = out.read_text().splitlines()
    assert header.split("\t") == list(schemas.SCORED_NOTES.names)
    values = dict(zip(header.split("\t"), row.split("\t"), strict=True))
    assert values["noteId"] == "9"
    assert values["timestampMillisOfCurrentStatus"] == "17.0"
