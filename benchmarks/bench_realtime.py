"""Real-time pipeline: lag from a rating's commit to its note's rescored status, and the
worker's maximum throughput.

Seeds a simulated community into a fresh database (import of the public files), starts
`bridgewatch worker` as a separate process, lets it refit, then writes ratings (random
raters and values on random notes, through the same repository call and transaction as
POST /api/v1/notes/{id}/ratings: rating upsert + outbox event) at a sustained rate from
this process. The lag of a rating is the time from its commit to the commit of the worker
transaction that rescored its note (the consumer offset passing its event id; the offset is
polled every 2 ms). Then it stops the worker, writes a backlog and times a fresh worker
draining it: the worker's maximum throughput in events/s.

    python benchmarks/bench_realtime.py --backend postgresql \
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    python benchmarks/bench_realtime.py --backend sqlite
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.orm import Session

from bridgewatch.io import read_ratings
from bridgewatch.pipeline.tables import ensure_pipeline_schema, pipeline_offsets
from bridgewatch.service.db import make_engine
from bridgewatch.service.dump import import_dump
from bridgewatch.service.migrate import upgrade_database
from bridgewatch.service.repositories.ratings import upsert_rating
from bridgewatch.service.tables import events
from bridgewatch.sim import SimConfig, simulate, write_community

_LEVELS = ("HELPFUL", "SOMEWHAT_HELPFUL", "NOT_HELPFUL")


def _seed(engine: Engine, tmp: Path, config: SimConfig) -> tuple[list[int], list[str]]:
    files = write_community(simulate(config), tmp / "community")
    dump = tmp / "dump"
    dump.mkdir()
    for src, name in (
        (files.notes, "notes-00000.tsv"),
        (files.note_status_history, "noteStatusHistory-00000.tsv"),
        (files.user_enrollment, "userEnrollment-00000.tsv"),
        (files.ratings[0], "ratings-00000.tsv"),
    ):
        (dump / name).write_bytes(src.read_bytes())
    import_dump(engine, dump, now_ms=int(time.time() * 1000))
    frame = read_ratings(files.ratings[0])
    notes = sorted({int(x) for x in frame["noteId"].cast(pl.String).to_list()})
    raters = sorted(set(frame["raterParticipantId"].cast(pl.String).to_list()))
    return notes, raters


def _rating(rng: random.Random, notes: list[int], raters: list[str]) -> dict[str, object]:
    level = rng.choice(_LEVELS)
    return {
        "noteId": rng.choice(notes),
        "raterParticipantId": rng.choice(raters),
        "version": 2,
        "helpfulnessLevel": level,
        "helpful": int(level == "HELPFUL"),
        "notHelpful": int(level == "NOT_HELPFUL"),
        "ratingSourceBucketed": "DEFAULT",
    }


def _write_one(engine: Engine, values: dict[str, object]) -> tuple[int, float]:
    with Session(engine) as s, s.begin():
        upsert_rating(s, now_ms=int(time.time() * 1000), values=values)
        entity = f"{values['noteId']}:{values['raterParticipantId']}"
        event_id = int(
            s.execute(
                select(func.max(events.c.id)).where(events.c.entity_id == entity)
            ).scalar_one()
        )
    return event_id, time.perf_counter()


def _offset(engine: Engine) -> int:
    with engine.connect() as conn:
        value = conn.execute(
            select(pipeline_offsets.c.last_event_id).where(pipeline_offsets.c.consumer == "bench")
        ).scalar()
    return int(value or 0)


def _start_worker(url: str, batch_size: int, diligence: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from bridgewatch.cli import main; sys.exit(main(sys.argv[1:]))",
            "worker",
            "--database-url",
            url,
            "--consumer",
            "bench",
            "--batch-size",
            str(batch_size),
            "--poll-interval",
            "0.02",
            "--no-topics",
            "--diligence",
            diligence,
        ],
        stdout=subprocess.DEVNULL,
    )


def _wait_for(engine: Engine, target: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while _offset(engine) < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"worker did not reach event {target}")
        time.sleep(0.05)


def _lag_run(
    engine: Engine, url: str, args: argparse.Namespace, notes: list[int], raters: list[str]
) -> None:
    worker = _start_worker(url, args.batch_size, args.diligence)
    try:
        with engine.connect() as conn:
            last = int(conn.execute(select(func.coalesce(func.max(events.c.id), 0))).scalar_one())
        _wait_for(engine, last, 600)  # the refit and the import event
        committed: list[tuple[int, float]] = []
        seen: dict[int, float] = {}
        stop = threading.Event()

        def poll() -> None:
            while not stop.is_set():
                seen[_offset(engine)] = time.perf_counter()
                time.sleep(0.002)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        n = int(args.rate * args.seconds)
        lock = threading.Lock()
        start = time.perf_counter()

        def writer(k: int) -> None:
            local = random.Random(k)
            for i in range(k, n, args.writers):
                delay = start + i / args.rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                result = _write_one(engine, _rating(local, notes, raters))
                with lock:
                    committed.append(result)

        writers = [threading.Thread(target=writer, args=(k,)) for k in range(args.writers)]
        for w in writers:
            w.start()
        for w in writers:
            w.join()
        committed.sort()
        achieved = n / (time.perf_counter() - start)
        _wait_for(engine, max(c[0] for c in committed), 120)
        time.sleep(0.05)
        stop.set()
        poller.join()
        offsets = np.array(sorted(seen))
        times = np.array([seen[o] for o in offsets])
        # First time the offset was seen at or past each event id (offsets only grow).
        first_seen = np.minimum.accumulate(times[::-1])[::-1]
        ids = np.array([c[0] for c in committed])
        at = np.array([c[1] for c in committed])
        pos = np.searchsorted(offsets, ids)
        lag = (first_seen[pos] - at) * 1000
        print(f"writes: {n} ratings at {achieved:.0f}/s (target {args.rate}/s)")
        print(
            f"lag commit -> rescored status: p50 {np.percentile(lag, 50):.0f} ms, "
            f"p99 {np.percentile(lag, 99):.0f} ms, max {lag.max():.0f} ms"
        )
    finally:
        worker.terminate()
        worker.wait(timeout=60)


def _throughput_run(
    engine: Engine, url: str, args: argparse.Namespace, notes: list[int], raters: list[str]
) -> None:
    rng = random.Random(2)
    with Session(engine) as s, s.begin():
        for _ in range(args.backlog):
            upsert_rating(s, now_ms=int(time.time() * 1000), values=_rating(rng, notes, raters))
    with engine.connect() as conn:
        last = int(conn.execute(select(func.max(events.c.id))).scalar_one())
    start_offset = _offset(engine)
    worker = _start_worker(url, args.backlog_batch_size, args.diligence)
    try:
        # The first micro-batch comes after the worker's start-up (snapshot + stored refit).
        deadline = time.monotonic() + 600
        while _offset(engine) == start_offset and time.monotonic() < deadline:
            time.sleep(0.005)
        t0, o0 = time.perf_counter(), _offset(engine)
        _wait_for(engine, last, 600)
        elapsed = time.perf_counter() - t0
        print(
            f"worker throughput: {last - o0} events in {elapsed:.2f} s = "
            f"{(last - o0) / elapsed:.0f} events/s (batch size {args.backlog_batch_size})"
        )
    finally:
        worker.terminate()
        worker.wait(timeout=60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "BRIDGEWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--rate", type=float, default=500.0, help="ratings per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--diligence", choices=("full", "frozen"), default="full")
    parser.add_argument("--writers", type=int, default=8, help="concurrent writer threads")
    parser.add_argument("--backlog", type=int, default=20_000)
    parser.add_argument("--backlog-batch-size", type=int, default=2000)
    parser.add_argument("--notes", type=int, default=1000)
    parser.add_argument("--raters", type=int, default=2000)
    parser.add_argument("--ratings", type=int, default=30_000)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    print(f"worker: batch size {args.batch_size}, diligence {args.diligence}")
    print(f"community: {args.notes} notes, {args.raters} raters, {args.ratings} ratings")
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        schema = None
        if args.backend == "sqlite":
            url = f"sqlite:///{tmp / 'bench.sqlite3'}"
            engine = make_engine(url)
        else:
            schema = f"bw_bench_{uuid.uuid4().hex[:10]}"
            admin = create_engine(args.pg_url)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            engine = make_engine(args.pg_url, search_path=schema)
            url = engine.url.update_query_dict(
                {"options": f"-csearch_path={schema}"}
            ).render_as_string(hide_password=False)
        try:
            upgrade_database(engine)
            ensure_pipeline_schema(engine)
            config = SimConfig(
                seed=3, n_notes=args.notes, n_raters=args.raters, n_ratings=args.ratings, days=20.0
            )
            notes, raters = _seed(engine, tmp, config)
            _lag_run(engine, url, args, notes, raters)
            _throughput_run(engine, url, args, notes, raters)
        finally:
            engine.dispose()
            if schema is not None:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
