"""Per-target diagnosis of the Gaussian scorers on one attack-bench cell (defences on).

Simulates the cell exactly as ``bridgewatch attack-bench`` does (whole roster, honest
structures), scores it with the defences on and prints, for every target helpful with the
defences on (and every PROMOTE target besides), which meta rule decided it, Core's and the
Gaussian scorer's statuses and intercepts, and the brigade ratings the Gaussian scorer's
main fit still read: how many, how many helpful, and why they were left (rater in a
thin-pool / co-rating group or not, cell among its group's concentrated cells or not,
rater established / revoked, rating removed from Core's fits or not).

    python benchmarks/gauss_targets.py --kind aged-pool --share 10 --seed 0
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

import bridgewatch.scoring.scorers.run as roster_run
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
from bridgewatch.scoring.defences import _levels, screen_shared
from bridgewatch.sim import simulate

CORE = "MFCoreScorer"
GAUSS = ("GaussianScorer", "GaussianCoreWithTopicsScorer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="aged-pool")
    parser.add_argument("--share", type=float, default=10.0, help="percent of the raters")
    parser.add_argument("--seed", type=int, default=0)
    defaults = AttackBenchConfig()
    parser.add_argument("--pool-targets", type=int, default=defaults.pool_targets)
    parser.add_argument("--pool-share", type=float, default=defaults.pool_share * 100)
    parser.add_argument("--pool-max-overlap", type=int, default=defaults.pool_max_overlap)
    parser.add_argument("--reference", action="store_true", help="also score without attack")
    args = parser.parse_args()
    share = args.share / 100.0
    bench = AttackBenchConfig(
        shares=(share,),
        seeds=(args.seed,),
        kinds=(args.kind,),
        structures=STRUCTURE_KINDS,
        pool_targets=args.pool_targets,
        pool_share=args.pool_share / 100.0,
        pool_max_overlap=args.pool_max_overlap or None,
    )
    community = simulate(bench.community(args.seed, share, args.kind))
    config = defence_config(ScoringConfig(topics=None))
    # Keep every scorer's per-rating arrays (the Gaussian fit's ratings).
    roster_run.without_ratings = lambda run: run
    with tempfile.TemporaryDirectory(prefix="bw-gauss-") as tmp:
        data = load_community(community, Path(tmp) / "a")
        result = score_dataset(data, config, "all")
        ref: frozenset[str] = frozenset()
        if args.reference:
            clean = load_community(drop_attack_ratings(community), Path(tmp) / "c")
            ref = crh_ids(score_dataset(clean, ScoringConfig(topics=None), "all"))
    crh = crh_ids(result)
    inputs = result.inputs
    n = inputs.n_participants
    truth = community.rater_truth
    pos = inputs.participant_ids.lookup(np.asarray(truth["participantId"].to_list(), dtype=np.str_))
    adversary = np.zeros(n, dtype=np.bool_)
    adversary[pos[pos >= 0]] = truth["isAdversary"].to_numpy()[pos >= 0]
    screening = screen_shared(inputs, config)
    pools = screening.thin_pools
    co = screening.co_rating
    assert pools is not None and co is not None and result.roster is not None
    post = inputs.post_pss
    group = co.group  # unproven members (co-rating groups, then pools)
    pool_group = pools.group
    revoked = screening.revoked if screening.revoked is not None else np.zeros(n, np.bool_)
    established = inputs.established
    assert established is not None
    # Concentrated cells of each pool: (group, note, level).
    conc = pools.concentrated
    cells = set(
        zip(
            pool_group[post.rater_idx[conc]].tolist(),
            post.note_idx[conc].tolist(),
            _levels(post.helpful_num[conc]).tolist(),
            strict=True,
        )
    )
    print(
        f"{args.kind} {args.share:g}% seed {args.seed}: brigade accounts {int(adversary.sum())}, "
        f"in a pool {int((adversary & (pool_group >= 0)).sum())}, honest in a pool "
        f"{int((~adversary & (pool_group >= 0)).sum())}; pools {pools.n_groups} coverage "
        f"{np.round(pools.coverage, 2).tolist()} unanimity {np.round(pools.unanimity, 2).tolist()}"
    )
    core = result.roster[CORE]
    assert core.final is not None
    core_fit = core.final.main.ratings
    core_pairs = set(zip(core_fit.note_idx.tolist(), core_fit.rater_idx.tolist(), strict=True))
    expl = result.scored_notes
    note_ids = np.asarray(inputs.note_ids.ids, dtype=object)
    row = {nid: i for i, nid in enumerate(note_ids.tolist())}
    goal = dict(
        zip(
            community.note_truth["noteId"].to_list(),
            community.note_truth["attackGoal"].to_list(),
            strict=True,
        )
    )
    gruns = {g: result.roster[g] for g in GAUSS if g in result.roster.runs}
    print(
        "goal     note     status ref decided_by               core_i  core  "
        + "  ".join(
            f"{g[:12]:>12}_i st  fit(adv/advH) [in-pool-cell, pool-not-cell, "
            f"no-pool: est/rev/unp] core-kept"
            for g in gruns
        )
    )
    for nid, g in goal.items():
        if g not in ("promote", "suppress"):
            continue
        i = row[nid]
        if g == "suppress" and nid in crh:
            continue
        if g == "promote" and nid not in crh:
            continue
        e = expl.filter(pl.col("noteId") == nid)
        decided = e["decidedBy"].item() if "decidedBy" in e.columns else "?"
        parts = [
            f"{g:8} {nid[-8:]} {'CRH' if nid in crh else '-':6} {'R' if nid in ref else '-':3} "
            f"{decided:24} {core.final.main.intercept[i]:6.3f} "
            f"{int(core.final.rules.status[i]):4}"
        ]
        for run in gruns.values():
            if run.final is None:
                parts.append("-")
                continue
            fit = run.final.main.ratings
            on = fit.note_idx == i
            raters = fit.rater_idx[on]
            vals = fit.helpful_num[on]
            adv = adversary[raters]
            lv = _levels(vals)
            in_cell = np.array(
                [(int(pool_group[r]), i, int(v)) in cells for r, v in zip(raters, lv, strict=True)],
                dtype=np.bool_,
            )
            in_pool = pool_group[raters] >= 0
            a = adv
            kept_core = np.array([(i, int(r)) in core_pairs for r in raters], dtype=np.bool_)
            parts.append(
                f"{run.final.main.intercept[i]:7.3f} {int(run.final.rules.status[i]):2} "
                f"{on.sum():4}({int(a.sum())}/{int((a & (vals == 1)).sum())}) "
                f"[{int((a & in_pool & in_cell).sum())}, {int((a & in_pool & ~in_cell).sum())}, "
                f"{int((a & ~in_pool & established[raters] & ~revoked[raters]).sum())}/"
                f"{int((a & ~in_pool & revoked[raters]).sum())}/"
                f"{int((a & ~in_pool & ~established[raters]).sum())}] "
                f"{int((a & kept_core).sum())} grp{int((a & (group[raters] >= 0)).sum())}"
            )
        print("  ".join(parts))


if __name__ == "__main__":
    main()
