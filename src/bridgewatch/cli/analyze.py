"""`bridgewatch analyze`: rater similarity, opinion groups, polarization, diversity and
robustness from the outputs of `bridgewatch score`, as an HTML report and Parquet tables."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

import polars as pl

from bridgewatch import DEFAULT_SEED
from bridgewatch.analysis.embeddings import (
    AnalysisConfig,
    PolarizationConfig,
    analyze,
    drop_top_raters,
    rating_matrix,
    read_score_tables,
    seed_stability,
)
from bridgewatch.analysis.embeddings.load import read_rating_matrix
from bridgewatch.analysis.embeddings.report import write_report
from bridgewatch.errors import ConfigError
from bridgewatch.io import Dataset, load_dataset
from bridgewatch.parallel import EXECUTOR_HELP, open_executor, parse_executor
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.run import default_as_of_ms

__all__ = ["register", "run"]

_log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `analyze` command."""
    p = subparsers.add_parser(
        "analyze",
        help="rater similarity, polarization and diversity report of a scoring run",
        description=(
            "Read the outputs of `bridgewatch score` (--scores) and, for everything that "
            "needs votes, the ratings and notes it scored; write report.html (self-contained)"
            " and tables/*.parquet into --out."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--scores", required=True, help="output directory of `bridgewatch score`")
    p.add_argument("--ratings", help="ratings file or directory of shards that were scored")
    p.add_argument(
        "--notes",
        help="notes file that was scored (needed with --robustness or a zipped ratings dump)",
    )
    out = p.add_mutually_exclusive_group(required=True)
    out.add_argument("--outdir", help="report directory (created if missing)")
    # The old name of the flag (every command now says --outdir), kept so scripts keep working.
    out.add_argument("--out", dest="outdir", help=argparse.SUPPRESS)
    p.add_argument("--scorer", default="core", help="scorer whose rater factor defines the sides")
    p.add_argument("--bootstrap", type=int, default=200, help="bootstrap replicates (0: none)")
    p.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help="seed of sampling and clustering",
    )
    p.add_argument(
        "--robustness",
        action="store_true",
        help="also re-score (Core scorer alone, score_core) with --robustness-seeds and "
        "without the top 1%% most active raters: one scoring run each",
    )
    p.add_argument(
        "--robustness-seeds",
        default="1,2,3",
        metavar="SEEDS",
        help="comma-separated scoring seeds for --robustness (the first is the baseline)",
    )
    p.add_argument(
        "--executor",
        default="serial",
        metavar="SPEC",
        help=f"where the --robustness re-scores run, one task each: {EXECUTOR_HELP}",
    )
    p.add_argument("--title", default="bridgewatch analysis", help="report title")
    p.set_defaults(func=run)


def _seeds(text: str) -> list[int]:
    try:
        return [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise ConfigError("robustness_seeds", text, "comma-separated integers") from None


def _robustness(
    dataset: Dataset, seeds: list[int], executor: str, load: Callable[[], Dataset]
) -> pl.DataFrame:
    config = replace(ScoringConfig(), topics=None)
    as_of = default_as_of_ms(dataset)
    with open_executor(executor) as pool:
        frames = [seed_stability(dataset, config, seeds, as_of_ms=as_of, executor=pool, load=load)]
        frames.append(
            drop_top_raters(
                dataset,
                config,
                share=0.01,
                seed=seeds[0],
                as_of_ms=as_of,
                executor=pool,
                load=load,
            )
        )
    return pl.concat(frames, how="diagonal")


def run(args: argparse.Namespace) -> int:
    """Analyze and write the report; print its path."""
    if args.robustness and (args.ratings is None or args.notes is None):
        raise ConfigError("robustness", True, "--ratings and --notes to re-score")
    seeds = _seeds(args.robustness_seeds)
    parse_executor(args.executor)  # a bad spec fails before any file is read
    started = time.perf_counter()
    tables = read_score_tables(args.scores)
    dataset = None
    matrix = None
    if args.robustness:
        dataset = load_dataset(notes=args.notes, ratings=args.ratings)
        matrix = rating_matrix(dataset.ratings)
    elif args.ratings is not None:
        # Only the four columns the analysis needs (~17 bytes a rating).
        matrix = read_rating_matrix(args.ratings, args.notes)
    loaded = time.perf_counter()
    config = AnalysisConfig(
        scorer=args.scorer,
        seed=args.seed,
        polarization=PolarizationConfig(n_boot=args.bootstrap, seed=args.seed),
    )
    analysis = analyze(tables, matrix, config)
    analysed = time.perf_counter()
    if args.robustness and dataset is not None:
        load = partial(load_dataset, notes=args.notes, ratings=args.ratings)
        analysis = replace(analysis, robustness=_robustness(dataset, seeds, args.executor, load))
    report = write_report(analysis, Path(args.outdir), title=args.title)
    _log.info(
        "load %.2f s, analysis %.2f s, robustness and report %.2f s",
        loaded - started,
        analysed - loaded,
        time.perf_counter() - analysed,
    )
    sys.stdout.write(f"{report}\n")
    return 0
