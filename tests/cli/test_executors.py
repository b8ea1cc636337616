"""`--executor` of `bridgewatch score` and `attack-bench`: local processes write the bits
of a serial run; a bad spec fails before any work."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridgewatch.cli import main
from bridgewatch.pipeline.batch import OUTPUT_FILES
from tests.scoring.community import write_small_community


def test_score_on_processes_writes_the_bits_of_a_serial_run(tmp_path: Path) -> None:
    files = write_small_community(tmp_path / "community")
    common = [
        "score",
        "--notes",
        str(files.notes),
        "--ratings",
        str(files.ratings[0]),
        "--status",
        str(files.note_status_history),
        "--enrollment",
        str(files.user_enrollment),
        "--seed",
        "1",
        "--no-topics",
        "--no-progress",
    ]
    serial, processes, work = tmp_path / "serial", tmp_path / "processes", tmp_path / "work"
    assert main([*common, "--outdir", str(serial), "--executor", "serial"]) == 0
    work.mkdir()
    run = [*common, "--outdir", str(processes), "--executor", "processes:2"]
    assert main([*run, "--work-dir", str(work)]) == 0
    for name in OUTPUT_FILES:
        assert (processes / name).read_bytes() == (serial / name).read_bytes(), name
    assert not list(work.iterdir())  # the run directory is removed


@pytest.mark.parametrize("command", ["score", "attack-bench", "analyze"])
def test_a_bad_executor_fails_before_any_work(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = {
        "score": ["--notes", "n.tsv", "--ratings", "r.tsv", "--outdir", str(tmp_path / "o")],
        "attack-bench": ["--outdir", str(tmp_path / "o")],
        "analyze": ["--scores", str(tmp_path), "--out", str(tmp_path / "o")],
    }[command]
    assert main([command, *args, "--executor", "dask:nowhere"]) == 1
    assert "executor='dask:nowhere' is not allowed" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
