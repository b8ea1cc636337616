"""`bridgewatch demo`: a seeded, scored community in ./data/demo, served on port 8000.

Builds a SQLite database under --data-dir (replacing an earlier demo database), fills it
with a synthetic community (bridgewatch.web.seed), scores it with the quick fit, then serves
the web app and API until interrupted. ``--no-serve`` prepares everything and exits.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

_log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `demo` command."""
    parser = subparsers.add_parser(
        "demo", help="seed a demo community and serve the web app", description=__doc__
    )
    parser.add_argument("--data-dir", type=Path, default=Path("data/demo"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic community")
    parser.add_argument("--raters", type=int, default=40, help="synthetic raters")
    parser.add_argument(
        "--no-serve", action="store_true", help="prepare the database, print the logins, exit"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Seed and score the demo database, then serve it (unless --no-serve)."""
    from bridgewatch.service import Settings, create_app, make_engine, upgrade_database
    from bridgewatch.service.db import make_session_factory
    from bridgewatch.web import install_web
    from bridgewatch.web.accounts import ensure_web_schema
    from bridgewatch.web.seed import SeedConfig, seed_community

    data_dir: Path = args.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    db_path = data_dir / "bridgewatch.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db_path.resolve()}"
    engine = make_engine(url)
    upgrade_database(engine)
    ensure_web_schema(engine)
    config = SeedConfig(n_raters=args.raters, n_writers=max(1, args.raters // 4), seed=args.seed)
    with make_session_factory(engine)() as session, session.begin():
        result = seed_community(session, now_ms=time.time_ns() // 1_000_000, config=config)
    address = f"http://{args.host}:{args.port}"
    logins = "\n".join(f"  username {u!r}, password {p!r}" for u, p in result.logins)
    sys.stdout.write(
        f"demo database: {db_path} ({result.n_participants} participants, {result.n_notes} "
        f"notes, {result.n_ratings} ratings, scored)\n"
        f"logins:\n{logins}\n"
        f"web app: {address}/\n"
    )
    sys.stdout.flush()
    if args.no_serve:
        engine.dispose()
        return 0
    import uvicorn

    app = install_web(create_app(Settings(database_url=url, data_dir=data_dir), engine=engine))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
