"""Benchmark: end-to-end Core scoring (load + score + write) on the fixtures and a simulation.

Each measurement runs in a child process so that its peak RSS (ru_maxrss, which includes
polars' and numba's native memory) is that run's alone; the numba kernels come from the
on-disk cache, so the first child may pay their compilation once (a warm-up run does that).
Prints wall time, CPU time, per-stage timings, peak RSS and the machine (cores, load average:
on a shared machine the wall time is inflated by other processes, the CPU time much less).

Usage: .venv/bin/python benchmarks/bench_score.py [--fixtures DIR] [--sim-ratings 1000000]
       [--sim-notes 20000] [--no-sim]
Targets: <= 3 s per fixture run (the reference takes ~3 min); ~11 s and < 1.5 GB for
1,000,000 ratings on 20,000 notes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from bridgewatch.sim import SimConfig, write_simulation

CHILD = """
import json, resource, sys, time
args = json.loads(sys.argv[1])
t0 = time.perf_counter(); c0 = time.process_time()
from bridgewatch.pipeline.batch import run_batch
from bridgewatch.scoring.config import ScoringConfig
t1 = time.perf_counter()
run = run_batch(notes=args["notes"], ratings=args["ratings"], status_history=args["status"],
                enrollment=args["enrollment"], outdir=args["outdir"], as_of_ms=args["as_of"],
                seed=1, config=ScoringConfig() if args["topics"] else ScoringConfig(topics=None))
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "run_s": t2 - t1, "cpu_s": time.process_time() - c0,
                  "timings": run.timings, "n_ratings": run.result.inputs.ratings.n_ratings,
                  "n_notes": run.result.inputs.n_notes,
                  "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _child(args: dict[str, object]) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(args)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _report(label: str, r: dict[str, object]) -> None:
    timings = r["timings"]
    assert isinstance(timings, dict)
    stages = ", ".join(f"{k} {v:.2f}" for k, v in timings.items())
    print(
        f"{label}: {r['n_ratings']} ratings, {r['n_notes']} notes: wall {r['run_s']:.2f} s "
        f"(cpu {r['cpu_s']:.2f} s, import {r['import_s']:.2f} s), peak RSS "
        f"{r['maxrss_mib']:.0f} MiB\n    stages (s): {stages}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fixtures", type=Path, default=Path("/work/shared/fixtures"))
    parser.add_argument("--sim-ratings", type=int, default=1_000_000)
    parser.add_argument("--sim-notes", type=int, default=20_000)
    parser.add_argument("--no-sim", action="store_true")
    args = parser.parse_args()
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for name in ("S-core", "S-full"):
            inputs = args.fixtures / name / "input"
            if not inputs.is_dir():
                print(f"{name}: fixture not found, skipped")
                continue
            run = {
                "notes": str(inputs / "notes-00000.tsv"),
                "ratings": str(inputs / "ratings-00000.tsv"),
                "status": str(inputs / "noteStatusHistory-00000.tsv"),
                "enrollment": str(inputs / "userEnrollment-00000.tsv"),
                "outdir": str(out / name),
                "as_of": 1_793_494_800_000,
                "topics": True,
            }
            _child(run)  # warm-up: numba cache, page cache
            _report(f"{name} run 1", _child(run))
        if args.no_sim:
            return
        config = SimConfig(
            seed=7,
            n_notes=args.sim_notes,
            n_raters=max(5_000, args.sim_ratings // 20),
            n_ratings=args.sim_ratings,
        )
        files = write_simulation(config, out / "sim")
        run = {
            "notes": str(files.notes),
            "ratings": str(files.ratings[0]),
            "status": str(files.note_status_history),
            "enrollment": str(files.user_enrollment),
            "outdir": str(out / "sim-out"),
            "as_of": None,
            "topics": True,
        }
        _report(f"simulated ({config.n_raters} raters)", _child(run))


if __name__ == "__main__":
    main()
