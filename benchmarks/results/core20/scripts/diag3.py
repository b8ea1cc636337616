# ruff: noqa: E501
import sys
from pathlib import Path

import numpy as np

import bridgewatch.scoring.manipulation.thin_pool as tpm

orig = tpm._pooled_members


def traced(cells, raters, cell_set, group, config):
    out = orig(cells, raters, cell_set, group, config)
    d = np.bincount(raters, minlength=group.shape[0]).astype(np.float64)
    notes = cells // tpm._LEVELS
    for g in np.unique(group[group >= 0]).tolist():
        cell_in = cell_set == g
        in_set = cell_in[cells]
        on_notes = np.isin(notes, np.flatnonzero(cell_in) // tpm._LEVELS)
        mine = group[raters] == g
        un = in_set[mine].sum() / max(int(on_notes[mine].sum()), 1)
        hits = np.bincount(raters[in_set], minlength=group.shape[0])
        back = ((hits < config.min_member_cells) & (group < 0))[raters]
        rate = float(in_set[back].sum()) / max(float(back.sum()), 1.0)
        t2 = np.flatnonzero((group < 0) & (hits == 2))
        e = d[t2] * rate
        p = tpm._poisson_sf(1.0, e)
        outside = np.flatnonzero(group < 0)
        on_set = np.bincount(raters[on_notes], minlength=group.shape[0])
        e_all = d[outside] * rate
        E2 = float((np.exp(-e_all) * e_all**2 / 2).sum())
        uni = t2[on_set[t2] == 2]
        print(f"  g{g} E2 {E2:.1f} N2 {t2.size} unanimous N2 {uni.size}")
        print(
            f"  g{g} members {mine.any() and (group == g).sum()} unan {un:.2f} cells {cell_in.sum()} rate {rate:.2e} 2-hit {t2.size} d median {np.median(d[t2]) if t2.size else 0} p min {p.min() if p.size else 1:.1e} med {np.median(p) if p.size else 1:.1e} added {((out == g) & (group < 0)).sum()}"
        )
    return out


tpm._pooled_members = traced
sys.argv = ["x", *sys.argv[1:]]
exec((Path(__file__).parent / "diag2.py").read_text())
