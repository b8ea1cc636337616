"""`bridgewatch score` and `bridgewatch explain` end to end."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import polars as pl
import pytest

from bridgewatch.cli import main
from bridgewatch.cli.score import _config, register
from bridgewatch.pipeline.batch import CORE_RULES_FILE, EXPLANATIONS_FILE, OUTPUT_FILES
from tests.scoring.community import write_small_community


@pytest.fixture(scope="module")
def scores(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = write_small_community(tmp_path_factory.mktemp("community"))
    out = tmp_path_factory.mktemp("scores")
    code = main(
        [
            "score",
            "--notes",
            str(files.notes),
            "--ratings",
            str(files.ratings[0]),
            "--status",
            str(files.note_status_history),
            "--enrollment",
            str(files.user_enrollment),
            "--outdir",
            str(out),
            "--seed",
            "1",
            "--no-topics",
            "--no-progress",
        ]
    )
    assert code == 0
    return out


def test_score_writes_every_output(scores: Path) -> None:
    for name in (*OUTPUT_FILES, EXPLANATIONS_FILE, CORE_RULES_FILE):
        assert (scores / name).is_file(), name


def test_explain_names_the_deciding_rule_and_its_figures(
    scores: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scored = pl.read_csv(scores / "scored_notes.tsv", separator="\t", infer_schema_length=0)
    row = scored.filter(pl.col("coreRatingStatus") == "CURRENTLY_RATED_NOT_HELPFUL").row(
        0, named=True
    )
    capsys.readouterr()
    assert main(["explain", row["noteId"], "--scores", str(scores)]) == 0
    text = capsys.readouterr().out
    assert f"note {row['noteId']}: {row['finalRatingStatus']}" in text
    assert f"decided by {row['decidedBy']}" in text
    assert "Core rules:" in text and "fired" in text


def test_explain_of_an_unknown_note_fails_cleanly(
    scores: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", "123", "--scores", str(scores)]) == 1
    assert "note 123 is not in" in capsys.readouterr().err


def test_explain_without_a_scoring_run_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", "1", "--scores", str(tmp_path)]) == 1
    assert "run `bridgewatch score` first" in capsys.readouterr().err


def test_defences_are_off_unless_asked_for(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    base = ["score", "--notes", "n", "--ratings", "r", "--outdir", str(tmp_path)]
    plain = _config(parser.parse_args(base))
    assert plain.bursts is None and plain.trust is None and plain.post_selection is None
    defended = _config(parser.parse_args([*base, "--defences"]))
    assert defended.bursts is not None and defended.trust is not None
    assert defended.post_selection is not None and defended.quasi_cliques is not None


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.mark.parametrize("tty", [False, True])
def test_progress_bar_only_on_a_terminal(
    tty: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = write_small_community(tmp_path / "community")
    stderr = _Stream(tty)
    monkeypatch.setattr(sys, "stderr", stderr)
    args = ["score", "--notes", str(files.notes), "--ratings", str(files.ratings[0])]
    assert main([*args, "--outdir", str(tmp_path / "out"), "--no-topics"]) == 0
    # A bar redraws with carriage returns; in a pipe or log file they would garble the log.
    assert ("\r" in stderr.getvalue()) is tty
