"""Tests of the generic reader: header matching, bad input, lenient mode, zip and shards."""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import polars as pl
import pytest

from bridgewatch.errors import InputError
from bridgewatch.io import read as read_module
from bridgewatch.io import schemas
from bridgewatch.io.read import read_table, source_files
from tests.io.conftest import WriteTsv

UE_HEADER = ["participantId", "enrollmentState", "modelingGroup", "timestampOfLastEarnOut"]


def _ue_rows() -> list[list[str]]:
    return [["p1", "earnedIn", "1", "1"], ["p2", "newUser", "", "17935.0"]]


def test_columns_are_matched_by_name_not_position(write_tsv_text: WriteTsv) -> None:
    header = list(reversed(UE_HEADER))
    rows = [list(reversed(r)) for r in _ue_rows()]
    frame = read_table(write_tsv_text("ue.tsv", header, rows), schemas.USER_ENROLLMENT).frame
    assert frame.columns == list(schemas.USER_ENROLLMENT.names)
    assert frame["participantId"].to_list() == ["p1", "p2"]
    assert frame["modelingGroup"].to_list() == [1, None]
    # The reference writes nullable integer columns as floats.
    assert frame["timestampOfLastEarnOut"].to_list() == [1, 17935]
    assert frame["enrollmentState"].dtype == schemas.ENROLLMENT_STATE_DTYPE
    assert frame["numberOfTimesEarnedOut"].null_count() == 2


def test_missing_required_column_names_line_1_and_the_field(write_tsv_text: WriteTsv) -> None:
    path = write_tsv_text("ue.tsv", ["participantId", "modelingGroup"], [["p1", "1"]])
    with pytest.raises(InputError) as err:
        read_table(path, schemas.USER_ENROLLMENT)
    assert (err.value.path, err.value.line, err.value.field) == (str(path), 1, "enrollmentState")


def test_malformed_number_names_line_and_field(write_tsv_text: WriteTsv) -> None:
    rows = [*_ue_rows(), ["p3", "earnedIn", "1x", "1"]]
    path = write_tsv_text("ue.tsv", UE_HEADER, rows)
    with pytest.raises(InputError) as err:
        read_table(path, schemas.USER_ENROLLMENT)
    assert (err.value.line, err.value.field) == (4, "modelingGroup")
    assert "malformed integer" in str(err.value) and "'1x'" in str(err.value)


def test_unknown_enum_value_lists_the_allowed_ones(write_tsv_text: WriteTsv) -> None:
    rows = [*_ue_rows(), ["p3", "wizard", "1", "1"]]
    path = write_tsv_text("ue.tsv", UE_HEADER, rows)
    with pytest.raises(InputError) as err:
        read_table(path, schemas.USER_ENROLLMENT)
    assert (err.value.line, err.value.field) == (4, "enrollmentState")
    assert "earnedIn" in str(err.value)


def test_empty_key_field_is_an_error(write_tsv_text: WriteTsv) -> None:
    rows = [*_ue_rows(), ["", "earnedIn", "1", "1"]]
    path = write_tsv_text("ue.tsv", UE_HEADER, rows)
    with pytest.raises(InputError) as err:
        read_table(path, schemas.USER_ENROLLMENT)
    assert (err.value.line, err.value.field) == (4, "participantId")


def test_first_bad_row_in_file_order_is_reported(write_tsv_text: WriteTsv) -> None:
    rows = [["p1", "earnedIn", "1", "x"], ["p2", "bad", "1", "1"], ["p3", "earnedIn", "y", "1"]]
    path = write_tsv_text("ue.tsv", UE_HEADER, rows)
    with pytest.raises(InputError) as err:
        read_table(path, schemas.USER_ENROLLMENT)
    assert (err.value.line, err.value.field) == (2, "timestampOfLastEarnOut")


def test_duplicate_header_column_is_an_error(write_tsv_text: WriteTsv) -> None:
    path = write_tsv_text("ue.tsv", [*UE_HEADER, "enrollmentState"], [])
    with pytest.raises(InputError) as err:
        read_table(path, schemas.USER_ENROLLMENT)
    assert (err.value.line, err.value.field) == (1, "enrollmentState")


def test_empty_file_and_missing_file(tmp_path: Path) -> None:
    empty = tmp_path / "ue.tsv"
    empty.write_text("")
    with pytest.raises(InputError, match="empty file"):
        read_table(empty, schemas.USER_ENROLLMENT)
    with pytest.raises(InputError, match="no such file"):
        read_table(tmp_path / "nope.tsv", schemas.USER_ENROLLMENT)


def test_lenient_skips_and_reports_bad_rows(
    write_tsv_text: WriteTsv, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [
        ["p1", "earnedIn", "1", "1"],
        ["p2", "wizard", "1", "1"],
        ["p3", "earnedIn", "zz", "x"],
        ["", "earnedIn", "1", "1"],
        ["p5", "atRisk", "", ""],
    ]
    path = write_tsv_text("ue.tsv", UE_HEADER, rows)
    with caplog.at_level(logging.WARNING):
        result = read_table(path, schemas.USER_ENROLLMENT, lenient=True)
    assert result.frame["participantId"].to_list() == ["p1", "p5"]
    assert [(s.line, s.field) for s in result.skipped] == [
        (3, "enrollmentState"),
        (4, "modelingGroup"),
        (5, "participantId"),
    ]
    assert result.skipped[1].value == "zz"
    assert result.skipped[2].value is None
    assert "skipped 3 bad rows" in caplog.text


def test_unknown_columns_are_dropped_with_one_warning(
    write_tsv_text: WriteTsv, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    shards = tmp_path / "shards"
    shards.mkdir()
    for i in range(2):
        text = "\t".join([*UE_HEADER, "mystery"]) + "\n" + f"p{i}\tearnedIn\t1\t1\t?\n"
        (shards / f"userEnrollment-0000{i}.tsv").write_text(text)
    with caplog.at_level(logging.WARNING):
        frame = read_table(shards, schemas.USER_ENROLLMENT).frame
    assert "mystery" not in frame.columns
    assert frame["participantId"].to_list() == ["p0", "p1"]
    assert caplog.text.count("mystery") == 1


def test_directory_of_shards_reads_tsv_and_zip_in_name_order(tmp_path: Path) -> None:
    shards = tmp_path / "ue"
    shards.mkdir()
    header = "\t".join(UE_HEADER)
    (shards / "userEnrollment-00001.tsv").write_text(f"{header}\np1\tearnedIn\t1\t1\n")
    with zipfile.ZipFile(shards / "userEnrollment-00000.zip", "w") as archive:
        archive.writestr("userEnrollment-00000.tsv", f"{header}\np0\tatRisk\t2\t1\n")
    (shards / "README.txt").write_text("not a shard")
    assert [p.name for p in source_files(shards)] == [
        "userEnrollment-00000.zip",
        "userEnrollment-00001.tsv",
    ]
    result = read_table(shards, schemas.USER_ENROLLMENT, line_numbers=True)
    assert result.frame["participantId"].to_list() == ["p0", "p1"]
    assert result.frame["__line"].to_list() == [2, 2]
    assert result.files[0].endswith("userEnrollment-00000.zip!userEnrollment-00000.tsv")


def test_error_inside_a_zip_names_the_member(tmp_path: Path) -> None:
    path = tmp_path / "userEnrollment-00000.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ue.tsv", "\t".join(UE_HEADER) + "\np0\tatRisk\tX\t1\n")
    with pytest.raises(InputError) as err:
        read_table(path, schemas.USER_ENROLLMENT)
    assert err.value.path == f"{path}!ue.tsv"
    assert (err.value.line, err.value.field) == (2, "modelingGroup")


def test_bad_zip_and_empty_directory(tmp_path: Path) -> None:
    bad = tmp_path / "x.zip"
    bad.write_text("not a zip")
    with pytest.raises(InputError, match="not a zip"):
        read_table(bad, schemas.USER_ENROLLMENT)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="directory holds no"):
        read_table(empty, schemas.USER_ENROLLMENT)


def test_parquet_input_is_cast_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "ue.parquet"
    pl.DataFrame(
        {"participantId": ["p1", "p2"], "enrollmentState": ["earnedIn", "bogus"]}
    ).write_parquet(path)
    with pytest.raises(InputError) as err:
        read_table(path, schemas.USER_ENROLLMENT)
    assert (err.value.line, err.value.field) == (2, "enrollmentState")
    result = read_table(path, schemas.USER_ENROLLMENT, lenient=True)
    assert result.frame["participantId"].to_list() == ["p1"]
    assert result.frame["enrollmentState"].dtype == schemas.ENROLLMENT_STATE_DTYPE


def test_nan_and_empty_floats_read_as_null(write_tsv_text: WriteTsv) -> None:
    path = write_tsv_text(
        "hs.tsv", ["raterParticipantId", "coreRaterIntercept"], [["a", "nan"], ["b", ""]]
    )
    frame = read_table(path, schemas.HELPFULNESS_SCORES).frame
    assert frame["coreRaterIntercept"].to_list() == [None, None]


def test_booleans_parse_and_bad_booleans_fail(write_tsv_text: WriteTsv) -> None:
    header = ["raterParticipantId", "aboveHelpfulnessThreshold"]
    good = write_tsv_text("hs.tsv", header, [["a", "True"], ["b", "False"], ["c", ""]])
    frame = read_table(good, schemas.HELPFULNESS_SCORES).frame
    assert frame["aboveHelpfulnessThreshold"].to_list() == [True, False, None]
    bad = write_tsv_text("hs2.tsv", header, [["a", "True"], ["b", "maybe"]])
    with pytest.raises(InputError) as err:
        read_table(bad, schemas.HELPFULNESS_SCORES)
    assert (err.value.line, err.value.field) == (3, "aboveHelpfulnessThreshold")


def test_skip_columns_are_not_read(write_tsv_text: WriteTsv) -> None:
    path = write_tsv_text("ue.tsv", UE_HEADER, _ue_rows())
    frame = read_table(path, schemas.USER_ENROLLMENT, skip_columns=("modelingGroup",)).frame
    assert "modelingGroup" not in frame.columns


def test_bom_and_crlf_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "ue.tsv"
    path.write_bytes(
        b"\xef\xbb\xbfparticipantId\tenrollmentState\tmodelingGroup\r\n"
        b"p1\tearnedIn\t3\r\np2\tnewUser\t\r\n"
    )
    frame = read_table(path, schemas.USER_ENROLLMENT).frame
    assert frame["participantId"].to_list() == ["p1", "p2"]
    assert frame["modelingGroup"].to_list() == [3, None]


def test_block_reading_keeps_quoted_fields_and_line_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    header = "noteId\tnoteAuthorParticipantId\tcreatedAtMillis\tclassification\tsummary"
    rows = [
        f'n{i}\ta\t{i}\tNOT_MISLEADING\t"multi\nline ""{i}"" text"'
        if i % 3 == 0
        else f"n{i}\ta\t{i}\tNOT_MISLEADING\tplain"
        for i in range(40)
    ]
    path = tmp_path / "notes.tsv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    whole = read_table(path, schemas.NOTES, line_numbers=True).frame
    monkeypatch.setattr(read_module, "_BLOCK_BYTES", 50)
    blocks = read_table(path, schemas.NOTES, line_numbers=True).frame
    assert blocks.equals(whole)
    assert blocks["summary"][0] == 'multi\nline "0" text'
    assert blocks["createdAtMillis"].to_list() == list(range(40))


def test_distinct_id_merge_flags_collisions_and_keeps_them() -> None:
    def found(keys: list[int], checks: list[int | None], ids: list[str]) -> pl.DataFrame:
        return pl.DataFrame(
            {"key": keys, "check": checks, "id": ids},
            schema={"key": pl.UInt64, "check": pl.UInt64, "id": pl.String},
        )

    known = read_module._merge_found(None, found([1, 2], [10, 20], ["a", "b"]))
    known = read_module._merge_found(known, found([2, 3], [20, 30], ["b", "c"]))
    merged = read_module._merge_distinct([known])
    assert sorted(merged["id"].to_list()) == ["a", "b", "c"]
    assert not merged["collision"].any()
    # Key 3 comes back with another second hash: a different id with the same key.
    clash = read_module._merge_found(known, found([3], [31], ["d"]))
    clash = read_module._merge_found(clash, found([3], [30], ["c"]))
    flagged = read_module._merge_distinct([clash])
    assert flagged.filter(pl.col("key") == 3)["collision"].to_list() == [True]
    assert flagged.filter(pl.col("key") == 1)["collision"].to_list() == [False]
