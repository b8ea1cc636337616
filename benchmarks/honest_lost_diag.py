"""Which scorer decides the honest notes an attack-bench cell loses with the defences on.

Simulates one cell (honest structures on, as the bench; ``none`` for a community without
attack), scores it on the whole roster without the attack (defences off: the reference),
attacked with the defences off and on, and prints every note helpful in the reference but
not with the defences on (besides being a good note or not and helpful with them off): the
meta chain's deciding scorer in both runs and each scorer's status, intercept and rules
(``mf_push_diag._per_scorer``), then the notes the defences made helpful.

    python benchmarks/honest_lost_diag.py out-of-scope 20 3
    python benchmarks/honest_lost_diag.py none 0 3

(kind, share in %, seed; issue #15 session 14, ``results/adv14/``).
"""

from __future__ import annotations

import sys
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
from bridgewatch.sim import simulate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mf_push_diag import _per_scorer


def main() -> None:
    kind, share, seed = sys.argv[1], float(sys.argv[2]) / 100.0, int(sys.argv[3])
    kind = "fresh" if kind == "none" else kind  # share 0: no brigade whatever the kind
    bench = AttackBenchConfig(
        shares=(share,), seeds=(seed,), kinds=(kind,), structures=STRUCTURE_KINDS
    )
    community = simulate(bench.community(seed, share, kind))
    base = ScoringConfig()
    with tempfile.TemporaryDirectory(prefix="bw-lost-") as tmp:
        attacked = load_community(community, Path(tmp) / "a")
        on = score_dataset(attacked, defence_config(base), "all")
        off = score_dataset(attacked, base, "all")
        clean = load_community(drop_attack_ratings(community), Path(tmp) / "c")
        ref = score_dataset(clean, base, "all")
    in_ref, in_off, in_on = crh_ids(ref), crh_ids(off), crh_ids(on)
    truth = community.note_truth
    good = set(truth.filter(~truth["attackTarget"] & (truth["quality"] > 0))["noteId"].to_list())
    ids = np.asarray(on.inputs.note_ids.ids, dtype=object).tolist()
    row = {nid: i for i, nid in enumerate(ids)}
    for nid in sorted(in_ref - in_on):
        if nid not in row:
            continue
        i = row[nid]
        print(
            f"LOST {nid} good={nid in good} helpful_off={nid in in_off} "
            f"decidedBy on={on.scored_notes['decidedBy'][i]} ref={ref.scored_notes['decidedBy'][i]}"
        )
        for line in _per_scorer(on, i):
            print("   on ", line)
        for line in _per_scorer(ref, i):
            print("   ref", line)
    print("gained:", sorted(in_on - in_ref))


if __name__ == "__main__":
    main()
