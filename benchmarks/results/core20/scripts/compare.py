import sys

import polars as pl

pl.Config.set_tbl_rows(100)
pl.Config.set_tbl_cols(30)
pl.Config.set_tbl_width_chars(300)
b = pl.read_csv(sys.argv[1], separator="\t")
a = pl.read_csv(sys.argv[2], separator="\t")
cols = [
    "promoted_crh",
    "good_suppressed",
    "honest_removed",
    "honest_removed_any",
    "honest_flagged",
    "honest_revoked",
    "honest_flagged_any",
    "structure_flagged_any",
    "circle_good_lost",
    "attack_removed",
]
keys = (
    ["brigade", "share", "defences", "seed"]
    if "seed" in b.columns and "seed" in a.columns
    else ["brigade", "share", "defences"]
)
j = (
    b.select(keys + cols)
    .join(a.select(keys + cols), on=keys, suffix="_new")
    .filter(pl.col("defences") == "on")
)
rows = []
for r in j.sort(keys).iter_rows(named=True):
    rows.append(
        "| "
        + " | ".join(
            [str(r["brigade"]), f"{r['share']:.0%}"]
            + ([str(r["seed"])] if "seed" in r else [])
            + [f"{r[c]} → {r[c + '_new']}" if r[c] != r[c + "_new"] else f"{r[c]}" for c in cols]
        )
        + " |"
    )
extra = ["seed"] if "seed" in keys else []
print("| " + " | ".join(["brigade", "share", *extra, *cols]) + " |")
print("|" + "---|" * (2 + len(extra) + len(cols)))
print("\n".join(rows))
