"""Where the Gaussian scorer's aged-pool promotions come from: the pool ratings the defences
leave on the thin pools' targets, and whether the Gaussian fit reads other ratings than
Core's final fit.

Simulates one attack-bench cell (honest structures on, as the bench), runs the run-wide
defence pass, Core's prescoring and the final fits of Core and GaussianScorer with the
defences on, and prints: (1) the two final fits' rating sets compared; (2) per thin pool,
the brigade and honest ratings left on its concentrated cells in the pool's verdict, by
the rater's hits on the set, by the sign of the rater's factor, established / revoked,
and inside / outside the push window (the span of the caught ratings on the cell, widened
as ``push_guard`` does); (3) the targets each fit rates helpful.

    python benchmarks/gauss_leftovers.py --share 10 --seed 1
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

import bridgewatch.scoring.scorers.run as roster_run
from bridgewatch.analysis.attack import (
    STRUCTURE_KINDS,
    AttackBenchConfig,
    defence_config,
    load_community,
)
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import screen_shared
from bridgewatch.scoring.inputs import prepare_core_inputs
from bridgewatch.scoring.manipulation import (
    PushGuardConfig,
    find_push_windows,
    in_push_window,
    rating_levels,
)
from bridgewatch.scoring.scorers import default_roster
from bridgewatch.scoring.scorers.gaussian_fit import gaussian_note_fitter
from bridgewatch.sim import simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="aged-pool")
    parser.add_argument("--share", type=float, default=10.0, help="percent of the raters")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    share = args.share / 100.0
    bench = AttackBenchConfig(
        shares=(share,), seeds=(args.seed,), kinds=(args.kind,), structures=STRUCTURE_KINDS
    )
    community = simulate(bench.community(args.seed, share, args.kind))
    config = defence_config(ScoringConfig(topics=None))
    with tempfile.TemporaryDirectory(prefix="bw-left-") as tmp:
        inputs = prepare_core_inputs(load_community(community, Path(tmp)), config)
    shared = screen_shared(inputs, config)
    roster = default_roster(config)
    core = next(s for s in roster if s.name == "MFCoreScorer")
    gauss = next(s for s in roster if s.name == "GaussianScorer")
    prescored = {core.name: roster_run._prescore(shared, core, 0)}
    roster_run.without_ratings = lambda run: run  # keep the Gaussian fit's ratings
    core_run = roster_run._final(core, shared, prescored, gaussian_note_fitter, 0)
    gauss_run = roster_run._final(gauss, shared, prescored, gaussian_note_fitter, 0)
    assert core_run.final is not None and gauss_run.final is not None
    n = inputs.n_participants
    cf, gf = core_run.final.main.ratings, gauss_run.final.main.ratings
    ck = cf.note_idx.astype(np.int64) * n + cf.rater_idx
    gk = gf.note_idx.astype(np.int64) * n + gf.rater_idx
    print(
        f"{args.kind} {args.share:g}% seed {args.seed}: Core final fit {cf.n_ratings} ratings, "
        f"GaussianScorer {gf.n_ratings}; only in Gaussian's {int((~np.isin(gk, ck)).sum())}, "
        f"only in Core's {int((~np.isin(ck, gk)).sum())}"
    )
    truth = community.rater_truth
    pos = inputs.participant_ids.lookup(np.asarray(truth["participantId"].to_list(), dtype=np.str_))
    adv = np.zeros(n, dtype=np.bool_)
    adv[pos[pos >= 0]] = truth["isAdversary"].to_numpy()[pos >= 0]
    pools, co = shared.thin_pools, shared.co_rating
    assert pools is not None and co is not None and config.thin_pools is not None
    post = inputs.post_pss
    levels = rating_levels(post.helpful_num)
    factors = prescored[core.name].prescoring.final_round.rater_factors[:, 0]  # type: ignore[union-attr]
    established = inputs.established
    revoked = shared.revoked
    assert established is not None
    windows = find_push_windows(
        post.note_idx, levels, post.created_at_ms, co.flagged, PushGuardConfig()
    )
    inside = in_push_window(windows, post.note_idx, levels, post.created_at_ms)
    cfg = config.thin_pools
    thin = (pools.coverage <= cfg.max_thin_coverage) & (pools.unanimity >= cfg.min_unanimity)
    cell_of = post.note_idx.astype(np.int64) * 3 + levels
    for g in np.flatnonzero(thin).tolist():
        conc = pools.concentrated & (pools.group[post.rater_idx] == g)
        cells = np.unique(cell_of[conc])
        left = np.isin(cell_of, cells) & ~co.flagged
        hits = np.bincount(post.rater_idx[left], minlength=n)
        raters = post.rater_idx[left]
        print(
            f"thin pool {g}: {cells.size} cells (levels {np.bincount(cells % 3, minlength=3)}), "
            f"{int(conc.sum())} caught ratings"
        )
        for name, m in (("brigade", adv[raters]), ("honest", ~adv[raters])):
            r = raters[m]
            f = factors[r]
            print(
                f"  {name:7} left {int(m.sum()):4}; by hits on the set (1..6+) "
                f"{np.bincount(np.minimum(hits[r], 6), minlength=7)[1:].tolist()}; factor "
                f"<0 {int((f < 0).sum())} >0 {int((f > 0).sum())} none {int(np.isnan(f).sum())}; "
                f"established {int(established[r].sum())}, revoked "
                f"{0 if revoked is None else int(revoked[r].sum())}; in push window "
                f"{int(inside[left][m].sum())}"
            )
    goal = np.full(inputs.n_notes, "", dtype=object)
    nt = community.note_truth
    npos = inputs.note_ids.lookup(np.asarray(nt["noteId"].to_list(), dtype=np.str_))
    goal[npos[npos >= 0]] = np.asarray(nt["attackGoal"].fill_null("").to_list())[npos >= 0]
    for name, run in (("Core", core_run), ("GaussianScorer", gauss_run)):
        assert run.final is not None
        st = run.final.rules.status
        promoted = np.flatnonzero((goal == "promote") & (st == 1))
        print(
            f"{name}: promote targets CRH {promoted.size}; intercepts "
            f"{np.round(run.final.main.intercept[promoted], 3).tolist()}"
        )


if __name__ == "__main__":
    main()
