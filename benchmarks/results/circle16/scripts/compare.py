"""Before/after per cell (defences on): the columns issue 15's honest-circle goal reads.

python benchmarks/results/circle16/scripts/compare.py BEFORE.parquet AFTER.parquet
"""

import sys

import polars as pl

COLS = [
    "promoted_crh",
    "good_suppressed",
    "honest_removed",
    "honest_removed_any",
    "honest_flagged",
    "honest_revoked",
    "honest_flagged_any",
    "adversaries_flagged",
    "adversaries_revoked",
    "attack_removed",
    "circle_good_lost",
]
KEYS = ["brigade", "share", "seed"]


def load(path: str) -> pl.DataFrame:
    d = pl.read_parquet(path).filter(pl.col("defences") == "on")
    return d.select(KEYS + COLS)


before, after = load(sys.argv[1]), load(sys.argv[2])
both = before.join(after, on=KEYS, suffix="_after").sort(KEYS)
print("| kind | share | seed | " + " | ".join(COLS) + " |")
print("|---|---|---|" + "---|" * len(COLS))
for r in both.iter_rows(named=True):
    cells = []
    for c in COLS:
        b, a = r[c], r[c + "_after"]
        cells.append(f"{b}" if b == a else f"**{b} -> {a}**")
    print(f"| {r['brigade']} | {r['share']:.0%} | {r['seed']} | " + " | ".join(cells) + " |")
