"""The thin-pool groups of one attack-bench cell (defences on, Core): members by honest
structure / adversary, established members, coverage and unanimity.

    python thin_pool_groups.py KIND SEED SHARE_PCT
"""

import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

import bridgewatch.scoring.defences as dm
from bridgewatch.analysis.attack import (
    STRUCTURE_KINDS,
    AttackBenchConfig,
    defence_config,
    load_community,
    score_dataset,
)
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.sim import simulate

got = []
orig = dm.find_thin_pools


def spy(*a, **k):
    r = orig(*a, **k)
    got.append(r)
    return r


dm.find_thin_pools = spy
kind, seed, share = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) / 100
bench = AttackBenchConfig(shares=(share,), seeds=(seed,), kinds=(kind,), structures=STRUCTURE_KINDS)
community = simulate(bench.community(seed, share, kind))
with tempfile.TemporaryDirectory() as tmp:
    data = load_community(community, Path(tmp))
    res = score_dataset(data, defence_config(ScoringConfig(topics=None)), "core")
n = res.inputs.n_participants
truth = community.rater_truth
pos = res.inputs.participant_ids.lookup(np.asarray(truth["participantId"].to_list(), dtype=np.str_))
lab = np.full(n, "none", dtype=object)
lab[pos[pos >= 0]] = np.asarray(
    [
        ("ADV" if a else (s or "none"))
        for a, s in zip(truth["isAdversary"].to_list(), truth["structure"].to_list(), strict=False)
    ],
    dtype=object,
)[pos >= 0]
est = res.inputs.established
for r in got:
    print(
        "pools",
        r.n_groups,
        "coverage",
        np.round(r.coverage, 2),
        "unanimity",
        np.round(r.unanimity, 2),
    )
    for g in range(r.n_groups):
        m = r.group[:n] == g
        print(
            f"  group {g}: {int(m.sum())} members {dict(Counter(lab[m].tolist()))}, established {int((m & est).sum())} {dict(Counter(lab[m & est].tolist()))}, flagged ratings {int(r.flagged.sum())}"  # noqa: E501
        )
