"""Per-note diagnosis of the defences' collateral in one attack-bench cell.

Simulates the cell as ``bridgewatch attack-bench`` does (seed, share, kind, every honest
structure), scores the community without the attack (defences off: the reference), the
attacked community with the defences off and on, and prints every truly helpful non-target
note (and every good niche-circle note) whose helpful status differs between the reference
and the defended run, or between the defended and the undefended run: its statuses, the
rule that decided it, each scorer's status (``--per-scorer``), the brigade members' ratings
on it, and how many of its ratings the defences took out of Core's final fits (honest /
brigade).

    python benchmarks/collateral_diag.py --kind embedded --share 10
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
    drop_attack_ratings,
    load_community,
    score_dataset,
)
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.run import ScoringResult
from bridgewatch.scoring.scorers import CORE_NAME
from bridgewatch.scoring.scorers.scope import scorer_inputs
from bridgewatch.sim import simulate


def _removed_in_core(result: ScoringResult, note: int, adversary: np.ndarray) -> tuple[int, int]:
    """(honest, adversarial) ratings of one note in Core's view that its final fits lack
    (the other scorers' runs drop their per-rating arrays)."""
    if result.roster is None:
        return 0, 0
    run = result.roster[CORE_NAME]
    if run.defences is None:
        return 0, 0
    n_notes = max(result.inputs.n_notes, 1)
    view = scorer_inputs(result.inputs, run.spec).scoped
    on = view.note_idx == note
    keys = view.rater_idx[on].astype(np.int64) * n_notes + note
    fit = run.defences.inputs.scoped
    fkeys = fit.rater_idx[fit.note_idx == note].astype(np.int64) * n_notes + note
    raters = view.rater_idx[on][~np.isin(keys, fkeys)]
    return int((~adversary[raters]).sum()), int(adversary[raters].sum())


def _scorer_status(result: ScoringResult, note: int) -> str:
    if result.roster is None:
        return ""
    parts = []
    for name, run in result.roster.runs.items():
        if run.final is None:
            continue
        s = int(run.final.rules.status[note])
        parts.append(f"{name.replace('Scorer', '')}:{s}")
    return " ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="embedded")
    parser.add_argument("--share", type=float, default=10.0, help="percent of the raters")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scorers", choices=("all", "core"), default="all")
    parser.add_argument("--per-scorer", action="store_true", help="print each scorer's status")
    parser.add_argument("--no-topics", action="store_true", help="as attack-bench --no-topics")
    args = parser.parse_args()
    share = args.share / 100.0
    base = ScoringConfig(topics=None) if args.no_topics else ScoringConfig()
    bench = AttackBenchConfig(
        shares=(share,), seeds=(args.seed,), kinds=(args.kind,), structures=STRUCTURE_KINDS
    )
    community = simulate(bench.community(args.seed, share, args.kind))
    truth = community.note_truth
    good = truth.filter((pl.col("quality") >= bench.helpful_quality) & ~pl.col("attackTarget"))
    with tempfile.TemporaryDirectory(prefix="bw-coll-") as tmp:
        attacked = load_community(community, Path(tmp) / "a")
        clean = drop_attack_ratings(community)
        ref_res = score_dataset(load_community(clean, Path(tmp) / "c"), base, args.scorers)
        off_res = score_dataset(attacked, base, args.scorers)
        on_res = score_dataset(attacked, defence_config(base), args.scorers)
    ref, off, on = crh_ids(ref_res), crh_ids(off_res), crh_ids(on_res)
    inputs = on_res.inputs
    rt = community.rater_truth
    pos = inputs.participant_ids.lookup(np.asarray(rt["participantId"].to_list(), dtype=np.str_))
    adversary = np.zeros(inputs.n_participants, dtype=np.bool_)
    adversary[pos[pos >= 0]] = rt["isAdversary"].to_numpy()[pos >= 0]
    row = {nid: i for i, nid in enumerate(np.asarray(inputs.note_ids.ids, dtype=object).tolist())}
    # attack ratings per note: ratings by brigade members (any note)
    members = set(rt.filter(pl.col("isAdversary"))["participantId"].to_list())
    by_member = (
        community.ratings.filter(pl.col("raterParticipantId").is_in(list(members)))
        .group_by("noteId")
        .len()
    )
    member_n = dict(zip(by_member["noteId"].to_list(), by_member["len"].to_list(), strict=True))
    ids = good["noteId"].to_list()
    circle = dict(zip(ids, good["circleId"].to_list(), strict=True))
    n_good = len(ids)
    print(
        f"{args.kind} {args.share:g}% seed {args.seed}: {n_good} good notes; helpful ref "
        f"{len(ref & set(ids))}, off {len(off & set(ids))}, on {len(on & set(ids))}"
    )
    print(
        "note                 circle ref off on  members decided(ref -> on)  "
        "Core removed on (honest, brigade)"
    )
    for nid in ids:
        r, f, o = nid in ref, nid in off, nid in on
        if r == o and f == o:
            continue
        i = row[nid]
        dec_ref = ref_res.scored_notes["decidedBy"][i]
        dec_on = on_res.scored_notes["decidedBy"][i]
        rem = _removed_in_core(on_res, i, adversary)
        print(
            f"{nid} {circle[nid]:6} {int(r):3} {int(f):3} {int(o):2} {member_n.get(nid, 0):8} "
            f"{dec_ref} -> {dec_on}  {rem}"
        )
        if args.per_scorer:
            print("   ref:", _scorer_status(ref_res, i))
            print("   off:", _scorer_status(off_res, i))
            print("   on: ", _scorer_status(on_res, i))


if __name__ == "__main__":
    main()
