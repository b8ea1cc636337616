"""Replay dumped prescoring ``fit_mf`` calls (from ``mf_steps.py --dump``) and split their
CPU time by part of the ALS loop (not a test).

Usage: python benchmarks/als_anatomy.py DUMP_DIR [OUT.npz] [mf0 mf1 ...]

Per call: total CPU, sweeps, and CPU in index building (``make_engine``), note solves,
rater solves, ``error_sums`` passes (initial objective + Anderson trials), Anderson
proposals, the penalty sums (``_loss``), and the rest (copies, max-step, offsets, bincounts,
start values). With OUT.npz the fitted parameters are saved for a bit-identity check.
"""

from __future__ import annotations

import collections
import os
import pickle
import sys
import time
from typing import Any

import numpy as np

from bridgewatch.scoring.mf import _engines, _solver, als

SPENT: collections.defaultdict[str, float] = collections.defaultdict(float)
CALLS: collections.Counter[str] = collections.Counter()


def _wrap(owner: Any, name: str, label: str) -> None:
    inner = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        c0 = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            SPENT[label] += time.process_time() - c0
            CALLS[label] += 1

    setattr(owner, name, timed)


def install() -> None:
    """Wrap the timed parts of the ALS loop (once per process)."""
    _wrap(als, "make_engine", "index build")
    _wrap(_engines.NumbaEngine, "solve_notes", "note solves")
    _wrap(_engines.NumbaEngine, "solve_raters", "rater solves")
    _wrap(_engines.NumbaEngine, "error_sums", "error_sums")
    _wrap(_solver._AndersonMixer, "propose", "anderson propose")
    _wrap(_solver.AlsSolver, "_loss", "penalty sums")


def report(cpu: float) -> None:
    """Print the CPU split of the last fit (``cpu``: its whole CPU time)."""
    for label in sorted(SPENT, key=lambda k: -SPENT[k]):
        print(f"    {label:18s} {SPENT[label]:7.2f} s  ({CALLS[label]} calls)")
    print(f"    {'rest':18s} {cpu - sum(SPENT.values()):7.2f} s")


def main() -> None:
    dump = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2].endswith(".npz") else None
    names = [a for a in sys.argv[2:] if not a.endswith(".npz")] or sorted(
        f[:-4] for f in os.listdir(dump) if f.startswith("mf") and f.endswith(".pkl")
    )
    install()
    saved: dict[str, Any] = {}
    for name in names:
        with open(os.path.join(dump, f"{name}.pkl"), "rb") as fh:
            args, kwargs, state = pickle.load(fh)
        if state is not None:
            rng = np.random.default_rng()
            rng.bit_generator.state = state
            kwargs["rng"] = rng
        SPENT.clear()
        CALLS.clear()
        c0, t0 = time.process_time(), time.perf_counter()
        res = als.fit_mf(*args, **kwargs)
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        print(
            f"{name}: {args[2].shape[0]} ratings, {res.n_iterations} sweeps, CPU {cpu:.2f} s, "
            f"wall {wall:.2f} s, load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        report(cpu)
        p = res.params
        for key, arr in (
            ("ni", p.note_intercepts),
            ("nf", p.note_factors),
            ("ri", p.rater_intercepts),
            ("rf", p.rater_factors),
            ("g", np.array([p.global_intercept, res.loss, res.train_mse])),
        ):
            saved[f"{name}.{key}"] = np.asarray(arr)
    if out is not None:
        np.savez(out, **saved)


if __name__ == "__main__":
    main()
