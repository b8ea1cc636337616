"""The attack bench over several seeds: per brigade kind and share, the figures summed
over seeds and the honest helpful-rate drop's mean and range over seeds.

Reads the per-seed tables (``attack_bench_cells.parquet``) that ``bridgewatch
attack-bench`` writes, from one or more runs (e.g. one whole-roster run per seed), and
prints a markdown table of the defended cells:

    python benchmarks/attack_seeds.py benchmarks/results/attack6/core/attack_bench_cells.parquet

Columns: targets promoted with the defences on (off; helpful in the reference), good
notes suppressed on (off), the drop of the honest helpful rate against the reference and
against the matched reference (points, mean [min, max] over seeds; positive = fewer
honest notes helpful), honest ratings removed, honest raters flagged, niche-circle good
notes lost against the reference, and the share of the brigade ratings on the targets
that the defences removed (and of all the brigade accounts' ratings).
"""

from __future__ import annotations

import argparse

import polars as pl


def _spread(values: list[float]) -> str:
    mean = sum(values) / len(values)
    return f"{mean:+.2f} [{min(values):+.1f}, {max(values):+.1f}]"


def seed_table(cells: pl.DataFrame) -> str:
    """Markdown table of the defended cells of ``cells`` (``cell_table`` rows)."""
    header = [
        "brigade",
        "share",
        "seeds",
        "promoted on (off; in ref)",
        "good suppressed on (off)",
        "drop vs ref, pts: mean [min, max]",
        "drop vs matched, pts: mean [min, max]",
        "honest ratings removed",
        "honest raters flagged",
        "circle notes lost vs ref",
        "brigade ratings removed: on targets (all)",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    keys = ["brigade", "share"]
    for (kind, share), group in cells.sort([*keys, "seed"]).group_by(keys, maintain_order=True):
        on = group.filter(pl.col("defences") == "on")
        off = group.filter(pl.col("defences") == "off")
        if on.height == 0:
            continue

        def total(frame: pl.DataFrame, col: str) -> int:
            return int(frame[col].sum())

        def per_seed(frame: pl.DataFrame, col: str) -> str:
            return "+".join(str(v) for v in frame[col].to_list())

        attack = total(on, "attack_ratings")
        brigade = total(on, "adversary_ratings")
        removed = (
            "-"
            if brigade == 0
            else f"{100 * total(on, 'attack_removed') / max(attack, 1):.0f}% "
            f"({100 * total(on, 'adversary_removed') / brigade:.0f}%)"
        )
        lines.append(
            f"| {kind} | {share:.0%} | {on.height} "
            f"| {per_seed(on, 'promoted_crh')} of {total(on, 'promote_targets')} "
            f"({per_seed(off, 'promoted_crh')}; {per_seed(on, 'promote_crh_ref')}) "
            f"| {per_seed(on, 'good_suppressed')} of {total(on, 'good_targets')} "
            f"({per_seed(off, 'good_suppressed')}) "
            f"| {_spread(on['honest_helpful_drop'].to_list())} "
            f"| {_spread(on['honest_helpful_drop_matched'].to_list())} "
            f"| {per_seed(on, 'honest_removed')} of {total(on, 'honest_ratings'):,} "
            f"| {per_seed(on, 'honest_flagged')} "
            f"| {per_seed(on, 'circle_good_lost_ref')} of {total(on, 'circle_good_ref')} "
            f"| {removed} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cells", nargs="+", help="attack_bench_cells.parquet files")
    args = parser.parse_args()
    cells = pl.concat([pl.read_parquet(p) for p in args.cells], how="diagonal_relaxed")
    print(seed_table(cells), end="")


if __name__ == "__main__":
    main()
