"""Per-epoch cost of the two BCE models' passes (``_logit_passes.LogitPasses.run``).

The Core prescoring chain spends most of its CPU in the epochs of the harassment model and
of the low-diligence model (full-batch Adam: one loss/gradient pass over all ratings per
epoch). This times one epoch of each kind on a synthetic rating matrix of a chosen shape,
with the flags and weights the fits use:

* ``harassment``: class weights (the loss every epoch: the "+loss" row is its epoch);
* ``diligence-r1`` / ``-r2`` / ``-r3``: the three prescoring rounds (r1: all groups but ρ_u,
  class weights; r2: all but b_n, class weights; r3: b_n, b_u, μ, per-rating weights),
  an epoch without the loss and one with it (every fifth epoch).

Ratings: note and rater popularity follow power laws (exponents 0.6 and 0.4) over randomly
permuted indexes, unique (note, rater) pairs not enforced (the passes do not need them).
Prints CPU and wall ms per epoch (median of ``--reps``) and writes them as JSON with
``--out``. Run it with ``PYTHONPATH`` on two source trees to compare them:

    PYTHONPATH=src python benchmarks/bench_bce_epochs.py --ratings 30000000 \\
        --notes 1500000 --raters 1500000 --out before.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

import bridgewatch
from bridgewatch.scoring import _logit_passes
from bridgewatch.scoring._logit_passes import LogitPasses, rater_major


def synthetic(
    m: int, nn: int, nu: int, seed: int = 0
) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]]:
    """Note, rater and 0/1 target of ``m`` ratings (module docstring)."""
    rng = np.random.default_rng(seed)
    pn = 1.0 / np.arange(1, nn + 1) ** 0.6
    pu = 1.0 / np.arange(1, nu + 1) ** 0.4
    note = rng.permutation(nn).astype(np.int32)[rng.choice(nn, m, p=pn / pn.sum())]
    rater = rng.permutation(nu).astype(np.int32)[rng.choice(nu, m, p=pu / pu.sum())]
    y = (rng.random(m) < 0.2).astype(np.float64)
    return note, rater, y


# (name, note factors train, note intercepts train, one weight per class)
KINDS = (
    ("harassment", True, True, True),
    ("diligence-r1", True, True, True),
    ("diligence-r2", True, False, True),
    ("diligence-r3", False, True, False),
)


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ratings", type=int, default=10_000_000)
    ap.add_argument("--notes", type=int, default=500_000)
    ap.add_argument("--raters", type=int, default=500_000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--kinds", nargs="+", default=[k[0] for k in KINDS])
    ap.add_argument("--out", help="JSON file for the figures")
    ap.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    ap.add_argument("--note-block", type=int, help="override NOTE_BLOCK (float64 notes)")
    args = ap.parse_args()
    if args.note_block:
        _logit_passes.NOTE_BLOCK = args.note_block
    dtype = np.dtype(args.dtype)
    m, nn, nu = args.ratings, args.notes, args.raters
    note, rater, y = synthetic(m, nn, nu)
    rng = np.random.default_rng(1)
    theta = rng.standard_normal(2 * nn + 3 * nu + 1) * 0.3
    theta[2 * nn + 2 * nu : 2 * nn + 3 * nu] = 1.0  # ρ_u = 1 (harassment; start of diligence)
    theta = theta.astype(dtype)
    grad = np.zeros_like(theta)
    results: dict[str, Any] = {
        "ratings": m, "notes": nn, "raters": nu, "reps": args.reps,
        "commit": _git_commit(), "src": os.path.dirname(bridgewatch.__file__),
        "platform": platform.platform(), "cpus": os.cpu_count(),
        "load_start": os.getloadavg()[0], "dtype": args.dtype,
        "note_block": _logit_passes.NOTE_BLOCK, "kinds": {},
    }  # fmt: skip
    print(f"{m} ratings, {nn} notes, {nu} raters, {args.dtype}")
    print(f"{'kind':14s} {'loss':>5s} {'CPU ms':>8s} {'wall ms':>8s}")
    for name, t_fn, t_bn, by_class in KINDS:
        if name not in args.kinds:
            continue
        w = np.where(y == 1.0, 5.0, 1.0) if by_class else 0.5 + rng.random(m)
        ptr, note_c, (ys, ws) = rater_major(note, rater, y, w, n_raters=nu)
        with LogitPasses(ptr, note_c, ys, ws, nn, nu, dtype=dtype) as passes:
            for with_loss in (False, True):
                cpu, wall = [], []
                for rep in range(args.reps + 1):
                    c0, t0 = time.process_time(), time.perf_counter()
                    passes.run(
                        theta, grad, note_factors=t_fn, note_intercepts=t_bn,
                        with_loss=with_loss,
                    )  # fmt: skip
                    if rep:  # the first run warms caches and compiles
                        cpu.append(time.process_time() - c0)
                        wall.append(time.perf_counter() - t0)
                c_ms, w_ms = 1000 * statistics.median(cpu), 1000 * statistics.median(wall)
                results["kinds"][f"{name}{'+loss' if with_loss else ''}"] = {
                    "cpu_ms": c_ms, "wall_ms": w_ms,
                }  # fmt: skip
                print(f"{name:14s} {with_loss!s:>5s} {c_ms:8.1f} {w_ms:8.1f}", flush=True)
        del ptr, note_c, ys, ws, w
    results["load_end"] = os.getloadavg()[0]
    print(f"load average {results['load_start']:.1f} -> {results['load_end']:.1f}")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()
