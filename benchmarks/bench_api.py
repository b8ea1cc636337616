"""Sustained rating writes per second through the HTTP API, with p50 / p99 latency.

Starts `bridgewatch serve` (uvicorn, --workers N) on a fresh database, seeds raters with
session tokens and notes directly in the database, then drives POST
/api/v1/notes/{id}/ratings from a closed-loop load generator (C concurrent keep-alive
connections, a minimal asyncio HTTP/1.1 client so that the generator costs little CPU) on the
same machine. It also reports CPU time per rating of the server processes, of the
PostgreSQL backends serving them (tagged by application_name, sampled from /proc) and of the
load generator itself, over warm-up and measurement divided by every request sent; these
stay meaningful on a shared machine where wall-clock throughput does not. Every rating is a
real write: auth check, rate-limit count, upsert of the rating and its outbox event in one
transaction.

    python benchmarks/bench_api.py --backend sqlite
    python benchmarks/bench_api.py --backend postgresql \
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text

from bridgewatch.model import EnrollmentState
from bridgewatch.store.db import make_engine, make_session_factory
from bridgewatch.store.migrate import upgrade_database
from bridgewatch.store.repositories.auth import create_session_token
from bridgewatch.store.repositories.notes import insert_note
from bridgewatch.store.repositories.participants import create_participant
from bridgewatch.store.repositories.posts import create_post
from bridgewatch.store.rows import NoteContent
from bridgewatch.store.tables import enrollment


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _seed(url: str, n_raters: int, n_notes: int) -> tuple[list[str], list[int]]:
    engine = make_engine(url)
    upgrade_database(engine)
    now = time.time_ns() // 1_000_000
    tokens, note_ids = [], []
    with make_session_factory(engine)() as session, session.begin():
        writers = []
        for _ in range(max(1, n_notes // 5)):
            writer = create_participant(session, now_ms=now)
            session.execute(
                enrollment.update()
                .where(enrollment.c.participantId == writer.participant_id)
                .values(enrollmentState=int(EnrollmentState.earnedIn))
            )
            writers.append(writer.participant_id)
        for i in range(n_notes):
            post_id = f"bench-{i}"
            create_post(
                session,
                now_ms=now,
                actor_participant_id=None,
                post_id=post_id,
                author_id=f"author-{i}",
                text="a claim",
                url=None,
            )
            row = insert_note(
                session,
                now_ms=now + i,
                author_participant_id=writers[i % len(writers)],
                content=NoteContent(
                    post_id,
                    "MISINFORMED_OR_POTENTIALLY_MISLEADING",
                    "Wrong figure, see https://stats.example.org/r",
                    misleading_reasons=("FactualError",),
                    trustworthy_sources=True,
                ),
            )
            note_ids.append(row.note_id)
        for _ in range(n_raters):
            rater = create_participant(session, now_ms=now)
            token, _ = create_session_token(
                session, participant_id=rater.participant_id, now_ms=now, ttl_s=86_400
            )
            tokens.append(token)
    engine.dispose()
    return tokens, note_ids


_BODIES = [
    json.dumps(b).encode()
    for b in (
        {"helpfulnessLevel": "HELPFUL", "helpfulTags": ["Clear", "GoodSources"]},
        {"helpfulnessLevel": "NOT_HELPFUL", "notHelpfulTags": ["Incorrect"]},
        {"helpfulnessLevel": "SOMEWHAT_HELPFUL"},
    )
]


async def _worker(
    port: int,
    tokens: list[str],
    note_ids: list[int],
    stop_at: float,
    measure_from: float,
    latencies: list[float],
    statuses: dict[int, int],
    counter: list[int],
    seed: int,
) -> None:
    rng = random.Random(seed)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while True:
            now = time.perf_counter()
            if now >= stop_at:
                return
            body = rng.choice(_BODIES)
            request = (
                f"POST /api/v1/notes/{rng.choice(note_ids)}/ratings HTTP/1.1\r\n"
                f"Host: 127.0.0.1\r\nAuthorization: Bearer {rng.choice(tokens)}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            start = time.perf_counter()
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            end = time.perf_counter()
            counter[0] += 1
            if start >= measure_from:
                latencies.append(end - start)
                statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def _load(
    port: int,
    tokens: list[str],
    note_ids: list[int],
    concurrency: int,
    warmup_s: float,
    duration_s: float,
) -> tuple[list[float], dict[int, int], float, int]:
    """Latencies and statuses of the measured requests, the measured duration (s) and the
    number of requests sent in all (warm-up included)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    counter = [0]
    t0 = time.perf_counter()
    measure_from = t0 + warmup_s
    stop_at = measure_from + duration_s
    await asyncio.gather(
        *[
            _worker(port, tokens, note_ids, stop_at, measure_from, latencies, statuses, counter, i)
            for i in range(concurrency)
        ]
    )
    return latencies, statuses, duration_s, counter[0]


def _cpu_seconds(root_pid: int) -> float:
    """CPU time (user + system, s) of the server process and its worker processes (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if root_pid in (pid, ppid):
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


class _PostgresCpuSampler:
    """CPU seconds (user + system) of the PostgreSQL backends serving ``application_name``.

    Samples pg_stat_activity and /proc of the backend processes every ``every_s`` seconds in
    a thread, keeping each backend's last reading, so backends that exit during the run
    (connections a pool closes) still count up to their last sample. The database server
    must run on this machine.
    """

    def __init__(self, admin_url: str, application_name: str, every_s: float = 0.2) -> None:
        self._engine = create_engine(admin_url, pool_size=1)
        self._name = application_name
        self._every = every_s
        self._seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        ticks = os.sysconf("SC_CLK_TCK")
        with self._engine.connect() as conn:
            pids = conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE application_name = :a"),
                {"a": self._name},
            ).scalars()
            for pid in pids:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                self._seen[int(pid)] = (int(fields[11]) + int(fields[12])) / ticks

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self._sample()

    def __enter__(self) -> _PostgresCpuSampler:
        self._sample()
        self._before = dict(self._seen)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self._engine.dispose()

    @property
    def used_s(self) -> float:
        """CPU seconds the backends used between entering and leaving."""
        return sum(cpu - self._before.get(pid, 0.0) for pid, cpu in self._seen.items())


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _hardware() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{model}, {os.cpu_count()} logical cores, load average {load:.1f} at start"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "BRIDGEWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--raters", type=int, default=2000)
    parser.add_argument("--notes", type=int, default=500)
    parser.add_argument(
        "--no-pre-ping",
        action="store_true",
        help="serve with BRIDGEWATCH_POOL_PRE_PING=false (one round trip less per request)",
    )
    parser.add_argument(
        "--no-fast-path",
        action="store_true",
        help="serve with BRIDGEWATCH_RATING_FAST_PATH=false (the general SQLAlchemy path)",
    )
    parser.add_argument(
        "--client-loop",
        choices=("uvloop", "asyncio"),
        default="uvloop",
        help="event loop of the load generator",
    )
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per level")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    schema = None
    app_name = f"bw_bench_{uuid.uuid4().hex[:10]}"
    if args.backend == "sqlite":
        url = f"sqlite:///{Path(tmp.name) / 'bench.sqlite3'}"
    else:
        schema = app_name
        admin = create_engine(args.pg_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        # application_name tags the server's connections so that their backends' CPU can
        # be told from the other clients of the database.
        url = (
            f"{args.pg_url}?options={quote(f'-csearch_path={schema}')}&application_name={app_name}"
        )
    port = _free_port()
    server = None
    try:
        tokens, note_ids = _seed(url, args.raters, args.notes)
        env = os.environ | {
            "BRIDGEWATCH_DATABASE_URL": url,
            "BRIDGEWATCH_RATINGS_PER_MINUTE": "1000000",
            "BRIDGEWATCH_LOG_LEVEL": "30",
            "BRIDGEWATCH_POOL_PRE_PING": "false" if args.no_pre_ping else "true",
            "BRIDGEWATCH_RATING_FAST_PATH": "false" if args.no_fast_path else "true",
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from bridgewatch.cli import main; raise SystemExit(main())",
                "serve",
                "--no-migrate",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            env=env,
        )
        deadline = time.time() + 180  # importing the app takes a while on a busy machine
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError as exc:
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit(f"server did not start: {exc!r}") from None
                time.sleep(0.2)
        time.sleep(1.0)
        print(f"hardware: {_hardware()}")
        print(
            f"backend: {args.backend}, server workers: {args.workers}, raters: {args.raters}, "
            f"notes: {args.notes}, pool pre-ping: {not args.no_pre_ping}, "
            f"rating fast path: {not args.no_fast_path}, client loop: {args.client_loop}, "
            "load generator on the same machine"
        )
        print(
            "| backend | concurrency | ratings/s | p50 ms | p99 ms | non-2xx "
            "| server CPU ms/rating | PostgreSQL CPU ms/rating | client CPU ms/rating |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        loop_factory = None
        if args.client_loop == "uvloop":
            import uvloop

            loop_factory = uvloop.new_event_loop
        for concurrency in args.concurrency:
            # CPU is counted over warm-up and measurement alike (an upper bound per rating).
            sampler = (
                _PostgresCpuSampler(args.pg_url, app_name)
                if args.backend == "postgresql"
                else contextlib.nullcontext()
            )
            cpu_before = _cpu_seconds(server.pid)
            client_before = time.process_time()
            with sampler, asyncio.Runner(loop_factory=loop_factory) as runner:
                latencies, statuses, duration, total = runner.run(
                    _load(port, tokens, note_ids, concurrency, args.warmup, args.duration)
                )
            cpu_used = _cpu_seconds(server.pid) - cpu_before
            client_used = time.process_time() - client_before
            ok = sum(n for s, n in statuses.items() if 200 <= s < 300)
            bad = sum(n for s, n in statuses.items() if not 200 <= s < 300)
            pg_cell = (
                f"{sampler.used_s * 1000 / max(1, total):.2f}"
                if isinstance(sampler, _PostgresCpuSampler)
                else "-"
            )
            print(
                f"| {args.backend} | {concurrency} | {ok / duration:.0f} | "
                f"{_percentile(latencies, 0.5) * 1000:.1f} | "
                f"{_percentile(latencies, 0.99) * 1000:.1f} | {bad} | "
                f"{cpu_used * 1000 / max(1, total):.2f} | {pg_cell} | "
                f"{client_used * 1000 / max(1, total):.2f} |",
                flush=True,
            )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if schema is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
