"""Revoked groups of one bench cell (Core), by truth, with the conviction's verdicts, the
honest raters flagged and why, and the raters whose establishment the run restored.

PYTHONPATH=src python benchmarks/results/circle16/scripts/groups.py SEED SHARE KIND
"""

import sys

import numpy as np
import polars as pl

from bridgewatch.analysis.attack import diagnose_cell
from bridgewatch.analysis.attack_metrics import flagged_raters, removed_ratings, revoked_raters
from bridgewatch.scoring.scorers import CORE_NAME, scorer_inputs

seed, share, kind = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
cell = diagnose_cell(seed, share, kind)
com, res, adv, struct = cell.community, cell.result, cell.adversary, cell.structure
n = res.inputs.n_participants
adv, struct = adv[:n], struct[:n]
run = res.roster[CORE_NAME]
rev = revoked_raters(res)[:n]
est = res.inputs.established[:n]
print(f"established {int(est.sum())}, revoked (after restore) honest {int((rev & ~adv).sum())}")
print(f"  adversaries {int((rev & adv).sum())}")
rg = run.inputs.revoked_groups
tests = (
    ("screen", run.screening.unexplained or run.screening.unexplained_clear),
    ("final", run.defences.unexplained),
)
if rg is not None:
    for g in range(rg.n_groups):
        mem = rg.group[:n] == g
        cells = rg.cells[(rg.cells // (3 * rg.n_notes)) == g]
        print(
            f"group {g}: size {int(mem.sum())} adv {int((mem & adv).sum())} "
            f"struct {int((mem & struct).sum())} cells {cells.size}"
        )
    for label, found in tests:
        if found is None:
            continue
        conv = None if found.convicted is None else np.flatnonzero(found.convicted).tolist()
        acq = None if found.acquitted is None else np.flatnonzero(found.acquitted).tolist()
        print(f"{label}: convicted {conv} acquitted {acq}")
fl = flagged_raters(res)[:n]
hon = fl & ~adv
print(
    f"flagged honest {int(hon.sum())} (struct {int((hon & struct).sum())}, "
    f"revoked {int((hon & rev).sum())}), adversaries flagged {int((fl & adv).sum())}"
)
for label, found in tests:
    if found is not None and found.flagged_raters.size:
        m = np.zeros(n, bool)
        m[found.flagged_raters[found.flagged_raters < n]] = True
        print(f"  honest via unexplained {label}: {int((m & ~adv).sum())}")
rater, removed, down = removed_ratings(res)
print(f"honest ratings removed {int((removed & ~adv[rater]).sum())}")
restored = getattr(run, "restored", None)
if restored is not None:
    r = restored[:n]
    print(f"restored {int(r.sum())}: honest {int((r & ~adv).sum())} adv {int((r & adv).sum())}")
# Where the honest removed ratings are: on the brigades' targets or elsewhere.
target_ids = com.note_truth.filter(pl.col("attackTarget"))["noteId"].to_list()
targets = np.isin(np.asarray(res.inputs.note_ids.ids, dtype=np.str_), target_ids)
scoped = scorer_inputs(res.inputs, run.spec).scoped
hon_removed = removed & ~adv[rater]
on_target = targets[scoped.note_idx]
print(
    f"honest removed on targets {int((hon_removed & on_target).sum())}, "
    f"elsewhere {int((hon_removed & ~on_target).sum())}"
)
