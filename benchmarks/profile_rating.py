"""In-process cost of one rating POST: CPU ms per rating and SQL statements per rating.

Drives the ASGI app directly (no sockets, no server process) on a fresh database seeded like
``bench_api.py``, so the figures isolate the service's own work. ``--profile`` prints the
top functions by cumulative time (cProfile). SQL statements are counted on the SQLAlchemy
engine, so PostgreSQL's one-statement rating path (``service.pg_ratings``, off the engine)
shows 0; ``--no-fast-path`` measures the general path.

    python benchmarks/profile_rating.py --backend sqlite
    python benchmarks/profile_rating.py --backend postgresql --profile
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, event, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_api import _BODIES, _seed
from bridgewatch.service.app import create_app
from bridgewatch.service.settings import Settings
from bridgewatch.store.db import make_engine


async def _post(app: Any, path: str, token: str, body: bytes) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)  # pragma: no cover - the app never waits for a disconnect
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])

    await app(scope, receive, send)
    return status


async def _run(app: Any, tokens: list[str], note_ids: list[int], n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    statuses = []
    for _ in range(n):
        path = f"/api/v1/notes/{rng.choice(note_ids)}/ratings"
        statuses.append(await _post(app, path, rng.choice(tokens), rng.choice(_BODIES)))
    return statuses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "BRIDGEWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--no-pre-ping", action="store_true", help="pool_pre_ping off")
    parser.add_argument(
        "--no-fast-path",
        action="store_true",
        help="the general SQLAlchemy path instead of PostgreSQL's one-statement path",
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    schema = None
    if args.backend == "sqlite":
        url = f"sqlite:///{Path(tmp.name) / 'bench.sqlite3'}"
    else:
        schema = f"bw_prof_{uuid.uuid4().hex[:10]}"
        admin = create_engine(args.pg_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{args.pg_url}?options={quote(f'-csearch_path={schema}')}"
    try:
        tokens, note_ids = _seed(url, 500, 200)
        settings = Settings(
            database_url=url,
            ratings_per_minute=1_000_000,
            rating_fast_path=not args.no_fast_path,
        )
        engine = make_engine(url, pool_pre_ping=not args.no_pre_ping)
        app = create_app(settings, engine=engine)
        statements: list[str] = []

        def count(*a: Any, **_k: Any) -> None:
            statements.append(str(a[2]).split(None, 1)[0])

        event.listen(engine, "before_cursor_execute", count)
        asyncio.run(_run(app, tokens, note_ids, 200, seed=1))  # warm-up
        statements.clear()
        profiler = cProfile.Profile() if args.profile else None
        cpu0, wall0 = time.process_time(), time.perf_counter()
        if profiler is not None:
            profiler.enable()
        statuses = asyncio.run(_run(app, tokens, note_ids, args.requests, seed=2))
        if profiler is not None:
            profiler.disable()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        kinds: dict[str, int] = {}
        for s in statements:
            kinds[s] = kinds.get(s, 0) + 1
        n = len(statuses)
        print(
            json.dumps(
                {
                    "backend": args.backend,
                    "requests": n,
                    "non_2xx": sum(1 for s in statuses if not 200 <= s < 300),
                    "cpu_ms_per_rating": round(cpu * 1000 / n, 3),
                    "wall_ms_per_rating": round(wall * 1000 / n, 3),
                    "statements_per_rating": round(len(statements) / n, 2),
                    "statement_kinds_per_rating": {k: round(v / n, 2) for k, v in kinds.items()},
                }
            )
        )
        if profiler is not None:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        engine.dispose()
    finally:
        if schema is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
