"""Batch scoring of files: outputs written together or not at all."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from bridgewatch.pipeline import batch
from bridgewatch.pipeline.batch import (
    CORE_RULES_FILE,
    EXPLANATIONS_FILE,
    OUTPUT_FILES,
    SCORER_RULES_DIR,
    BatchRun,
    run_batch,
)
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.sim import WrittenFiles
from tests.scoring.community import write_small_community


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> WrittenFiles:
    return write_small_community(tmp_path_factory.mktemp("community"))


@pytest.fixture(scope="module")
def run(files: WrittenFiles, tmp_path_factory: pytest.TempPathFactory) -> BatchRun:
    return run_batch(
        notes=files.notes,
        ratings=files.ratings[0],
        status_history=files.note_status_history,
        enrollment=files.user_enrollment,
        outdir=tmp_path_factory.mktemp("out") / "scores",
        seed=1,
        config=ScoringConfig(topics=None),
    )


def test_writes_the_four_reference_files_and_the_explanation_files(run: BatchRun) -> None:
    out = run.files[0].parent
    assert [p.name for p in run.files] == [
        *OUTPUT_FILES,
        EXPLANATIONS_FILE,
        CORE_RULES_FILE,
        SCORER_RULES_DIR,
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in run.files)
    # One rule-figure file per scorer that scored notes besides Core.
    per_scorer = {p.stem for p in (out / SCORER_RULES_DIR).iterdir()}
    assert {"MFExpansionScorer", "MFExpansionPlusScorer", "GaussianScorer"} <= per_scorer
    scored = pl.read_csv(out / "scored_notes.tsv", separator="\t", infer_schema_length=0)
    assert scored.height == run.result.scored_notes.height
    assert scored["noteId"].to_list() == run.result.scored_notes["noteId"].to_list()


def test_timings_cover_load_every_stage_and_write(run: BatchRun) -> None:
    names = list(run.timings)
    assert names[0] == "load" and names[-1] == "write"
    assert set(run.result.timings) <= set(run.timings)


def test_written_status_history_feeds_the_next_run(
    run: BatchRun, files: WrittenFiles, tmp_path: Path
) -> None:
    out = run.files[0].parent
    later = run_batch(
        notes=files.notes,
        ratings=files.ratings[0],
        status_history=out / "note_status_history.tsv",
        enrollment=files.user_enrollment,
        outdir=tmp_path / "later",
        as_of_ms=run.result.as_of_ms + 7_200_000,
        seed=1,
        config=ScoringConfig(topics=None),
    )
    crh = later.result.scored_notes["finalRatingStatus"] == "CURRENTLY_RATED_HELPFUL"
    assert crh.sum() > 0


def test_a_failed_write_leaves_no_partial_outputs(
    run: BatchRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(frame: pl.DataFrame, path: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setitem(batch._WRITERS, "note_status_history.tsv", broken)
    out = tmp_path / "scores"
    with pytest.raises(OSError, match="disk full"):
        batch.write_outputs(run.result, out)
    assert list(out.iterdir()) == []
