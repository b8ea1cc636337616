"""Features of the co-rating revocation pass's groups, honest circles vs aged brigades.

PYTHONPATH=src python benchmarks/results/core20/scripts/revoked_groups.py SEED SHARE KIND
"""

import sys

import numpy as np

from bridgewatch.analysis.attack import diagnose_cell

seed, share, kind = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
cell = diagnose_cell(seed, share, kind)
com, res, adv, struct = cell.community, cell.result, cell.adversary, cell.structure
n = res.inputs.n_participants
nn = res.inputs.n_notes
run = (
    res.roster["CoreScorer"]
    if "CoreScorer" in res.roster.runs
    else next(iter(res.roster.runs.values()))
)
rg = run.inputs.revoked_groups
est = res.inputs.established[:n]
tr = com.rater_truth
label = np.full(n, "-", dtype=object)
pos = res.inputs.participant_ids.lookup(np.asarray(tr["participantId"].to_list(), dtype=np.str_))
ok = pos >= 0
label[pos[ok]] = np.asarray(tr["structure"].fill_null("-").to_list(), dtype=object)[ok]
r = res.inputs.post_pss
lev = np.clip(np.rint(np.asarray(r.helpful_num) * 2), 0, 2).astype(np.int64)
ts = np.asarray(r.created_at_ms, dtype=np.float64)
ni, ri = np.asarray(r.note_idx), np.asarray(r.rater_idx)
note_first = np.full(nn, np.inf)
np.minimum.at(note_first, ni, ts)
print("groups", rg.n_groups, "revoked", int((rg.group[:n] >= 0).sum()))
hdr = (
    "g size adv struct cells notes own_share agree_others others_per_note"
    " member_ratings_on_cells age_days_med structures split_notes opposed_notes"
)
print(hdr)
for g in range(rg.n_groups):
    mem = rg.group[:n] == g
    c = rg.cells[(rg.cells // (3 * nn)) == g] % (3 * nn)
    notes = np.unique(c // 3)
    on = np.isin(ni, notes)
    m_r = mem[ri]
    # others: established non-members on these notes
    oth = on & ~m_r & est[ri]
    agree = []
    per = []
    for note in notes:
        gl = c[c // 3 == note] % 3
        o = oth & (ni == note)
        per.append(int(o.sum()))
        if o.sum() >= 3:
            agree.append(float(np.isin(lev[o], gl).mean()))
    memr = m_r
    cellkey = 3 * ni + lev
    on_cells = memr & np.isin(cellkey, c)
    age = (ts[on_cells] - note_first[ni[on_cells]]) / 86400000.0
    print(
        g,
        int(mem.sum()),
        int((mem & adv[:n]).sum()),
        int((mem & struct[:n]).sum()),
        c.size,
        notes.size,
        round(on_cells.sum() / max(memr.sum(), 1), 3),
        round(float(np.mean(agree)), 3) if agree else None,
        int(np.median(per)) if per else 0,
        int(on_cells.sum()),
        round(float(np.median(age)), 2) if age.size else None,
        sorted(set(label[mem].tolist())),
        # notes with more than one concentrated cell; with both NOT_HELPFUL and HELPFUL
        int(sum(np.unique(c[c // 3 == x] % 3).size > 1 for x in notes)),
        int(sum({0, 2} <= set((c[c // 3 == x] % 3).tolist()) for x in notes)),
    )
