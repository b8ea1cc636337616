"""`bridgewatch demo`: a simulated, scored community in ./data/demo, served on port 8000.

Simulates a community with ``bridgewatch.sim`` (public TSV files under --data-dir/dump),
imports it into a fresh SQLite database under --data-dir (replacing an earlier demo
database), scores it with the web app's quick fit at weekly checkpoints (so statuses have a
history), adds two demo logins, then serves the web app and API until interrupted.
``--no-serve`` prepares everything and exits.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import time
from pathlib import Path

_log = logging.getLogger(__name__)
_DAY_MS = 86_400_000


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `demo` command."""
    parser = subparsers.add_parser(
        "demo", help="simulate a community and serve the web app", description=__doc__
    )
    parser.add_argument("--data-dir", type=Path, default=Path("data/demo"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=7, help="seed of the simulation")
    parser.add_argument("--notes", type=int, default=300, help="simulated notes")
    parser.add_argument("--raters", type=int, default=400, help="simulated raters")
    parser.add_argument("--ratings", type=int, default=9000, help="simulated ratings")
    parser.add_argument("--days", type=int, default=28, help="age of the community, days")
    parser.add_argument(
        "--no-serve", action="store_true", help="prepare the database, print the logins, exit"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Simulate, import and score the demo database, then serve it (unless --no-serve)."""
    from sqlalchemy import func, select, update

    from bridgewatch.model import EnrollmentState
    from bridgewatch.service import Settings, create_app, make_engine, upgrade_database
    from bridgewatch.service.db import make_session_factory
    from bridgewatch.service.dump import import_dump
    from bridgewatch.service.tables import enrollment, notes, ratings
    from bridgewatch.sim import SimConfig, simulate, write_community
    from bridgewatch.web import install_web
    from bridgewatch.web.accounts import create_account, ensure_web_schema
    from bridgewatch.web.quickscore import score_all
    from bridgewatch.web.seed import DEMO_PASSWORD

    now_ms = time.time_ns() // 1_000_000
    data_dir: Path = args.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    dump_dir = data_dir / "dump"
    shutil.rmtree(dump_dir, ignore_errors=True)
    community = simulate(
        SimConfig(
            seed=args.seed,
            n_notes=args.notes,
            n_raters=args.raters,
            n_ratings=args.ratings,
            days=float(args.days),
            end_ms=now_ms - 3_600_000,
        )
    )
    write_community(community, dump_dir)
    db_path = data_dir / "bridgewatch.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db_path.resolve()}"
    engine = make_engine(url)
    upgrade_database(engine)
    ensure_web_schema(engine)
    summary = import_dump(engine, dump_dir, now_ms=now_ms)
    start_ms = now_ms - args.days * _DAY_MS
    with make_session_factory(engine)() as session, session.begin():
        for checkpoint in range(7, args.days, 7):
            until = start_ms + checkpoint * _DAY_MS
            score_all(session, now_ms=until, seed=args.seed, until_ms=until)
        score_all(session, now_ms=now_ms, seed=args.seed)
        # "demo" logs in as the busiest rater who also writes notes, with writing ability.
        busiest = session.execute(
            select(ratings.c.raterParticipantId)
            .where(ratings.c.raterParticipantId.in_(select(notes.c.noteAuthorParticipantId)))
            .group_by(ratings.c.raterParticipantId)
            .order_by(func.count().desc(), ratings.c.raterParticipantId)
            .limit(1)
        ).scalar_one()
        create_account(
            session,
            username="demo",
            password=DEMO_PASSWORD,
            now_ms=now_ms,
            participant_id=busiest,
        )
        session.execute(
            update(enrollment)
            .where(enrollment.c.participantId == busiest)
            .values(enrollmentState=int(EnrollmentState.earnedIn))
        )
        create_account(session, username="newcomer", password=DEMO_PASSWORD, now_ms=now_ms)
    address = f"http://{args.host}:{args.port}"
    sys.stdout.write(
        f"demo database: {db_path} ({summary.participants} participants, {summary.notes} "
        f"notes, {summary.ratings} ratings, scored)\n"
        f"logins (password {DEMO_PASSWORD!r}): 'demo' (can write notes), "
        f"'newcomer' (new: rating only)\n"
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
