"""`bridgewatch convert`."""

from __future__ import annotations

from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from bridgewatch.cli import main
from bridgewatch.io import readers

FIXTURE = Path("/work/shared/fixtures/S-full")


def test_convert_tsv_to_parquet_and_back(tmp_path: Path) -> None:
    source = FIXTURE / "input" / "noteStatusHistory-00000.tsv"
    parquet = tmp_path / "nsh.parquet"
    back = tmp_path / "nsh.tsv"
    assert main(["convert", str(source), str(parquet)]) == 0
    assert (
        main(["convert", "--type", "noteStatusHistory", str(parquet), str(back), "--to", "tsv"])
        == 0
    )
    expected = readers.read_note_status_history(source)
    assert_frame_equal(readers.read_note_status_history(back), expected)
    assert back.read_text().split("\n", 1)[0].endswith("abovePcrhThresholdTime")


def test_convert_bad_input_fails_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "ratings-00000.tsv"
    bad.write_text(
        "noteId\traterParticipantId\tcreatedAtMillis\thelpfulnessLevel\n1\ta\tsoon\tHELPFUL\n"
    )
    out = tmp_path / "out.parquet"
    assert main(["convert", str(bad), str(out)]) == 1
    assert "line 2, field 'createdAtMillis'" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ratings-00000.tsv"]


def test_convert_lenient(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "ratings-00000.tsv"
    bad.write_text(
        "noteId\traterParticipantId\tcreatedAtMillis\thelpfulnessLevel\n"
        "1\ta\tsoon\tHELPFUL\n2\ta\t5\tHELPFUL\n"
    )
    out = tmp_path / "out.tsv"
    assert main(["convert", "--lenient", str(bad), str(out), "--to", "tsv"]) == 0
    assert "skipped 1 bad rows" in capsys.readouterr().out
    assert readers.read_ratings(out)["noteId"].to_list() == ["2"]
