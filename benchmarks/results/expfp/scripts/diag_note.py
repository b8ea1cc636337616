"""Why does a scorer's pre-prescoring unexplained test remove honest ratings on a note?

Usage: PYTHONPATH=src python benchmarks/results/expfp/scripts/diag_note.py SEED SHARE KIND [SCORERS]

Scores the bench community (structures all, no topics, defences on, whole roster by
default) and records every call of the unexplained-ratings test with the scorer that made
it. For each note where some scorer's test flagged honest ratings, prints for every call
(Core and the others): the note's unproven / established ratings (by truth and structure),
its refit, the step-3 statistic and bar, and whether the flags came from the per-note test
or from a group conviction (with the group's caught / tested / pooled evidence).
"""

import inspect
import sys
import tempfile
from pathlib import Path

import numpy as np

import bridgewatch.scoring.defences as dmod
from bridgewatch.analysis.attack import (
    AttackBenchConfig,
    _truth_masks,
    defence_config,
    load_community,
    score_dataset,
)
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.manipulation.conviction import convict_groups
from bridgewatch.sim import simulate

seed, share, kind = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
scorers = sys.argv[4] if len(sys.argv) > 4 else "all"
calls = []
orig = dmod._test_unexplained


def spy(inputs, model, config):
    out = orig(inputs, model, config)
    who, stage = "?", "?"
    for fr in inspect.stack():
        spec = fr.frame.f_locals.get("spec")
        if spec is not None and hasattr(spec, "name"):
            who, stage = spec.name, fr.function
            break
    calls.append((who, stage, inputs, model, config, out))
    return out


dmod._test_unexplained = spy
bench = AttackBenchConfig(structures=("circles-one", "circles-both", "group", "active"))
com = simulate(bench.community(seed, share, kind))
data = load_community(com, Path(tempfile.mkdtemp()) / "a")
res = score_dataset(data, defence_config(ScoringConfig(topics=None)), scorers)
adv, struct = _truth_masks(res, com.rater_truth)
honest = ~adv
pid = np.asarray(res.inputs.participant_ids.ids, dtype=object)
nid = np.asarray(res.inputs.note_ids.ids, dtype=object)
rt = com.rater_truth
circle_of = {}
if "circleId" in rt.columns:
    circle_of = dict(zip(rt["participantId"].to_list(), rt["circleId"].to_list(), strict=False))
kind_of = {}
if "structure" in rt.columns:
    kind_of = dict(zip(rt["participantId"].to_list(), rt["structure"].to_list(), strict=False))
nt = com.note_truth

notes = set()
for who, stage, inputs, _m, _c, out in calls:
    sc = inputs.scoped
    f = out.flagged & honest[sc.rater_idx]
    for n in np.unique(sc.note_idx[f]):
        notes.add(int(n))
        print(f"{who} [{stage}] flags {int((f & (sc.note_idx == n)).sum())} honest on note {n}")
print("calls:", [(c[0], c[1], int(c[5].flagged.sum())) for c in calls])


def note_stats(inputs, model, config, out, n):
    sc = inputs.scoped
    est_mask = inputs.established
    sel = sc.note_idx == n
    r_idx = sc.rater_idx[sel]
    y = sc.helpful_num[sel]
    iu = model.intercepts[r_idx]
    fu = model.factors[r_idx]
    known = np.isfinite(iu) & np.isfinite(fu)
    est = est_mask[r_idx] & known
    unp = ~est_mask[r_idx] & known
    print(
        f"   ratings {sel.sum()}: established {est.sum()} (honest {int(honest[r_idx][est].sum())}),"
        f" unproven {unp.sum()} (adv {int(adv[r_idx][unp].sum())},"
        f" circle {sum(1 for u in r_idx[unp] if circle_of.get(pid[u]) is not None)})"
    )
    circ = [circle_of.get(pid[u]) for u in r_idx]
    print("   est raters' circle:", [c for c, e in zip(circ, est, strict=False) if e])
    print("   est verdicts:", np.round(y[est], 1).tolist(), "f_u", np.round(fu[est], 2).tolist())
    print(
        "   unproven verdicts: mean",
        round(float(y[unp].mean()), 3) if unp.any() else None,
        "f_u mean",
        round(float(fu[unp].mean()), 3) if unp.any() else None,
        "i_u mean",
        round(float(iu[unp].mean()), 3) if unp.any() else None,
    )
    print(
        "   tested",
        bool(out.tested[n]),
        "targeted",
        bool(out.targeted[n]),
        "shift",
        round(float(out.note_shift[n]), 3),
        "note_z",
        round(float(out.note_z[n]), 2) if out.note_z.size else None,
        "z*",
        round(out.z_star, 2),
        "sigma",
        round(out.sigma, 3),
        "n tested notes",
        int(out.tested.sum()),
        "targeted notes",
        int(out.targeted.sum()),
    )
    g = inputs.revoked_groups
    if g is not None:
        gs = np.unique(g.group[r_idx])
        print("   groups of the note's raters:", gs.tolist(), "n_groups", g.n_groups)
        from bridgewatch.scoring.defences import _levels, _pooled_bar

        conv = convict_groups(
            sc.note_idx,
            _levels(sc.helpful_num),
            sc.rater_idx,
            ~est_mask,
            g,
            out.tested,
            out.targeted,
            out.note_shift,
            min_notes=config.convict_min_notes,
            share=config.convict_share,
            note_z=out.note_z if out.note_z.size else None,
            pooled_z=_pooled_bar(g.n_groups, config),
            pooled_mean=config.convict_pooled_mean,
        )
        print("   pooled bar", round(_pooled_bar(g.n_groups, config), 2))
        for gg in gs:
            if gg < 0:
                continue
            mem = np.flatnonzero(g.group == gg)
            print(
                f"   group {gg}: size {mem.size} honest {int(honest[mem].sum())} convicted"
                f" {bool(conv.convicted[gg])} caught {int(conv.caught[gg])} tested"
                f" {int(conv.tested[gg])} pooled {round(float(conv.pooled[gg]), 2)}"
            )
            flagged_here = out.flagged & sel
            print(
                "     flagged on note by conviction only:",
                int((conv.flagged & flagged_here & ~(out.targeted[sc.note_idx])).sum()),
            )


for n in sorted(notes):
    print("== note", n, nid[n])
    print(nt.filter(nt["noteId"] == nid[n]))
    for who, stage, inputs, model, config, out in calls:
        if who in ("MFCoreScorer", "MFExpansionScorer", "MFExpansionPlusScorer"):
            print(f" -- {who} [{stage}] n_ratings {inputs.scoped.n_ratings}")
            note_stats(inputs, model, config, out, n)

if len(sys.argv) > 5:  # dump the Core / Expansion pre-prescoring calls for offline variants
    import pickle

    keep = [
        (
            who,
            stage,
            inputs.scoped.note_idx,
            inputs.scoped.rater_idx,
            inputs.scoped.helpful_num,
            inputs.established,
            inputs.revoked_groups,
            inputs.n_notes,
            model,
            config,
            out,
        )
        for who, stage, inputs, model, config, out in calls
        if stage == "_prescore" and who in ("MFCoreScorer", "MFExpansionScorer")
    ]
    with open(sys.argv[5], "wb") as fh:
        pickle.dump(
            {
                "calls": keep,
                "adv": adv,
                "struct": struct,
                "pid": pid,
                "nid": nid,
                "rater_truth": com.rater_truth,
                "note_truth": com.note_truth,
            },
            fh,
        )
