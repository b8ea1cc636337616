"""`bridgewatch validate`."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bridgewatch.cli import main

FIXTURE = Path("/work/shared/fixtures/S-core")


def test_validate_fixture_files(capsys: pytest.CaptureFixture[str]) -> None:
    paths = sorted(str(p) for p in (FIXTURE / "input").glob("*.tsv"))
    paths.append(str(FIXTURE / "reference" / "run2" / "scored_notes.tsv"))
    assert main(["validate", *paths]) == 0
    out = capsys.readouterr().out
    assert "ratings, 100000 rows, 35/35 columns" in out
    assert "absent optional columns: abovePcrhThresholdTime" in out
    assert "scored_notes, 2000 rows" in out


def test_validate_reports_bad_file_and_checks_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "userEnrollment-00000.tsv"
    bad.write_text("participantId\tenrollmentState\np1\tearnedIn\np2\twizard\n")
    good = tmp_path / "notes-00000.tsv"
    shutil.copy(FIXTURE / "input" / "notes-00000.tsv", good)
    assert main(["validate", str(bad), str(good)]) == 1
    captured = capsys.readouterr()
    assert f"{bad}, line 3, field 'enrollmentState'" in captured.err
    assert f"{good}: ok" in captured.out


def test_validate_lenient_skips_and_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "ue.tsv"
    bad.write_text("participantId\tenrollmentState\np1\tearnedIn\np2\twizard\n")
    assert main(["validate", "--lenient", "--type", "userEnrollment", str(bad)]) == 0
    assert "skipped 1 bad rows" in capsys.readouterr().out


def test_validate_unknown_file_name_needs_type(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mystery.tsv"
    path.write_text("a\n1\n")
    assert main(["validate", str(path)]) == 1
    assert "pass --type" in capsys.readouterr().err


def _ratings_lines(n: int) -> list[str]:
    with (FIXTURE / "input" / "ratings-00000.tsv").open() as handle:
        return [next(handle).rstrip("\n") for _ in range(n + 1)]


@pytest.mark.parametrize(
    ("damage", "where", "what"),
    [
        (lambda ls: [*ls[:-1], ls[-1][:40]], "line 21, field 'createdAtMillis'", "truncated?"),
        (lambda ls: [*ls[:5], "\t".join(ls[5].split("\t")[:3]), *ls[6:]], "line 6", "3 of 35"),
        (lambda ls: [*ls[:8], ls[8] + "\t1", *ls[9:]], "line 9", "row has 36 fields"),
        (lambda ls: [*ls[:2], "\x00" + ls[2], *ls[3:]], "line 3, field 'noteId'", "NUL byte"),
    ],
    ids=["cut-last-line", "short-row", "extra-field", "nul-in-id"],
)
def test_validate_refuses_rows_of_the_wrong_shape(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    damage: Callable[[list[str]], list[str]],
    where: str,
    what: str,
) -> None:
    path = tmp_path / "ratings-00000.tsv"
    lines = damage(_ratings_lines(20))
    path.write_text("\n".join(lines) + ("" if where.endswith("'createdAtMillis'") else "\n"))
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}, {where}" in err and what in err
    assert main(["validate", "--lenient", str(path)]) == 0
    out = capsys.readouterr().out
    assert "ok, ratings, 19 rows" in out and "skipped 1 bad rows" in out


def test_validate_names_utf16(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ratings-00000.tsv"
    path.write_bytes(("\n".join(_ratings_lines(5)) + "\n").encode("utf-16"))
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "line 1: file is UTF-16; convert it to UTF-8" in err
    assert "noteId" not in err


def test_validate_refuses_ratings_without_a_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [line.split("\t") for line in _ratings_lines(30)]
    drop = lines[0].index("helpfulnessLevel")
    path = tmp_path / "ratings-00000.tsv"
    path.write_text("\n".join("\t".join(f[:drop] + f[drop + 1 :]) for f in lines) + "\n")
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "field 'helpfulnessLevel': none of the 30 ratings has a value" in err


def test_validate_missing_file_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "does-not-exist.tsv"]) == 1
    assert "does-not-exist.tsv: no such file or directory" in capsys.readouterr().err


def test_validate_a_shard_directory_of_any_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shards = tmp_path / "part-files"
    shards.mkdir()
    lines = _ratings_lines(20)
    (shards / "a.tsv").write_text("\n".join(lines[:11]) + "\n")
    (shards / "b.tsv").write_text("\n".join([lines[0], *lines[11:]]) + "\n")
    assert main(["validate", str(shards)]) == 0
    assert f"{shards}: ok, ratings, 20 rows, 35/35 columns, 2 file(s)" in capsys.readouterr().out
