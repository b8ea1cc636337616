"""Established raters whose establishment the shared screening revoked, by honest structure,
in one attack-bench cell (defences on); VARIANT no3b: without co-rating step 3b, nothin:
without thin pools.

    python revoked.py KIND SEED SHARE_PCT core|all [head|no3b|nothin]
"""

import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

from bridgewatch.analysis.attack import (
    STRUCTURE_KINDS,
    AttackBenchConfig,
    defence_config,
    load_community,
    score_dataset,
)
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.sim import simulate

kind, seed, share, scorers = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) / 100, sys.argv[4]
bench = AttackBenchConfig(shares=(share,), seeds=(seed,), kinds=(kind,), structures=STRUCTURE_KINDS)
community = simulate(bench.community(seed, share, kind))
with tempfile.TemporaryDirectory() as tmp:
    data = load_community(community, Path(tmp))
    import dataclasses

    cfg = defence_config(ScoringConfig(topics=None))
    variant = sys.argv[5] if len(sys.argv) > 5 else "head"
    if variant == "no3b":
        cfg = dataclasses.replace(
            cfg, co_rating=dataclasses.replace(cfg.co_rating, cell_pair_p=None)
        )
    if variant == "nothin":
        cfg = dataclasses.replace(cfg, thin_pools=None)
    res = score_dataset(data, cfg, scorers)
n = res.inputs.n_participants
truth = community.rater_truth
pos = res.inputs.participant_ids.lookup(np.asarray(truth["participantId"].to_list(), dtype=np.str_))
adv = np.zeros(n, bool)
adv[pos[pos >= 0]] = truth["isAdversary"].to_numpy()[pos >= 0]
struct = np.full(n, "none", dtype=object)
struct[pos[pos >= 0]] = np.asarray(
    [s or "none" for s in truth["structure"].to_list()], dtype=object
)[pos >= 0]
core = res.roster.runs["MFCoreScorer"]
before = res.inputs.established
after = core.inputs.established
rev = before & ~after
print(
    variant,
    f"{kind} {share:.0%} s{seed} {scorers}: established {int(before.sum())}, honest revoked {int((rev & ~adv).sum())} {dict(Counter(struct[rev & ~adv].tolist()))}, adversaries revoked {int((rev & adv).sum())} of {int((before & adv).sum())} established",  # noqa: E501
)
