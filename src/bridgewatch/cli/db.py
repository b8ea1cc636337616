"""`bridgewatch db upgrade`: create or migrate the service database schema."""

from __future__ import annotations

import argparse
import sys

from alembic import command

from bridgewatch.service.settings import Settings
from bridgewatch.store.db import make_engine
from bridgewatch.store.migrate import alembic_config, upgrade_database


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `db` command with its `upgrade` and `current` actions."""
    parser = subparsers.add_parser("db", help="manage the service database", description=__doc__)
    parser.add_argument("action", choices=("upgrade", "current"))
    parser.add_argument("--revision", default="head", help="target revision for upgrade")
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: from settings)")
    parser.add_argument("--data-dir", help="directory of the default SQLite database")
    parser.set_defaults(func=run)


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from the environment, overridden by --database-url / --data-dir."""
    overrides: dict[str, object] = {}
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = args.data_dir
    return Settings(**overrides)  # type: ignore[arg-type]


def run(args: argparse.Namespace) -> int:
    """Upgrade to --revision, or print the current revision."""
    engine = make_engine(settings_from_args(args).resolved_database_url())
    try:
        if args.action == "upgrade":
            upgrade_database(engine, args.revision)
            sys.stdout.write(f"database at revision {args.revision}\n")
        else:
            command.current(alembic_config(engine))
    finally:
        engine.dispose()
    return 0
