"""Two attack-bench runs' cells side by side, as ``old -> new`` where they differ.

python cells_side_by_side.py BASE/attack_bench_cells.parquet HEAD/attack_bench_cells.parquet
"""

from __future__ import annotations

import sys

import polars as pl

KEYS = ["brigade", "share", "defences", "seed"]
COLUMNS = [
    "promoted_crh",
    "promote_crh_ref",
    "good_suppressed",
    "good_targets",
    "honest_lost",
    "honest_gained",
    "honest_removed",
    "honest_flagged",
    "structure_flagged",
    "circle_good_lost_ref",
    "cpu_s",
]
HEADER = (
    "| brigade | share | def | seed | promoted (ref) | good suppressed | honest lost/gained "
    "| honest ratings removed | honest raters flagged (struct) | circle good lost vs ref "
    "| CPU s |"
)


def _cell(row: dict[str, object], column: str) -> str:
    old, new = row[column], row[column + "_new"]
    return f"{old}" if old == new else f"{old} -> **{new}**"


def main() -> None:
    old = pl.read_parquet(sys.argv[1]).select(KEYS + COLUMNS)
    new = pl.read_parquet(sys.argv[2]).select(KEYS + COLUMNS)
    joined = old.join(new, on=KEYS, suffix="_new").sort(KEYS)
    print(HEADER)
    print("|---" * 11 + "|")
    for r in joined.iter_rows(named=True):
        print(
            f"| {r['brigade']} | {r['share']:.0%} | {r['defences']} | {r['seed']} "
            f"| {_cell(r, 'promoted_crh')} ({r['promote_crh_ref']}) "
            f"| {_cell(r, 'good_suppressed')}/{r['good_targets']} "
            f"| {_cell(r, 'honest_lost')} / {_cell(r, 'honest_gained')} "
            f"| {_cell(r, 'honest_removed')} "
            f"| {_cell(r, 'honest_flagged')} ({_cell(r, 'structure_flagged')}) "
            f"| {_cell(r, 'circle_good_lost_ref')} | {r['cpu_s']:.1f} -> {r['cpu_s_new']:.1f} |"
        )


if __name__ == "__main__":
    main()
