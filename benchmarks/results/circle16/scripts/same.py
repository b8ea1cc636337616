"""Which non-timing columns differ between two bench runs (cells matched by kind, share,
seed, defences).

python benchmarks/results/circle16/scripts/same.py BEFORE.parquet AFTER.parquet
"""

import sys

import polars as pl

KEYS = ["brigade", "share", "seed", "defences"]
SKIP = {"wall_s", "cpu_s", "peak_mib"}
before, after = (pl.read_parquet(p) for p in sys.argv[1:3])
both = before.join(after, on=KEYS, suffix="_after")
print(f"{both.height} cells matched ({before.height} / {after.height})")
for c in before.columns:
    if c in KEYS or c in SKIP:
        continue
    a, b = both[c], both[c + "_after"]
    diff = both.filter((a != b) | (a.is_null() != b.is_null()))
    if diff.height:
        print(f"{c}: {diff.height} cells differ, sum {a.sum()} -> {b.sum()}")
for c in sorted(SKIP):
    print(f"{c}: sum {both[c].sum():.1f} -> {both[c + '_after'].sum():.1f}")
