# ruff: noqa: E501
import sys
import tempfile
from pathlib import Path

import numpy as np

from bridgewatch.analysis.attack import AttackBenchConfig, defence_config, load_community
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import _levels, screen_shared
from bridgewatch.scoring.inputs import prepare_core_inputs
from bridgewatch.sim import simulate

seed = int(sys.argv[1])
share = float(sys.argv[2])
kind = sys.argv[3]
bench = AttackBenchConfig(structures=("circles-one", "circles-both", "group", "active"))
com = simulate(bench.community(seed, share, kind))
tmp = Path(tempfile.mkdtemp(prefix="d2-"))
data = load_community(com, tmp / "a")
on = defence_config(ScoringConfig(topics=None))
inputs = prepare_core_inputs(data, on)
sh = screen_shared(inputs, on)
tp = sh.thin_pools
post = inputs.post_pss
lev = _levels(post.helpful_num)
ids = inputs.participant_ids
n = inputs.n_participants
rt = com.rater_truth
pos = ids.lookup(np.asarray(rt["participantId"].to_list(), dtype=np.str_))
brig = np.full(n, -1)
brig[pos[pos >= 0]] = rt["brigadeId"].to_numpy()[pos >= 0]
struct = np.zeros(n, bool)
struct[pos[pos >= 0]] = rt["structure"].is_not_null().to_numpy()[pos >= 0]
nt = com.note_truth
npos = inputs.note_ids.lookup(np.asarray(nt["noteId"].to_list(), dtype=np.str_))
tb = np.full(inputs.n_notes, -1)
tb[npos] = np.where(nt["attackTarget"].to_numpy(), nt["brigadeId"].to_numpy(), -1)
print("pools", tp.n_groups, "cov", np.round(tp.coverage, 2), "unan", np.round(tp.unanimity, 2))
for g in range(tp.n_groups):
    mem = tp.group == g
    conc = tp.concentrated & mem[post.rater_idx]
    cells = np.unique(post.note_idx[conc].astype(np.int64) * 8 + lev[conc])
    thin = tp.coverage[g] <= 0.3
    ck = post.note_idx.astype(np.int64) * 8 + lev
    incell = np.isin(ck, cells)
    hits = np.bincount(post.rater_idx[incell], minlength=n)
    non = incell & ~mem[post.rater_idx]
    r = post.rater_idx[non]
    bb = brig[r]
    tgt = tb[post.note_idx[non]]
    attack = (bb >= 0) & (bb == tgt)
    mb = dict(zip(*np.unique(brig[mem], return_counts=True), strict=False))
    print(
        f"pool {g} thin={thin} members {mem.sum()} {mb} cells {cells.size} member ratings in cells {(incell & mem[post.rater_idx]).sum()}"
    )
    print(
        f"   non-member ratings in cells {non.sum()}: attack {attack.sum()} honest {(bb < 0).sum()} (structure {struct[r][bb < 0].sum()}) other-adv {((bb >= 0) & ~attack).sum()}"
    )
    for label, sel in (("attack", attack), ("honest", bb < 0)):
        h = hits[r[sel]]
        print(
            f"   {label} non-members by hits on cells:",
            dict(zip(*np.unique(np.minimum(h, 6), return_counts=True), strict=False)),
            "flagged",
            sh.co_rating.flagged[np.flatnonzero(non)[sel]].sum(),
        )
    # per cell: members, non-member attack, non-member honest
    per = []
    for c in cells:
        s = ck == c
        per.append(((s & mem[post.rater_idx]).sum(), (s & non)[non].sum() if False else 0))
