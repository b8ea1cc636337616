"""Time `bridgewatch analyze` (without the counterfactual re-scores) on a simulated community.

Simulates the community (the S-core shape scaled: ratings / 50 notes, ratings / 20 raters)
into --workdir unless it is there, scores it with the Core scorer (`bridgewatch score
--scorers core --no-topics`, not timed as part of the analysis), then times each stage of the
analysis: reading score's outputs, loading the ratings, ``analyze`` (every table), and writing
the report. Prints wall and CPU seconds per stage, peak RSS, the machine and its load.

    python benchmarks/bench_analyze.py --n-ratings 1000000 --workdir /tmp/bench_analyze
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import resource
import time
from pathlib import Path

from bridgewatch.analysis.embeddings import (
    AnalysisConfig,
    PolarizationConfig,
    analyze,
    rating_matrix,
    read_score_tables,
)
from bridgewatch.analysis.embeddings.report import write_report
from bridgewatch.cli import main as cli_main
from bridgewatch.io import load_dataset
from bridgewatch.sim import SimConfig, write_simulation


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _prepare(workdir: Path, n_ratings: int, seed: int) -> tuple[Path, Path, Path]:
    data = workdir / f"sim-{n_ratings}"
    scores = workdir / f"scores-{n_ratings}"
    notes, ratings = data / "notes-00000.tsv", data / "ratings-00000.tsv"
    if not ratings.exists():
        config = SimConfig(
            seed=seed,
            n_notes=max(n_ratings // 50, 100),
            n_raters=max(n_ratings // 20, 100),
            n_ratings=n_ratings,
            score_status_history=False,
        )
        started = time.perf_counter()
        write_simulation(config, data)
        print(f"simulated {n_ratings:,} ratings in {time.perf_counter() - started:.1f} s")
    if not (scores / "helpfulness_scores.tsv").exists():
        started = time.perf_counter()
        code = cli_main(
            [
                "score",
                "--notes",
                str(notes),
                "--ratings",
                str(ratings),
                "--outdir",
                str(scores),
                "--scorers",
                "core",
                "--no-topics",
                "--no-progress",
            ]
        )
        if code:
            raise SystemExit(code)
        print(f"scored (Core) in {time.perf_counter() - started:.1f} s")
    return notes, ratings, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-ratings", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench_analyze"))
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    notes, ratings, scores = _prepare(args.workdir, args.n_ratings, args.seed)
    stages: list[tuple[str, float, float]] = []

    def clock(name: str, wall0: float, cpu0: float) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), _cpu_s()
        stages.append((name, wall - wall0, cpu - cpu0))
        return wall, cpu

    t, c = time.perf_counter(), _cpu_s()
    tables = read_score_tables(scores)
    t, c = clock("read score outputs", t, c)
    matrix = rating_matrix(load_dataset(notes=notes, ratings=ratings).ratings)
    t, c = clock("load ratings", t, c)
    config = AnalysisConfig(polarization=PolarizationConfig(n_boot=args.bootstrap, seed=args.seed))
    analysis = analyze(tables, matrix, config)
    t, c = clock("analyze", t, c)
    write_report(analysis, args.workdir / f"report-{args.n_ratings}")
    clock("write report", t, c)
    total = sum(s[1] for s in stages)
    placed = analysis.opinion_groups.raters.height if analysis.opinion_groups else 0
    print(
        f"{matrix.n_ratings:,} ratings, {int((matrix.ratings_per_rater() > 0).sum()):,} raters,"
        f" {matrix.n_notes:,} notes; opinion groups placed {placed:,} raters"
    )
    for name, wall, cpu in stages:
        print(f"  {name:<20} {wall:6.2f} s wall {cpu:6.2f} s CPU")
    print(f"  {'total':<20} {total:6.2f} s wall")
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(
        f"peak RSS {peak_gib:.2f} GiB; {platform.processor() or platform.machine()},"
        f" {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
