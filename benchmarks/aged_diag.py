"""Why is an aged brigade not convicted by the batch co-rating defence?

Simulates the live attack replay's community (``bench_live_attack.py``: 300 notes, 600
raters, 9,000 ratings, one PROMOTE brigade) or an attack-bench cell, prepares the scorer's
inputs with the defences on, and prints, for the brigade's members, what each co-rating
pass sees: their pair counts against the null (shared cells, expectation, lift, Poisson
tail and the bars), their shared cells on the targets, and the groups each pass forms.
Then scores the data (Core, defences on) and lists the targets shown as helpful.

    python benchmarks/aged_diag.py --seed 1
    python benchmarks/aged_diag.py --bench-cell --notes 1000 --raters 3000 --ratings 60000 \
        --days 30 --targets 8 --share 25 --seed 4
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import polars as pl
import scipy.sparse as sp

from bridgewatch.analysis.attack import (
    STRUCTURE_KINDS,
    AttackBenchConfig,
    crh_ids,
    defence_config,
    load_community,
    score_dataset,
)
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.inputs import prepare_core_inputs
from bridgewatch.scoring.manipulation import find_co_rating_groups
from bridgewatch.scoring.manipulation.co_rating import _block_similarity, _blocks, _poisson_sf
from bridgewatch.sim import simulate
from bridgewatch.sim.config import BrigadeGoal


def _levels(h: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(np.asarray(h, dtype=np.float64) * 2.0), 0, 2).astype(np.int64)


def _pass_report(
    name: str,
    note_idx: np.ndarray,
    rater_idx: np.ndarray,
    levels: np.ndarray,
    n_raters: int,
    block: np.ndarray | None,
    established: np.ndarray | None,
    members: np.ndarray,
    targets: np.ndarray,
    config: ScoringConfig,
) -> None:
    cfg = config.co_rating
    assert cfg is not None
    cells = note_idx.astype(np.int64) * 3 + levels
    n_cells = int(cells.max()) + 1
    d = np.bincount(rater_idx, minlength=n_raters).astype(np.float64)
    w = np.bincount(cells, minlength=n_cells)
    blk, nb = _blocks(block, n_raters)
    sim = _block_similarity(cells, blk[rater_idx], nb, n_cells)
    x = sp.csr_matrix((np.ones(cells.size), (rater_idx, cells)), shape=(n_raters, n_cells)).tocsr()
    xm = x[members]
    c = (xm @ xm.T).toarray()
    e = np.outer(d[members], d[members]) * sim[np.ix_(blk[members], blk[members])]
    iu = np.triu_indices(members.size, 1)
    cc, ee = c[iu], e[iu]
    tail = _poisson_sf(cc - 1, ee)
    # The Bonferroni family: pairs sharing a cell among those tested.
    full = (x @ x.T).tocoo()
    tested = full.row < full.col
    if established is not None:
        tested &= ~(established[full.row] & established[full.col])
    n_tested = int(tested.sum())
    thr = (
        cfg.max_pair_p if cfg.pair_alpha is None else min(cfg.max_pair_p, cfg.pair_alpha / n_tested)
    )
    t_cells = targets * 3 + 2
    on_t = np.asarray(xm[:, t_cells].sum(axis=1)).ravel()
    print(f"--- {name}: {rater_idx.size} ratings, {n_raters} raters, {n_tested} pairs tested")
    print(
        f"    members' ratings: median {np.median(d[members]):.0f}, on targets (HELPFUL) "
        f"median {np.median(on_t):.0f}; threshold p {thr:.1e}, min_lift {cfg.min_lift}"
    )
    print(
        f"    member pairs: shared median {np.median(cc):.0f} (min {cc.min()}, max {cc.max()}), "
        f"expected median {np.median(ee):.2f}, lift median {np.median(cc / ee):.2f}, "
        f"tail median {np.median(tail):.1e}"
    )
    ok_lift = cc >= cfg.min_lift * ee
    ok_p = tail <= thr
    ok_n = cc >= cfg.min_shared_cells
    print(
        f"    pairs passing: shared>={cfg.min_shared_cells} {int(ok_n.sum())}, lift "
        f"{int(ok_lift.sum())}, p {int(ok_p.sum())}, all {int((ok_n & ok_lift & ok_p).sum())} "
        f"of {cc.size}"
    )
    # Shared targets per pair (rare cells) and the rest (camouflage).
    ct = (xm[:, t_cells] @ xm[:, t_cells].T).toarray()[iu]
    print(
        f"    shared target cells per pair: median {np.median(ct):.0f}; other shared cells "
        f"median {np.median(cc - ct):.0f}; target cells' raters: "
        f"{w[t_cells].tolist()}"
    )
    found = find_co_rating_groups(
        note_idx, rater_idx, levels, n_raters, cfg, block=block, established=established
    )
    g = found.group[members]
    print(
        f"    groups: {found.n_groups}, pairs {found.n_pairs}, grouped raters "
        f"{int((found.group >= 0).sum())}, members grouped {int((g >= 0).sum())} of "
        f"{members.size}, attached {found.n_attached}, flagged {int(found.flagged.sum())}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kind", default="aged")
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--bench-cell", action="store_true", help="an attack-bench cell")
    parser.add_argument("--notes", type=int, default=300)
    parser.add_argument("--raters", type=int, default=600)
    parser.add_argument("--ratings", type=int, default=9000)
    parser.add_argument("--days", type=float, default=10.0)
    parser.add_argument("--targets", type=int, default=None)
    parser.add_argument("--share", type=float, default=0.0, help="percent (bench cell)")
    parser.add_argument("--no-score", action="store_true")
    parser.add_argument("--scorers", choices=("core", "all"), default="core")
    args = parser.parse_args()
    base = ScoringConfig(topics=None)
    config = defence_config(base)
    if args.bench_cell:
        extra = {} if args.targets is None else {"n_targets": args.targets}
        bench = AttackBenchConfig(
            n_notes=args.notes,
            n_raters=args.raters,
            n_ratings=args.ratings,
            days=args.days,
            structures=STRUCTURE_KINDS,
            **extra,
        )
        sim = bench.community(args.seed, args.share / 100.0, args.kind)
    else:
        bench = AttackBenchConfig(
            n_notes=args.notes,
            n_raters=args.raters,
            n_ratings=args.ratings,
            days=args.days,
            fresh_age_days=min(3.0, args.days),
        )
        sim = bench.community(
            args.seed, 0.0, args.kind, members=args.members, goals=(BrigadeGoal.PROMOTE,)
        )
    community = simulate(sim)
    with tempfile.TemporaryDirectory(prefix="bw-aged-") as tmp:
        data = load_community(community, Path(tmp) / "a")
    inputs = prepare_core_inputs(data, config)
    ids = inputs.participant_ids
    rt = community.rater_truth
    truth = community.note_truth
    for b in sorted(set(rt.filter(pl.col("brigadeId") >= 0)["brigadeId"].to_list())):
        mem_ids = rt.filter(pl.col("brigadeId") == b)["participantId"].to_list()
        members = ids.lookup(np.asarray(mem_ids, dtype=np.str_))
        members = members[members >= 0]
        tids = truth.filter(pl.col("brigadeId") == b)["noteId"].to_list()
        rows = {n: i for i, n in enumerate(np.asarray(inputs.note_ids.ids).tolist())}
        targets = np.asarray([rows[t] for t in tids if t in rows], dtype=np.int64)
        est = inputs.established
        assert est is not None
        print(
            f"brigade {b}: {members.size} members ({int(est[members].sum())} established), "
            f"{targets.size} targets; established raters {int(est.sum())} of {est.size}"
        )
        r = inputs.post_pss
        lv = _levels(r.helpful_num)
        _pass_report(
            "unproven pass (all post-PSS ratings, established mask)",
            r.note_idx,
            r.rater_idx,
            lv,
            inputs.n_participants,
            inputs.modeling_group,
            est,
            members,
            targets,
            config,
        )
        own = est[r.rater_idx]
        _pass_report(
            "revocation pass (established raters' ratings)",
            r.note_idx[own],
            r.rater_idx[own],
            lv[own],
            inputs.n_participants,
            inputs.modeling_group,
            None,
            members,
            targets,
            config,
        )
    if args.no_score:
        return
    with tempfile.TemporaryDirectory(prefix="bw-aged-") as tmp:
        data = load_community(community, Path(tmp) / "a")
        on = score_dataset(data, config, args.scorers)
    shown = crh_ids(on)
    tgt = set(truth.filter(pl.col("attackTarget"))["noteId"].to_list())
    print(f"{args.scorers}, defences on: targets helpful {len(shown & tgt)} of {len(tgt)}")


if __name__ == "__main__":
    main()
