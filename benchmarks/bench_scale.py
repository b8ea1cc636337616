"""Benchmark: end-to-end Core scoring at scale, with wall time, CPU time and peak memory per stage.

Scores a simulated community on disk (load + score + write, as `bridgewatch score` does) in a
child process, and prints for every stage (load, the scoring stages, write) its wall time, its
CPU time (user + system of the whole process, numba and polars threads included) and the
peak resident memory reached during the stage (sampled every 50 ms), then the totals, the
process's peak RSS (``ru_maxrss``), bytes per rating at that peak, and the machine load
(on a shared machine wall time is inflated by other processes; CPU time much less).

The community is simulated first when ``--data`` does not hold one yet (same generator and
parameters as ``bridgewatch simulate``; Parquet shards are faster to write and load at
100M+ ratings; TSV is the public format).

Usage:
    .venv/bin/python benchmarks/bench_scale.py --data /work/data/scale10m \\
        [--ratings 10000000 --notes 200000 --raters 500000 --format tsv] [--keep-outputs] \\
        [--executor auto|serial|threads:N]
Targets (issue #3): 10M ratings / 200k notes within 3 minutes; 150M ratings / 2M notes within
24 GiB (goal 20 minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, logging, resource, sys, threading, time
logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
from pathlib import Path
args = json.loads(sys.argv[1])
from bridgewatch.scoring.stages import current_rss_mib, peak_rss_mib

state = {"stage": "import", "peak": {}, "stop": False}

def sample():
    while not state["stop"]:
        rss = current_rss_mib()
        stage = state["stage"]
        state["peak"][stage] = max(state["peak"].get(stage, 0.0), rss)
        time.sleep(0.05)

sampler = threading.Thread(target=sample, daemon=True)
sampler.start()

def cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime

rows = []
def mark(name, wall0, cpu0):
    row = {"stage": name, "wall_s": time.perf_counter() - wall0, "cpu_s": cpu() - cpu0}
    rows.append(row)
    print(f"[bench] {name}: {row['wall_s']:.1f} s wall, {row['cpu_s']:.1f} s CPU, "
          f"peak {state['peak'].get(name, 0.0):.0f} MiB", file=sys.stderr, flush=True)

t0, c0 = time.perf_counter(), cpu()
from bridgewatch.io.dataset import load_dataset
from bridgewatch.pipeline.batch import write_outputs
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.run import default_as_of_ms, score
from bridgewatch.scoring.scorers import default_roster, select_scorers
from bridgewatch.scoring.scorers.executors import scorer_executor
from bridgewatch.scoring.scorers.schedule import roster_graph
mark("import", t0, c0)

state["stage"] = "load"
t, c = time.perf_counter(), cpu()
dataset = load_dataset(notes=args["notes"], ratings=args["ratings"],
                       status_history=args["status"], enrollment=args["enrollment"])
mark("load", t, c)
n_ratings = dataset.ratings.n_ratings
n_notes = len(dataset.note_ids)
n_participants = len(dataset.participant_ids)

clock = {}
def progress(stage, index, n):
    now = (time.perf_counter(), cpu())
    if clock:
        mark(clock["stage"], *clock["start"])
    clock["stage"], clock["start"] = stage, now
    state["stage"] = stage

config = ScoringConfig() if args["topics"] else ScoringConfig(topics=None)
now_ms = default_as_of_ms(dataset)
roster = select_scorers(default_roster(config), args["scorers"].split(","))
with scorer_executor(args["executor"]) as executor:
    result = score(dataset, config, as_of_ms=now_ms, seed=1, progress=progress, scorers=roster,
                   executor=executor)
mark(clock["stage"], *clock["start"])

state["stage"] = "write"
t, c = time.perf_counter(), cpu()
write_outputs(result, args["outdir"])
mark("write", t, c)
state["stop"] = True
sampler.join()
for row in rows:
    row["peak_rss_mib"] = state["peak"].get(row["stage"], float("nan"))
print(json.dumps({"rows": rows, "total_wall_s": time.perf_counter() - t0,
                  "total_cpu_s": cpu() - c0, "maxrss_mib": peak_rss_mib(),
                  "n_ratings": n_ratings, "n_notes": n_notes,
                  "n_participants": n_participants,
                  "scorers": {name: round(run.seconds, 2)
                              for name, run in result.roster.runs.items()},
                  "task_cpu": result.roster.task_cpu_seconds,
                  "graph": roster_graph(roster, result.roster.shares),
                  "shares": result.roster.shares}))
"""


def list_schedule(graph: dict[str, list[str]], cpu: dict[str, float], workers: int) -> float:
    """Makespan of the roster's task graph on ``workers`` workers with each task taking its
    measured CPU seconds, the longest ready task first (lenders' prescoring before all):
    the roster's wall time on an otherwise idle machine, whatever the load was."""
    head = max(cpu.values(), default=0.0)
    prio = {n: cpu[n] + (head if n.startswith("prescore:") else 0.0) for n in graph}
    done_at: dict[str, float] = {}
    running: list[tuple[float, str]] = []
    now = 0.0
    waiting = set(graph)
    while waiting or running:
        ready = sorted(
            (n for n in waiting if all(d in done_at for d in graph[n])), key=lambda n: -prio[n]
        )
        while ready and len(running) < workers:
            name = ready.pop(0)
            waiting.discard(name)
            running.append((now + cpu[name], name))
        running.sort()
        now, name = running.pop(0)
        done_at[name] = now
    return now


def _find(data: Path, stem: str) -> Path:
    """``stem`` as a single file, or the directory of its shards."""
    for candidate in (data / f"{stem}-00000.tsv", data / f"{stem}-00000.parquet", data / stem):
        if candidate.exists():
            return candidate
    raise SystemExit(f"no {stem} file in {data}")


def _simulate(args: argparse.Namespace) -> None:
    """``bridgewatch simulate`` into ``args.data`` with the benchmark's sizes."""
    cli = [
        "simulate",
        f"--out={args.data}",
        f"--seed={args.seed}",
        f"--n-notes={args.notes}",
        f"--n-raters={args.raters}",
        f"--n-ratings={args.ratings}",
        f"--ratings-format={args.format}",
    ]
    if args.per_file:
        cli.append(f"--ratings-per-file={args.per_file}")
    started = time.perf_counter()
    entry = "import sys; from bridgewatch.cli import main; sys.exit(main(sys.argv[1:]))"
    subprocess.run([sys.executable, "-c", entry, *cli], check=True)
    print(f"simulated into {args.data} in {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="simulated community directory")
    parser.add_argument("--ratings", type=int, default=10_000_000, help="to simulate")
    parser.add_argument("--notes", type=int, default=200_000, help="to simulate")
    parser.add_argument("--raters", type=int, default=500_000, help="to simulate")
    parser.add_argument("--seed", type=int, default=7, help="simulation seed")
    parser.add_argument("--format", choices=("tsv", "parquet"), default="tsv")
    parser.add_argument("--per-file", type=int, default=None, help="ratings per shard")
    parser.add_argument("--no-topics", action="store_true", help="skip the topic classifier")
    parser.add_argument("--outdir", type=Path, default=None, help="keep the outputs here")
    parser.add_argument("--scorers", default="all", help="scorer names or keywords (all, core)")
    parser.add_argument(
        "--executor", default="auto", help="serial, threads:N or auto (as `bridgewatch score`)"
    )
    args = parser.parse_args()
    if not (args.data / "notes-00000.tsv").exists():
        _simulate(args)
    load = os.getloadavg()
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"executor {args.executor}, load average {', '.join(f'{x:.1f}' for x in load)}"
    )
    with tempfile.TemporaryDirectory(prefix="bench_scale_") as tmp:
        run = {
            "notes": str(_find(args.data, "notes")),
            "ratings": str(_find(args.data, "ratings")),
            "status": str(_find(args.data, "noteStatusHistory")),
            "enrollment": str(_find(args.data, "userEnrollment")),
            "outdir": str(args.outdir or Path(tmp) / "out"),
            "topics": not args.no_topics,
            "scorers": args.scorers,
            "executor": args.executor,
        }
        out = subprocess.run(
            [sys.executable, "-c", CHILD, json.dumps(run)],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"{r['n_ratings']:,} ratings, {r['n_notes']:,} notes, "
        f"{r['n_participants']:,} participants ({run['ratings']})"
    )
    print(f"{'stage':<16}{'wall s':>10}{'CPU s':>10}{'peak RSS MiB':>14}")
    for row in r["rows"]:
        print(
            f"{row['stage']:<16}{row['wall_s']:>10.1f}{row['cpu_s']:>10.1f}"
            f"{row['peak_rss_mib']:>14.0f}"
        )
    print(
        f"{'total':<16}{r['total_wall_s']:>10.1f}{r['total_cpu_s']:>10.1f}{r['maxrss_mib']:>14.0f}"
    )
    slowest = sorted(r["scorers"].items(), key=lambda kv: -kv[1])
    print("per scorer, wall s: " + ", ".join(f"{name} {sec:.1f}" for name, sec in slowest))
    if r.get("shares"):
        print("shared prescorings: " + ", ".join(f"{a} <- {b}" for a, b in r["shares"].items()))
    if r["task_cpu"]:
        cpu = r["task_cpu"]
        total = sum(cpu.values())
        print(
            "per task, CPU s (thread): "
            + ", ".join(f"{n} {c:.1f}" for n, c in sorted(cpu.items(), key=lambda kv: -kv[1]))
        )
        serial = r["total_cpu_s"] - total
        for workers in (1, 2, 4):
            span = list_schedule(r["graph"], cpu, workers)
            print(
                f"roster tasks {total:.1f} s CPU; longest first on {workers} worker(s): "
                f"{span:.1f} s (+ {serial:.1f} s CPU outside the tasks)"
            )
    per_rating = r["maxrss_mib"] * 1024 * 1024 / max(r["n_ratings"], 1)
    print(
        f"peak RSS {r['maxrss_mib'] / 1024:.2f} GiB = {per_rating:.0f} bytes per rating; "
        f"load average at the end {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
