"""`bridgewatch score` and `bridgewatch explain` end to end."""

from __future__ import annotations

import argparse
import io
import logging
import sys
from pathlib import Path

import polars as pl
import pytest

from bridgewatch.cli import main
from bridgewatch.cli.score import _config, register
from bridgewatch.pipeline.batch import CORE_RULES_FILE, EXPLANATIONS_FILE, OUTPUT_FILES
from bridgewatch.sim import WrittenFiles
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


def test_explain_shows_every_scorer_that_scored_the_note(
    scores: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scored = pl.read_csv(scores / "scored_notes.tsv", separator="\t", infer_schema_length=0)
    row = scored.filter(
        pl.col("expansionRatingStatus").is_not_null() & pl.col("gaussianRatingStatus").is_not_null()
    ).row(0, named=True)
    capsys.readouterr()
    assert main(["explain", row["noteId"], "--scores", str(scores)]) == 0
    text = capsys.readouterr().out
    expansion_plus = text.split("MFExpansionPlusScorer: ")[1].split("Scorer")[0]
    assert expansion_plus.startswith(row["expansionPlusRatingStatus"])
    # ExpansionPlus has no firm reject: its list has no RejectLowIntercept (multimodel §2.6).
    assert "RejectLowIntercept" not in expansion_plus
    assert f"MFExpansionScorer: {row['expansionRatingStatus']}" in text
    assert f"GaussianScorer: {row['gaussianRatingStatus']}" in text


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
    assert plain.establishment is None and plain.unexplained is None
    defended = _config(parser.parse_args([*base, "--defences"]))
    assert defended.bursts is not None and defended.co_rating is not None
    assert defended.establishment is not None and defended.unexplained is not None
    assert defended.post_selection is not None and defended.quasi_cliques is None


@pytest.fixture(scope="module")
def community(tmp_path_factory: pytest.TempPathFactory) -> WrittenFiles:
    return write_small_community(tmp_path_factory.mktemp("community-topics"))


def _score_args(files: WrittenFiles, ratings: Path, out: Path) -> list[str]:
    return [
        "score",
        "--notes",
        str(files.notes),
        "--ratings",
        str(ratings),
        "--enrollment",
        str(files.user_enrollment),
        "--outdir",
        str(out),
        "--no-progress",
    ]


def test_a_failing_topic_classifier_degrades_and_the_summary_line_counts_statuses(
    community: WrittenFiles,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # On this small community the classifier misses its seed labels (balanced accuracy
    # ~0.27, not above 0.35): the reference aborts, score goes on without topics.
    caplog.set_level(logging.WARNING, logger="bridgewatch.scoring.inputs")
    args = [*_score_args(community, community.ratings[0], tmp_path), "--status"]
    code = main([*args, str(community.note_status_history)])
    assert code == 0
    assert "topic classifier failed (balanced accuracy" in caplog.text
    assert "scoring without topic assignment" in caplog.text
    scored = pl.read_csv(tmp_path / "scored_notes.tsv", separator="\t", infer_schema_length=0)
    assert scored["noteTopic"].null_count() == scored.height
    assert scored["topicRatingStatus"].null_count() == scored.height
    status = scored["finalRatingStatus"]
    held = scored["decidedBy"].str.starts_with("NmrDueToMinStableCrhTime").sum()
    assert held > 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == (
        f"{scored.height} notes: {(status == 'CURRENTLY_RATED_HELPFUL').sum()} helpful (CRH), "
        f"{(status == 'CURRENTLY_RATED_NOT_HELPFUL').sum()} not helpful (CRNH), "
        f"{(status == 'NEEDS_MORE_RATINGS').sum()} needs more ratings (NMR), "
        f"of which {held} held by the stabilization delay"
    )


def test_score_refuses_a_truncated_ratings_file_and_lenient_skips_the_row(
    community: WrittenFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = community.ratings[0].read_text()
    n_lines = text.count("\n")
    cut = tmp_path / "ratings-00000.tsv"
    cut.write_text(text[: len(text) - len(text.rstrip("\n").rsplit("\n", 1)[1]) // 2 - 1])
    args = [*_score_args(community, cut, tmp_path / "out"), "--no-topics"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert f"{cut}, line {n_lines}, field " in err
    assert "(the file ends inside it: truncated?)" in err
    assert not (tmp_path / "out").exists()
    assert main([*args, "--lenient"]) == 0
    assert "notes: " in capsys.readouterr().out


def test_score_refuses_ratings_without_a_value(
    community: WrittenFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = pl.read_csv(community.ratings[0], separator="\t", infer_schema_length=0)
    ratings = tmp_path / "ratings-00000.tsv"
    frame.drop("helpfulnessLevel").write_csv(ratings, separator="\t")
    assert main([*_score_args(community, ratings, tmp_path / "out"), "--no-topics"]) == 1
    err = capsys.readouterr().err
    assert f"{ratings}, field 'helpfulnessLevel': none of the {frame.height} ratings" in err


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


def test_score_executor_serial_writes_the_bits_of_the_default(
    scores: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = write_small_community(tmp_path / "community")
    out = tmp_path / "serial"
    args = [*_score_args(files, files.ratings[0], out), "--status", str(files.note_status_history)]
    assert main([*args, "--seed", "1", "--no-topics", "--executor", "serial"]) == 0
    for name in OUTPUT_FILES:
        assert (out / name).read_bytes() == (scores / name).read_bytes(), name
    assert main([*args, "--executor", "threads:0"]) == 1
    assert "executor='threads:0' is not allowed" in capsys.readouterr().err


def test_score_memory_budget_keeps_the_bits_and_refuses_nonsense(
    scores: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = write_small_community(tmp_path / "community")
    out = tmp_path / "budget"
    args = [*_score_args(files, files.ratings[0], out), "--status", str(files.note_status_history)]
    # 1 MiB: no two scorers fit together, so they run one at a time on both threads.
    assert main([*args, "--seed", "1", "--no-topics", "--memory-budget", "0.001"]) == 0
    for name in OUTPUT_FILES:
        assert (out / name).read_bytes() == (scores / name).read_bytes(), name
    for bad in ("-1", "0", "lots"):
        with pytest.raises(SystemExit):
            main([*args, "--memory-budget", bad])
        assert "--memory-budget" in capsys.readouterr().err
