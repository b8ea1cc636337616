"""The whole scorer roster against the reference scorer's outputs on the S-core, S-full and
S-groups fixtures.

Replays each fixture's two runs: run 1 on the input status history with now = 1793494800000,
run 2 two hours later on **our** run-1 status history (seed 1 both times), with every scorer of
the default roster. Over all notes, and over the notes the reference decided on the Core path,
at least 98% (Core path: 99% in run 2) must get the same final status and the
CURRENTLY_RATED_HELPFUL sets must overlap with Jaccard >= 0.93 (the reference agrees with
itself across seeds at 99.2% / 0.96 on S-full, fixtures/README.md). Each scorer's own status
column is compared where both have one (multimodel §13).
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from bridgewatch.analysis.fidelity import (
    FidelityReport,
    agreement_by_decided_by,
    compare_scored_notes,
    compare_scorer_columns,
)
from bridgewatch.pipeline.batch import BatchRun, run_batch

pytestmark = pytest.mark.slow

# $BRIDGEWATCH_FIXTURES, else ../shared beside the repository (CI), else the worktree layout.
_BESIDE = Path(__file__).parents[3] / "shared" / "fixtures"
FIXTURES = Path(
    os.environ.get("BRIDGEWATCH_FIXTURES", _BESIDE if _BESIDE.is_dir() else "/work/shared/fixtures")
)
RUN1_NOW_MS = 1_793_494_800_000
RUN2_NOW_MS = 1_793_502_000_000

MIN_STATUS_AGREEMENT = 0.98
MIN_CRH_JACCARD = 0.93
MIN_INTERCEPT_CORRELATION = 0.99


def _input(fixture: str, name: str) -> Path:
    path = FIXTURES / fixture / "input" / name
    if not path.exists():
        pytest.skip(f"fixture file {path} is not available")
    return path


def _reference(fixture: str, run: str, name: str = "scored_notes.tsv") -> pl.DataFrame:
    return pl.read_csv(
        FIXTURES / fixture / "reference" / run / name,
        separator="\t",
        infer_schema_length=0,
        quote_char=None,
    )


@pytest.fixture(scope="module", params=["S-core", "S-full", "S-groups"])
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, BatchRun | str]:
    fixture: str = request.param
    out = tmp_path_factory.mktemp(fixture)
    common = {
        "notes": _input(fixture, "notes-00000.tsv"),
        "ratings": _input(fixture, "ratings-00000.tsv"),
        "enrollment": _input(fixture, "userEnrollment-00000.tsv"),
        "seed": 1,
    }
    run1 = run_batch(
        **common,  # type: ignore[arg-type]
        status_history=_input(fixture, "noteStatusHistory-00000.tsv"),
        outdir=out / "run1",
        as_of_ms=RUN1_NOW_MS,
    )
    run2 = run_batch(
        **common,  # type: ignore[arg-type]
        status_history=out / "run1" / "note_status_history.tsv",
        outdir=out / "run2",
        as_of_ms=RUN2_NOW_MS,
    )
    return {"fixture": fixture, "run1": run1, "run2": run2}


def _run(runs: dict[str, BatchRun | str], run: str) -> BatchRun:
    batch = runs[run]
    assert isinstance(batch, BatchRun)
    return batch


def _report(runs: dict[str, BatchRun | str], run: str) -> FidelityReport:
    fixture = str(runs["fixture"])
    return compare_scored_notes(_run(runs, run).result.scored_notes, _reference(fixture, run))


@pytest.mark.parametrize("run", ["run1", "run2"])
def test_core_path_statuses_agree_with_the_reference(
    runs: dict[str, BatchRun | str], run: str
) -> None:
    report = _report(runs, run)
    assert report.n_notes > 900  # S-groups run 2 decides 993 on the Core path
    assert report.status_agreement >= MIN_STATUS_AGREEMENT, report.confusion
    assert report.crh_jaccard >= MIN_CRH_JACCARD, (
        report.n_crh_ours,
        report.n_crh_reference,
        report.n_crh_both,
    )


@pytest.mark.parametrize("run", ["run1", "run2"])
def test_core_intercepts_correlate_with_the_reference(
    runs: dict[str, BatchRun | str], run: str
) -> None:
    report = _report(runs, run)
    assert report.n_intercepts > 800
    assert report.intercept_correlation >= MIN_INTERCEPT_CORRELATION


def test_run2_releases_helpful_notes_held_in_run1(runs: dict[str, BatchRun | str]) -> None:
    # Run 1 cannot produce CRH (stabilization, scoring-core.md §9.4); run 2 releases them.
    first = _run(runs, "run1").result.scored_notes["finalRatingStatus"]
    second = _run(runs, "run2").result.scored_notes["finalRatingStatus"]
    assert (first == "CURRENTLY_RATED_HELPFUL").sum() == 0
    assert (second == "CURRENTLY_RATED_HELPFUL").sum() > 100


def test_outputs_have_the_reference_columns(runs: dict[str, BatchRun | str]) -> None:
    out = _run(runs, "run2").files[0].parent
    for name in (
        "scored_notes.tsv",
        "aux_note_info.tsv",
        "note_status_history.tsv",
        "helpfulness_scores.tsv",
    ):
        ours = pl.read_csv(out / name, separator="\t", n_rows=1, infer_schema_length=0)
        assert ours.columns == _reference(str(runs["fixture"]), "run2", name).columns, name


@pytest.mark.parametrize("run", ["run1", "run2"])
def test_all_notes_agree_with_the_reference(runs: dict[str, BatchRun | str], run: str) -> None:
    fixture = str(runs["fixture"])
    ours = _run(runs, run).result.scored_notes
    report = compare_scored_notes(ours, _reference(fixture, run), rules=None)
    assert report.n_notes == 2000
    by_rule = agreement_by_decided_by(ours, _reference(fixture, run))
    assert report.status_agreement >= MIN_STATUS_AGREEMENT, (report.confusion, by_rule)
    assert report.crh_jaccard >= MIN_CRH_JACCARD, (
        report.n_crh_ours,
        report.n_crh_reference,
        report.n_crh_both,
    )


def test_core_path_stays_at_99_percent_in_run2(runs: dict[str, BatchRun | str]) -> None:
    report = _report(runs, "run2")
    assert report.status_agreement >= 0.99, report.confusion


# Each scorer family's own status where both have one (multimodel §13's first check). The
# rows each scorer emits must be the reference's exactly. Measured floors per fixture; the
# README lists the figures and why S-groups' topics and group 14 fall short of 97%
# (non-convex fits that land in another optimum than the reference's gradient descent; the
# group family there includes group 14 at 71% of 31 notes). S-groups topics:
# UkraineConflict and InDimensionTwo sit in another local optimum of the same objective
# (ours 0.08251 / 0.13718 vs the reference's 0.08308 / 0.13875, test_topic_optimum.py);
# started in the reference's optimum they agree 95% / 98% with every confidence bit equal.
MIN_FAMILY_AGREEMENT: dict[str, dict[str, float]] = {
    "S-core": {"topic": 0.97, "group": 0.97},
    "S-full": {"topic": 0.97, "group": 0.97},
    "S-groups": {"topic": 0.88, "group": 0.965},
}


def test_each_scorer_agrees_with_the_reference(runs: dict[str, BatchRun | str]) -> None:
    fixture = str(runs["fixture"])
    table = compare_scorer_columns(
        _run(runs, "run2").result.scored_notes, _reference(fixture, "run2")
    )
    floors = MIN_FAMILY_AGREEMENT[fixture]
    for row in table.iter_rows(named=True):
        assert row["reference_only"] == 0 and row["ours_only"] == 0, row
        if row["both"]:
            assert row["agreement"] >= floors.get(row["family"], 0.97), row
        broad = ("core", "coreWithTopics", "expansion", "expansionPlus", "gaussian", "coverage")
        if row["family"] in broad:
            assert row["intercept_r"] >= 0.99, row


def test_topic_final_round_counts_match_the_reference(runs: dict[str, BatchRun | str]) -> None:
    # topicNumFinalRoundRatings counts each topic note's ratings from the raters of the
    # topic's prescoring (round 1 of the 5/10-filtered topic ratings, multimodel §5.2, §2.7):
    # equal counts on every note mean the same prescoring rater set. It does not depend on
    # which optimum the non-convex fit lands in.
    fixture = str(runs["fixture"])
    columns = ["noteId", "noteTopic", "topicNumFinalRoundRatings"]
    ours = _run(runs, "run2").result.scored_notes.select(columns)
    theirs = _reference(fixture, "run2").select(columns)
    joined = theirs.join(ours, on="noteId", suffix="_ours").filter(
        pl.col("noteTopic").is_not_null() & (pl.col("noteTopic") != "")
    )
    assert joined.height > 300
    expected = joined["topicNumFinalRoundRatings"].replace("", None).cast(pl.Float64)
    got = joined["topicNumFinalRoundRatings_ours"].cast(pl.Float64)
    differ = (expected.fill_null(-1.0) != got.fill_null(-1.0)).sum()
    assert differ == 0, joined.filter(expected.fill_null(-1.0) != got.fill_null(-1.0)).head()
