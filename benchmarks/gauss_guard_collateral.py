"""The push guard's effect, cell by cell: every attack-bench community scored with the
defences on, with and without ``push_guard``, on the whole roster.

The guard changes nothing but the Gaussian scorers' intercepts on pushed notes: the
defences-off runs, the references and the defence audit (ratings removed, raters flagged)
of ``bridgewatch attack-bench`` are the same with or without it. So the only figures it can
move are the statuses of the defended run; this prints, per cell, how many pushed cells the
run found and which notes changed status (brigade targets, truly helpful non-targets,
others), with the targets helpful with the guard off and on.

    python benchmarks/gauss_guard_collateral.py --kinds fresh,aged --shares 0,10,20 --seed 0
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from bridgewatch.analysis.attack import (
    BRIGADE_KINDS,
    STRUCTURE_KINDS,
    AttackBenchConfig,
    defence_config,
    load_community,
    score_dataset,
)
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import screen_shared
from bridgewatch.scoring.inputs import prepare_core_inputs
from bridgewatch.scoring.run import ScoringResult
from bridgewatch.sim import simulate

_CRH = 1


def _crh(result: ScoringResult) -> set[str]:
    ids = np.asarray(result.inputs.note_ids.ids, dtype=object)
    return set(ids[result.meta.pre_stabilization_status == _CRH].tolist())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", default=",".join(BRIGADE_KINDS))
    parser.add_argument("--shares", default="0,10,20")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    shares = [float(s) / 100 for s in args.shares.split(",")]
    on = defence_config(ScoringConfig(topics=None))
    off = dataclasses.replace(on, push_guard=None)
    bench = AttackBenchConfig(
        shares=tuple(shares), seeds=(args.seed,), kinds=tuple(kinds), structures=STRUCTURE_KINDS
    )
    print(
        "| kind | share | pushed cells | promote targets CRH off -> on | suppress targets CRH "
        "off -> on | good non-targets changed | other notes changed | CPU s off / on |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for share in shares:
        for kind in kinds if share > 0 else ["none"]:
            community = simulate(bench.community(args.seed, share, kind if share else kinds[0]))
            truth = community.note_truth
            promote = set(truth.filter(pl.col("attackGoal") == "promote")["noteId"].to_list())
            suppress = set(truth.filter(pl.col("attackGoal") == "suppress")["noteId"].to_list())
            good = set(
                truth.filter(
                    (pl.col("quality") >= bench.helpful_quality) & ~pl.col("attackTarget")
                )["noteId"].to_list()
            )
            with tempfile.TemporaryDirectory(prefix="bw-guard-") as tmp:
                data = load_community(community, Path(tmp))
                windows = screen_shared(prepare_core_inputs(data, on), on).inputs.push_windows
                sets, cpu = [], []
                for config in (off, on):
                    start = time.process_time()
                    sets.append(_crh(score_dataset(data, config, "all")))
                    cpu.append(time.process_time() - start)
            a, b = sets
            changed = a ^ b
            print(
                f"| {kind} | {share:.0%} | {0 if windows is None else windows.n_cells} | "
                f"{len(promote & a)} -> {len(promote & b)} | "
                f"{len(suppress & a)} -> {len(suppress & b)} | "
                f"{len(changed & good)} | {len(changed - good - promote - suppress)} | "
                f"{cpu[0]:.1f} / {cpu[1]:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
