"""The honest notes one attack-bench cell loses (and gains) with the defences on, Core or
whole roster, topics as the bench (on unless ``--no-topics``), any community size and
attack parameters: per note its status, intercept and factor in the reference, attacked
off and on, its ratings (all, by brigade accounts, removed by the defences) and true
quality. Issue #15, session 17 (``results/adv17/``).

    python benchmarks/honest_core_diag.py --kind aged-pool --share 15 --seed 7
"""

from __future__ import annotations

import argparse
import sys
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
from bridgewatch.sim import simulate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mf_push_diag import _per_scorer


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--kind", default="aged-pool")
    p.add_argument("--share", type=float, default=15.0)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--scorers", choices=("all", "core"), default="core")
    p.add_argument("--no-topics", action="store_true")
    d = AttackBenchConfig()
    p.add_argument("--notes", type=int, default=d.n_notes)
    p.add_argument("--raters", type=int, default=d.n_raters)
    p.add_argument("--ratings", type=int, default=d.n_ratings)
    p.add_argument("--targets", type=int, default=d.n_targets)
    p.add_argument("--pool-share", type=float, default=100 * d.pool_share)
    p.add_argument("--pool-max-overlap", type=int, default=d.pool_max_overlap or 0)
    a = p.parse_args()
    share = a.share / 100.0
    bench = AttackBenchConfig(
        shares=(share,),
        seeds=(a.seed,),
        kinds=(a.kind,),
        structures=STRUCTURE_KINDS,
        scorers=a.scorers,
        n_notes=a.notes,
        n_raters=a.raters,
        n_ratings=a.ratings,
        n_targets=a.targets,
        pool_share=a.pool_share / 100.0,
        pool_max_overlap=a.pool_max_overlap or None,
    )
    community = simulate(bench.community(a.seed, share, a.kind))
    base = ScoringConfig(topics=None) if a.no_topics else ScoringConfig()
    with tempfile.TemporaryDirectory(prefix="bw-hc-") as tmp:
        attacked = load_community(community, Path(tmp) / "a")
        on = score_dataset(attacked, defence_config(base), a.scorers)
        off = score_dataset(attacked, base, a.scorers)
        clean = load_community(drop_attack_ratings(community), Path(tmp) / "c")
        ref = score_dataset(clean, base, a.scorers)
    truth = community.note_truth
    honest = set(
        truth.filter(~truth["attackTarget"] & (truth["quality"] >= bench.helpful_quality))[
            "noteId"
        ].to_list()
    )
    quality = dict(zip(truth["noteId"].to_list(), truth["quality"].to_list(), strict=True))
    rt = community.rater_truth
    brig = set(rt.filter(pl.col("isAdversary"))["participantId"].to_list())
    r = community.ratings
    in_ref, in_off, in_on = crh_ids(ref), crh_ids(off), crh_ids(on)
    ids = np.asarray(on.inputs.note_ids.ids, dtype=object).tolist()
    row = {nid: i for i, nid in enumerate(ids)}
    print(
        f"honest {len(honest)}  ref {len(honest & in_ref)}  off {len(honest & in_off)}  "
        f"on {len(honest & in_on)}"
    )
    lost, gained = (honest & in_ref) - in_on, (honest & in_on) - in_ref
    for label, notes in (("LOST", lost), ("GAINED", gained)):
        for nid in sorted(notes):
            i = row[nid]
            nr = r.filter(pl.col("noteId") == nid)
            nb = nr.filter(pl.col("raterParticipantId").is_in(brig))
            print(
                f"{label} {nid} q={quality[nid]:+.2f} off_crh={nid in in_off} ratings={nr.height} "
                f"brigade={nb.height} (H {int((nb['helpfulnessLevel'] == 'HELPFUL').sum())})"
            )
            for name, res in (("ref", ref), ("off", off), ("on ", on)):
                for line in _per_scorer(res, i):
                    print("  ", name, line)


if __name__ == "__main__":
    main()
