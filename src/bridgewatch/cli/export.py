"""`bridgewatch export DIR`: write the public data files (TSV + Parquet) with a manifest."""

from __future__ import annotations

import argparse
import sys

from bridgewatch.cli.db import settings_from_args
from bridgewatch.clock import now_ms
from bridgewatch.store.db import make_engine
from bridgewatch.store.dump import PUBLICATION_DELAY_MS, export_dump


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `export` command."""
    parser = subparsers.add_parser(
        "export", help="export the public data files", description=__doc__
    )
    parser.add_argument("directory", nargs="?", help="output folder (default: DATA_DIR/export)")
    parser.add_argument(
        "--as-of",
        type=int,
        metavar="MS",
        help='release time ("now"), ms since the epoch (default: the wall clock)',
    )
    # The flag's name before every command said --as-of; kept so scripts keep working.
    parser.add_argument("--as-of-ms", dest="as_of", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--delay-hours",
        type=float,
        default=PUBLICATION_DELAY_MS / 3_600_000,
        help="leave out content younger than this (default 48)",
    )
    parser.add_argument(
        "--format", action="append", choices=("tsv", "parquet"), help="repeat; default both"
    )
    parser.add_argument("--database-url")
    parser.add_argument("--data-dir")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Export and print the manifest."""
    settings = settings_from_args(args)
    engine = make_engine(settings.resolved_database_url())
    directory = args.directory or settings.data_dir / "export"
    try:
        manifest = export_dump(
            engine,
            directory,
            as_of_ms=args.as_of if args.as_of is not None else now_ms(),
            delay_ms=int(args.delay_hours * 3_600_000),
            formats=args.format or ("tsv", "parquet"),
        )
    finally:
        engine.dispose()
    sys.stdout.write(manifest.to_json())
    return 0
