"""Benchmark: the independent work on serial, local processes and a local Dask cluster, and
what a larger cluster would give (list scheduling of the measured task graph).

Two workloads, each run on every executor in one invocation (same machine, same load):

1. the whole roster on a simulated community (default 1M ratings / 20k notes / 50k raters,
   simulated like ``benchmarks/bench_scale.py`` when ``--data`` holds none): load once, then
   ``score(...)`` per executor; the outputs are checked bit for bit against serial;
2. an attack bench of 12 cells (3 seeds x brigade shares 0/5/10/20%, fresh accounts), each
   cell simulated and scored three times inside its task.

For each: wall time, CPU time of this process and all its descendants (worker processes,
the forkserver, Dask's scheduler, nannies and workers; sampled), start-up of the pool or
cluster (inside the wall time), and the load average.

Then a simulation: the roster's task graph (``scorers.remote.roster_graph``: one task per
scorer, the lenders' prescorings before their own and their borrowers' final scoring) with
the per-task seconds measured on ``processes:N`` (one thread per task), list-scheduled
(longest remaining path first) on 1, 2, 8 and 32 workers, plus the serial parts (load,
preprocessing, writing the shared inputs, meta scoring, outputs); and scaled to Community
Notes' size under stated assumptions.

Usage:
    .venv/bin/python benchmarks/bench_executors.py --data /tmp/scale1m \\
        [--ratings 1000000 --notes 20000 --raters 50000] [--workers 2] \\
        [--executors serial,processes:2,dask:local:2] [--skip-roster] [--skip-attack]
"""

from __future__ import annotations

import argparse
import heapq
import logging
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from bridgewatch.analysis.attack import AttackBenchConfig, run_attack_bench
from bridgewatch.io.dataset import load_dataset
from bridgewatch.parallel import open_executor
from bridgewatch.parallel.artifacts import save_tree
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.run import ScoringResult, default_as_of_ms, score
from bridgewatch.scoring.scorers import default_roster
from bridgewatch.scoring.scorers.remote import roster_graph

# Community Notes' public data at the time of writing (issue #3's target): ratings.
CN_RATINGS = 150_000_000


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


class _TreeCpu:
    """CPU seconds of this process's descendants (worker processes are grandchildren under
    forkserver and Dask's nanny, so ``RUSAGE_CHILDREN`` misses them): sampled every 0.2 s,
    the last sample of each process counted (a process's last < 0.2 s may be missed)."""

    def __init__(self) -> None:
        self.seen: dict[tuple[int, float], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        for child in psutil.Process().children(recursive=True):
            try:
                times = child.cpu_times()
                self.seen[(child.pid, child.create_time())] = times.user + times.system
            except psutil.Error:
                pass

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self._sample()

    def __enter__(self) -> _TreeCpu:
        self._sample()
        self.before = dict(self.seen)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def seconds(self) -> float:
        return sum(v - self.before.get(k, 0.0) for k, v in self.seen.items())


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


@dataclass
class Measure:
    workload: str
    executor: str
    wall_s: float
    cpu_s: float
    startup_s: float
    load_before: str
    load_after: str


def _measure(workload: str, spec: str, run: Callable[[Any], Any]) -> tuple[Measure, Any]:
    """Open ``spec``'s executor, run ``run(executor)``, shut it down; time all of it."""
    load_before = _load()
    wall0, cpu0 = time.perf_counter(), _cpu()
    with _TreeCpu() as tree, open_executor(spec) as executor:
        started = time.perf_counter() - wall0
        result = run(executor)
    wall, cpu = time.perf_counter() - wall0, _cpu() - cpu0 + tree.seconds
    m = Measure(workload, spec, wall, cpu, started, load_before, _load())
    print(
        f"[bench] {workload} on {spec}: {wall:.1f} s wall ({started:.1f} s start-up), "
        f"{cpu:.1f} s CPU, load {m.load_before} -> {m.load_after}",
        flush=True,
    )
    return m, result


def _bits(result: ScoringResult) -> list[bytes]:
    out = []
    for table in (result.scored_notes, result.helpfulness_scores, result.aux_note_info):
        for column in table.get_columns():
            values = column.to_numpy()
            out.append(
                values.tobytes() if values.dtype.kind in "fiub" else str(list(values)).encode()
            )
    return out


def _simulate(args: argparse.Namespace) -> None:
    cli = [
        "simulate",
        f"--out={args.data}",
        "--seed=7",
        f"--n-notes={args.notes}",
        f"--n-raters={args.raters}",
        f"--n-ratings={args.ratings}",
    ]
    entry = "import sys; from bridgewatch.cli import main; sys.exit(main(sys.argv[1:]))"
    subprocess.run([sys.executable, "-c", entry, *cli], check=True)


# -- list scheduling ---------------------------------------------------------------------


def list_schedule(
    durations: Mapping[str, float], deps: Mapping[str, tuple[str, ...]], workers: int
) -> float:
    """Makespan of the graph on ``workers`` identical workers, ready tasks taken longest
    remaining path first (HLFET list scheduling; a task starts when its dependencies end)."""
    children: dict[str, list[str]] = {t: [] for t in deps}
    for task, parents in deps.items():
        for p in parents:
            children[p].append(task)
    rank: dict[str, float] = {}

    def bottom(task: str) -> float:
        if task not in rank:
            rank[task] = durations[task] + max((bottom(c) for c in children[task]), default=0.0)
        return rank[task]

    finish: dict[str, float] = {}
    free = [0.0] * workers
    heapq.heapify(free)
    waiting = dict(deps)
    ready_at: dict[str, float] = {t: 0.0 for t, d in deps.items() if not d}
    while ready_at:
        task = max(ready_at, key=lambda t: (bottom(t), -ready_at[t]))
        earliest = ready_at.pop(task)
        waiting.pop(task)
        worker_free = heapq.heappop(free)
        start = max(worker_free, earliest)
        finish[task] = start + durations[task]
        heapq.heappush(free, finish[task])
        for child in children[task]:
            if all(p in finish for p in deps[child]):
                ready_at[child] = max(finish[p] for p in deps[child])
    return max(finish.values(), default=0.0)


def critical_path(durations: Mapping[str, float], deps: Mapping[str, tuple[str, ...]]) -> float:
    memo: dict[str, float] = {}

    def end(task: str) -> float:
        if task not in memo:
            memo[task] = durations[task] + max((end(p) for p in deps[task]), default=0.0)
        return memo[task]

    return max((end(t) for t in deps), default=0.0)


# -- workloads -----------------------------------------------------------------------------


def roster_bench(args: argparse.Namespace, executors: list[str]) -> None:
    if not (args.data / "notes-00000.tsv").exists():
        _simulate(args)
    t0 = time.perf_counter()
    dataset = load_dataset(
        notes=args.data / "notes-00000.tsv",
        ratings=args.data / "ratings-00000.tsv",
        status_history=args.data / "noteStatusHistory-00000.tsv",
        enrollment=args.data / "userEnrollment-00000.tsv",
    )
    load_s = time.perf_counter() - t0
    n = dataset.ratings.n_ratings
    print(f"[bench] loaded {n:,} ratings in {load_s:.1f} s", flush=True)
    config = ScoringConfig()
    as_of = default_as_of_ms(dataset)
    results: dict[str, ScoringResult] = {}
    measures = []
    for spec in executors:
        m, result = _measure(
            "roster",
            spec,
            lambda ex: score(dataset, config, as_of_ms=as_of, seed=1, executor=ex),
        )
        results[spec] = result
        measures.append(m)
        stages = ", ".join(f"{k} {v:.1f}" for k, v in result.timings.items())
        print(f"[bench]   stages: {stages}", flush=True)
    base = results[executors[0]]
    for spec, result in results.items():
        print(
            f"[bench] roster output on {spec} identical to {executors[0]}: "
            f"{_bits(result) == _bits(base)}"
        )
    _table(measures)
    timed_spec = next((k for k, r in results.items() if r.roster and r.roster.task_seconds), None)
    if timed_spec is None:
        return
    timed = results[timed_spec]
    assert timed.roster is not None
    durations = timed.roster.task_seconds
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        artifact = save_tree(base.inputs, str(Path(tmp) / "shared.npz"))
        write_s = time.perf_counter() - t
    per_rating = artifact / n
    print(
        f"[bench] shared inputs artifact: {artifact / 2**20:.0f} MiB ({per_rating:.0f} bytes per "
        f"rating), written in {write_s:.1f} s"
    )
    roster = default_roster(config)
    deps = roster_graph(roster)
    # The serial parts around the graph: the load, preprocessing, meta scoring and the
    # output tables (from the serial run), and writing the shared inputs.
    serial_parts = (
        write_s
        + load_s
        + sum(v for k, v in base.timings.items() if k not in ("prescoring", "final scoring"))
    )
    total = sum(durations.values())
    path = critical_path(durations, deps)
    slowest = sorted(durations.items(), key=lambda kv: -kv[1])[:5]
    print(
        f"\n[sim] {len(durations)} tasks, {total:.1f} s of task time (one thread each, measured "
        f"on {timed_spec}); "
        f"critical path {path:.1f} s; serial parts (load, preprocess, meta, outputs) "
        f"{serial_parts:.1f} s"
    )
    print("[sim] longest tasks: " + ", ".join(f"{k} {v:.1f} s" for k, v in slowest))
    scale = CN_RATINGS / n
    print(
        f"[sim] at Community Notes' scale ({CN_RATINGS / 1e6:.0f}M ratings): task times and "
        f"serial parts x{scale:.0f} (linear in ratings), shared inputs "
        f"{per_rating * CN_RATINGS / 2**30:.0f} GiB read once per worker at 0.5 GB/s"
    )
    read_cn = per_rating * CN_RATINGS / 0.5e9
    print(
        f"{'workers':>8}{'graph s':>10}{'+serial s':>11}{'speed-up':>10}"
        f"{'CN graph min':>14}{'CN total min':>14}"
    )
    one = list_schedule(durations, deps, 1) + serial_parts
    for w in (1, 2, 8, 32):
        span = list_schedule(durations, deps, w)
        cn_span = span * scale + read_cn
        print(
            f"{w:>8}{span:>10.1f}{span + serial_parts:>11.1f}{one / (span + serial_parts):>10.2f}"
            f"{cn_span / 60:>14.1f}{(cn_span + serial_parts * scale) / 60:>14.1f}"
        )


def attack_bench(args: argparse.Namespace, executors: list[str]) -> None:
    bench = AttackBenchConfig(
        shares=(0.0, 0.05, 0.10, 0.20),
        kinds=("fresh",),
        seeds=(0, 1, 2),
        n_notes=args.cell_notes,
        n_raters=args.cell_raters,
        n_ratings=args.cell_ratings,
        days=30.0,
    )
    scoring = ScoringConfig(topics=None)
    measures = []
    cells: dict[str, Any] = {}
    stamps: list[float] = []
    for spec in executors:
        progress = (lambda _label: stamps.append(time.perf_counter())) if spec == "serial" else None
        m, cells[spec] = _measure(
            "attack bench (12 cells)",
            spec,
            lambda ex, p=progress: run_attack_bench(
                bench, scoring=scoring, executor=ex, progress=p
            ),
        )
        measures.append(m)
        if spec == "serial":
            stamps.append(time.perf_counter())
    base = cells[executors[0]]
    for spec, c in cells.items():
        print(f"[bench] attack cells on {spec} identical to {executors[0]}: {c == base}")
    _table(measures)
    if len(stamps) == 13:
        per_cell = list(np.diff(stamps))
        deps: dict[str, tuple[str, ...]] = {f"c{i}": () for i in range(12)}
        durations = {f"c{i}": d for i, d in enumerate(per_cell)}
        print(f"[sim] cells: {sum(per_cell):.1f} s in all, longest {max(per_cell):.1f} s")
        for w in (1, 2, 8, 32):
            print(f"[sim] {w:>2} workers: {list_schedule(durations, deps, w):.1f} s")


def _table(measures: list[Measure]) -> None:
    base = measures[0].wall_s
    print(
        f"{'workload':<24}{'executor':<16}{'wall s':>8}{'start s':>9}{'CPU s':>8}"
        f"{'x serial':>10}  load before -> after"
    )
    for m in measures:
        print(
            f"{m.workload:<24}{m.executor:<16}{m.wall_s:>8.1f}{m.startup_s:>9.1f}{m.cpu_s:>8.1f}"
            f"{base / m.wall_s:>10.2f}  {m.load_before} -> {m.load_after}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="simulated community directory")
    parser.add_argument("--ratings", type=int, default=1_000_000, help="to simulate")
    parser.add_argument("--notes", type=int, default=20_000, help="to simulate")
    parser.add_argument("--raters", type=int, default=50_000, help="to simulate")
    parser.add_argument("--workers", type=int, default=2, help="processes and Dask workers")
    parser.add_argument("--executors", default=None, help="comma-separated executor specs")
    parser.add_argument("--cell-ratings", type=int, default=30_000, help="per attack cell")
    parser.add_argument("--cell-notes", type=int, default=1_000, help="per attack cell")
    parser.add_argument("--cell-raters", type=int, default=2_000, help="per attack cell")
    parser.add_argument("--skip-roster", action="store_true")
    parser.add_argument("--skip-attack", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    w = args.workers
    executors = (args.executors or f"serial,processes:{w},dask:local:{w}").split(",")
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"load average {_load()}",
        flush=True,
    )
    if not args.skip_roster:
        roster_bench(args, executors)
    if not args.skip_attack:
        attack_bench(args, executors)
    print(f"load average at the end {_load()}")


if __name__ == "__main__":
    main()
