"""Time one ALS fit (``fit_mf``, random start, default MFConfig) on bench_mf's synthetic
two-camp ratings and print its CPU split (not a test).

Usage: python benchmarks/als_synthetic.py N_RATINGS [SEED]
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))

import als_anatomy
from bench_mf import make_ratings
from bridgewatch.scoring.mf import als


def main() -> None:
    n = int(sys.argv[1])
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    data = make_ratings(n, seed)
    als_anatomy.install()
    c0, t0 = time.process_time(), time.perf_counter()
    res = als.fit_mf(
        data.note_idx,
        data.rater_idx,
        data.values,
        n_notes=data.n_notes,
        n_raters=data.n_raters,
        rng=np.random.default_rng(seed),
    )
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    print(
        f"fit: {n} ratings, {res.n_iterations} sweeps, CPU {cpu:.2f} s, wall {wall:.2f} s, "
        f"load {os.getloadavg()[0]:.1f}, loss {res.loss!r}"
    )
    als_anatomy.report(cpu)


if __name__ == "__main__":
    main()
