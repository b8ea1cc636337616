"""Core-like score tables for a `bridgewatch simulate` directory, made from its ground truth.

To time `bridgewatch analyze` on a simulated community without its `score` run (at 150M
ratings the Core run takes ~25 min and ~19 GiB): ``scored_notes.tsv`` and
``helpfulness_scores.tsv`` with the Core columns, as noisy functions of the truth, made the
way ``bench_analyze.py`` makes them (note intercept 0.15 x quality, factor 0.4 x slant;
rater intercept 0.3 x leniency, factor 0.5 x position; Gaussian noise, seed 0) plus each
rater's modeling group. The analysis's cost does not depend on how the factors were fitted;
its results on these tables are not Core's.

    python benchmarks/stand_in_scores.py /work/data/150M /work/data/150M/scores_synthetic
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import polars as pl

from bridgewatch.io.writers import write_helpfulness_scores, write_scored_notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("simulation", type=Path, help="`bridgewatch simulate --outdir` directory")
    parser.add_argument("outdir", type=Path, help="where the two tables go")
    args = parser.parse_args()
    truth = args.simulation / "truth"
    args.outdir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    notes = pl.read_csv(
        truth / "notes.tsv",
        separator="\t",
        columns=["noteId", "quality", "slant"],
        schema_overrides={"noteId": pl.String},
    )
    quality, slant = notes["quality"].to_numpy(), notes["slant"].to_numpy()
    intercept = 0.15 * quality + rng.normal(0, 0.05, quality.shape[0])
    factor = 0.4 * slant + rng.normal(0, 0.1, quality.shape[0])
    status = np.where(
        intercept >= 0.4,
        "CURRENTLY_RATED_HELPFUL",
        np.where(
            intercept <= -0.05 - 0.8 * np.abs(factor),
            "CURRENTLY_RATED_NOT_HELPFUL",
            "NEEDS_MORE_RATINGS",
        ),
    )
    write_scored_notes(
        pl.DataFrame(
            {
                "noteId": notes["noteId"],
                "coreNoteIntercept": intercept,
                "coreNoteFactor1": factor,
                "coreRatingStatus": status,
                "finalRatingStatus": status,
            }
        ),
        args.outdir / "scored_notes.tsv",
    )
    raters = pl.read_csv(
        truth / "raters.tsv",
        separator="\t",
        columns=["participantId", "position", "leniency", "modelingGroup"],
        schema_overrides={"participantId": pl.String},
    )
    position = raters["position"].to_numpy()
    write_helpfulness_scores(
        pl.DataFrame(
            {
                "raterParticipantId": raters["participantId"],
                "coreRaterIntercept": 0.3 * raters["leniency"].to_numpy(),
                "coreRaterFactor1": 0.5 * position + rng.normal(0, 0.2, position.shape[0]),
                "modelingGroup": raters["modelingGroup"].cast(pl.Float64),
            }
        ),
        args.outdir / "helpfulness_scores.tsv",
    )
    print(f"wrote {args.outdir}/scored_notes.tsv and helpfulness_scores.tsv")


if __name__ == "__main__":
    main()
