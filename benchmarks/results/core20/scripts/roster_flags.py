# ruff: noqa: E402
import tempfile
from pathlib import Path

import numpy as np

from bridgewatch.analysis.attack import (
    AttackBenchConfig,
    _truth_masks,
    defence_config,
    load_community,
    score_dataset,
)
from bridgewatch.analysis.attack_metrics import flagged_raters
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.sim import simulate

bench = AttackBenchConfig(structures=("circles-one", "circles-both", "group", "active"))
com = simulate(bench.community(0, 0.2, "aged-pool"))
data = load_community(com, Path(tempfile.mkdtemp()) / "a")
res = score_dataset(data, defence_config(ScoringConfig(topics=None)), "all")
adv, struct = _truth_masks(res, com.rater_truth)
n = res.inputs.n_participants
nn = res.inputs.n_notes
honest = ~adv
for name, run in res.roster.runs.items():
    parts = {}
    if run.screening is not None and run.screening.unexplained is not None:
        parts["unexpl_pre"] = int(
            honest[
                run.screening.unexplained.flagged_raters[
                    run.screening.unexplained.flagged_raters < n
                ]
            ].sum()
        )
    if run.defences is not None and run.defences.unexplained is not None:
        f = run.defences.unexplained.flagged_raters
        parts["unexpl_fin"] = int(honest[f[f < n]].sum())
    if run.defences is not None and run.defences.bursts is not None:
        parts["bursts"] = int((run.defences.bursts.coordinated[:n] & honest).sum())
    if run.removed is not None and run.removed.size:
        r = run.removed // nn
        parts["removed_honest_ratings"] = int(honest[r].sum())
        parts["removed_honest_raters"] = int(np.unique(r[honest[r]]).size)
    if any(parts.values()):
        print(name, parts)
print("flagged honest", int((flagged_raters(res) & honest).sum()))
import polars as pl

nt = com.note_truth
note_ids = np.asarray(res.inputs.note_ids.ids, dtype=object)
for name in ("MFExpansionScorer",):
    run = res.roster[name]
    if run.removed is None or not run.removed.size:
        continue
    r = run.removed // nn
    nidx = run.removed % nn
    h = honest[r]
    ids = note_ids[nidx[h]]
    print(
        name,
        "honest removed on notes:",
        dict(zip(*np.unique(ids, return_counts=True), strict=False)),
    )
    print(
        nt.filter(pl.col("noteId").is_in(list(set(ids)))).select(
            "noteId", "quality", "attackTarget", "attackGoal", "circleId"
        )
    )
    un = run.screening.unexplained
    print(
        "unexplained flagged", int(un.flagged.sum()), [f for f in dir(un) if not f.startswith("_")]
    )
