"""Before/after table of two attack_bench.tsv files (defences on): compare.py BEFORE AFTER."""

import sys

import polars as pl

cols = [
    "promoted_crh",
    "good_suppressed",
    "honest_lost",
    "honest_gained",
    "honest_removed",
    "honest_removed_any",
    "honest_flagged",
    "honest_revoked",
    "honest_flagged_any",
    "structure_flagged_any",
    "circle_good_lost",
    "attack_removed",
    "adversary_removed",
    "cpu_s",
]
b = (
    pl.read_csv(sys.argv[1], separator="\t")
    .filter(pl.col("defences") == "on")
    .sort("brigade", "share")
)
a = (
    pl.read_csv(sys.argv[2], separator="\t")
    .filter(pl.col("defences") == "on")
    .sort("brigade", "share")
)
print("| brigade | share | " + " | ".join(cols) + " |")
print("|---|---|" + "---|" * len(cols))
for rb, ra in zip(b.iter_rows(named=True), a.iter_rows(named=True), strict=False):
    assert rb["brigade"] == ra["brigade"] and rb["share"] == ra["share"]
    cells = []
    for c in cols:
        x, y = rb[c], ra[c]
        if isinstance(x, float):
            x, y = round(x, 1), round(y, 1)
        cells.append(str(x) if x == y else f"{x} → {y}")
    print(f"| {rb['brigade']} | {rb['share']:.0%} | " + " | ".join(cells) + " |")
