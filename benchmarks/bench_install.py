"""The worker's stall when it installs a stored refit, and the lag around it (PostgreSQL).

A background refit (``pipeline/refit_job.py``) takes minutes at 1M ratings and longer on a
loaded machine, so timing its install through ``bench_realtime.py --refit-at`` costs a
whole refit per sample. This bench stores refits computed once instead, while a worker
serves a stream of ratings, as a refit job stores its own: the worker installs each at its
next micro-batch (``Worker._adopt_latest_refit``), as it installs a job's.

    # once: a community in its own schema, two refits 3,000 rating events apart
    python benchmarks/bench_install.py prepare --schema install16 --out /work/data/x
    # per run: a worker (of the tree at --worker-src) on the first refit, a stream of
    # ratings, and the two refits stored in turn at the given seconds
    BENCH_WORKER_LOG=/tmp/w.log python benchmarks/bench_install.py run --schema install16 \\
        --out /work/data/x --worker-src . --rate 100 --seconds 150 --installs 30,70,110
    python benchmarks/lag_timeline.py /tmp/w.log --slowest 3

``run`` prints the lag of all ratings and, per install, of the ratings committed from the
store's commit to 30 s after it; the worker's timeline (``BENCH_WORKER_LOG``) gives the
install micro-batch phase by phase (``lag_timeline.py --slowest``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_realtime as bench
from bridgewatch.pipeline.worker import Worker, WorkerConfig
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import with_defences
from bridgewatch.scoring.incremental import IncrementalConfig
from bridgewatch.sim import SimConfig
from bridgewatch.store.db import make_engine
from bridgewatch.store.migrate import ensure_pipeline_schema, upgrade_database
from bridgewatch.store.repositories.refits import load_refit_payload, store_refit
from bridgewatch.store.tables import events, pipeline_refits


def _engine(args: argparse.Namespace, *, create: bool = False) -> tuple[object, str]:
    if create:
        admin = create_engine(args.pg_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{args.schema}"'))
        admin.dispose()
    engine = make_engine(args.pg_url, search_path=args.schema)
    url = engine.url.update_query_dict({"options": f"-csearch_path={args.schema}"})
    return engine, url.render_as_string(hide_password=False)


def _community(args: argparse.Namespace) -> tuple[list[int], list[str]]:
    lists = (args.out / "notes.txt", args.out / "raters.txt")
    notes = [int(x) for x in lists[0].read_text().split()]
    return notes, lists[1].read_text().split()


def prepare(args: argparse.Namespace) -> None:
    args.out.mkdir(parents=True, exist_ok=True)
    engine, _ = _engine(args, create=True)
    upgrade_database(engine)
    ensure_pipeline_schema(engine)
    config = SimConfig(
        seed=3,
        n_notes=args.ratings // 30,
        n_raters=args.ratings // 15,
        n_ratings=args.ratings,
        days=20.0,
    )
    with tempfile.TemporaryDirectory() as tmp:
        notes, raters = bench._seed(engine, Path(tmp), config)
    (args.out / "notes.txt").write_text("\n".join(map(str, notes)))
    (args.out / "raters.txt").write_text("\n".join(raters))
    scoring = with_defences(ScoringConfig(topics=None))
    settings = WorkerConfig(consumer="bench", incremental=IncrementalConfig(diligence="frozen"))
    worker = Worker(engine, scoring, settings)
    worker.setup()
    for k, name in enumerate(("r1.bin", "r2.bin")):
        if k:
            # Ratings between the two refits (what the worker applies while a job runs).
            args.rate, args.seconds, args.writers = 1000.0, args.between / 1000.0, 8
            bench._drive_direct(engine, args, notes, raters)
        started = time.perf_counter()
        refit_id, _ = worker.compute_refit()
        with engine.connect() as conn:
            (args.out / name).write_bytes(load_refit_payload(conn, refit_id))
        print(f"{name}: refit {refit_id} in {time.perf_counter() - started:.0f} s")


def _store(engine: object, payload: bytes) -> float:
    """Store ``payload`` as the newest refit, as a refit job does; returns the commit time."""
    with Session(engine) as s, s.begin():  # type: ignore[call-overload]
        store_refit(
            s.connection(),
            created_at_ms=int(time.time() * 1000),
            snapshot_offset=0,
            payload=payload,
        )
    return time.perf_counter()


def run(args: argparse.Namespace) -> None:
    engine, url = _engine(args)
    notes, raters = _community(args)
    payloads = [args.out / "r1.bin", args.out / "r2.bin"]
    _store(engine, payloads[0].read_bytes())  # the worker starts on the first refit
    os.environ["PYTHONPATH"] = str(Path(args.worker_src).resolve() / "src")
    worker = bench._start_worker(url, 500, "frozen")
    stored: list[float] = []
    try:
        bench._await_worker(engine, 900)
        with engine.connect() as conn:
            first = int(conn.execute(select(func.max(pipeline_refits.c.id))).scalar_one())
        print(f"worker up on refit {first}")
        bench._write_one(engine, bench._rating(bench.random.Random(5), notes, raters))
        with engine.connect() as conn:
            last = int(conn.execute(select(func.coalesce(func.max(events.c.id), 0))).scalar_one())
        bench._wait_for(engine, last, 900)  # the first pass after the start
        poller = bench._OffsetPoller(engine)
        cpu0, wall0 = bench._cpu_seconds(worker.pid), time.perf_counter()

        def installs() -> None:
            for k, at in enumerate(args.installs):
                delay = wall0 + at - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                stored.append(_store(engine, payloads[(k + 1) % 2].read_bytes()))

        storing = threading.Thread(target=installs)
        storing.start()
        args.writers = 8
        committed, achieved = bench._drive_direct(engine, args, notes, raters)
        storing.join()
        committed.sort()
        bench._wait_for(engine, max(c[0] for c in committed), 900)
        cpu = bench._cpu_seconds(worker.pid) - cpu0
        time.sleep(0.05)
        poller.stop()
        lag = poller.lags_ms(committed)
        at = np.array([c[1] for c in committed])
        print(f"writes: {len(committed)} ratings at {achieved:.0f}/s (target {args.rate:.0f}/s)")
        print(
            f"lag, all ratings: p50 {np.percentile(lag, 50):.0f} ms, p99 "
            f"{np.percentile(lag, 99):.0f} ms, max {lag.max():.0f} ms"
        )
        for k, when in enumerate(stored):
            near = (at >= when) & (at < when + 30)
            if near.any():
                print(
                    f"install {k + 1} (stored at {when - wall0:.0f} s): the {int(near.sum())} "
                    f"ratings of the next 30 s: p50 {np.percentile(lag[near], 50):.0f} ms, p99 "
                    f"{np.percentile(lag[near], 99):.0f} ms, max {lag[near].max():.0f} ms"
                )
        load = os.getloadavg()
        print(
            f"worker CPU {cpu:.1f} s over {time.perf_counter() - wall0:.0f} s; load average "
            f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
        )
    finally:
        worker.terminate()
        worker.wait(timeout=120)
        engine.dispose()  # type: ignore[attr-defined]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("prepare", "run", "drop"))
    parser.add_argument("--schema", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "BRIDGEWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--between", type=int, default=3000, help="prepare: events between")
    parser.add_argument("--worker-src", default=".", help="run: the tree whose worker runs")
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=150.0)
    parser.add_argument(
        "--installs",
        type=lambda s: [float(x) for x in s.split(",")],
        default=[30.0, 70.0, 110.0],
        help="run: seconds into the stream at which a refit is stored",
    )
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args)
    elif args.command == "run":
        run(args)
    else:
        admin = create_engine(args.pg_url)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{args.schema}" CASCADE'))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
