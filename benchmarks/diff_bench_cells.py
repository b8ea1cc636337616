"""Every non-timing column of two attack-bench runs that differs, cell by cell
(``base -> head``), then the timing columns summed.

    python benchmarks/diff_bench_cells.py BASE_OUTDIR HEAD_OUTDIR [COLUMN,...]

With a third argument, also prints those columns for every cell (issue #15, adv15).
"""

from __future__ import annotations

import sys

import polars as pl

KEYS = ["share", "brigade", "defences", "seed"]
TIMING = {"wall_s", "cpu_s", "peak_mib"}


def main() -> None:
    base, head = (
        pl.read_parquet(f"{d}/attack_bench_cells.parquet").sort(KEYS) for d in sys.argv[1:3]
    )
    show = sys.argv[3].split(",") if len(sys.argv) > 3 else []
    both = base.join(head, on=KEYS, suffix="_h", how="full", coalesce=True)
    columns = [c for c in base.columns if c not in KEYS and c not in TIMING]
    n_diff = 0
    for row in both.iter_rows(named=True):
        key = " ".join(f"{k}={row[k]}" for k in KEYS)
        diffs = [
            f"{c} {_fmt(row[c])} -> {_fmt(row[c + '_h'])}"
            for c in columns
            if row[c] != row[c + "_h"]
        ]
        shown = [f"{c} {_fmt(row[c])}/{_fmt(row[c + '_h'])}" for c in show]
        if diffs or shown:
            print(key, "|", "; ".join(diffs) or "same", ("| " + "; ".join(shown)) if shown else "")
        n_diff += bool(diffs)
    print(f"{n_diff} of {both.height} rows differ in a non-timing column")
    for c in sorted(TIMING & set(base.columns)):
        for d in ("off", "on"):
            b = base.filter(pl.col("defences") == d)[c].sum()
            h = head.filter(pl.col("defences") == d)[c].sum()
            print(f"{c} defences {d}: base {b:.1f}, head {h:.1f} (summed over cells)")


def _fmt(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    main()
