"""Opinion groups of a `bridgewatch simulate` directory against its ground-truth camps.

Reads the ratings (TSV or Parquet shards) and ``truth/raters.tsv``, runs ``opinion_groups``
alone (no score tables needed) and prints: k, group sizes, the adjusted Rand index against
the simulated camps over every placed rater, over the clustered raters (those with
``cluster_min_ratings`` votes) and per band of ratings per rater, next to a classifier that
knows each note's true slant (sign of the sum over the rater's votes of (vote - the
note's mean vote) x slant), and the CPU seconds and peak RSS
of the projection and clustering.

    PYTHONPATH=src python benchmarks/groups_truth.py /work/wt/groups-data/sim10m
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import polars as pl

from bridgewatch.analysis.embeddings import (
    OpinionGroupsConfig,
    compare_labels,
    label_rows,
    opinion_groups,
)
from bridgewatch.analysis.embeddings.load import read_rating_matrix

_BANDS = ((7, 15), (15, 30), (30, 60), (60, 120), (120, 10**9))


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("simulation", type=Path, help="`bridgewatch simulate --outdir` directory")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    shards = args.simulation / "ratings"
    ratings = shards if shards.is_dir() else args.simulation / "ratings-00000.tsv"
    cpu = _cpu_s()
    matrix = read_rating_matrix(ratings)
    print(f"read {matrix.n_ratings:,} ratings in {_cpu_s() - cpu:.1f} s CPU")
    ids = {"participantId": pl.String, "noteId": pl.String}
    truth = args.simulation / "truth"
    raters = pl.read_csv(truth / "raters.tsv", separator="\t", schema_overrides=ids)
    notes = pl.read_csv(truth / "notes.tsv", separator="\t", schema_overrides=ids)
    camp = label_rows(matrix.rater_ids, raters, "participantId", "camp")
    camps = np.where(np.isnan(camp), -1, camp > 0).astype(np.int64)

    wall, cpu = time.perf_counter(), _cpu_s()
    config = OpinionGroupsConfig(seed=args.seed)
    groups = opinion_groups(matrix, config)
    cpu_groups, wall_groups = _cpu_s() - cpu, time.perf_counter() - wall
    labels = groups.labels_for(matrix.rater_ids)
    clustered = (
        label_rows(
            matrix.rater_ids,
            groups.raters.with_columns(pl.col("clustered").cast(pl.Float64)),
            "raterParticipantId",
            "clustered",
        )
        == 1.0
    )
    per_rater = matrix.ratings_per_rater()
    slant = label_rows(matrix.note_ids, notes, "noteId", "slant")
    # Votes centred by their note's mean (the note's quality out), times the true slant.
    note_mean = np.bincount(
        matrix.note_idx, weights=matrix.votes.astype(np.float64), minlength=matrix.n_notes
    ) / np.maximum(np.bincount(matrix.note_idx, minlength=matrix.n_notes), 1)
    slant_sum = np.bincount(
        matrix.rater_idx,
        weights=(matrix.votes - note_mean[matrix.note_idx]) * np.nan_to_num(slant[matrix.note_idx]),
        minlength=matrix.n_raters,
    )
    oracle = np.where(labels >= 0, (slant_sum > 0).astype(np.int64), -1)

    def ari(lab: np.ndarray, mask: np.ndarray) -> float:
        return float(compare_labels("a", np.where(mask, lab, -1), "camp", camps)["ari"][0])

    sizes = groups.raters.group_by("group").len().sort("group")["len"].to_list()
    print(
        f"{matrix.n_ratings:,} ratings, {int((per_rater > 0).sum()):,} raters, "
        f"{matrix.n_notes:,} notes; placed {groups.raters.height:,}, "
        f"clustered {int(clustered.sum()):,}"
    )
    print(f"k = {groups.k}, group sizes {sizes}, silhouettes {groups.silhouettes.rows()}")
    print(f"explained variance {np.round(groups.explained_variance, 4).tolist()}")
    rows = [("all placed", labels >= 0), ("clustered", clustered)]
    rows += [(f"{lo}-{hi - 1} ratings", (per_rater >= lo) & (per_rater < hi)) for lo, hi in _BANDS]
    print(f"{'raters':<18} {'n':>9} {'ARI groups':>10} {'ARI oracle':>10}")
    for name, mask in rows:
        mask = mask & (labels >= 0)
        got, best = ari(labels, mask), ari(oracle, mask)
        print(f"{name:<18} {int(mask.sum()):>9,} {got:>10.3f} {best:>10.3f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(
        f"opinion_groups: {wall_groups:.1f} s wall, {cpu_groups:.1f} s CPU; peak RSS {peak:.2f} GiB"
    )


if __name__ == "__main__":
    main()
