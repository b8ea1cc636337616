"""`bridgewatch simulate`: write a synthetic community in the public Community Notes format.

Writes notes-00000.tsv, ratings-00000.tsv (or ratings/ shards, TSV or Parquet),
noteStatusHistory-00000.tsv (by default as if the community had been scored along the way),
userEnrollment-00000.tsv and noteRequests-00000.tsv into --out, posts-00000.tsv (text and
author of each post, which the public dump lacks; `bridgewatch import` loads it) next to
them, and ground truth under --out/truth/.
"""

from __future__ import annotations

import argparse
import logging
import time

from bridgewatch import DEFAULT_SEED
from bridgewatch.errors import ConfigError
from bridgewatch.sim import BrigadeConfig, BrigadeGoal, SimConfig, write_simulation

__all__ = ["AUTO_SCORED_MAX_RATINGS", "brigades_for_share", "config_from_args", "register", "run"]

_log = logging.getLogger(__name__)
# Above this many ratings --status-history auto seeds the history instead of scoring it
# (scoring at every checkpoint would take minutes; pass --status-history scored to insist).
AUTO_SCORED_MAX_RATINGS = 1_000_000


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `simulate` command."""
    defaults = SimConfig()
    brigade = BrigadeConfig()
    p = subparsers.add_parser(
        "simulate",
        help="write a synthetic community (public TSV format + ground truth)",
        description=__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    out = p.add_mutually_exclusive_group(required=True)
    out.add_argument("--outdir", help="output directory (created if missing)")
    # The old name of the flag (every command now says --outdir), kept so scripts keep working.
    out.add_argument("--out", dest="outdir", help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    p.add_argument("--n-notes", type=int, default=defaults.n_notes, help="notes")
    p.add_argument("--n-raters", type=int, default=defaults.n_raters, help="organic raters")
    p.add_argument("--n-ratings", type=int, default=defaults.n_ratings, help="organic ratings")
    p.add_argument("--days", type=float, default=defaults.days, help="window length in days")
    p.add_argument(
        "--end-ms", type=int, default=defaults.end_ms, help="window end, ms since the epoch"
    )
    p.add_argument(
        "--polarization",
        type=float,
        default=defaults.polarization,
        help="camp centres at +-this on the viewpoint axis",
    )
    p.add_argument(
        "--one-sided-share",
        type=float,
        default=defaults.one_sided_share,
        help="share of notes slanted towards their author's camp",
    )
    p.add_argument(
        "--topic-share",
        type=float,
        default=defaults.topic_share,
        help="share of notes mentioning topic seed terms",
    )
    p.add_argument(
        "--expansion-share",
        type=float,
        default=defaults.expansion_share,
        help="share of raters in modelingPopulation EXPANSION",
    )
    p.add_argument(
        "--note-request-share",
        type=float,
        default=defaults.note_request_share,
        help="share of posts with note requests",
    )
    p.add_argument(
        "--status-history",
        choices=("auto", "scored", "seeded", "empty"),
        default="auto",
        help="noteStatusHistory: 'scored' as if the community had been scored along the way"
        " (the Core scorer at weekly checkpoints and 2 h before the newest rating, so one"
        " `bridgewatch score` releases the notes already helpful, as on the public dump;"
        " one scoring run per checkpoint), 'seeded' one NEEDS_MORE_RATINGS row per note,"
        " 'empty' none; 'auto': scored up to"
        f" {AUTO_SCORED_MAX_RATINGS:,} ratings, seeded above",
    )
    p.add_argument(
        "--no-status-history",
        action="store_true",
        help="the same as --status-history empty",
    )
    p.add_argument(
        "--adversary-share",
        type=float,
        default=0.0,
        help="brigade members as a share of --n-raters (0: no adversaries)",
    )
    p.add_argument(
        "--brigade-size", type=int, default=brigade.n_members, help="members per brigade"
    )
    p.add_argument(
        "--brigade-targets", type=int, default=brigade.n_targets, help="target notes per brigade"
    )
    p.add_argument(
        "--brigade-goal",
        choices=[g.value for g in BrigadeGoal],
        default=brigade.goal.value,
        help="promote bad one-sided notes or suppress good notes",
    )
    p.add_argument(
        "--ratings-per-file",
        type=int,
        default=None,
        help="split ratings into ratings/ratings-NNNNN.tsv files of at most this many rows"
        " (default: one ratings-00000.tsv)",
    )
    p.add_argument(
        "--ratings-format",
        choices=("tsv", "parquet"),
        default="tsv",
        help="ratings files in the public TSV format, or Parquet (ratings-NNNNN.parquet,"
        " streamed; with --ratings-per-file for 100M+ ratings, so that loading reads one"
        " shard at a time)",
    )
    p.set_defaults(func=run)


def brigades_for_share(
    share: float, n_raters: int, size: int, targets: int, goal: BrigadeGoal
) -> tuple[BrigadeConfig, ...]:
    """Brigades of ``size`` members totalling about ``share * n_raters`` accounts.

    Camps alternate +1, -1, ...; the last brigade takes the remainder. Share 0 gives none.
    """
    total = round(share * n_raters)
    if total <= 0:
        return ()
    if size < 1:
        raise ConfigError("brigade_size", size, "an integer >= 1")
    sizes = [size] * (total // size) + ([total % size] if total % size else [])
    return tuple(
        BrigadeConfig(n_members=s, n_targets=targets, goal=goal, camp=1 if i % 2 == 0 else -1)
        for i, s in enumerate(sizes)
    )


def config_from_args(args: argparse.Namespace) -> SimConfig:
    """The ``SimConfig`` the parsed arguments describe (raises ConfigError when invalid)."""
    if not 0.0 <= args.adversary_share <= 1.0:
        raise ConfigError("adversary_share", args.adversary_share, "a number in [0, 1]")
    brigades = brigades_for_share(
        args.adversary_share,
        args.n_raters,
        args.brigade_size,
        args.brigade_targets,
        BrigadeGoal(args.brigade_goal),
    )
    mode = "empty" if args.no_status_history else args.status_history
    if mode == "auto":
        mode = "scored" if args.n_ratings <= AUTO_SCORED_MAX_RATINGS else "seeded"
        if mode == "seeded":
            _log.info(
                "%d ratings: seeding the status history with NEEDS_MORE_RATINGS rows (pass"
                " --status-history scored for one scored along the way)",
                args.n_ratings,
            )
    return SimConfig(
        seed=args.seed,
        n_notes=args.n_notes,
        n_raters=args.n_raters,
        n_ratings=args.n_ratings,
        days=args.days,
        end_ms=args.end_ms,
        polarization=args.polarization,
        one_sided_share=args.one_sided_share,
        topic_share=args.topic_share,
        expansion_share=args.expansion_share,
        note_request_share=args.note_request_share,
        seed_status_history=mode != "empty",
        score_status_history=mode == "scored",
        brigades=brigades,
    )


def run(args: argparse.Namespace) -> int:
    """Simulate and write; logs what was written."""
    config = config_from_args(args)
    started = time.perf_counter()
    # The scorer's stage log at every checkpoint of a scored history would bury the one
    # line this command prints; -v brings it back.
    scoring_log = logging.getLogger("bridgewatch.scoring")
    level = scoring_log.level
    if not getattr(args, "verbose", 0):
        scoring_log.setLevel(logging.ERROR)
    try:
        written = write_simulation(
            config,
            args.outdir,
            ratings_per_file=args.ratings_per_file,
            ratings_format=args.ratings_format,
        )
    finally:
        scoring_log.setLevel(level)
    _log.info(
        "wrote %d notes, %d participants, %d ratings to %s in %.1f s",
        config.n_notes,
        config.n_raters + config.n_brigade_members,
        written.n_ratings,
        args.outdir,
        time.perf_counter() - started,
    )
    return 0
