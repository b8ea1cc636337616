"""Compare bridgewatch's scorers with the reference scorer's outputs on one fixture.

Replays the fixture's two runs (run 1 on the input status history; run 2 two hours later on
our own run-1 status history; seed 1) with the whole roster (``--scorers`` to choose), then
prints for each run: status agreement and CRH Jaccard over all notes and over the notes the
reference decided on the Core path, agreement per reference ``decidedBy``, each scorer
family's own status agreement and intercept correlation, the confusion matrix, and every
differing note with the scorer and rule that decided it on each side (and our Core rule trace
for Core-path notes).

Usage: .venv/bin/python benchmarks/compare_reference.py /work/shared/fixtures/S-core
       [--out DIR] [--traces N] [--scorers all]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import polars as pl

from bridgewatch.analysis.enrollment_fidelity import REFERENCE_RUN_NOW_MS
from bridgewatch.analysis.fidelity import (
    agreement_by_decided_by,
    compare_scored_notes,
    compare_scorer_columns,
)
from bridgewatch.pipeline.batch import BatchRun, run_batch
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.explain import render_note_explanation
from bridgewatch.scoring.scorers import default_roster, select_scorers

RUNS = REFERENCE_RUN_NOW_MS


def _tsv(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, separator="\t", infer_schema_length=0, quote_char=None)


def _replay(fixture: Path, out: Path, scorers: str) -> dict[str, BatchRun]:
    inputs = fixture / "input"
    status: Path = inputs / "noteStatusHistory-00000.tsv"
    runs = {}
    for run, now in RUNS.items():
        runs[run] = run_batch(
            notes=inputs / "notes-00000.tsv",
            ratings=inputs / "ratings-00000.tsv",
            status_history=status,
            enrollment=inputs / "userEnrollment-00000.tsv",
            outdir=out / run,
            as_of_ms=now,
            seed=1,
            scorers=select_scorers(default_roster(ScoringConfig()), scorers.split(",")),
        )
        status = out / run / "note_status_history.tsv"
    return runs


def _print_run(run: str, batch: BatchRun, reference: pl.DataFrame, traces: int) -> None:
    ours = batch.result.scored_notes
    everything = compare_scored_notes(ours, reference, rules=None)
    print(
        f"== {run}: all {everything.n_notes} notes: status agreement "
        f"{everything.status_agreement:.4f}; CRH ours {everything.n_crh_ours}, reference "
        f"{everything.n_crh_reference}, both {everything.n_crh_both}, Jaccard "
        f"{everything.crh_jaccard:.4f}"
    )
    with pl.Config(tbl_rows=60, tbl_width_chars=160):
        print(agreement_by_decided_by(ours, reference))
        print(compare_scorer_columns(ours, reference))
    report = compare_scored_notes(ours, reference)
    print(f"== {run}: {report.n_notes} notes decided on the Core path by the reference")
    print(
        f"status agreement {report.status_agreement:.4f}; CRH ours {report.n_crh_ours}, "
        f"reference {report.n_crh_reference}, both {report.n_crh_both}, "
        f"Jaccard {report.crh_jaccard:.4f}; coreNoteIntercept r = "
        f"{report.intercept_correlation:.4f} over {report.n_intercepts} notes"
    )
    print(
        report.confusion.pivot(on="ours", index="reference", values="count")
        .fill_null(0)
        .sort("reference")
    )
    ref = reference.select(
        "noteId",
        pl.col("decidedBy").alias("refDecidedBy"),
        pl.col("coreRatingStatus").alias("refCoreStatus"),
        pl.col("coreActiveRules").alias("refCoreActiveRules"),
        pl.col("coreNoteFactor1").alias("refFactor"),
    )
    mine = ours.select(pl.col("noteId").cast(pl.Utf8), pl.col("decidedBy").alias("ourDecidedBy"))
    differing = everything.differing.join(ref, on="noteId", how="left").join(
        mine, on="noteId", how="left"
    )
    explanations = batch.result.note_explanations
    note_rows = {nid: i for i, nid in enumerate(batch.result.inputs.note_ids.ids.tolist())}
    rules = batch.result.final.rules
    print(f"-- {differing.height} differing notes")
    for k, row in enumerate(differing.iter_rows(named=True)):
        print(
            f"{row['noteId']}: ours {row['ours']} ({row['ourDecidedBy']}), "
            f"reference {row['reference']} ({row['refDecidedBy']}, core "
            f"{row['refCoreStatus']}, intercept {row['referenceIntercept']}, factor "
            f"{row['refFactor']}, rules {row['refCoreActiveRules']})"
        )
        if k < traces:
            explained = explanations.filter(pl.col("noteId") == row["noteId"]).to_dicts()
            if explained:
                row_idx = note_rows[row["noteId"]]
                trace = rules.explain(row_idx) if rules.inputs.scored[row_idx] else None
                text = render_note_explanation(explained[0], trace)
                print("    " + text.replace("\n", "\n    "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("fixture", type=Path, help="fixture directory (input/, reference/)")
    parser.add_argument("--out", type=Path, help="keep our outputs here (default: temporary)")
    parser.add_argument("--traces", type=int, default=1000, help="rule traces to print")
    parser.add_argument("--scorers", default="all", help="scorer names or keywords")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        runs = _replay(args.fixture, out, args.scorers)
        for run, batch in runs.items():
            reference = _tsv(args.fixture / "reference" / run / "scored_notes.tsv")
            _print_run(run, batch, reference, args.traces)


if __name__ == "__main__":
    main()
