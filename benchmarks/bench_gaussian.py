"""Benchmark of the Gaussian aggregation kernel (multimodel §6.3) on synthetic data (not a test).

One child process per size generates ratings (int32 indexes, float32 values, ~50 ratings per
note, ~20 per rater, two viewpoint camps), warms numba up on tiny data, then times
``aggregate_gaussian`` (both passes, one author row per note) and reports its wall time and
the process's peak RSS above the generated inputs.

Usage: python benchmarks/bench_gaussian.py [N_RATINGS ...]   (default: 1000000 10000000)
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time

import numpy as np

from bridgewatch.scoring.gaussian import aggregate_gaussian


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(n_ratings: int) -> None:
    rng = np.random.default_rng(0)
    n_notes, n_raters = max(n_ratings // 50, 1), max(n_ratings // 20, 1)
    camp = rng.choice([-1.0, 1.0], n_raters)
    factors = np.clip(camp * rng.uniform(0.05, 0.9, n_raters), -1, 1)
    lean = rng.uniform(-1, 1, n_notes)
    note_idx = rng.integers(0, n_notes, n_ratings).astype(np.int32)
    rater_idx = rng.integers(0, n_raters, n_ratings).astype(np.int32)
    p = 1 / (1 + np.exp(-3 * lean[note_idx] * factors[rater_idx]))
    draw = rng.random(n_ratings)
    values = np.where(draw < p * 0.8, 1.0, np.where(draw < p, 0.5, 0.0)).astype(np.float32)
    del p, draw
    authors = rng.integers(0, n_raters, n_notes).astype(np.int32)
    tiny = np.zeros(10, np.int32)
    aggregate_gaussian(tiny, tiny, np.ones(10, np.float32), np.ones(1), n_notes=1)
    base = _rss_mib()
    t0 = time.perf_counter()
    result = aggregate_gaussian(
        note_idx, rater_idx, values, factors, n_notes=n_notes, extra_rater_idx=authors
    )
    wall = time.perf_counter() - t0
    neg = float(np.mean(result.intercept < 0))
    print(
        f"{n_ratings:>11,} ratings {n_notes:>9,} notes {n_raters:>9,} raters: "
        f"{wall:6.2f} s, peak RSS {_rss_mib():7.0f} MiB (+{_rss_mib() - base:.0f} over inputs), "
        f"{neg:.0%} negative intercepts, {os.cpu_count()} CPUs"
    )


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        run_one(int(sys.argv[2]))
        return
    sizes = [int(a) for a in sys.argv[1:]] or [1_000_000, 10_000_000]
    for n in sizes:
        subprocess.run([sys.executable, __file__, "--one", str(n)], check=True)


if __name__ == "__main__":
    main()
