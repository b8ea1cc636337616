# ruff: noqa: E501, B023
"""Offline variants of the unexplained test on the calls diag_note.py dumped (pickle):
PYTHONPATH=src python variants.py DUMP.pkl [NOTE]. Prints each group's residuals on the note
and the note's statistic under variants of the test (no intercept shrinkage, circles kept
established, ...), and the statistics of circle notes vs the others."""

import dataclasses
import pickle
import sys

import numpy as np

from bridgewatch.scoring.manipulation.unexplained import find_unexplained_ratings

d = pickle.load(open(sys.argv[1], "rb"))
adv = d["adv"]
rt = d["rater_truth"]
nt = d["note_truth"]
pid = d["pid"]
nid = d["nid"]
honest = ~adv
circ = dict(zip(rt["participantId"].to_list(), rt["structure"].to_list(), strict=False))
is_circle = np.array([circ.get(p) == "circle" for p in pid])
cnote = dict(zip(nt["noteId"].to_list(), nt["circleId"].to_list(), strict=False))
circle_note = np.array([(cnote.get(n, -1) or -1) >= 0 for n in nid])
N = int(sys.argv[2]) if len(sys.argv) > 2 else 1316
for who, _stage, note, rater, y, est, _groups, n_notes, model, cfg, out in d["calls"]:
    print("==", who, "tested", int(out.tested.sum()), "z*", round(out.z_star, 2))
    sel = note == N
    iu = model.intercepts
    fu = model.factors
    # residual decomposition
    for name, m in (
        ("est", est[rater[sel]]),
        ("circle", ~est[rater[sel]] & is_circle[rater[sel]]),
        ("adv", ~est[rater[sel]] & adv[rater[sel]]),
        ("other unproven", ~est[rater[sel]] & ~adv[rater[sel]] & ~is_circle[rater[sel]]),
    ):
        r = rater[sel][m]
        print(
            f"  {name:15s} n {m.sum():3d} y {np.round(y[sel][m].mean(), 3) if m.any() else '-'} i_u {np.round(iu[r].mean(), 3) if m.any() else '-'} f_u {np.round(fu[r].mean(), 3) if m.any() else '-'}"
        )

    # variants
    def run(label, **kw):
        e = kw.pop("est", est)
        c = dataclasses.replace(cfg, **kw)
        o = find_unexplained_ratings(note, rater, y, iu, fu, model.global_intercept, e, n_notes, c)
        cz = o.note_z[circle_note[:n_notes]] if o.note_z.size else np.zeros(0)
        print(
            f"  {label:30s} note_z[N] {o.note_z[N]:+.2f} shift {o.note_shift[N]:+.3f} targeted {bool(o.targeted[N])} z* {o.z_star:.2f} n_targeted {int(o.targeted.sum())} honest flagged {int((o.flagged & honest[rater]).sum())} | circle notes tested {int(o.tested[circle_note[:n_notes]].sum())} max|z| {np.abs(cz).max():.2f} mean z {cz[o.tested[circle_note[:n_notes]]].mean():+.2f}"
        )
        return o

    o = run("as run")
    run("no shrink", shrink_unproven=False)
    run("pooled variance", variance="pooled")
    run("unscaled factor prior", scaled_factor_prior=False)
    run("circles established", est=est | is_circle)
    run("intercept_prior 0.01", intercept_prior=0.01)
    # other tested notes distribution
    t = o.tested
    z = o.note_z
    print(
        "  top |note_z| notes:",
        [(int(i), round(float(z[i]), 2), bool(circle_note[i])) for i in np.argsort(-np.abs(z))[:8]],
    )
    # z on circle notes vs non-circle notes
    for lab, m in (
        ("circle notes", t & circle_note[:n_notes]),
        ("other notes", t & ~circle_note[:n_notes]),
    ):
        print(
            f"  {lab}: n {m.sum()} mean z {z[m].mean():+.2f} sd {z[m].std():.2f} max|z| {np.abs(z[m]).max():.2f}"
        )
