"""How many honest helpful notes a bench community's reference loses and gains when N
random ratings are removed: the noise floor of the honest helpful-rate column (issue #15,
session 17, ``results/adv17/``). Scores the cell's community without the attack (the
reference, defences off, topics on as the bench, Core) and the same minus ``N`` random
ratings for each draw.

    python benchmarks/churn_probe.py --kind aged-pool --share 15 --seed 7 --remove 1200 --draws 3
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from bridgewatch.analysis.attack import (
    STRUCTURE_KINDS,
    AttackBenchConfig,
    crh_ids,
    drop_attack_ratings,
    load_community,
    score_dataset,
)
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.sim import simulate


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--kind", default="aged-pool")
    p.add_argument("--share", type=float, default=15.0)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--remove", type=int, default=1200)
    p.add_argument("--draws", type=int, default=3)
    a = p.parse_args()
    share = a.share / 100.0
    bench = AttackBenchConfig(
        shares=(share,), seeds=(a.seed,), kinds=(a.kind,), structures=STRUCTURE_KINDS
    )
    community = drop_attack_ratings(simulate(bench.community(a.seed, share, a.kind)))
    truth = community.note_truth
    honest = set(
        truth.filter(~truth["attackTarget"] & (truth["quality"] >= bench.helpful_quality))[
            "noteId"
        ].to_list()
    )
    with tempfile.TemporaryDirectory(prefix="bw-churn-") as tmp:
        ref = crh_ids(
            score_dataset(load_community(community, Path(tmp) / "r"), ScoringConfig(), "core")
        )
        base = honest & ref
        print(f"honest {len(honest)}, helpful in the reference {len(base)}")
        rng = np.random.default_rng(a.seed)
        for d in range(a.draws):
            keep = np.ones(community.ratings.height, dtype=np.bool_)
            keep[rng.choice(keep.size, size=a.remove, replace=False)] = False
            trimmed = dataclasses.replace(
                community, ratings=community.ratings.filter(pl.Series(keep))
            )
            got = honest & crh_ids(
                score_dataset(load_community(trimmed, Path(tmp) / f"d{d}"), ScoringConfig(), "core")
            )
            lost, gained = len(base - got), len(got - base)
            print(
                f"draw {d}: -{a.remove} random ratings: honest lost {lost}, gained {gained}, "
                f"net drop {100 * (lost - gained) / len(honest):+.2f} points"
            )


if __name__ == "__main__":
    main()
