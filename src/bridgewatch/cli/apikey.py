"""`bridgewatch apikey create NAME --scope ... [--participant ID ...]` / `revoke NAME`:
integration API keys, optionally restricted to acting for named participants."""

from __future__ import annotations

import argparse
import sys

from bridgewatch import clock as wall
from bridgewatch.cli.db import settings_from_args
from bridgewatch.store.db import make_engine, make_session_factory
from bridgewatch.store.repositories.auth import API_KEY_SCOPES, create_api_key, revoke_api_key


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `apikey` command."""
    parser = subparsers.add_parser("apikey", help="create or revoke API keys", description=__doc__)
    parser.add_argument("action", choices=("create", "revoke"))
    parser.add_argument("name", help="a unique name for the key (the integration)")
    parser.add_argument(
        "--scope",
        action="append",
        default=[],
        choices=sorted(API_KEY_SCOPES),
        help="what the key may do (repeat); create only",
    )
    parser.add_argument(
        "--participant",
        action="append",
        default=[],
        metavar="ID",
        help="the key may act only for this participant (repeat); default: any; create only",
    )
    parser.add_argument("--database-url")
    parser.add_argument("--data-dir")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Create a key (printing its secret once) or revoke one."""
    engine = make_engine(settings_from_args(args).resolved_database_url())
    now_ms = wall.now_ms()
    try:
        with make_session_factory(engine)() as session, session.begin():
            if args.action == "create":
                secret = create_api_key(
                    session,
                    name=args.name,
                    scopes=args.scope,
                    now_ms=now_ms,
                    participants=args.participant,
                )
                sys.stdout.write(f"{secret}\n")
                return 0
            if not revoke_api_key(session, name=args.name, now_ms=now_ms):
                sys.stderr.write(f"no live API key named {args.name!r}\n")
                return 1
            return 0
    finally:
        engine.dispose()
