import sys

import numpy as np

from bridgewatch.scoring.manipulation import ThinPoolConfig, find_thin_pools

variants = {
    "default": {},
    "tri2": {"min_edge_triangles": 2},
    "core6": {"min_partner_cells": 6},
    "core6tri2": {"min_partner_cells": 6, "min_edge_triangles": 2},
    "core5tri1": {"min_partner_cells": 5, "min_edge_triangles": 1},
    "core5": {"min_partner_cells": 5},
    "core4": {"min_partner_cells": 4},
    "core4tri2": {"min_partner_cells": 4, "min_edge_triangles": 2},
}
for f in sys.argv[1:]:
    d = np.load(f"/work/data/adv17/scratch/{f}.npz")
    note, rater, level = d["note"], d["rater"], d["level"]
    adv, struct, est, goal = d["adv"], d["struct"], d["established"], d["note_goal"]
    on_t = (
        adv[rater]
        & (goal[note] != 0)
        & (((goal[note] == 1) & (level == 2)) | ((goal[note] == -1) & (level == 0)))
    )
    for name, kw in variants.items():
        r = find_thin_pools(
            note,
            rater,
            level,
            int(d["n_raters"]),
            ThinPoolConfig(**kw),
            block=d["block"],
            established=est,
        )
        up = on_t & (goal[note] == 1)
        dn = on_t & (goal[note] == -1)
        up_share = r.flagged[up].mean() if up.any() else 0.0
        dn_share = r.flagged[dn].mean() if dn.any() else 0.0
        honest = int((r.flagged & ~adv[rater]).sum())
        revoked = int((r.revoked & ~adv).sum())
        print(
            f"{f:12s} {name:10s} groups {r.n_groups:2d} flagged: promote {up_share:.2f} "
            f"suppress {dn_share:.2f} honest {honest} honest-revoked {revoked} "
            f"cov {np.round(r.coverage, 2).tolist()}"
        )
