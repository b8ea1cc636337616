import sys
import tempfile
from pathlib import Path

import numpy as np

from bridgewatch.analysis.attack import (
    STRUCTURE_KINDS,
    AttackBenchConfig,
    _truth_masks,
    load_community,
    score_dataset,
)
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import with_defences
from bridgewatch.scoring.manipulation import rating_levels
from bridgewatch.sim import simulate

kind, share, seed, out = sys.argv[1], float(sys.argv[2]) / 100.0, int(sys.argv[3]), sys.argv[4]
kw = {}
if len(sys.argv) > 5:
    kw = {"pool_share": float(sys.argv[5]) / 100, "pool_max_overlap": int(sys.argv[6])}
bench = AttackBenchConfig(
    shares=(share,), seeds=(seed,), kinds=(kind,), structures=STRUCTURE_KINDS, **kw
)
community = simulate(bench.community(seed, share, kind if share > 0 else "fresh"))
with tempfile.TemporaryDirectory() as tmp:
    data = load_community(community, Path(tmp) / "a")
    res = score_dataset(data, with_defences(ScoringConfig(topics=None)), "core")
adv, struct = _truth_masks(res, community.rater_truth)
inp = res.inputs
post = inp.post_pss
nt = community.note_truth
nids = np.asarray(inp.note_ids.ids, dtype=object)
goal = dict(zip(nt["noteId"], nt["attackGoal"], strict=False))
ng = np.array([{"promote": 1, "suppress": -1}.get(goal.get(n), 0) for n in nids], dtype=np.int8)
np.savez(
    out,
    note=post.note_idx,
    rater=post.rater_idx,
    level=rating_levels(post.helpful_num),
    n_raters=inp.n_participants,
    block=inp.modeling_group,
    established=inp.established,
    adv=adv,
    struct=struct,
    note_goal=ng,
)
