"""Benchmark: simulate a community and write it in the public TSV format.

Default: 200,000 notes, 250,000 raters, 10,000,000 ratings, streamed to a temporary
directory. Prints the hardware, wall time per phase, output size and peak memory (RSS).

    .venv/bin/python benchmarks/bench_simulate.py [--n-notes N] [--n-raters N]
        [--n-ratings N] [--out DIR] [--in-memory]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

from bridgewatch.cli.simulate import brigades_for_share
from bridgewatch.sim import BrigadeGoal, SimConfig, simulate, write_community, write_simulation
from bridgewatch.sim.simulate import iter_rating_blocks, plan_simulation


def _hardware() -> str:
    model = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    cpus = len(os.sched_getaffinity(0))
    return (
        f"{model}, {cpus} CPUs available, {mem_gb:.1f} GB RAM, Python {platform.python_version()}"
    )


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # ru_maxrss is in KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n-notes", type=int, default=200_000)
    parser.add_argument("--n-raters", type=int, default=250_000)
    parser.add_argument("--n-ratings", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--adversary-share", type=float, default=0.0, help="brigade members / raters (20 each)"
    )
    parser.add_argument("--out", type=Path, default=None, help="keep the files here")
    parser.add_argument(
        "--in-memory", action="store_true", help="simulate() the whole community, then write"
    )
    parser.add_argument("--no-write", action="store_true", help="only generate the rating arrays")
    args = parser.parse_args()
    brigades = brigades_for_share(args.adversary_share, args.n_raters, 20, 5, BrigadeGoal.PROMOTE)
    config = SimConfig(
        seed=args.seed,
        n_notes=args.n_notes,
        n_raters=args.n_raters,
        n_ratings=args.n_ratings,
        brigades=brigades,
    )
    print(f"hardware: {_hardware()}")
    print(
        f"config: {config.n_notes:,} notes, {config.n_raters:,} raters,"
        f" {config.n_ratings:,} ratings, {len(config.brigades)} brigades"
    )
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_simulate_"))
    try:
        started = time.perf_counter()
        cpu_started = time.process_time()
        if args.no_write:
            plan = plan_simulation(config)
            planned = time.perf_counter()
            n = sum(block.n for block in iter_rating_blocks(plan))
            print(f"plan (raters, notes, counts): {planned - started:.1f} s")
            print(f"rating arrays: {time.perf_counter() - planned:.1f} s for {n:,} ratings")
        elif args.in_memory:
            community = simulate(config)
            simulated = time.perf_counter()
            written = write_community(community, out)
            print(f"simulate(): {simulated - started:.1f} s")
            print(f"write_community(): {time.perf_counter() - simulated:.1f} s")
        else:
            written = write_simulation(config, out)
        total = time.perf_counter() - started
        if not args.no_write:
            size_gb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e9
            print(f"ratings written: {written.n_ratings:,}; output {size_gb:.2f} GB in {out}")
        print(f"total wall time: {total:.1f} s (CPU {time.process_time() - cpu_started:.1f} s)")
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
        print(f"peak RSS: {_peak_rss_gb():.2f} GB")
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
