"""`bridgewatch attack-bench`: brigades of growing size against the scorer, defences off/on."""

from __future__ import annotations

import argparse
import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path

import polars as pl

from bridgewatch.analysis.attack import (
    BRIGADE_KINDS,
    SCORER_SETS,
    STRUCTURE_KINDS,
    AttackBenchConfig,
    cell_table,
    defence_config,
    run_attack_bench,
    summarize,
    to_markdown,
)
from bridgewatch.analysis.attack_cost import attack_cost, cost_table
from bridgewatch.analysis.attack_plot import plot_attack_bench
from bridgewatch.parallel import EXECUTOR_HELP, parse_executor
from bridgewatch.scoring.config import ScoringConfig

__all__ = ["register", "run"]

_log = logging.getLogger(__name__)


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(x) / 100.0 for x in text.split(",") if x.strip())


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x.strip())


def _names(allowed: tuple[str, ...]) -> Callable[[str], tuple[str, ...]]:
    def parse(text: str) -> tuple[str, ...]:
        names = tuple(k.strip() for k in text.split(",") if k.strip())
        if names == ("all",):
            return allowed
        if names == ("none",):
            return ()
        bad = [k for k in names if k not in allowed]
        if bad:
            raise argparse.ArgumentTypeError(f"unknown {bad}; choose from {','.join(allowed)}")
        return names

    return parse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `attack-bench` command."""
    parser = subparsers.add_parser(
        "attack-bench",
        help="simulate brigades and score with the defences off and on",
        description=(
            "Simulate communities with PROMOTE and SUPPRESS brigades of growing size "
            f"(kinds: {', '.join(BRIGADE_KINDS)}) beside honest structures that must not be "
            "flagged, score each with the manipulation defences off and on against the same "
            "community without the attack, and write attack_bench.tsv/.parquet/.md and "
            "attack_bench.png to --outdir; with --cost-kinds also the attack cost curves "
            "(attack_cost.tsv/.parquet: the smallest brigade that gets half its targets "
            "through, defences off and on)."
        ),
    )
    defaults = AttackBenchConfig()
    parser.add_argument("--outdir", required=True, help="directory for the table and plot")
    parser.add_argument(
        "--shares",
        type=_floats,
        default=defaults.shares,
        metavar="PCT,...",
        help="brigade sizes in %% of raters (default 0,1,2,5,10,20)",
    )
    parser.add_argument(
        "--seeds", type=_ints, default=defaults.seeds, metavar="N,...", help="community seeds"
    )
    parser.add_argument("--notes", type=int, default=defaults.n_notes, help="notes per community")
    parser.add_argument("--raters", type=int, default=defaults.n_raters, help="organic raters")
    parser.add_argument("--ratings", type=int, default=defaults.n_ratings, help="organic ratings")
    parser.add_argument("--days", type=float, default=defaults.days, help="window in days")
    parser.add_argument("--targets", type=int, default=defaults.n_targets, help="per brigade")
    parser.add_argument(
        "--reaction-minutes",
        type=float,
        default=defaults.max_reaction_minutes,
        help="attack ratings land within this many minutes of the target (default 30)",
    )
    parser.add_argument(
        "--pool-targets",
        type=int,
        default=defaults.pool_targets,
        help=f"targets of a pool brigade (default {defaults.pool_targets})",
    )
    parser.add_argument(
        "--pool-share",
        type=float,
        default=defaults.pool_share * 100,
        metavar="PCT",
        help=(
            "share of a pool that rates each target, a fresh random subset per target "
            f"(default {defaults.pool_share * 100:g})"
        ),
    )
    parser.add_argument(
        "--pool-max-overlap",
        type=int,
        default=defaults.pool_max_overlap,
        help=(
            "no two pool accounts rate more than this many of the same targets "
            f"(default {defaults.pool_max_overlap}; 0: no bound)"
        ),
    )
    parser.add_argument(
        "--rotating-targets",
        type=int,
        default=defaults.rotating_targets,
        help=f"targets of a rotating brigade (default {defaults.rotating_targets})",
    )
    parser.add_argument(
        "--rotating-per-wave",
        type=int,
        default=defaults.rotating_targets_per_wave,
        help=(
            "targets per wave of new accounts of a rotating brigade "
            f"(default {defaults.rotating_targets_per_wave})"
        ),
    )
    parser.add_argument(
        "--kinds",
        type=_names(BRIGADE_KINDS),
        default=defaults.kinds,
        metavar="KIND,...",
        help=f"brigade kinds from {','.join(BRIGADE_KINDS)} (default all)",
    )
    parser.add_argument(
        "--structures",
        type=_names(STRUCTURE_KINDS),
        default=defaults.structures,
        metavar="NAME,...",
        help=(
            f"honest structures added to every community, from {','.join(STRUCTURE_KINDS)}, "
            "'all' or 'none' (default none)"
        ),
    )
    parser.add_argument(
        "--scorers",
        choices=SCORER_SETS,
        default=defaults.scorers,
        help=(
            "statuses from the whole roster's meta chain (all, default) or from the Core "
            "scorer alone (core: the fast path)"
        ),
    )
    parser.add_argument(
        "--cost-kinds",
        type=_names(BRIGADE_KINDS),
        default=defaults.cost_kinds,
        metavar="KIND,...",
        help="kinds whose attack cost curve is searched ('all'; default none)",
    )
    parser.add_argument(
        "--cost-scorers",
        choices=SCORER_SETS,
        default=None,
        help="scorers of the cost search (default: --scorers)",
    )
    parser.add_argument(
        "--cost-max-share",
        type=float,
        default=defaults.cost_max_share * 100,
        metavar="PCT",
        help="largest brigade the cost search tries, in %% of raters (default 40)",
    )
    parser.add_argument(
        "--cost-min-members",
        type=int,
        default=defaults.cost_min_members,
        help="smallest brigade the cost search tries (default 4)",
    )
    parser.add_argument(
        "--cost-bisect-steps",
        type=int,
        default=defaults.cost_bisect_steps,
        help="bisection steps after the doubling (default 3)",
    )
    parser.add_argument(
        "--cost-from",
        metavar="PARQUET",
        help="plot the cost curves of an earlier run's attack_cost.parquet (no cost search)",
    )
    parser.add_argument(
        "--plot-only",
        metavar="PARQUET",
        help=(
            "no simulation: plot an earlier run's attack_bench.parquet (with --cost-from's "
            "cost curves) to --outdir/attack_bench.png"
        ),
    )
    parser.add_argument(
        "--no-bench",
        action="store_true",
        help="skip the share x kind table (with --cost-kinds: the cost curves alone)",
    )
    parser.add_argument(
        "--no-sleepers", action="store_true", help="fresh accounts only (same as --kinds fresh)"
    )
    parser.add_argument(
        "--no-topics",
        action="store_true",
        help="score every note in Core (no topic model; for communities too small to train it)",
    )
    parser.add_argument(
        "--executor",
        default="serial",
        metavar="SPEC",
        help=f"where the cells run, one task each: {EXECUTOR_HELP}. Default: serial",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the benchmark; returns 0."""
    bench = AttackBenchConfig(
        shares=tuple(args.shares),
        kinds=("fresh",) if args.no_sleepers else tuple(args.kinds),
        seeds=tuple(args.seeds),
        n_notes=args.notes,
        n_raters=args.raters,
        n_ratings=args.ratings,
        days=args.days,
        n_targets=args.targets,
        pool_targets=args.pool_targets,
        pool_share=args.pool_share / 100.0,
        pool_max_overlap=args.pool_max_overlap or None,
        rotating_targets=args.rotating_targets,
        rotating_targets_per_wave=args.rotating_per_wave,
        max_reaction_minutes=args.reaction_minutes,
        structures=tuple(args.structures),
        scorers=args.scorers,
        cost_kinds=tuple(args.cost_kinds),
        cost_min_members=args.cost_min_members,
        cost_max_share=args.cost_max_share / 100.0,
        cost_bisect_steps=args.cost_bisect_steps,
    )
    parse_executor(args.executor)  # a bad spec fails before any work
    outdir = Path(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    scoring = ScoringConfig(topics=None) if args.no_topics else ScoringConfig()
    written: list[Path] = []
    cost: pl.DataFrame | None = None
    if args.cost_from is not None:
        cost = pl.read_parquet(args.cost_from)
    if args.plot_only is not None:
        path = plot_attack_bench(pl.read_parquet(args.plot_only), outdir / "attack_bench.png", cost)
        _log.info("wrote %s", path)
        return 0
    if bench.cost_kinds:
        cost_bench = bench
        if args.cost_scorers is not None:
            cost_bench = dataclasses.replace(bench, scorers=args.cost_scorers)
        cost = cost_table(
            attack_cost(cost_bench, scoring=scoring, defended=defence_config(scoring))
        )
        cost.write_csv(outdir / "attack_cost.tsv", separator="\t")
        cost.write_parquet(outdir / "attack_cost.parquet")
        written += [outdir / "attack_cost.tsv", outdir / "attack_cost.parquet"]
    if not args.no_bench:
        cells = run_attack_bench(
            bench,
            scoring=scoring,
            progress=lambda label: _log.info("scoring %s", label),
            executor=args.executor,
        )
        per_cell = cell_table(cells)
        per_cell.write_csv(outdir / "attack_bench_cells.tsv", separator="\t")
        per_cell.write_parquet(outdir / "attack_bench_cells.parquet")
        written += [outdir / "attack_bench_cells.tsv", outdir / "attack_bench_cells.parquet"]
        table = summarize(cells)
        table.write_csv(outdir / "attack_bench.tsv", separator="\t")
        table.write_parquet(outdir / "attack_bench.parquet")
        (outdir / "attack_bench.md").write_text(to_markdown(table), encoding="utf-8")
        plot_attack_bench(table, outdir / "attack_bench.png", cost)
        written += [outdir / f"attack_bench.{x}" for x in ("tsv", "parquet", "md", "png")]
    _log.info("wrote %s", ", ".join(str(p) for p in written))
    return 0
