"""The pool's target cells in the thin-pool edge test: shared raters K, null E, edges.

python edges.py aged-pool 15 7 8 2   # kind, share %, seed, pool share %, max overlap
"""

import sys
import tempfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp

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
from bridgewatch.scoring.manipulation.co_rating import _poisson_sf
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

w = np.bincount(cells, minlength=n_cells)
use = (w[cells] >= cfg.min_cell_raters) & (w[cells] <= cfg.max_cell_raters)
x_deg = np.bincount(raters[use], minlength=inp.n_participants)
print(
    "pool accounts over max_rater_cells:",
    int((x_deg[adv] > cfg.max_rater_cells).sum()),
    "median cells",
    np.median(x_deg[adv]),
    "honest median",
    np.median(x_deg[~adv & (x_deg > 0)]),
)
use &= x_deg[raters] <= cfg.max_rater_cells
r, c = raters[use], cells[use]
x_deg = np.bincount(r, minlength=inp.n_participants).astype(float)
nb = int(blk.max()) + 1
rb = blk[r]
totals = np.bincount(rb, minlength=nb).astype(float)
pa = np.bincount(blk, weights=x_deg * (x_deg - 1), minlength=nb)
q = np.where(totals > 0, pa / np.maximum(totals, 1) ** 2, 0)
wa = sp.csr_matrix((np.ones(c.size), (c, rb)), shape=(n_cells, nb)).toarray()
# target cells with the pool's verdict
tmask = np.array([bool(targ[nids[n]]) for n in post.note_idx])
tcell = np.unique(cells[tmask & adv[raters]])
wt = w[tcell]
x = sp.csr_matrix((np.ones(c.size), (r, c)), shape=(inp.n_participants, n_cells)).tocsc()[:, tcell]
K = (x.T @ x).toarray()
E = (wa[tcell] * q) @ wa[tcell].T
iu = np.triu_indices(tcell.size, 1)
k, e = K[iu], E[iu]
tail = _poisson_sf(k - 1, e)
edge = (k >= cfg.min_shared_raters) & (k >= cfg.edge_min_lift * e) & (tail <= cfg.max_edge_p)
print(
    "target cells",
    tcell.size,
    "w median",
    np.median(wt),
    "K mean",
    k.mean(),
    "E mean",
    e.mean(),
    "lift median",
    np.median(k / np.maximum(e, 1e-9)),
    "edges",
    int(edge.sum()),
    "of",
    k.size,
)
print(
    "fail: K<3",
    int((k < 3).sum()),
    "lift",
    int(((k >= 3) & (k < 2 * e)).sum()),
    "tail",
    int(((k >= 3) & (k >= 2 * e) & (tail > cfg.max_edge_p)).sum()),
)
deg = np.zeros(tcell.size)
np.add.at(deg, iu[0][edge], 1)
np.add.at(deg, iu[1][edge], 1)
print("edge degree per target cell", np.sort(deg))
print("q by block", np.round(q, 7))
goal = dict(zip(nt["noteId"], nt["attackGoal"], strict=False))
for gname, lvl in (("suppress", 0), ("promote", 2)):
    sel = np.array([goal[nids[cc // 3]] == gname and cc % 3 == lvl for cc in tcell])
    ii = np.flatnonzero(sel)
    sub = np.ix_(ii, ii)
    Ks, Es = K[sub], E[sub]
    iu2 = np.triu_indices(ii.size, 1)
    k2, e2 = Ks[iu2], Es[iu2]
    t2 = _poisson_sf(k2 - 1, e2)
    ed = (k2 >= cfg.min_shared_raters) & (k2 >= cfg.edge_min_lift * e2) & (t2 <= cfg.max_edge_p)
    dg = np.zeros(ii.size)
    np.add.at(dg, iu2[0][ed], 1)
    np.add.at(dg, iu2[1][ed], 1)
    print(
        gname,
        "cells",
        ii.size,
        "w",
        np.median(w[tcell[ii]]),
        "K mean",
        round(k2.mean(), 2),
        "K>=3",
        round((k2 >= 3).mean(), 2),
        "E mean",
        round(e2.mean(), 2),
        "edges",
        int(ed.sum()),
        "of",
        k2.size,
        "degree median",
        np.median(dg),
        ">=8:",
        int((dg >= 8).sum()),
    )
