"""Which scorer's defences flagged which honest raters in one attack-bench cell (whole
roster, defences on), and the MFGroupScorer_3 unexplained test's figures.

    python flag_sources.py KIND SEED SHARE_PCT   # e.g. embedded 0 20
"""

import sys
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from bridgewatch.analysis.attack import (
    STRUCTURE_KINDS,
    AttackBenchConfig,
    defence_config,
    load_community,
    score_dataset,
)
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.sim import simulate

kind, seed, share = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) / 100
bench = AttackBenchConfig(shares=(share,), seeds=(seed,), kinds=(kind,), structures=STRUCTURE_KINDS)
community = simulate(bench.community(seed, share, kind))
with tempfile.TemporaryDirectory() as tmp:
    data = load_community(community, Path(tmp))
    res = score_dataset(data, defence_config(ScoringConfig(topics=None)), "all")
n = res.inputs.n_participants
truth = community.rater_truth
print(truth.columns)
pos = res.inputs.participant_ids.lookup(np.asarray(truth["participantId"].to_list(), dtype=np.str_))
adv = np.zeros(n, bool)
adv[pos[pos >= 0]] = truth["isAdversary"].to_numpy()[pos >= 0]
struct = np.full(n, None, dtype=object)
struct[pos[pos >= 0]] = np.asarray(truth["structure"].to_list(), dtype=object)[pos >= 0]


def show(name, mask):
    m = mask[:n] & ~adv
    if m.any():
        from collections import Counter

        print(
            f"  {name}: honest {int(m.sum())}, by structure {dict(Counter(struct[m].tolist()))}; adversaries {int((mask[:n] & adv).sum())}"  # noqa: E501
        )


for sname, run in res.roster.runs.items():
    print(sname)
    sc, de = run.screening, run.defences
    if sc is not None and sc.co_rating is not None:
        show("screening.co_rating.group", sc.co_rating.group >= 0)
    if sc is not None and sc.bursts is not None:
        show("screening.bursts", sc.bursts.coordinated)
    if de is not None and de.bursts is not None:
        show("defences.bursts", de.bursts.coordinated)
    if de is not None and de.trust is not None:
        show("defences.untrusted", ~de.trust.trusted)
    for lab, f in (
        ("screening.unexplained", None if sc is None else sc.unexplained),
        ("defences.unexplained", None if de is None else de.unexplained),
    ):
        if f is not None and f.flagged_raters.size:
            m = np.zeros(n + 1, bool)
            m[f.flagged_raters[f.flagged_raters < n]] = True
            show(lab, m)
run = res.roster.runs["MFGroupScorer_3"]
f = run.screening.unexplained
print(
    "flagged ratings",
    int(f.flagged.sum()),
    "targeted notes",
    int(f.targeted.sum()),
    "tested",
    int(f.tested.sum()),
    "convicted",
    None if f.convicted is None else f.convicted.tolist(),
    "z*",
    f.z_star,
)
view = run.inputs
print("revoked groups", view.revoked_groups if hasattr(view, "revoked_groups") else None)
nt = community.note_truth
print(nt.columns)
ids = np.asarray(res.inputs.note_ids.ids, dtype=object)
tg = np.flatnonzero(f.targeted)
print(
    "targeted notes:",
    nt.filter(pl.col("noteId").is_in(ids[tg].tolist())).select(
        [
            c
            for c in nt.columns
            if c in ("noteId", "attackGoal", "structure", "isHelpful", "truth", "classification")
        ]
    ),
)
fr = f.flagged_raters
print(
    "flagged raters established (shared inputs before screening):",
    None if res.inputs.established is None else int(res.inputs.established[fr].sum()),
    "in group-3 view:",
    None if run.inputs.established is None else int(run.inputs.established[fr].sum()),
    "of",
    fr.size,
)
core = res.roster.runs["MFCoreScorer"]
print("in Core view established:", int(core.inputs.established[fr].sum()))
rg = run.inputs.revoked_groups
if rg is not None:
    print("revoked groups in view:", rg.n_groups if hasattr(rg, "n_groups") else rg)
mg = run.inputs.modeling_group
print("modeling groups of flagged:", np.unique(mg[fr], return_counts=True))
print("note", ids[tg], "note_z", f.note_z[tg], "shift", f.note_shift[tg])
