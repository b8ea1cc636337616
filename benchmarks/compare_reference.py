"""Compare the Core scorer with the reference scorer's outputs on one fixture.

Replays the fixture's two runs (run 1 on the input status history; run 2 two hours later on
our own run-1 status history; seed 1), then prints for each run: the confusion matrix of
``finalRatingStatus`` over the notes the reference decided on the Core path, the status
agreement, the CRH Jaccard index, the correlation of ``coreNoteIntercept`` with the
reference's, and every differing note with the reference's figures and our rule trace.

Usage: .venv/bin/python benchmarks/compare_reference.py /work/shared/fixtures/S-core
       [--out DIR] [--traces N]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import polars as pl

from bridgewatch.analysis.enrollment_fidelity import REFERENCE_RUN_NOW_MS
from bridgewatch.analysis.fidelity import compare_scored_notes
from bridgewatch.pipeline.batch import BatchRun, run_batch
from bridgewatch.scoring.explain import render_note_explanation

RUNS = REFERENCE_RUN_NOW_MS


def _tsv(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, separator="\t", infer_schema_length=0, quote_char=None)


def _replay(fixture: Path, out: Path) -> dict[str, BatchRun]:
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
        )
        status = out / run / "note_status_history.tsv"
    return runs


def _print_run(run: str, batch: BatchRun, reference: pl.DataFrame, traces: int) -> None:
    report = compare_scored_notes(batch.result.scored_notes, reference)
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
    differing = report.differing.join(ref, on="noteId", how="left")
    explanations = batch.result.note_explanations
    note_rows = {nid: i for i, nid in enumerate(batch.result.inputs.note_ids.ids.tolist())}
    rules = batch.result.final.rules
    print(f"-- {differing.height} differing notes")
    for k, row in enumerate(differing.iter_rows(named=True)):
        print(
            f"{row['noteId']}: reference {row['reference']} ({row['refDecidedBy']}, core "
            f"{row['refCoreStatus']}, intercept {row['referenceIntercept']}, factor "
            f"{row['refFactor']}, rules {row['refCoreActiveRules']})"
        )
        if k < traces:
            ours = explanations.filter(pl.col("noteId") == row["noteId"]).to_dicts()
            if ours:
                row_idx = note_rows[row["noteId"]]
                trace = rules.explain(row_idx) if rules.inputs.scored[row_idx] else None
                text = render_note_explanation(ours[0], trace)
                print("    " + text.replace("\n", "\n    "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("fixture", type=Path, help="fixture directory (input/, reference/)")
    parser.add_argument("--out", type=Path, help="keep our outputs here (default: temporary)")
    parser.add_argument("--traces", type=int, default=1000, help="rule traces to print")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        runs = _replay(args.fixture, out)
        for run, batch in runs.items():
            reference = _tsv(args.fixture / "reference" / run / "scored_notes.tsv")
            _print_run(run, batch, reference, args.traces)


if __name__ == "__main__":
    main()
