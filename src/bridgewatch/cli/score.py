"""`bridgewatch score`: score a data dump with the scorer roster and write the output files."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace

import polars as pl
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from bridgewatch import DEFAULT_SEED
from bridgewatch.pipeline.batch import EXPLANATIONS_FILE, OUTPUT_FILES, run_batch
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import with_defences
from bridgewatch.scoring.manipulation import PostSelectionConfig, QuasiCliqueConfig
from bridgewatch.scoring.scorers import default_roster, select_scorers
from bridgewatch.scoring.scorers.executors import EXECUTOR_HELP, executor_workers, scorer_executor

__all__ = ["register", "run"]

_log = logging.getLogger(__name__)

_STATUSES = ("CURRENTLY_RATED_HELPFUL", "CURRENTLY_RATED_NOT_HELPFUL", "NEEDS_MORE_RATINGS")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `score` command."""
    parser = subparsers.add_parser(
        "score",
        help="score notes from the public TSV files",
        description=(
            "Run the published algorithm's scorers (all of them by default, like the "
            "reference; see `bridgewatch scorers`) on notes, ratings, note status history "
            "and user enrollment files; write "
            f"{', '.join(OUTPUT_FILES)} and {EXPLANATIONS_FILE} to --outdir."
        ),
    )
    parser.add_argument("--notes", required=True, help="notes file (TSV, zip or Parquet)")
    parser.add_argument("--ratings", required=True, help="ratings file or directory of shards")
    parser.add_argument("--status", help="note status history of the previous run")
    parser.add_argument("--enrollment", help="user enrollment file")
    parser.add_argument("--outdir", required=True, help="directory for the output files")
    parser.add_argument(
        "--as-of",
        type=int,
        metavar="MS",
        help='"now" in ms since the epoch (default: the newest timestamp in the data)',
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help="random seed; the same data and seed give bit-identical scores "
        f"(default: {DEFAULT_SEED})",
    )
    parser.add_argument(
        "--no-topics",
        action="store_true",
        help=(
            "keep topic notes in Core (skip the topic classifier; where it fails, as on a "
            "small community, scoring goes on without topics and a warning)"
        ),
    )
    parser.add_argument(
        "--detect-manipulation",
        action="store_true",
        help="compute post-selection-similarity clusters and quasi-cliques (slower)",
    )
    parser.add_argument(
        "--defences",
        action="store_true",
        help=(
            "turn the manipulation defences on: PSS clusters, established "
            "raters (capture-share guard), coordinated co-rating, coordinated rating bursts "
            "and unexplained ratings (scores then differ from the reference's)"
        ),
    )
    parser.add_argument(
        "--scorers",
        default="all",
        metavar="NAMES",
        help=(
            "comma-separated scorer names or keywords (all, core, broad, groups, multigroup, "
            "topics, gaussian, reputation; `bridgewatch scorers` lists them). MFCoreScorer "
            "always runs. "
            "Default: all"
        ),
    )
    parser.add_argument(
        "--executor",
        default="auto",
        metavar="SPEC",
        help=f"where the scorers run: {EXECUTOR_HELP}. Default: auto",
    )
    parser.add_argument(
        "--work-dir",
        metavar="DIR",
        help=(
            "where processes and Dask workers read the run's shared inputs: a directory every "
            "worker sees, or an fsspec URL (default: a local temporary directory)"
        ),
    )
    parser.add_argument(
        "--memory-budget",
        type=_gib,
        metavar="GIB",
        help=(
            "memory the scorers running at once may use, GiB: a scorer starts when its "
            "estimated working memory fits beside the running ones (executors on this "
            "machine: threads, auto, processes, dask:local; worker processes' copies of the "
            "inputs count against it; the output does not change). Default: 85%% of the "
            "memory available when the scorers start. On a running Dask cluster, start the "
            "workers with --resources MEMORY=<bytes> instead"
        ),
    )
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (there is none anyway when stderr is not a terminal: the log's"
        " one line per stage instead)",
    )
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="skip bad input rows (reported with file and line) instead of failing",
    )
    parser.set_defaults(func=run)


def _gib(text: str) -> float:
    """``--memory-budget``: a positive number of GiB, in bytes."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of GiB: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of GiB, got {text!r}")
    return value * 2**30


def _config(args: argparse.Namespace) -> ScoringConfig:
    config = ScoringConfig()
    if args.no_topics:
        config = replace(config, topics=None)
    if args.detect_manipulation:
        config = replace(
            config, post_selection=PostSelectionConfig(), quasi_cliques=QuasiCliqueConfig()
        )
    if args.defences:
        config = with_defences(config)
    return config


def run(args: argparse.Namespace) -> int:
    """Score the files and write the outputs; print the written paths."""
    # A bar redraws its line with carriage returns: only on a terminal, never in a log file
    # or a pipe, where it would interleave with the log lines.
    show_bar = not args.no_progress and sys.stderr.isatty()
    bar = tqdm(total=None, file=sys.stderr, disable=not show_bar, unit="stage")

    def progress(stage: str, index: int, n_stages: int) -> None:
        bar.total = n_stages
        bar.n = index
        bar.set_description(stage)
        bar.refresh()

    config = _config(args)
    executor_workers(args.executor)  # a bad spec fails before any file is read
    try:
        with logging_redirect_tqdm(), scorer_executor(args.executor) as executor:
            batch = run_batch(
                notes=args.notes,
                ratings=args.ratings,
                status_history=args.status,
                enrollment=args.enrollment,
                outdir=args.outdir,
                as_of_ms=args.as_of,
                seed=args.seed,
                config=config,
                progress=progress,
                scorers=select_scorers(default_roster(config), args.scorers.split(",")),
                lenient=args.lenient,
                executor=executor,
                work_dir=args.work_dir,
                memory_budget=args.memory_budget,
            )
        bar.n = bar.total or 0
        bar.set_description("done")
    finally:
        bar.close()
    total = sum(batch.timings.values())
    _log.info(
        "timings: %s; total %.2f s",
        ", ".join(f"{k} {v:.2f} s" for k, v in batch.timings.items()),
        total,
    )
    for path in batch.files:
        sys.stdout.write(f"{path}\n")
    sys.stdout.write(status_summary(batch.result.scored_notes) + "\n")
    return 0


def status_summary(scored_notes: pl.DataFrame) -> str:
    """One line of status counts of a run's ``scored_notes``: helpful (CRH), not helpful
    (CRNH), needs more ratings (NMR), and how many NMR notes the stabilization delay holds
    back from CRH (decided by ``NmrDueToMinStableCrhTime``)."""
    status = scored_notes["finalRatingStatus"].cast(pl.String)
    held = scored_notes["decidedBy"].cast(pl.String).str.starts_with("NmrDueToMinStableCrhTime")
    counts = {s: int((status == s).sum()) for s in _STATUSES}
    return (
        f"{scored_notes.height} notes: {counts['CURRENTLY_RATED_HELPFUL']} helpful (CRH), "
        f"{counts['CURRENTLY_RATED_NOT_HELPFUL']} not helpful (CRNH), "
        f"{counts['NEEDS_MORE_RATINGS']} needs more ratings (NMR), of which "
        f"{int(held.fill_null(False).sum())} held by the stabilization delay"
    )
