"""Why a Gaussian scorer's no-high-volume intercept moves under an attack: the fit's rater
set on one note, step by step.

Simulates one attack-bench cell (honest structures on, as the bench) and scores it three
ways on the whole roster: the community without the attack, defences off (the reference);
the attacked community, defences off; and the attacked one, defences on. For the note given
(or every suppress target helpful in the reference and not with the defences on) it prints,
per run, the high-volume raters of the run (and how many of them are adversaries), then
each rating of the note in the Gaussian scorer's final-fit view: rater, adversary or not,
value, high volume, borrowed factor, gate, defences' weight; then the Gaussian note fit on
the note's no-high-volume ratings and on all ratings (CRH / CRNH scores, intercept).
Last, a counterfactual on the note's rows alone: the no-high-volume and main fits with
the reference's and the defended run's rows crossed with either run's borrowed factors
(which of ratings and factors moves the figure), the least unweighted CRH kernel mass
over the points (the pass is insufficient under 1e-9), and how far honest raters'
factors moved between the two runs.

    python benchmarks/gauss_nohv_diag.py --share 10 --seed 1 --note 2114996661997537073
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from bridgewatch.analysis.attack import (
    STRUCTURE_KINDS,
    AttackBenchConfig,
    crh_ids,
    defence_config,
    drop_attack_ratings,
    load_community,
    score_dataset,
)
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.gaussian import aggregate_gaussian, fit_gaussian_notes, kernel_table
from bridgewatch.scoring.gaussian.config import GaussianConfig
from bridgewatch.scoring.run import ScoringResult
from bridgewatch.scoring.scorers import run as roster_run
from bridgewatch.sim import simulate

GAUSS = "GaussianScorer"


def _keep(run: roster_run.ScorerRun) -> roster_run.ScorerRun:
    return run


def _report(label: str, res: ScoringResult, nid: str, adversary_ids: set[str]) -> None:
    assert res.roster is None or GAUSS in res.roster.runs
    run = res.roster.runs[GAUSS] if res.roster is not None else None
    if run is None or run.final is None or run.prescoring is None:
        print(f"== {label}: no Gaussian run")
        return
    view = run.defences.inputs if run.defences is not None else run.inputs
    pids = np.asarray(view.participant_ids.ids, dtype=object)
    note = int(view.note_ids.lookup(np.asarray([nid], dtype=np.str_))[0])
    hv = view.high_volume
    hv_ids = pids[np.flatnonzero(hv)]
    n_adv = sum(1 for p in hv_ids if p in adversary_ids)
    print(f"== {label}: {int(hv.sum())} high-volume raters ({n_adv} adversaries)")
    pre = run.prescoring
    scoped = view.scoped
    weights = run.defences.rating_weights if run.defences is not None else None
    rows = np.flatnonzero(scoped.note_idx == note)
    fac = pre.final_round.rater_factors[:, 0]
    gate = pre.helpfulness.above_helpfulness_threshold
    print("   rater                     adv  val  hv  factor   gate weight")
    for r in rows[np.argsort(fac[scoped.rater_idx[rows]])]:
        u = int(scoped.rater_idx[r])
        w = 1.0 if weights is None else float(weights[r])
        print(
            f"   {pids[u]:<25} {int(pids[u] in adversary_ids)}  {scoped.helpful_num[r]:.1f}"
            f"  {int(hv[u])}  {fac[u]:+.3f}  {int(gate[u])}  {w:.2f}"
        )
    spec = run.spec
    assert spec.gaussian is not None
    author = view.note_info.author_idx
    kept = np.ones(scoped.n_ratings, dtype=np.bool_) if weights is None else weights > 0
    for name, mask in (("no_hv", kept & ~hv[scoped.rater_idx]), ("main", kept)):
        fit = fit_gaussian_notes(
            scoped, pre, author, spec.config.mf, spec.gaussian, pre.note_ratio, mask=mask
        )
        agg = fit.aggregate
        print(
            f"   fit {name:<6} n={int(np.count_nonzero(fit.ratings.note_idx == note))} "
            f"crh={agg.crh_score[note]:+.3f} (insuff {bool(agg.crh_insufficient[note])}) "
            f"crnh={agg.crnh_score[note]:+.3f} (insuff {bool(agg.crnh_insufficient[note])}) "
            f"i={agg.intercept[note]:+.3f}"
        )
    print(
        f"   scorer's own: no_hv={run.final.intercept_no_high_vol[note]:+.3f} "
        f"main={run.final.main.intercept[note]:+.3f}"
    )


_Row = tuple[float, bool, float]  # value, high volume, factor (gated raters with factors)


def _rows(res: ScoringResult, nid: str) -> tuple[dict[str, _Row], str | None, dict[str, float]]:
    """The note's fit rows by rater id, its author's id (None: none), every rater's factor."""
    assert res.roster is not None
    run = res.roster.runs[GAUSS]
    assert run.defences is not None and run.prescoring is not None
    view = run.defences.inputs
    pids = np.asarray(view.participant_ids.ids, dtype=object)
    note = int(view.note_ids.lookup(np.asarray([nid], dtype=np.str_))[0])
    scoped = view.scoped
    weights = run.defences.rating_weights
    keep = scoped.note_idx == note
    if weights is not None:
        keep &= weights > 0
    pre = run.prescoring
    fac = pre.final_round.rater_factors[:, 0]
    gate = pre.helpfulness.above_helpfulness_threshold
    rows: dict[str, _Row] = {}
    for r in np.flatnonzero(keep):
        u = int(scoped.rater_idx[r])
        if gate[u] and np.isfinite(fac[u]):
            rows[str(pids[u])] = (float(scoped.helpful_num[r]), bool(view.high_volume[u]), fac[u])
    a = int(view.note_info.author_idx[note])
    return rows, (str(pids[a]) if a >= 0 else None), dict(zip(map(str, pids), fac, strict=True))


def _cross(rows: dict[str, _Row], author: str | None, fmap: dict[str, float], no_hv: bool) -> str:
    ids = [p for p, (_, hv, _) in rows.items() if not (no_hv and hv) and np.isfinite(fmap[p])]
    factors = [fmap[p] for p in ids]
    extra = -1
    if author is not None and author not in ids and np.isfinite(fmap.get(author, np.nan)):
        extra = len(ids)
        factors.append(fmap[author])
    f = np.asarray(factors if factors else [0.0])
    n = len(ids)
    agg = aggregate_gaussian(
        np.zeros(n, np.int32),
        np.arange(n, dtype=np.int32),
        np.asarray([rows[p][0] for p in ids], np.float32),
        f,
        n_notes=1,
        extra_rater_idx=np.asarray([extra], np.int32),
    )
    crh = GaussianConfig().crh
    mass = kernel_table(f, crh).sum(axis=0)
    k = int(np.argmin(mass))
    return (
        f"n={n} crh={agg.crh_score[0]:.3f} insufficient={bool(agg.crh_insufficient[0])} "
        f"crnh={agg.crnh_score[0]:.3f} i={agg.intercept[0]:+.3f} "
        f"least CRH mass {mass[k]:.3g} at {crh.points[k]:+.2f}"
    )


def _counterfactual(ref: ScoringResult, on: ScoringResult, nid: str, adv: set[str]) -> None:
    r_rows, r_author, r_fac = _rows(ref, nid)
    o_rows, o_author, o_fac = _rows(on, nid)
    print("== counterfactual (rows x borrowed factors)")
    for name, a, b in (("defended only", o_rows, r_rows), ("reference only", r_rows, o_rows)):
        extra = [(p[:10], a[p][0], round(a[p][2], 3), p in adv) for p in a if p not in b]
        print(f"   raters {name}: {extra}")
    for no_hv in (True, False):
        label = "no_hv" if no_hv else "main "
        for rows_name, rows, author in (("ref", r_rows, r_author), ("on ", o_rows, o_author)):
            for fac_name, fac in (("ref", r_fac), ("on ", o_fac)):
                line = _cross(rows, author, fac, no_hv)
                print(f"   {label} rows {rows_name} factors {fac_name}: {line}")
    both = [p for p in r_fac if p not in adv and np.isfinite(r_fac[p]) and np.isfinite(o_fac[p])]
    d = np.abs(np.asarray([o_fac[p] - r_fac[p] for p in both]))
    print(
        f"   honest raters' factor drift (n={len(both)}): median {np.median(d):.4f} "
        f"p90 {np.quantile(d, 0.9):.4f} p99 {np.quantile(d, 0.99):.4f} max {d.max():.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="aged-pool")
    parser.add_argument("--share", type=float, default=10.0, help="percent of the raters")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--note", default=None, help="note id (default: suppressed targets)")
    parser.add_argument("--topics", action="store_true", help="score with topics")
    parser.add_argument("--no-structures", action="store_true", help="no honest structures")
    args = parser.parse_args()
    roster_run.without_ratings = _keep  # keep every scorer's per-rating arrays
    share = args.share / 100.0
    base = ScoringConfig() if args.topics else ScoringConfig(topics=None)
    structures = () if args.no_structures else STRUCTURE_KINDS
    bench = AttackBenchConfig(
        shares=(share,), seeds=(args.seed,), kinds=(args.kind,), structures=structures
    )
    community = simulate(bench.community(args.seed, share, args.kind))
    truth = community.note_truth
    rt = community.rater_truth
    adversary_ids = set(rt.filter(rt["isAdversary"])["participantId"].to_list())
    with tempfile.TemporaryDirectory(prefix="bw-nohv-") as tmp:
        attacked = load_community(community, Path(tmp) / "a")
        clean = load_community(drop_attack_ratings(community), Path(tmp) / "c")
        ref = score_dataset(clean, base, "all")
        off = score_dataset(attacked, base, "all")
        on = score_dataset(attacked, defence_config(base), "all")
    if args.note is not None:
        notes = [args.note]
    else:
        sup = truth.filter(truth["attackGoal"] == "suppress")["noteId"].to_list()
        r, o = crh_ids(ref), crh_ids(on)
        notes = [n for n in sup if n in r and n not in o]
    for nid in notes:
        print(f"##### note {nid}")
        for label, res in (("ref (clean, off)", ref), ("attacked, off", off), ("attacked, on", on)):
            _report(label, res, nid, adversary_ids)
        _counterfactual(ref, on, nid, adversary_ids)


if __name__ == "__main__":
    main()
