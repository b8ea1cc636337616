"""Time and peak memory of the two BCE models of the Core scorer on synthetic data.

For each size, each model runs in a fresh subprocess (peak RSS = that process's ru_maxrss,
minus the same process's RSS just before the fit). Wall and CPU time of the fit alone (numba
compilation is warmed first); on a shared machine CPU time is the steadier figure. Models:

* harassment: ``fit_harassment_model`` (the reference Adam) on all ratings as labelled data;
* diligence-pre: ``fit_low_diligence_prescoring`` (3 rounds of capped full-batch Adam);
* diligence-final: ``fit_low_diligence_final`` (steps A and B).

    .venv/bin/python benchmarks/bench_bce.py [--sizes 100000 1000000] [--models ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np
from numpy.typing import NDArray

MODELS = ("harassment", "diligence-pre", "diligence-final")


def synthetic(n_ratings: int, seed: int = 0) -> dict[str, NDArray[np.generic]]:
    """~25 ratings per note, ~50 per rater, two camps; unique (note, rater) pairs."""
    rng = np.random.default_rng(seed)
    n_notes = max(n_ratings // 25, 10)
    n_raters = max(n_ratings // 50, 10)
    note = rng.integers(0, n_notes, n_ratings, dtype=np.int64)
    rater = rng.integers(0, n_raters, n_ratings, dtype=np.int64)
    key = np.unique(note * n_raters + rater)
    note, rater = key // n_raters, key % n_raters
    camp = np.where(rng.random(n_raters) < 0.5, -1.0, 1.0)
    note_lean = rng.standard_normal(n_notes)
    abusive = rng.random(n_notes) < 0.03
    sloppy = rng.random(n_notes) < 0.15
    p_abuse = np.where(abusive[note], 0.6, 0.02)
    p_sloppy = np.clip(
        np.where(sloppy[note], 0.5, 0.1) + 0.05 * camp[rater] * note_lean[note], 0, 1
    )
    return {
        "note": note.astype(np.int32),
        "rater": rater.astype(np.int32),
        "abuse": (rng.random(note.shape[0]) < p_abuse).astype(np.float64),
        "sloppy": (rng.random(note.shape[0]) < p_sloppy).astype(np.float64),
        "rater_factors": camp * 0.5 + 0.1 * rng.standard_normal(n_raters),
        "note_factors": 0.3 * note_lean,
        "n_notes": np.array(n_notes),
        "n_raters": np.array(n_raters),
    }


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_one(model: str, n_ratings: int) -> dict[str, float]:
    from bridgewatch.scoring.diligence import (
        DiligenceConfig,
        fit_low_diligence_final,
        fit_low_diligence_prescoring,
    )
    from bridgewatch.scoring.harassment import HarassmentConfig, fit_harassment_model

    d = synthetic(n_ratings)
    n_notes, n_raters = int(d["n_notes"]), int(d["n_raters"])
    note, rater = d["note"], d["rater"]
    # warm the numba caches on a tiny problem so compilation is not timed
    tiny = synthetic(2000, seed=1)
    cfg_d = DiligenceConfig()
    pre_tiny = fit_low_diligence_prescoring(
        tiny["note"], tiny["rater"], tiny["sloppy"], n_notes=int(tiny["n_notes"]),
        n_raters=int(tiny["n_raters"]), init_rater_factors=tiny["rater_factors"],
        config=cfg_d, rng=np.random.default_rng(0),
    )  # fmt: skip
    fit_low_diligence_final(
        tiny["note"], tiny["rater"], tiny["sloppy"], n_notes=int(tiny["n_notes"]),
        n_raters=int(tiny["n_raters"]), state=pre_tiny.state, ratings_per_note=25.0,
        ratings_per_rater=50.0, config=cfg_d,
    )  # fmt: skip
    fit_harassment_model(
        tiny["note"], tiny["rater"], tiny["abuse"], n_notes=int(tiny["n_notes"]),
        n_raters=int(tiny["n_raters"]), init_rater_factors=tiny["rater_factors"],
        init_note_factors=tiny["note_factors"], config=HarassmentConfig(),
    )  # fmt: skip
    state = None
    if model == "diligence-final":
        state = fit_low_diligence_prescoring(
            note, rater, d["sloppy"], n_notes=n_notes, n_raters=n_raters,
            init_rater_factors=d["rater_factors"], config=DiligenceConfig(max_epochs=20),
            rng=np.random.default_rng(0),
        ).state  # fmt: skip
    base = _rss_mb()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    steps: list[int] = []
    if model == "harassment":
        res = fit_harassment_model(
            note, rater, d["abuse"], n_notes=n_notes, n_raters=n_raters,
            init_rater_factors=d["rater_factors"], init_note_factors=d["note_factors"],
            config=HarassmentConfig(),
        )  # fmt: skip
        steps = [res.iterations]
    elif model == "diligence-pre":
        pre = fit_low_diligence_prescoring(
            note, rater, d["sloppy"], n_notes=n_notes, n_raters=n_raters,
            init_rater_factors=d["rater_factors"], config=cfg_d, rng=np.random.default_rng(0),
        )  # fmt: skip
        steps = [r.n_steps for r in pre.rounds]
    else:
        assert state is not None
        fin = fit_low_diligence_final(
            note, rater, d["sloppy"], n_notes=n_notes, n_raters=n_raters, state=state,
            ratings_per_note=25.0, ratings_per_rater=50.0, config=cfg_d,
        )  # fmt: skip
        steps = [r.n_steps for r in fin.rounds]
    seconds = time.perf_counter() - t0
    cpu_seconds = time.process_time() - cpu0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_mb_over_base": max(peak - base, 0.0),
        "ratings": float(note.shape[0]),
        "iterations": float(sum(steps)),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    ap.add_argument("--one", nargs=2, metavar=("MODEL", "SIZE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], int(args.one[1]))))
        return
    print(f"{platform.platform()}, python {platform.python_version()}, {os.cpu_count()} cpus")
    head = f"{'model':16s} {'ratings':>10s} {'wall s':>8s} {'CPU s':>8s} {'peak MB':>8s}"
    print(f"{head} {'iters':>6s} {'CPU ms/iter':>11s}")
    for size in args.sizes:
        for model in args.models:
            out = subprocess.run(
                [sys.executable, __file__, "--one", model, str(size)],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            r = json.loads(out.stdout.strip().splitlines()[-1])
            per = 1000 * r["cpu_seconds"] / max(r["iterations"], 1)
            print(
                f"{model:16s} {int(r['ratings']):>10d} {r['seconds']:8.2f} {r['cpu_seconds']:8.2f}"
                f" {r['peak_mb_over_base']:8.0f} {int(r['iterations']):>6d} {per:11.1f}"
            )


if __name__ == "__main__":
    main()
