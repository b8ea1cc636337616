"""Offline look at the live replay's communities (no replay): each note's opening run of
helpful ratings, and the group test's chance of its helpful raters' best shared cell.

    python benchmarks/results/liveaged12/offline_signals.py openings aged 1
    python benchmarks/results/liveaged12/offline_signals.py group aged 1

Same community and stream start as ``benchmarks/bench_live_attack.py`` (defaults). The
group p is computed on every rating (before PSS), as ``corroboration._Pool.suspects``:
``P(X >= g | e)``, ``e = D w_j / W``, the smallest over the cells of the note's helpful
raters' other ratings.
"""

from __future__ import annotations

import sys

import numpy as np
import polars as pl
from scipy.special import pdtrc

from bridgewatch.analysis.attack import AttackBenchConfig
from bridgewatch.sim import simulate
from bridgewatch.sim.config import BrigadeGoal

MIN = 60_000


def main() -> int:
    what, kind, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    bench = AttackBenchConfig(
        n_notes=300, n_raters=600, n_ratings=9000, days=10.0, fresh_age_days=3.0
    )
    c = simulate(bench.community(seed, 0.0, kind, members=20, goals=(BrigadeGoal.PROMOTE,)))
    r = c.ratings.with_columns(
        pl.col("noteId").cast(pl.String),
        pl.col("raterParticipantId").cast(pl.String),
        pl.col("helpfulnessLevel").cast(pl.String),
    ).sort("createdAtMillis")
    brigade = c.rater_truth.filter(pl.col("brigadeId") >= 0)["participantId"]
    members = set(brigade.cast(pl.String).to_list())
    truth = c.note_truth.with_columns(pl.col("noteId").cast(pl.String))
    targets = set(truth.filter(pl.col("attackTarget"))["noteId"].to_list())
    note = r["noteId"].to_numpy()
    rater = r["raterParticipantId"].to_numpy()
    level = r["helpfulnessLevel"].to_numpy()
    at = r["createdAtMillis"].to_numpy()
    attack = np.isin(rater, list(members)) & np.isin(note, list(targets))
    cut = min(int(at.max()) - 2 * 1440 * MIN, int(at[attack].min()) - 60 * MIN)
    if what == "openings":
        new = 0
        rows = []
        for k in np.unique(note):
            mine = note == k
            if at[mine][0] <= cut:
                continue
            new += 1
            lv, who = level[mine], rater[mine]
            n = int(np.argmax(lv != "HELPFUL")) if (lv != "HELPFUL").any() else lv.size
            if n >= 3:
                span = (at[mine][n - 1] - at[mine][0]) / MIN
                rows.append(
                    (
                        k in targets,
                        n,
                        lv.size,
                        span,
                        float(np.mean(lv == "HELPFUL")),
                        int(np.isin(who[:n], list(members)).sum()),
                    )
                )
        print(f"{kind} seed {seed}: {new} notes first rated in the stream")
        for t, n, size, span, share, m in sorted(rows, key=lambda x: -x[1]):
            print(
                f"target {t}: opening {n} of {size} ratings over {span:.0f} min, helpful "
                f"share {share:.2f}, members in the opening {m}"
            )
        return 0

    def best_p(k: str, t: int) -> tuple[float, int, int]:
        m = at <= t
        n, ra, lv = note[m], rater[m], level[m]
        support = np.unique(ra[(n == k) & (lv == "HELPFUL")])
        if support.size < 4:
            return 1.0, 0, int(support.size)
        cell = np.char.add(n.astype(str), lv.astype(str))
        u, w = np.unique(cell, return_counts=True)
        sel = np.isin(ra, support) & (n != k)
        cs, g = np.unique(cell[sel], return_counts=True)
        e = sel.sum() * w[np.searchsorted(u, cs)] / m.sum()
        p = pdtrc(g - 1, e)
        i = int(np.argmin(p))
        return float(p[i]), int(g[i]), int(support.size)

    for k in sorted(targets):
        first = int(at[note == k].min())
        cells = []
        for dt in range(60, 600, 60):
            p, g, s = best_p(k, first + dt * MIN)
            cells.append(f"{dt}m:{p:.0e}({g}/{s})")
        print(f"target {k} first rated {(first - cut) / MIN:.0f} min in: {' '.join(cells)}")
    ps = []
    for k in np.unique(note[at > cut]):
        if k in targets:
            continue
        first = max(int(at[note == k].min()), cut)
        ps.append(min(best_p(k, first + dt * MIN)[0] for dt in range(60, 600, 120)))
    arr = np.asarray(ps)
    print(
        f"honest notes {arr.size}: best p over their first 10 h (every 2 h), quantiles "
        f"1/5/10/50% {[f'{q:.0e}' for q in np.quantile(arr, [0.01, 0.05, 0.1, 0.5])]}; "
        f"<= 1e-4: {(arr <= 1e-4).sum()}, <= 1e-3: {(arr <= 1e-3).sum()}, "
        f"<= 1e-2: {(arr <= 1e-2).sum()}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
