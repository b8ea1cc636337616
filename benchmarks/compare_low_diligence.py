"""Low-diligence intercepts of two bridgewatch outputs against each other and the reference.

Reads ``lowDiligenceIntercept`` from each directory's ``aux_note_info.tsv`` and prints, per
pair, the Pearson r over the notes where both have a value, the largest absolute difference
and how many notes fall on different sides of the rule-10 threshold (0.263, scoring-core.md
§5.4, FilterLowDiligence). Used to check the float32 BCE training against float64:

    python benchmarks/compare_low_diligence.py OURS_F32/run2 OURS_F64/run2 \\
        /work/shared/fixtures/S-core/reference/run2
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import polars as pl

COLUMN = "lowDiligenceIntercept"
THRESHOLD = 0.263


def _intercepts(run: Path) -> pl.DataFrame:
    frame = pl.read_csv(run / "aux_note_info.tsv", separator="\t", infer_schema_length=0)
    return frame.select(
        pl.col("noteId"), pl.col(COLUMN).cast(pl.Float64, strict=False).alias(str(run))
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="+", type=Path, help="output directories (run1 or run2)")
    args = ap.parse_args()
    frames = [_intercepts(r) for r in args.runs]
    for i in range(len(frames)):
        for j in range(i + 1, len(frames)):
            a, b = str(args.runs[i]), str(args.runs[j])
            both = frames[i].join(frames[j], on="noteId").drop_nulls().drop_nans()
            x, y = both[a].to_numpy(), both[b].to_numpy()
            r = float(np.corrcoef(x, y)[0, 1]) if x.shape[0] > 1 else float("nan")
            sides = int(np.sum((x > THRESHOLD) != (y > THRESHOLD)))
            diff = float(np.max(np.abs(x - y))) if x.shape[0] else float("nan")
            print(
                f"{a}\n  vs {b}: {x.shape[0]} notes, r = {r:.6f}, max |diff| = {diff:.4g}, "
                f"{sides} on different sides of {THRESHOLD}, above: {int(np.sum(x > THRESHOLD))} "
                f"/ {int(np.sum(y > THRESHOLD))}"
            )


if __name__ == "__main__":
    main()
