"""`bridgewatch attack-bench`: brigades of growing size against the scorer, defences off/on."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from bridgewatch.analysis.attack import (
    BRIGADE_KINDS,
    AttackBenchConfig,
    run_attack_bench,
    summarize,
    to_markdown,
)
from bridgewatch.analysis.attack_plot import plot_attack_bench
from bridgewatch.parallel import EXECUTOR_HELP, parse_executor
from bridgewatch.scoring.config import ScoringConfig

__all__ = ["register", "run"]

_log = logging.getLogger(__name__)


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(x) / 100.0 for x in text.split(",") if x.strip())


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x.strip())


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `attack-bench` command."""
    parser = subparsers.add_parser(
        "attack-bench",
        help="simulate brigades and score with the defences off and on",
        description=(
            "Simulate communities with PROMOTE and SUPPRESS brigades (fresh, sleeper, "
            "two-camp or slow two-camp sleeper accounts) of growing size, score each with "
            "the manipulation defences off and on against the same community without the "
            "attack, and write attack_bench.tsv, attack_bench.md and attack_bench.png to "
            "--outdir."
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
        "--kinds",
        type=lambda text: tuple(k.strip() for k in text.split(",") if k.strip()),
        default=defaults.kinds,
        metavar="KIND,...",
        help=f"brigade kinds from {','.join(BRIGADE_KINDS)} (default all)",
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
        max_reaction_minutes=args.reaction_minutes,
    )
    parse_executor(args.executor)  # a bad spec fails before any work
    outdir = Path(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    scoring = ScoringConfig(topics=None) if args.no_topics else ScoringConfig()
    cells = run_attack_bench(
        bench,
        scoring=scoring,
        progress=lambda label: _log.info("scoring %s", label),
        executor=args.executor,
    )
    table = summarize(cells)
    table.write_csv(outdir / "attack_bench.tsv", separator="\t")
    markdown = to_markdown(table)
    (outdir / "attack_bench.md").write_text(markdown, encoding="utf-8")
    plot_attack_bench(table, outdir / "attack_bench.png")
    _log.info(
        "wrote %s", ", ".join(str(outdir / f"attack_bench.{x}") for x in ("tsv", "md", "png"))
    )
    return 0
