"""Per-target diagnosis of one attack-bench cell: why each brigade target ends where it does.

Simulates the cell exactly as ``bridgewatch attack-bench`` does (seed, share, kind, the
honest structures), scores it with the defences on (whole roster by default) and prints, for
every PROMOTE and SUPPRESS target, what the Core scorer saw and did: its ratings in Core's
view (brigade / honest), the honest established ratings left after revocation and how many
of them have final-round parameters (the unexplained test needs ``min_established`` of
those), whether the first-prescoring unexplained test could test it and targeted it, the
ratings left in Core's final fits, Core's note intercept and status, and the final status.

    python benchmarks/attack_targets.py --kind aged --share 10
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from bridgewatch.analysis.attack import (
    STRUCTURE_KINDS,
    AttackBenchConfig,
    crh_ids,
    defence_config,
    load_community,
    score_dataset,
)
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.scorers import scorer_inputs
from bridgewatch.sim import simulate

CORE = "MFCoreScorer"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="aged")
    parser.add_argument("--share", type=float, default=10.0, help="percent of the raters")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scorers", choices=("all", "core"), default="all")
    defaults = AttackBenchConfig()
    parser.add_argument("--notes", type=int, default=defaults.n_notes)
    parser.add_argument("--raters", type=int, default=defaults.n_raters)
    parser.add_argument("--ratings", type=int, default=defaults.n_ratings)
    parser.add_argument("--days", type=float, default=defaults.days)
    parser.add_argument("--targets", type=int, default=defaults.n_targets)
    parser.add_argument("--pool-targets", type=int, default=defaults.pool_targets)
    parser.add_argument("--pool-share", type=float, default=defaults.pool_share * 100)
    parser.add_argument("--pool-max-overlap", type=int, default=defaults.pool_max_overlap)
    args = parser.parse_args()
    share = args.share / 100.0
    bench = AttackBenchConfig(
        shares=(share,),
        seeds=(args.seed,),
        kinds=(args.kind,),
        structures=STRUCTURE_KINDS,
        n_notes=args.notes,
        n_raters=args.raters,
        n_ratings=args.ratings,
        days=args.days,
        n_targets=args.targets,
        pool_targets=args.pool_targets,
        pool_share=args.pool_share / 100.0,
        pool_max_overlap=args.pool_max_overlap or None,
    )
    community = simulate(bench.community(args.seed, share, args.kind))
    with tempfile.TemporaryDirectory(prefix="bw-targets-") as tmp:
        data = load_community(community, Path(tmp))
        result = score_dataset(data, defence_config(ScoringConfig()), args.scorers)
    crh = crh_ids(result)
    inputs = result.inputs
    n = inputs.n_participants
    truth = community.rater_truth
    pos = inputs.participant_ids.lookup(np.asarray(truth["participantId"].to_list(), dtype=np.str_))
    adversary = np.zeros(n, dtype=np.bool_)
    adversary[pos[pos >= 0]] = truth["isAdversary"].to_numpy()[pos >= 0]
    assert result.roster is not None
    run = result.roster[CORE]
    view = run.inputs
    established = view.established
    assert established is not None and run.prescoring is not None
    modelled = np.isfinite(run.prescoring.final_round.rater_intercepts)
    first = None if run.screening is None else run.screening.unexplained
    first = first or (None if run.screening is None else run.screening.unexplained_clear)
    scoped = scorer_inputs(inputs, run.spec).scoped
    fit = run.final.main.ratings if run.final is not None else None
    note_ids = np.asarray(inputs.note_ids.ids, dtype=object)
    row = {nid: i for i, nid in enumerate(note_ids.tolist())}
    print(
        f"{args.kind} {args.share:g}% seed {args.seed}, {args.scorers} scorers; Core's view: "
        f"{int((inputs.established & adversary).sum()) if inputs.established is not None else 0}"
        f" brigade accounts established before revocation, "
        f"{int((established & adversary).sum())} after"
    )
    print(
        "goal     note                  status  ratings brigade honest est est+params "
        "tested targeted  fit(brigade) core_i  core_status"
    )
    for goal in ("promote", "suppress"):
        ids = community.note_truth.filter(pl.col("attackGoal") == goal)["noteId"].to_list()
        for nid in ids:
            i = row[nid]
            on = scoped.note_idx == i
            raters = scoped.rater_idx[on]
            honest = ~adversary[raters]
            est = honest & established[raters]
            tested = "-" if first is None else str(bool(first.tested[i]))
            targeted = "-" if first is None else str(bool(first.targeted[i]))
            kept = fit.rater_idx[fit.note_idx == i] if fit is not None else np.zeros(0, int)
            core_i = run.final.main.intercept[i] if run.final is not None else float("nan")
            status = result.note_explanations.filter(pl.col("noteId") == nid)
            print(
                f"{goal:8} {nid} {'CRH' if nid in crh else '-':6} {int(on.sum()):7} "
                f"{int((~honest).sum()):7} {int(honest.sum()):6} {int(est.sum()):3} "
                f"{int((est & modelled[raters]).sum()):10} {tested:6} {targeted:8} "
                f"{kept.size:4}({int(adversary[kept].sum())}) {core_i:7.3f} "
                f"{status['coreRatingStatus'].item() if status.height else '-'}"
            )


if __name__ == "__main__":
    main()
