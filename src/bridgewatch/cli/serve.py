"""`bridgewatch serve`: run the HTTP API with uvicorn (SQLite under --data-dir by default)."""

from __future__ import annotations

import argparse
import logging
import os

from bridgewatch.service.settings import Settings
from bridgewatch.store.db import make_engine
from bridgewatch.store.migrate import upgrade_database

_log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `serve` command."""
    parser = subparsers.add_parser(
        "serve", help="run the HTTP API (OpenAPI at /docs)", description=__doc__
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite in data dir)")
    parser.add_argument("--data-dir", help="directory of the default SQLite database")
    parser.add_argument(
        "--no-migrate", action="store_true", help="do not upgrade the database schema first"
    )
    parser.add_argument("--log-format", choices=("json", "text"), default="json")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Upgrade the schema (unless --no-migrate), then serve until interrupted."""
    import uvicorn

    # Workers are separate processes: they read their settings from the environment.
    if args.database_url:
        os.environ["BRIDGEWATCH_DATABASE_URL"] = args.database_url
    if args.data_dir:
        os.environ["BRIDGEWATCH_DATA_DIR"] = args.data_dir
    os.environ["BRIDGEWATCH_LOG_FORMAT"] = args.log_format
    settings = Settings()
    url = settings.resolved_database_url()
    if not args.no_migrate:
        engine = make_engine(url)
        upgrade_database(engine)
        engine.dispose()
    _log.info("serving on http://%s:%d (database %s)", args.host, args.port, engine_name(url))
    uvicorn.run(
        "bridgewatch.asgi:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,
        access_log=False,
    )
    return 0


def engine_name(url: str) -> str:
    """The URL without its password, for logs."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
