"""Benchmark of the MF kernels on synthetic two-camp data (not a test).

For each size, a child process generates the ratings (vectorised, int32 indexes, float32
values), then times ``fit_mf`` from a random (Xavier) start, ``fit_mf`` warm-started
from the first fit's params (the shape of every prescoring fit after the first, §7),
``fit_note_params`` and ``pseudo_rater_bounds``, and reports the process's peak RSS. numba
compilation is excluded (a warm-up fit on tiny data runs first; the cache also persists).

Usage: python benchmarks/bench_mf.py [N_RATINGS ...]   (default: 100000 1000000 10000000)
"""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.scoring.mf import MFInit, fit_mf, fit_note_params, pseudo_rater_bounds


@dataclass(frozen=True)
class Synthetic:
    note_idx: NDArray[np.int32]
    rater_idx: NDArray[np.int32]
    values: NDArray[np.float32]
    n_notes: int
    n_raters: int


def make_ratings(n_ratings: int, seed: int = 0) -> Synthetic:
    """Two viewpoint camps; ~37 ratings per note and ~110 per rater on average, heavy-tailed
    activity; values 0 / 0.5 / 1 from a noisy bridging model."""
    rng = np.random.default_rng(seed)
    n_notes = max(n_ratings // 37, 10)
    n_raters = max(n_ratings // 110, 10)
    camp = rng.choice([-1.0, 1.0], n_raters)
    rater_factor = camp * rng.uniform(0.3, 1.0, n_raters)
    rater_intercept = rng.normal(0.0, 0.15, n_raters)
    note_factor = rng.normal(0.0, 0.5, n_notes)
    note_intercept = rng.normal(0.0, 0.3, n_notes)
    note_weight = np.cumsum(rng.lognormal(0.0, 1.0, n_notes))
    rater_weight = np.cumsum(rng.lognormal(0.0, 1.0, n_raters))
    note_idx = np.searchsorted(note_weight, rng.random(n_ratings) * note_weight[-1])
    rater_idx = np.searchsorted(rater_weight, rng.random(n_ratings) * rater_weight[-1])
    note_idx = note_idx.astype(np.int32)
    rater_idx = rater_idx.astype(np.int32)
    signal = (
        0.4
        + rater_intercept[rater_idx]
        + note_intercept[note_idx]
        + rater_factor[rater_idx] * note_factor[note_idx]
        + rng.normal(0.0, 0.25, n_ratings)
    )
    values = np.where(signal > 0.66, 1.0, np.where(signal > 0.33, 0.5, 0.0)).astype(np.float32)
    return Synthetic(note_idx, rater_idx, values, n_notes, n_raters)


def run_one(n_ratings: int) -> None:
    tiny = make_ratings(2000, seed=1)
    warm_up = fit_mf(
        tiny.note_idx,
        tiny.rater_idx,
        tiny.values,
        n_notes=tiny.n_notes,
        n_raters=tiny.n_raters,
        rng=np.random.default_rng(0),
    ).params
    ri0 = np.nan_to_num(warm_up.rater_intercepts)
    rf0 = np.nan_to_num(warm_up.rater_factors)
    fit_note_params(
        tiny.note_idx,
        tiny.rater_idx,
        tiny.values,
        n_notes=tiny.n_notes,
        rater_intercepts=ri0,
        rater_factors=rf0,
        global_intercept=0.0,
    )
    pseudo_rater_bounds(
        tiny.note_idx,
        tiny.rater_idx,
        tiny.values,
        n_notes=tiny.n_notes,
        rater_intercepts=ri0,
        rater_factors=rf0,
        global_intercept=0.0,
    )
    data = make_ratings(n_ratings)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    c0 = time.process_time()
    t0 = time.perf_counter()
    cold = fit_mf(
        data.note_idx,
        data.rater_idx,
        data.values,
        n_notes=data.n_notes,
        n_raters=data.n_raters,
        rng=np.random.default_rng(0),
    )
    t1 = time.perf_counter()
    c1 = time.process_time()
    warm = fit_mf(
        data.note_idx,
        data.rater_idx,
        data.values,
        n_notes=data.n_notes,
        n_raters=data.n_raters,
        init=MFInit.from_params(cold.params, with_global=False),
    )
    t2 = time.perf_counter()
    p = cold.params
    ok = np.isfinite(p.rater_intercepts)
    keep = ok[data.rater_idx]
    ri = np.where(ok, p.rater_intercepts, np.nan)
    notes = fit_note_params(
        data.note_idx[keep],
        data.rater_idx[keep],
        data.values[keep],
        n_notes=data.n_notes,
        rater_intercepts=ri,
        rater_factors=p.rater_factors,
        global_intercept=p.global_intercept,
        note_ratio=37.0,
    )
    t3 = time.perf_counter()
    pseudo_rater_bounds(
        data.note_idx[keep],
        data.rater_idx[keep],
        data.values[keep],
        n_notes=data.n_notes,
        rater_intercepts=ri,
        rater_factors=p.rater_factors,
        global_intercept=p.global_intercept,
    )
    t4 = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{n_ratings:>11,d} ratings {data.n_notes:>9,d} notes {data.n_raters:>8,d} raters | "
        f"fit_mf cold {t1 - t0:7.2f} s wall / {c1 - c0:6.2f} s CPU ({cold.n_iterations:3d} sweeps, "
        f"{1e3 * (t1 - t0) / cold.n_iterations:6.1f} ms/sweep) | "
        f"warm {t2 - t1:6.2f} s ({warm.n_iterations:3d} sweeps) | "
        f"note fit {t3 - t2:6.3f} s | pseudo {t4 - t3:6.3f} s | "
        f"peak RSS {rss:7.0f} MiB (data+imports {rss0:6.0f}) | "
        f"train MSE {cold.train_mse:.4f} converged={cold.converged} note-fit n={notes.n_iterations}"
    )


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        run_one(int(sys.argv[2]))
        return
    sizes = [int(a) for a in sys.argv[1:]] or [100_000, 1_000_000, 10_000_000]
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}, Python {platform.python_version()}, "
        f"numpy {np.__version__}; single-threaded kernels"
    )
    for n in sizes:
        subprocess.run([sys.executable, __file__, "--one", str(n)], check=True)


if __name__ == "__main__":
    main()
