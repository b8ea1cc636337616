"""Time `bridgewatch analyze` (without the counterfactual re-scores) at scale.

At 150M ratings, simulating and scoring first would take hours, so by default the inputs are
synthesized directly with numpy in the layouts analyze reads: Parquet ratings shards in the
public ratings schema (``write_ratings``: 64-hex rater ids, decimal note ids,
``helpfulnessLevel``, ``createdAtMillis``) and `score`'s two output tables
(``scored_notes.tsv``, ``helpfulness_scores.tsv`` with the Core columns). The ratings follow
the simulator's latent model (two camps, lognormal activity and note popularity, 17%
one-sided notes); the Core scores are noisy functions of the truth (not an MF fit): the
benchmark times the analysis, it does not check it. (Pairs drawn twice are dropped within a
shard, not across shards: ~1 in 10,000 ratings at 150M.)

The inputs are generated in a child process (once per --data directory), then this process
times each stage: reading score's outputs, reading the ratings, ``analyze`` (every table),
writing the report; it prints wall and CPU seconds per stage, the peak RSS of the analysis
process, the machine and its load average.

    python benchmarks/bench_analyze.py --data /tmp/ba1m --ratings 1000000 --notes 20000 \\
        --raters 50000
    python benchmarks/bench_analyze.py --data /tmp/ba150m --ratings 150000000 --notes 2000000 \\
        --raters 2000000 --per-file 10000000

``--simulate`` instead simulates a community (`bridgewatch simulate`'s model) and scores it
with Core first (not timed), as the 1M figure of the first version did. ``--scores DIR
--ratings-path PATH`` time existing outputs instead (a `score` output directory and the
ratings it scored), writing the report under --data:

    python benchmarks/bench_analyze.py --data /tmp/ba150m_report \
        --scores /work/data/150M/scores_core --ratings-path /work/data/150M/ratings
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

from bridgewatch.analysis.embeddings import AnalysisConfig, PolarizationConfig, analyze
from bridgewatch.analysis.embeddings.load import read_rating_matrix
from bridgewatch.analysis.embeddings.report import write_report
from bridgewatch.analysis.embeddings.tables import read_score_tables
from bridgewatch.io.writers import write_helpfulness_scores, write_ratings, write_scored_notes

_END_MS = 1_793_491_200_000  # 2026-11-01T00:00Z
_DAYS = 60
_LEVELS = np.array(["NOT_HELPFUL", "SOMEWHAT_HELPFUL", "HELPFUL"])


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _generate(data: Path, n_ratings: int, n_notes: int, n_raters: int, per_file: int) -> None:
    """Ratings shards and Core score tables in ``data`` (see the module docstring)."""
    rng = np.random.default_rng(0)
    camp = np.where(rng.random(n_raters) < 0.5, 1.0, -1.0)
    position = camp + rng.normal(0.0, 0.35, n_raters)
    leniency = rng.normal(0.0, 0.3, n_raters)
    rater_w = np.cumsum(rng.lognormal(0.0, 1.0, n_raters))
    quality = rng.normal(0.0, 1.0, n_notes)
    one_sided = rng.random(n_notes) < 0.17
    slant = np.where(
        one_sided,
        np.where(rng.random(n_notes) < 0.5, 1.0, -1.0) * (np.abs(rng.normal(0, 1, n_notes)) + 0.5),
        rng.normal(0.0, 0.1, n_notes),
    )
    note_w = np.cumsum(rng.lognormal(0.0, 1.0, n_notes))
    note_ms = _END_MS - (rng.random(n_notes) * _DAYS * 86_400_000).astype(np.int64)
    rater_ids = pl.Series(
        [f"{x:016X}" * 4 for x in rng.integers(0, 2**63, n_raters, dtype=np.int64)]
    )
    note_ids = pl.Series([str(1_700_000_000_000_000_000 + 7919 * i) for i in range(n_notes)])
    shards = data / "ratings"
    shards.mkdir(parents=True, exist_ok=True)
    rated = np.zeros(n_raters, dtype=np.int64)
    for i, start in enumerate(range(0, n_ratings, per_file)):
        m = min(per_file, n_ratings - start)
        r = np.searchsorted(rater_w, rng.random(m) * rater_w[-1]).astype(np.int64)
        n = np.searchsorted(note_w, rng.random(m) * note_w[-1]).astype(np.int64)
        _, first = np.unique(r * n_notes + n, return_index=True)
        r, n = r[first], n[first]
        latent = quality[n] + leniency[r] + position[r] * slant[n] + rng.normal(0, 1, r.shape[0])
        level = np.where(latent > 0.25, 2, np.where(latent < -0.25, 0, 1))
        created = np.minimum(
            note_ms[n] + rng.lognormal(np.log(4 * 3_600_000), 1.28, r.shape[0]).astype(np.int64),
            _END_MS - 1,
        )
        rated += np.bincount(r, minlength=n_raters)
        frame = pl.DataFrame(
            {
                "noteId": note_ids.gather(n),
                "raterParticipantId": rater_ids.gather(r),
                "createdAtMillis": created,
                "helpfulnessLevel": pl.Series(_LEVELS).gather(level),
            }
        )
        write_ratings(frame, shards / f"ratings-{i:05d}.parquet")
        del frame, r, n, latent, level, created
        print(f"  shard {i}: {m:,} drawn", file=sys.stderr, flush=True)
    scores = data / "scores"
    scores.mkdir(exist_ok=True)
    intercept = 0.15 * quality + rng.normal(0, 0.05, n_notes)
    factor = 0.4 * slant + rng.normal(0, 0.1, n_notes)
    status = np.where(
        intercept >= 0.4,
        "CURRENTLY_RATED_HELPFUL",
        np.where(
            intercept <= -0.05 - 0.8 * np.abs(factor),
            "CURRENTLY_RATED_NOT_HELPFUL",
            "NEEDS_MORE_RATINGS",
        ),
    )
    write_scored_notes(
        pl.DataFrame(
            {
                "noteId": note_ids,
                "coreNoteIntercept": intercept,
                "coreNoteFactor1": factor,
                "coreRatingStatus": status,
                "finalRatingStatus": status,
            }
        ),
        scores / "scored_notes.tsv",
    )
    has = rated > 0
    shrink = rated[has] / (rated[has] + 5.0)
    write_helpfulness_scores(
        pl.DataFrame(
            {
                "raterParticipantId": rater_ids.filter(pl.Series(has)),
                "coreRaterIntercept": 0.3 * leniency[has] * shrink,
                "coreRaterFactor1": (0.5 * position[has] + rng.normal(0, 0.2, int(has.sum())))
                * shrink,
            }
        ),
        scores / "helpfulness_scores.tsv",
    )
    (data / "done.json").write_text(json.dumps({"ratings": n_ratings}))


def _simulate(data: Path, n_ratings: int, n_notes: int, n_raters: int) -> None:
    """A simulated community scored by Core (`bridgewatch simulate` + `score`)."""
    from bridgewatch.cli import main as cli_main
    from bridgewatch.sim import SimConfig, write_simulation

    config = SimConfig(
        n_notes=n_notes, n_raters=n_raters, n_ratings=n_ratings, score_status_history=False
    )
    written = write_simulation(config, data / "sim")
    code = cli_main(
        [
            "score",
            "--notes",
            str(written.notes),
            "--ratings",
            str(written.ratings[0].parent),
            "--outdir",
            str(data / "scores"),
            "--scorers",
            "core",
            "--no-topics",
            "--no-progress",
        ]
    )
    if code:
        raise SystemExit(code)
    (data / "ratings").symlink_to(written.ratings[0].parent)
    (data / "done.json").write_text(json.dumps({"ratings": n_ratings}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="inputs (made if missing)")
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--notes", type=int, default=20_000)
    parser.add_argument("--raters", type=int, default=50_000)
    parser.add_argument("--per-file", type=int, default=10_000_000, help="ratings per shard")
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--simulate", action="store_true", help="simulate and score instead")
    parser.add_argument("--scores", type=Path, help="existing `score` outputs to time")
    parser.add_argument("--ratings-path", type=Path, help="the ratings --scores scored")
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if (args.scores is None) != (args.ratings_path is None):
        parser.error("--scores and --ratings-path go together")
    logging.basicConfig(level=logging.WARNING)
    if args.generate_only:
        if args.simulate:
            _simulate(args.data, args.ratings, args.notes, args.raters)
        else:
            _generate(args.data, args.ratings, args.notes, args.raters, args.per_file)
        return
    scores_dir = args.scores or args.data / "scores"
    ratings_path = args.ratings_path or args.data / "ratings"
    if args.scores is None and not (args.data / "done.json").exists():
        started = time.perf_counter()
        subprocess.run([sys.executable, *sys.argv, "--generate-only"], check=True)
        print(f"inputs made in {time.perf_counter() - started:.0f} s (not timed below)")

    stages: list[tuple[str, float, float]] = []

    def clock(name: str, wall0: float, cpu0: float) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), _cpu_s()
        stages.append((name, wall - wall0, cpu - cpu0))
        return wall, cpu

    t, c = time.perf_counter(), _cpu_s()
    tables = read_score_tables(scores_dir)
    t, c = clock("read score outputs", t, c)
    matrix = read_rating_matrix(ratings_path)
    t, c = clock("read ratings", t, c)
    config = AnalysisConfig(polarization=PolarizationConfig(n_boot=args.bootstrap))
    analysis = analyze(tables, matrix, config)
    t, c = clock("analyze", t, c)
    write_report(analysis, args.data / "report")
    clock("write report", t, c)
    placed = analysis.opinion_groups.raters.height if analysis.opinion_groups else 0
    print(
        f"{matrix.n_ratings:,} ratings, {int((matrix.ratings_per_rater() > 0).sum()):,} raters,"
        f" {matrix.n_notes:,} notes; opinion groups placed {placed:,} raters"
    )
    for name, wall, cpu in stages:
        print(f"  {name:<20} {wall:7.2f} s wall {cpu:7.2f} s CPU")
    print(
        f"  {'total':<20} {sum(s[1] for s in stages):7.2f} s wall "
        f"{sum(s[2] for s in stages):7.2f} s CPU"
    )
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(
        f"peak RSS {peak_gib:.2f} GiB; {platform.processor() or platform.machine()},"
        f" {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
