"""Members of the revoked groups still revoked after the run: do they hold the group's
concentrated cells, did any defence flag them (Core).

PYTHONPATH=src python benchmarks/results/circle16/scripts/convicted_members.py SEED SHARE KIND
"""

import sys

import numpy as np

from bridgewatch.analysis.attack import diagnose_cell
from bridgewatch.analysis.attack_metrics import flagged_raters, revoked_raters
from bridgewatch.scoring.scorers import CORE_NAME

seed, share, kind = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
cell = diagnose_cell(seed, share, kind)
com, res, adv, struct = cell.community, cell.result, cell.adversary, cell.structure
n = res.inputs.n_participants
run = res.roster[CORE_NAME]
rg = run.inputs.revoked_groups
rev = revoked_raters(res)[:n]
fl = flagged_raters(res)[:n]
r = res.inputs.post_pss
lev = np.clip(np.rint(np.asarray(r.helpful_num) * 2), 0, 2).astype(np.int64)
key = (
    rg.group[r.rater_idx].astype(np.int64) * 3 * rg.n_notes + 3 * r.note_idx.astype(np.int64) + lev
)
on_cell = (rg.group[r.rater_idx] >= 0) & np.isin(key, rg.cells)
cells_per_rater = np.bincount(r.rater_idx[on_cell], minlength=n)[:n]
for g in range(rg.n_groups):
    mem = (rg.group[:n] == g) & rev
    if not mem.any():
        continue
    for lab, m in (("adv", mem & adv[:n]), ("honest", mem & ~adv[:n])):
        if m.any():
            c = cells_per_rater[m]
            print(
                g,
                lab,
                int(m.sum()),
                "hold cells:",
                int((c > 0).sum()),
                "flagged:",
                int((fl & m).sum()),
                "no cells & unflagged:",
                int(((c == 0) & ~fl[m]).sum()),
            )
