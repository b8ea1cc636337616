import numpy as np

from bridgewatch.scoring.manipulation import ThinPoolConfig
from bridgewatch.scoring.manipulation import thin_pool as tp

d = np.load("/work/data/adv17/scratch/ap15_7_p8.npz")
note, rater, level = (
    d["note"].astype(np.int64),
    d["rater"].astype(np.int64),
    d["level"].astype(np.int64),
)
adv, goal, est = d["adv"], d["note_goal"], d["established"]
_, inv = np.unique(d["block"], return_inverse=True)
blk = inv.astype(np.int64).ravel()
cells = note * 3 + level
n_cells = int(cells.max()) + 1
n = int(d["n_raters"])
for k in (8, 6, 4):
    cfg = ThinPoolConfig(min_partner_cells=k)
    edges = tp._cell_edges(cells, rater, blk, n_cells, n, cfg)
    cs = tp._cell_sets(edges, n_cells, cfg)
    pc = np.unique(cells[adv[rater] & (goal[note] == 1) & (level == 2)])
    sc = np.unique(cells[adv[rater] & (goal[note] == -1) & (level == 0)])
    print(
        "core",
        k,
        "promote cells in a set",
        int((cs[pc] >= 0).sum()),
        "of",
        pc.size,
        "sets",
        np.unique(cs[pc][cs[pc] >= 0]),
        "suppress",
        int((cs[sc] >= 0).sum()),
    )
    if (cs[pc] >= 0).any():
        g = tp._members(cells, rater, cs, n, cfg, blk)
        s = np.unique(cs[pc][cs[pc] >= 0])
        m = np.isin(g, s)
        print(
            "   members of promote set(s)",
            int(m.sum()),
            "adv",
            int((m & adv).sum()),
            "set sizes",
            [int((cs == x).sum()) for x in s],
        )
