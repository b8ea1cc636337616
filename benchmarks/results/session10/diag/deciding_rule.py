"""For aged-pool whole-roster cells, defences on: which rule/scorer decided the status of the
promote targets that end CRH and of the suppress targets (good notes) that lose CRH."""

import sys
import tempfile
from collections import Counter
from pathlib import Path

import polars as pl

from bridgewatch.analysis.attack import (
    STRUCTURE_KINDS,
    AttackBenchConfig,
    crh_ids,
    defence_config,
    load_community,
    score_dataset,
)
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.sim import simulate

kind = sys.argv[1]
for arg in sys.argv[2:]:
    seed, share = arg.split(":")
    seed = int(seed)
    share = float(share) / 100
    bench = AttackBenchConfig(
        shares=(share,), seeds=(seed,), kinds=(kind,), structures=STRUCTURE_KINDS
    )
    community = simulate(bench.community(seed, share, kind))
    with tempfile.TemporaryDirectory() as tmp:
        data = load_community(community, Path(tmp))
        res = score_dataset(data, defence_config(ScoringConfig(topics=None)), "all")
    crh = crh_ids(res)
    ex = res.note_explanations
    for goal in ("promote", "suppress"):
        ids = community.note_truth.filter(pl.col("attackGoal") == goal)["noteId"].to_list()
        sel = ex.filter(pl.col("noteId").is_in(ids))
        sel = (
            sel.filter(pl.col("noteId").is_in(list(crh)))
            if goal == "promote"
            else sel.filter(~pl.col("noteId").is_in(list(crh)))
        )
        c = Counter(
            zip(
                sel["preStabilizationRatingStatus"].to_list(),
                sel["metaScorerActiveRules"].to_list(),
                sel["coreRatingStatus"].to_list(),
                strict=False,
            )
        )
        print(
            f"seed {seed} {share:.0%} {goal} ({'CRH' if goal == 'promote' else 'not CRH'}): {sel.height}: "  # noqa: E501
            + "; ".join(f"{k}x{v}" for k, v in c.most_common())
        )
