"""A bad file per kind: every reader (the streaming ratings path, the general reader, each
file type) refuses it naming file, line and field, or in lenient mode skips and reports."""

from __future__ import annotations

import zipfile
from pathlib import Path

import polars as pl
import pytest

from bridgewatch.errors import InputError
from bridgewatch.io import dataset, readers, schemas
from bridgewatch.io.dataset import load_dataset
from bridgewatch.io.read import SkippedRow
from bridgewatch.io.readers import detect_schema
from tests.io.conftest import FIXTURES

INPUT = FIXTURES / "S-core" / "input"
N_ROWS = 300


def _head(name: str, n: int = N_ROWS) -> list[str]:
    """Header and the first n rows of a fixture file, as lines without newlines."""
    with (INPUT / f"{name}-00000.tsv").open() as handle:
        return [next(handle).rstrip("\n") for _ in range(n + 1)]


def _write(path: Path, lines: list[str], end: str = "\n") -> Path:
    path.write_text("\n".join(lines) + end)
    return path


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    return _write(tmp_path / "notes-00000.tsv", _head("notes", 2000))


def _load(
    notes: Path, ratings: Path, fast: bool, mp: pytest.MonkeyPatch, lenient: bool = False
) -> dataset.Dataset:
    """load_dataset by the streaming ratings path, or (fast=False) the general reader."""
    with mp.context() as patch:
        if not fast:
            patch.setattr(dataset, "stream_ratings", lambda *a, **k: None)
        return load_dataset(notes=notes, ratings=ratings, lenient=lenient)


def _cut(lines: list[str]) -> list[str]:
    """The last line cut in half (inside createdAtMillis)."""
    last = lines[-1]
    return [*lines[:-1], last[: last.index("\t", last.index("\t") + 1) + 6]]


@pytest.mark.parametrize("fast", [True, False], ids=["streaming", "general"])
def test_truncated_last_line_is_refused(
    tmp_path: Path, notes: Path, fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    ratings = _write(tmp_path / "ratings-00000.tsv", _cut(_head("ratings")), end="")
    with pytest.raises(InputError) as caught:
        _load(notes, ratings, fast, monkeypatch)
    error = caught.value
    assert (error.path, error.line, error.field) == (str(ratings), N_ROWS + 1, "version")
    assert "row has 3 of 35 fields (the file ends inside it: truncated?)" in str(error)
    with pytest.raises(InputError, match=f"line {N_ROWS + 1}, field 'version'"):
        readers.read_ratings(ratings)


@pytest.mark.parametrize("fast", [True, False], ids=["streaming", "general"])
def test_nul_in_an_id_is_refused(
    tmp_path: Path, notes: Path, fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = _head("ratings")
    lines[7] = lines[7][:5] + "\x00" + lines[7][5:]
    ratings = _write(tmp_path / "ratings-00000.tsv", lines)
    with pytest.raises(InputError) as caught:
        _load(notes, ratings, fast, monkeypatch)
    assert (caught.value.line, caught.value.field) == (8, "noteId")
    assert "NUL byte" in caught.value.message


@pytest.mark.parametrize("name", ["notes", "noteStatusHistory", "userEnrollment", "ratings"])
def test_a_short_row_is_refused_in_every_file_type(tmp_path: Path, name: str) -> None:
    lines = _head(name, 50)
    fields = lines[20].split("\t")
    lines[20] = "\t".join(fields[:3]) if len(fields) > 3 else fields[0]
    path = _write(tmp_path / f"{name}-00000.tsv", lines)
    header = lines[0].split("\t")
    n_kept = 3 if len(fields) > 3 else 1
    with pytest.raises(InputError) as caught:
        readers.read_file(path)
    assert (caught.value.line, caught.value.field) == (21, header[n_kept])
    assert f"row has {n_kept} of {len(header)} fields" in caught.value.message


def test_a_row_with_extra_fields_names_its_line(tmp_path: Path) -> None:
    lines = _head("userEnrollment", 50)
    lines[30] += "\textra"
    path = _write(tmp_path / "userEnrollment-00000.tsv", lines)
    with pytest.raises(InputError) as caught:
        readers.read_user_enrollment(path)
    assert caught.value.line == 31
    assert "row has 9 fields, the header 8" in caught.value.message
    assert "truncate_ragged_lines" not in str(caught.value)


def test_a_bad_row_inside_a_zip_names_the_member(tmp_path: Path) -> None:
    lines = _head("userEnrollment", 10)
    lines[4] = lines[4].split("\t")[0]
    archive = tmp_path / "userEnrollment-00000.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("userEnrollment-00000.tsv", "\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"zip!userEnrollment-00000.tsv, line 5, field"):
        readers.read_user_enrollment(archive)


@pytest.mark.parametrize("bom", [True, False], ids=["bom", "no-bom"])
def test_utf16_is_named(tmp_path: Path, notes: Path, bom: bool) -> None:
    text = "\n".join(_head("ratings", 20)) + "\n"
    ratings = tmp_path / "ratings-00000.tsv"
    ratings.write_bytes(text.encode("utf-16" if bom else "utf-16-le"))
    with pytest.raises(InputError, match="line 1: file is UTF-16; convert it to UTF-8"):
        load_dataset(notes=notes, ratings=ratings)
    unnamed = tmp_path / "mine.tsv"
    unnamed.write_bytes(ratings.read_bytes())
    with pytest.raises(InputError, match="file is UTF-16"):
        detect_schema(unnamed)


@pytest.mark.parametrize("fast", [True, False], ids=["streaming", "general"])
def test_lenient_skips_and_reports_bad_rows(
    tmp_path: Path, notes: Path, fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = _cut(_head("ratings"))
    lines[10] = "\t".join(lines[10].split("\t")[:3])
    lines[20] += "\t1"
    lines[30] = lines[30].replace("\t", "\t\x00", 1)
    ratings = _write(tmp_path / "ratings-00000.tsv", lines, end="")
    loaded = _load(notes, ratings, fast, monkeypatch, lenient=True)
    assert [(s.line, s.field) for s in loaded.skipped] == [
        (11, "version"),
        (21, "#36"),
        (31, "raterParticipantId"),
        (N_ROWS + 1, "version"),
    ]
    good = [line for i, line in enumerate(lines) if i not in (10, 20, 30, N_ROWS)]
    (tmp_path / "good").mkdir()
    expected = load_dataset(notes=notes, ratings=_write(tmp_path / "good" / "r.tsv", good))
    assert loaded.ratings.n_ratings == expected.ratings.n_ratings
    assert loaded.ratings.created_at_ms.tolist() == expected.ratings.created_at_ms.tolist()


def test_lenient_keeps_the_original_line_numbers_of_later_bad_values(tmp_path: Path) -> None:
    lines = _head("userEnrollment", 40)
    lines[5] = lines[5].split("\t")[0]  # short row, line 6
    fields = lines[25].split("\t")
    fields[1] = "wizard"  # unknown enrollmentState, line 26
    lines[25] = "\t".join(fields)
    path = _write(tmp_path / "userEnrollment-00000.tsv", lines)
    skipped: list[SkippedRow] = []
    frame = readers.read_user_enrollment(path, lenient=True, skipped=skipped)
    assert [(s.line, s.field) for s in skipped] == [(6, "enrollmentState"), (26, "enrollmentState")]
    assert frame.height == 38


@pytest.mark.parametrize("fast", [True, False], ids=["streaming", "general"])
def test_ratings_without_any_value_are_refused(
    tmp_path: Path, notes: Path, fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = pl.read_csv(INPUT / "ratings-00000.tsv", separator="\t", infer_schema=False).head(500)
    ratings = tmp_path / "ratings-00000.tsv"
    frame.drop("helpfulnessLevel").write_csv(ratings, separator="\t")
    with pytest.raises(InputError) as caught:
        _load(notes, ratings, fast, monkeypatch)
    assert caught.value.field == "helpfulnessLevel"
    assert "none of the 500 ratings has a value" in caught.value.message
    # With the legacy columns set, a file without helpfulnessLevel still scores.
    legacy = frame.drop("helpfulnessLevel").with_columns(
        helpful=pl.lit("1"), notHelpful=pl.lit("0")
    )
    legacy.write_csv(ratings, separator="\t")
    loaded = _load(notes, ratings, fast, monkeypatch)
    assert loaded.ratings.n_ratings == 500


def test_type_is_told_from_a_directory_or_a_header(tmp_path: Path) -> None:
    shards = tmp_path / "my-shards"
    shards.mkdir()
    _write(shards / "part-0.tsv", _head("ratings", 10))
    _write(shards / "part-1.tsv", _head("ratings", 10)[:1])
    assert detect_schema(shards) is schemas.RATINGS
    assert readers.read_file(shards).frame.height == 10
    named = tmp_path / "dump"
    named.mkdir()
    _write(named / "notes-00000.tsv", _head("notes", 5))
    assert detect_schema(named) is schemas.NOTES
    for name, schema in (
        ("noteStatusHistory", schemas.NOTE_STATUS_HISTORY),
        ("userEnrollment", schemas.USER_ENROLLMENT),
        ("notes", schemas.NOTES),
        ("ratings", schemas.RATINGS),
    ):
        path = _write(tmp_path / f"mine-{name}.txt", _head(name, 5))
        assert detect_schema(path) is schema, name
        assert readers.read_file(path).frame.height == 5
    assert detect_schema(_write(tmp_path / "x.tsv", ["a\tb", "1\t2"])) is None
    with pytest.raises(InputError, match="no such file or directory"):
        detect_schema(tmp_path / "does-not-exist.tsv")


def test_nul_in_a_parquet_id_is_refused(tmp_path: Path) -> None:
    frame = pl.read_csv(INPUT / "userEnrollment-00000.tsv", separator="\t", infer_schema=False)
    frame = frame.head(20).with_columns(
        pl.when(pl.int_range(pl.len()) == 12)
        .then(pl.lit("ab\x00cd"))
        .otherwise(pl.col("participantId"))
        .alias("participantId")
    )
    path = tmp_path / "userEnrollment-00000.parquet"
    frame.write_parquet(path)
    with pytest.raises(InputError) as caught:
        readers.read_user_enrollment(path)
    assert (caught.value.line, caught.value.field) == (13, "participantId")
    skipped: list[SkippedRow] = []
    assert readers.read_user_enrollment(path, lenient=True, skipped=skipped).height == 19
    assert [s.line for s in skipped] == [13]
