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
from bridgewatch.scoring.manipulation import thin_pool as tp
from bridgewatch.sim import simulate

kind, share, seed = sys.argv[1], float(sys.argv[2]) / 100.0, int(sys.argv[3])
kw = {}
if len(sys.argv) > 4:
    kw = {"pool_share": float(sys.argv[4]) / 100, "pool_max_overlap": int(sys.argv[5])}
bench = AttackBenchConfig(
    shares=(share,), seeds=(seed,), kinds=(kind,), structures=STRUCTURE_KINDS, **kw
)
community = simulate(bench.community(seed, share, kind))
cfgall = with_defences(ScoringConfig())
with tempfile.TemporaryDirectory() as tmp:
    data = load_community(community, Path(tmp) / "a")
    res = score_dataset(data, cfgall, "core")
adv, struct = _truth_masks(res, community.rater_truth)
inp = res.inputs
post = inp.post_pss
cfg = cfgall.thin_pools
nt = community.note_truth
nids = np.asarray(inp.note_ids.ids, dtype=object)
circ = dict(zip(nt["noteId"], nt["circleId"], strict=False))
targ = dict(zip(nt["noteId"], nt["attackTarget"], strict=False))
cells = post.note_idx.astype(np.int64) * 3 + rating_levels(post.helpful_num).astype(np.int64)
raters = post.rater_idx.astype(np.int64)
n_cells = int(cells.max()) + 1
_, inv = np.unique(inp.modeling_group, return_inverse=True)
blk = inv.astype(np.int64).ravel()
edges = tp._cell_edges(cells, raters, blk, n_cells, inp.n_participants, cfg)
cs = tp._cell_sets(edges, n_cells, cfg)
print("edges", edges.shape[0], "sets", int(cs.max()) + 1)
for s in range(int(cs.max()) + 1):
    cc = np.flatnonzero(cs == s)
    kinds = [("T" if targ[nids[c // 3]] else f"c{circ[nids[c // 3]]}") for c in cc]
    print(" set", s, len(cc), dict(zip(*np.unique(kinds, return_counts=True), strict=False)))
group = tp._members(cells, raters, cs, inp.n_participants, cfg, blk)
print("round0 members", int((group >= 0).sum()), "adv", int(((group >= 0) & adv).sum()))
# target hits distribution of adversaries
tmask = np.array([bool(targ[nids[n]]) for n in post.note_idx])
h = np.bincount(raters[tmask & adv[raters]], minlength=inp.n_participants)
print("adv target hits", np.bincount(h[adv]))
found = tp.find_thin_pools(
    post.note_idx,
    post.rater_idx,
    rating_levels(post.helpful_num),
    inp.n_participants,
    cfg,
    block=inp.modeling_group,
    established=inp.established,
)
print("final groups", found.n_groups, "coverage", found.coverage, "unanimity", found.unanimity)
for g in range(found.n_groups):
    m = found.group == g
    print(
        " group",
        g,
        int(m.sum()),
        "adv",
        int((m & adv).sum()),
        "est",
        int((m & inp.established).sum()),
        "struct",
        int((m & struct).sum()),
        "flagged",
        int((found.flagged & m[raters]).sum()),
        "flagged honest",
        int((found.flagged & ~adv[raters]).sum()),
    )
fh = found.flagged & ~adv[raters]
for c in np.unique(cells[fh]):
    on = (cells == c) & (found.group[raters] == 4)
    print(
        "  honest-flagged cell",
        nids[c // 3],
        "circle",
        circ[nids[c // 3]],
        "target",
        targ[nids[c // 3]],
        "lvl",
        c % 3,
        "group hitters",
        int(on.sum()),
        "est",
        int(inp.established[raters[on]].sum()),
        "adv",
        int(adv[raters[on]].sum()),
        "honest flagged",
        int((fh & (cells == c)).sum()),
    )
