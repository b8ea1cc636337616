"""Two attack-bench runs side by side, cell by cell: which figures changed.

Reads two ``attack_bench_cells.parquet`` (e.g. an earlier round's and today's, same seeds
and flags) and prints a markdown table of the cells (brigade, share, defences, seed) whose
figures differ, as ``old -> new``, then the cells found in only one run:

    python benchmarks/attack_compare.py \
        benchmarks/results/attack6/all_s0/attack_bench_cells.parquet \
        benchmarks/results/session10/all_s0/attack_bench_cells.parquet

Figures: targets promoted to helpful, good notes suppressed, honest ratings removed,
honest raters flagged (and those in honest structures), niche-circle good notes lost
against the reference, attack ratings removed (on the targets) and brigade ratings
removed (all of the brigade accounts' ratings).
"""

from __future__ import annotations

import argparse

import polars as pl

KEYS = ["brigade", "share", "defences", "seed"]
FIGURES = [
    "promoted_crh",
    "good_suppressed",
    "honest_removed",
    "honest_flagged",
    "structure_flagged",
    "circle_good_lost_ref",
    "attack_removed",
    "adversary_removed",
]


def compare(old: pl.DataFrame, new: pl.DataFrame) -> str:
    """Markdown lines: the cells whose ``FIGURES`` differ, then unmatched cells."""
    both = old.select(KEYS + FIGURES).join(
        new.select(KEYS + FIGURES), on=KEYS, how="full", suffix="_new", coalesce=True
    )
    lines = ["| " + " | ".join(KEYS + FIGURES) + " |", "|" + "---|" * (len(KEYS) + len(FIGURES))]
    only: list[str] = []
    for row in both.sort(KEYS).iter_rows(named=True):
        key = [str(row[k]) for k in KEYS]
        if row[FIGURES[0]] is None or row[FIGURES[0] + "_new"] is None:
            side = "new" if row[FIGURES[0]] is None else "old"
            only.append(f"only in {side}: " + " ".join(key))
            continue
        cells = []
        changed = False
        for figure in FIGURES:
            a, b = row[figure], row[figure + "_new"]
            if a == b:
                cells.append(str(a))
            else:
                cells.append(f"**{a} -> {b}**")
                changed = True
        if changed:
            lines.append("| " + " | ".join(key + cells) + " |")
    if len(lines) == 2:
        lines.append("| identical | " + " | " * (len(KEYS) + len(FIGURES) - 1))
    return "\n".join([*lines, "", *only])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    args = parser.parse_args()
    print(compare(pl.read_parquet(args.old), pl.read_parquet(args.new)))


if __name__ == "__main__":
    main()
