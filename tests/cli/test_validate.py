"""`bridgewatch validate`."""

from __future__ import annotations

import shutil
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
