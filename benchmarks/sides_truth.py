"""Cross-fitted sides of a `bridgewatch simulate` directory against its ground-truth camps.

Reads the ratings (TSV or Parquet shards) and ``truth/raters.tsv`` and prints, for the
sides ``crossfit_sides`` learns on each half of the notes (no score tables needed): how many
raters get a side, the adjusted Rand index of those sides against the simulated camps, and
the agreement-graph measures (cross-side disagreement, modularity, insularity) judged with
them, next to the same measures with the simulated camps as the sides (what perfect sides
would give; cross-fitted sides are learned from half of each rater's votes, so they fall
short of it), and the CPU seconds and peak RSS of the side fit.

    PYTHONPATH=src python benchmarks/sides_truth.py /work/data/polar-10m
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.metrics import adjusted_rand_score

from bridgewatch.analysis.embeddings import graph_measures, label_rows
from bridgewatch.analysis.embeddings.load import read_rating_matrix
from bridgewatch.analysis.embeddings.polarization import crossfit_sides


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("simulation", type=Path, help="`bridgewatch simulate --outdir` directory")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-ratings", type=int, default=5)
    args = parser.parse_args()
    shards = args.simulation / "ratings"
    ratings = shards if shards.is_dir() else args.simulation / "ratings-00000.tsv"
    matrix = read_rating_matrix(ratings)
    truth = pl.read_csv(
        args.simulation / "truth" / "raters.tsv",
        separator="\t",
        columns=["participantId", "camp"],
        schema_overrides={"participantId": pl.String},
    )
    camp = label_rows(matrix.rater_ids, truth, "participantId", "camp")
    camps = np.where(np.isnan(camp), -1, camp > 0).astype(np.int64)
    print(f"{matrix.n_ratings:,} ratings, {matrix.n_raters:,} raters, {matrix.n_notes:,} notes")
    heavy = matrix.ratings_per_rater() >= args.min_ratings
    want = graph_measures(matrix, np.where(heavy, camps, -1))
    cpu, wall = _cpu_s(), time.perf_counter()
    sides = crossfit_sides(matrix, min_ratings=args.min_ratings, seed=args.seed)
    cpu, wall = _cpu_s() - cpu, time.perf_counter() - wall
    for h in (0, 1):
        placed = sides.sides[h] >= 0
        ari = adjusted_rand_score(camps[placed], sides.sides[h][placed])
        n = int(placed.sum())
        print(f"half {h}: {n:,} raters with a side, ARI against the camps {ari:.3f}")
    got = graph_measures(matrix, sides.rating_labels(matrix))
    print(f"{'measure':<26}{'cross-fitted':>14}{'camps as sides':>16}")
    for name, value in got.items():
        print(f"{name:<26}{value:>14.4f}{want[name]:>16.4f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"crossfit_sides: {wall:.1f} s wall, {cpu:.1f} s CPU; peak RSS {peak:.2f} GiB")


if __name__ == "__main__":
    main()
