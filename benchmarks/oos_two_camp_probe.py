"""A stronger out-of-scope attacker: the bench's ``out-of-scope`` brigades (fresh accounts
outside the Core modeling groups) with half of each brigade in the other viewpoint camp
(``two_camp_share``), the bridging agreement that Expansion, which sees them, rewards.

Runs the bench's cells (reference, defences off, on; whole roster, honest structures) for
the given shares and seeds with ``run_cell`` and prints every column of the bench table.

    python benchmarks/oos_two_camp_probe.py 10,20 3,4

(issue #15, adv15: does the capture guard's verdict rule open the door that the guard
kept shut for out-of-scope promotion?)
"""

from __future__ import annotations

import dataclasses
import sys

import polars as pl

from bridgewatch.analysis.attack import (
    STRUCTURE_KINDS,
    AttackBenchConfig,
    CellSpec,
    cell_table,
    defence_config,
    run_cell,
)
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.sim.config import BrigadeConfig, BrigadeGoal


@dataclasses.dataclass(frozen=True)
class _TwoCampOutOfScope(AttackBenchConfig):
    def brigade(self, kind: str, members: int, goal: BrigadeGoal) -> BrigadeConfig:
        out = super().brigade(kind, members, goal)
        if kind != "out-of-scope":
            return out
        return dataclasses.replace(out, cross_camp_share=self.two_camp_share)


def main() -> None:
    shares = tuple(float(s) / 100.0 for s in sys.argv[1].split(","))
    seeds = tuple(int(s) for s in sys.argv[2].split(","))
    bench = _TwoCampOutOfScope(
        shares=shares, seeds=seeds, kinds=("out-of-scope",), structures=STRUCTURE_KINDS
    )
    configs = [ScoringConfig(), defence_config(ScoringConfig())]
    cells = [
        c
        for seed in seeds
        for share in shares
        for c in run_cell(bench, CellSpec(seed, share, "out-of-scope"), configs)
    ]
    table = cell_table(cells)
    pl.Config.set_tbl_rows(100)
    pl.Config.set_tbl_cols(60)
    pl.Config.set_tbl_width_chars(400)
    keep = [
        "seed",
        "share",
        "defences",
        "promoted_crh",
        "promote_crh_ref",
        "promote_targets",
        "good_suppressed",
        "good_targets",
        "honest_lost",
        "honest_gained",
        "honest_helpful_drop",
        "honest_removed_any",
        "honest_flagged",
        "adversaries_flagged",
    ]
    print(table.select([c for c in keep if c in table.columns]))


if __name__ == "__main__":
    main()
