"""Two attack-bench runs' per-cell columns side by side (``base/head`` in each cell).

python benchmarks/compare_bench_cells.py BASE_OUTDIR HEAD_OUTDIR
"""

from __future__ import annotations

import sys

import polars as pl

KEYS = ["share", "brigade", "defences", "seed"]
COLUMNS = [
    "promoted_crh",
    "promote_crh_ref",
    "good_suppressed",
    "good_targets",
    "honest_lost",
    "honest_gained",
    "circle_good_lost",
    "circle_good_lost_ref",
    "honest_removed_any",
    "honest_flagged_any",
    "honest_revoked",
    "attack_removed",
    "cpu_s",
]


def main() -> None:
    base, head = (
        pl.read_csv(f"{d}/attack_bench_cells.tsv", separator="\t").select(KEYS + COLUMNS)
        for d in sys.argv[1:3]
    )
    both = base.join(head, on=KEYS, suffix="_h")
    pairs = [
        pl.format("{}/{}", pl.col(c).round(1), pl.col(f"{c}_h").round(1)).alias(c) for c in COLUMNS
    ]
    pl.Config.set_tbl_rows(200)
    pl.Config.set_tbl_cols(50)
    pl.Config.set_tbl_width_chars(400)
    print(both.select(KEYS + pairs).sort(KEYS))


if __name__ == "__main__":
    main()
