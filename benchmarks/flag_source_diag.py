"""Which defence flags the honest raters of one attack-bench community, and on what.

Simulates one cell as the bench does (honest structures on; ``none`` for a community
without attack), scores it with the defences on (whole roster or Core) and, for every
honest rater that ``attack_metrics.flagged_raters`` counts, prints each scorer's defence
that flagged it (shared co-rating group, pre-/post-prescoring bursts, unexplained test,
trust), its honest structure and its ratings' cells.

    python benchmarks/flag_source_diag.py none 0 4 all

(kind, share in %, seed, scorers; issue #15 session 15, ``results/adv15/``).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

from bridgewatch.analysis.attack import (
    STRUCTURE_KINDS,
    AttackBenchConfig,
    _truth_masks,
    defence_config,
    load_community,
    score_dataset,
)
from bridgewatch.analysis.attack_metrics import flagged_raters, removed_ratings
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.sim import simulate


def main() -> None:
    kind, share, seed = sys.argv[1], float(sys.argv[2]) / 100.0, int(sys.argv[3])
    scorers = sys.argv[4] if len(sys.argv) > 4 else "all"
    kind = "fresh" if kind == "none" else kind
    bench = AttackBenchConfig(
        shares=(share,), seeds=(seed,), kinds=(kind,), structures=STRUCTURE_KINDS
    )
    community = simulate(bench.community(seed, share, kind))
    with tempfile.TemporaryDirectory(prefix="bw-flag-") as tmp:
        data = load_community(community, Path(tmp) / "a")
        result = score_dataset(data, defence_config(ScoringConfig()), scorers)
    adversary, structure = _truth_masks(result, community.rater_truth)
    flagged = flagged_raters(result)
    honest = np.flatnonzero(flagged & ~adversary)
    print(f"honest flagged: {honest.size} (structure {int(structure[honest].sum())})")
    pids = np.asarray(result.inputs.participant_ids.ids, dtype=object)
    truth = community.rater_truth
    struct = dict(zip(truth["participantId"].to_list(), truth["structure"].to_list(), strict=True))
    rater, removed, down = removed_ratings(result)
    n = result.inputs.n_participants
    assert result.roster is not None
    for r in honest:
        why = []
        if removed[rater == r].any() or down[rater == r].any():
            why.append("core-removed/down")
        for name, run in result.roster.runs.items():
            sc, de = run.screening, run.defences
            if sc is not None and sc.co_rating is not None and sc.co_rating.group[r] >= 0:
                why.append(f"{name}:co_rating group {sc.co_rating.group[r]}")
            if sc is not None and sc.bursts is not None and sc.bursts.coordinated[:n][r]:
                why.append(f"{name}:bursts-pre")
            if de is not None and de.bursts is not None and de.bursts.coordinated[:n][r]:
                why.append(f"{name}:bursts-post")
            if de is not None and de.trust is not None and not de.trust.trusted[r]:
                why.append(f"{name}:trust")
            for tag, found in (
                ("unexplained-pre", None if sc is None else sc.unexplained),
                ("unexplained-post", None if de is None else de.unexplained),
            ):
                if found is not None and r in set(found.flagged_raters.tolist()):
                    why.append(f"{name}:{tag}")
        post = result.inputs.post_pss
        mine = post.rater_idx == r
        known = result.inputs.established
        est = None if known is None else bool(known[r])
        print(
            f"{pids[r]} structure={struct.get(pids[r])} ratings={int(mine.sum())} established={est}"
        )
        print("   ", sorted(set(why)))


if __name__ == "__main__":
    main()
