"""Which scorer and rule decide the targets an attack still promotes or suppresses with the
defences on (whole roster).

Simulates one attack-bench cell (honest structures on, as the bench), scores the community
without the attack (defences off: the reference) and the attacked one with the defences on,
and prints each promote target helpful with the defences on but not in the reference, and
each suppress target helpful in the reference but not with the defences on: the meta
chain's deciding scorer, whether the note is pushed (``CoreInputs.push_windows``: up /
down, flagged ratings), and per scorer that has a row for it its status, note intercept
and factor, and the rules that emitted.

    python benchmarks/mf_push_diag.py --share 20 --seed 1
    python benchmarks/mf_push_diag.py --share 10 --seed 0 --topics --no-structures  # the
        # bench's defaults (attack-bench without --no-topics and --structures)
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
from bridgewatch.scoring.run import ScoringResult
from bridgewatch.scoring.scorers import CORE_NAME
from bridgewatch.scoring.status.rules import CORE_RULE_NAMES, labels_from_bitmask
from bridgewatch.sim import simulate


def _per_scorer(result: ScoringResult, note: int) -> list[str]:
    out: list[str] = []
    if result.roster is None:
        return out
    for name, run in result.roster.runs.items():
        final = run.final
        if final is None or final.rules.status.shape[0] == 0:
            continue
        s = int(final.rules.status[note])
        if s < 0:
            continue
        rules = labels_from_bitmask(final.rules.active_rules[note : note + 1], CORE_RULE_NAMES)
        short = ",".join(r.split(" ")[0] for r in rules[0].split(","))
        out.append(
            f"{name.replace('Scorer', ''):>28} st={s} i={final.main.intercept[note]:+.3f} "
            f"f={final.main.factor[note]:+.3f} no_hv={final.intercept_no_high_vol[note]:+.3f} "
            f"no_corr={final.intercept_no_correlated[note]:+.3f} [{short}]"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="aged-pool")
    parser.add_argument("--share", type=float, default=20.0, help="percent of the raters")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--topics", action="store_true", help="score with topics (the bench without --no-topics)"
    )
    parser.add_argument(
        "--no-structures", action="store_true", help="no honest structures (the bench's default)"
    )
    parser.add_argument(
        "--scorers", choices=("all", "core"), default="all", help="as the bench's --scorers"
    )
    defaults = AttackBenchConfig()
    parser.add_argument("--notes", type=int, default=defaults.n_notes)
    parser.add_argument("--raters", type=int, default=defaults.n_raters)
    parser.add_argument("--ratings", type=int, default=defaults.n_ratings)
    args = parser.parse_args()
    share = args.share / 100.0
    base = ScoringConfig() if args.topics else ScoringConfig(topics=None)
    structures = () if args.no_structures else STRUCTURE_KINDS
    bench = AttackBenchConfig(
        shares=(share,),
        seeds=(args.seed,),
        kinds=(args.kind,),
        structures=structures,
        n_notes=args.notes,
        n_raters=args.raters,
        n_ratings=args.ratings,
    )
    community = simulate(bench.community(args.seed, share, args.kind))
    truth = community.note_truth
    promote = set(truth.filter(truth["attackGoal"] == "promote")["noteId"].to_list())
    with tempfile.TemporaryDirectory(prefix="bw-mfpush-") as tmp:
        attacked = load_community(community, Path(tmp) / "a")
        clean = drop_attack_ratings(community)
        ref_res = score_dataset(load_community(clean, Path(tmp) / "c"), base, args.scorers)
        on_res = score_dataset(attacked, defence_config(base), args.scorers)
    ref, on = crh_ids(ref_res), crh_ids(on_res)
    targets = truth.filter(truth["attackTarget"])
    ids = np.asarray(on_res.inputs.note_ids.ids, dtype=object).tolist()
    row = {nid: i for i, nid in enumerate(ids)}
    push = None if on_res.roster is None else on_res.roster[CORE_NAME].inputs.push_windows
    up = down = np.zeros(len(ids), dtype=np.bool_)
    if push is not None:
        up, down = push.directions(len(ids))
    for rec in targets.iter_rows(named=True):
        nid = rec["noteId"]
        i = row[nid]
        is_promote = nid in promote
        bad = (is_promote and nid in on and nid not in ref) or (
            not is_promote and nid in ref and nid not in on
        )
        if not bad:
            continue
        kind = "PROMOTED" if is_promote else "SUPPRESSED"
        flagged = ""
        if push is not None:
            notes = push.cells // 3
            sel = notes == i
            flagged = " ".join(
                f"lvl{c % 3}:{n}" for c, n in zip(push.cells[sel], push.n_flagged[sel], strict=True)
            )
        print(
            f"{kind} {nid} decidedBy={on_res.scored_notes['decidedBy'][i]} "
            f"ref={ref_res.scored_notes['decidedBy'][i]} up={bool(up[i])} down={bool(down[i])} "
            f"[{flagged}]"
        )
        for line in _per_scorer(on_res, i):
            print("   on ", line)
        for line in _per_scorer(ref_res, i):
            print("   ref", line)


if __name__ == "__main__":
    main()
