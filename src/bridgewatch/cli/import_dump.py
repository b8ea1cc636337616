"""`bridgewatch import DIR`: load a public data dump into the service database.

Reads the notes-, ratings-, noteStatusHistory-, userEnrollment- and note-request
(batSignals- or noteRequests-) files, and posts- (post text and author, written by
`bridgewatch simulate`; the public dump has none) when present."""

from __future__ import annotations

import argparse
import sys

from bridgewatch import clock as wall
from bridgewatch.cli.db import settings_from_args
from bridgewatch.store.db import make_engine
from bridgewatch.store.dump import import_dump
from bridgewatch.store.migrate import upgrade_database


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `import` command."""
    parser = subparsers.add_parser(
        "import", help="load a public data dump into the database", description=__doc__
    )
    parser.add_argument("directory", help="folder with notes-, ratings-, ... files")
    parser.add_argument("--database-url")
    parser.add_argument("--data-dir")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Upgrade the schema, then import the dump in one transaction."""
    engine = make_engine(settings_from_args(args).resolved_database_url())
    try:
        upgrade_database(engine)
        summary = import_dump(engine, args.directory, now_ms=wall.now_ms())
    finally:
        engine.dispose()
    sys.stdout.write(
        f"imported {summary.notes} notes, {summary.ratings} ratings, "
        f"{summary.note_status_history} status rows, {summary.enrollment} enrollment rows, "
        f"{summary.participants} participants, {summary.posts} posts, "
        f"{summary.note_requests} note requests\n"
    )
    return 0
