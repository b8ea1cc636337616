# ruff: noqa: E501
"""Diagnose aged-pool good-note suppressions (seed/share from argv)."""

import sys
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from bridgewatch.analysis.attack import (
    AttackBenchConfig,
    _truth_masks,
    crh_ids,
    defence_config,
    drop_attack_ratings,
    load_community,
    score_dataset,
)
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import screen_shared
from bridgewatch.scoring.inputs import prepare_core_inputs
from bridgewatch.scoring.scorers import scorer_inputs
from bridgewatch.sim import simulate

seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
share = float(sys.argv[2]) if len(sys.argv) > 2 else 0.2
kind = sys.argv[3] if len(sys.argv) > 3 else "aged-pool"
scorers = sys.argv[4] if len(sys.argv) > 4 else "core"
bench = AttackBenchConfig(structures=("circles-one", "circles-both", "group", "active"))
community = simulate(bench.community(seed, share, kind))
truth = community.note_truth
tmp = Path(tempfile.mkdtemp(prefix="diag-"))
data = load_community(community, tmp / "a")
off = ScoringConfig(topics=None)
on = defence_config(off)
res = score_dataset(data, on, scorers)
clean = load_community(drop_attack_ratings(community), tmp / "c")
ref = crh_ids(score_dataset(clean, off, scorers))
crh = crh_ids(res)
sup = set(truth.filter(pl.col("attackGoal") == "suppress")["noteId"].to_list())
good = sup & ref
lost = sorted(good - crh)
print("good suppress targets", len(good), "lost", len(lost), lost)
adv, struct = _truth_masks(res, community.rater_truth)
rt = community.rater_truth
ids = np.asarray(res.inputs.participant_ids.ids, dtype=object)
brig = np.full(len(ids), "", dtype=object)
pos = res.inputs.participant_ids.lookup(np.asarray(rt["participantId"].to_list(), dtype=np.str_))
bcol = rt["brigadeId"].cast(pl.Utf8).to_list()
for p, b in zip(pos, bcol, strict=False):
    if p >= 0:
        brig[p] = b
inputs = prepare_core_inputs(data, on)
shared = screen_shared(inputs, on)
tp = shared.thin_pools
co = shared.co_rating
print(
    "thin pools",
    tp.n_groups,
    "coverage",
    np.round(tp.coverage, 2),
    "unanimity",
    np.round(tp.unanimity, 2),
)
for g in range(tp.n_groups):
    m = tp.group == g
    print(
        f" pool {g}: members {m.sum()} adv {(m & adv).sum()} brigades {dict(zip(*np.unique(brig[m], return_counts=True), strict=False))}"
    )
est = inputs.established
revoked = shared.revoked
core = res.roster["MFCoreScorer"]
post = inputs.post_pss
n_notes = inputs.n_notes
view = scorer_inputs(res.inputs, core.spec).scoped
fit = core.defences.inputs.scoped
fk = fit.rater_idx.astype(np.int64) * n_notes + fit.note_idx
note_ids = np.asarray(res.inputs.note_ids.ids, dtype=object)
ex = res.note_explanations
status = res.meta.pre_stabilization_status
for nid in lost + sorted(good & crh)[:3]:
    n = int(np.flatnonzero(note_ids == nid)[0])
    v = view.note_idx == n
    r = view.rater_idx[v]
    h = view.helpful_num[v] if hasattr(view, "helpful_num") else None
    keys = r.astype(np.int64) * n_notes + n
    kept = np.isin(keys, fk)
    a = adv[r]
    sup_b = np.array([b != "" and b != "-1" for b in brig[r]])
    print(
        f"note {nid} {'LOST' if nid in lost else 'ok'}: view {v.sum()} honest {(~a).sum()} adv {a.sum()} adv kept {(a & kept).sum()} "
        f"adv in pools {(a & (tp.group[r] >= 0)).sum()} adv revoked {(a & revoked[r]).sum() if revoked is not None else '-'} "
        f"adv est {(a & est[r]).sum()} honest kept {(~a & kept).sum()} status {status[n]}"
    )
    # which ratings of the adversaries are on this note in post_pss flagged by co-rating
    pv = post.note_idx == n
    print(
        "   post ratings",
        pv.sum(),
        "flagged",
        co.flagged[pv].sum(),
        "thin conc",
        tp.concentrated[pv].sum() if tp.concentrated.shape[0] == post.n_ratings else "?",
    )
    print(
        "   adv kept brigades",
        dict(zip(*np.unique(brig[r[a & kept]], return_counts=True), strict=False)),
    )
    hv = view.helpful_num[v]
    print(
        "   helpful_num honest mean {:.2f} adv kept mean {:.2f}".format(
            hv[~a].mean(), hv[a & kept].mean() if (a & kept).any() else float("nan")
        )
    )
sel = ex.filter(pl.col("noteId").is_in(lost)) if "noteId" in ex.columns else ex
print(sel.head(10))
