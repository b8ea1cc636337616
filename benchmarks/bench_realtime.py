"""Real-time pipeline: lag from a rating's commit to its note's rescored status, and the
worker's maximum throughput.

Seeds a simulated community into a fresh database (import of the public files), starts
`bridgewatch worker` as a separate process, lets it refit, then writes ratings (random
raters and values on random notes) at a sustained, open-loop rate, in one or both ways:

- ``direct``: from this process through the service's write function in its own
  transaction (``upsert_rating``: rating upsert + outbox event, as POST
  /api/v1/notes/{id}/ratings commits them), so the worker is measured at the target rate
  whatever the API sustains on the machine;
- ``api``: POST /api/v1/notes/{id}/ratings to `bridgewatch serve` (uvicorn, 2 processes) with
  session tokens of the community's raters, from an asyncio client in this process.

The lag of a rating is the time from its commit (direct) or from its HTTP response (api; the
response follows the commit) to the commit of the worker transaction that rescored its note
(the consumer offset passing its event id; the offset is polled every 2 ms). The worker's CPU
time (user + system, from /proc) over the run gives its CPU per event. Then it stops the
worker, writes a backlog and times a fresh worker draining it: the worker's maximum
throughput in events/s.

    python benchmarks/bench_realtime.py --backend postgresql \
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    python benchmarks/bench_realtime.py --backend sqlite --drive direct

``--pass-cpu N`` measures instead the CPU time of the worker's in-memory pass (apply a batch
of rating events, rescore, diff the history, build the trace rows) on a simulated community
of N ratings, without a database.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import random
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.orm import Session

from bridgewatch._allocator import release_free_heap
from bridgewatch.io import read_ratings
from bridgewatch.sim import SimConfig, simulate, write_community
from bridgewatch.store.db import make_engine
from bridgewatch.store.dump import import_dump
from bridgewatch.store.event_types import REFIT_REQUESTED
from bridgewatch.store.events import append_event
from bridgewatch.store.migrate import ensure_pipeline_schema, upgrade_database
from bridgewatch.store.repositories.auth import create_session_token
from bridgewatch.store.repositories.ratings import upsert_rating
from bridgewatch.store.tables import events, pipeline_offsets, ratings

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


# Every ratings column (upsert_rating takes them all); unset ones are empty.
_EMPTY_RATING: dict[str, object] = {
    c.name: None for c in ratings.columns if c.name != "createdAtMillis"
}


class RatingEvents:
    """Random rating events on a community, as the worker reads them from the event log:
    ``events(size)`` gives the next ``size`` (ids and timestamps counting up from
    ``newest``; the same sequence on every run, seed 1)."""

    def __init__(self, note_ids: list[str], rater_ids: list[str], newest: int) -> None:
        self.note_ids, self.rater_ids, self.newest = note_ids, rater_ids, newest
        self.rng = random.Random(1)
        self.event_id = 0

    @property
    def now(self) -> int:
        """The timestamp of the last event given, ms."""
        return self.newest + self.event_id

    def __call__(self, size: int) -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        for _ in range(size):
            self.event_id += 1
            values = _rating(self.rng, [0], self.rater_ids)
            at = self.newest + self.event_id
            values |= {"noteId": self.rng.choice(self.note_ids), "createdAtMillis": at}
            out.append(
                {
                    "id": self.event_id,
                    "event_type": "rating.created",
                    "created_at_ms": at,
                    "payload": values,
                }
            )
        return out


def _rating(rng: random.Random, notes: list[int], raters: list[str]) -> dict[str, object]:
    level = rng.choice(_LEVELS)
    return {
        **_EMPTY_RATING,
        "noteId": rng.choice(notes),
        "raterParticipantId": rng.choice(raters),
        "version": 2,
        "helpfulnessLevel": level,
        "helpful": int(level == "HELPFUL"),
        "notHelpful": int(level == "NOT_HELPFUL"),
        "ratingSourceBucketed": "DEFAULT",
    }


def _write_one(engine: Engine, values: dict[str, object]) -> float:
    """One rating in its own transaction, as the API commits it; returns the commit time."""
    with Session(engine) as s, s.begin():
        upsert_rating(s, now_ms=int(time.time() * 1000), values=values)
    return time.perf_counter()


def _plan(
    args: argparse.Namespace, notes: list[int], raters: list[str]
) -> list[tuple[float, int, str, str]]:
    """(start offset s, note, rater, level) of each write: pairs nobody rates twice in the
    run, so each write's event is its pair's newest."""
    rng = random.Random(7)
    n = int(args.rate * args.seconds)
    pairs: set[tuple[int, str]] = set()
    while len(pairs) < n:
        pairs.add((rng.choice(notes), rng.choice(raters)))
    chosen = sorted(pairs)
    rng.shuffle(chosen)
    return [
        (i / args.rate, note, rater, rng.choice(_LEVELS)) for i, (note, rater) in enumerate(chosen)
    ]


def _event_ids(engine: Engine, done: list[tuple[int, str, float]]) -> list[tuple[int, float]]:
    """(event id, commit time) of each (note, rater, commit time) written in the run."""
    entities = [f"{note}:{rater}" for note, rater, _ in done]
    ids: dict[str, int] = {}
    with engine.connect() as conn:
        for i in range(0, len(entities), 1000):
            rows = conn.execute(
                select(events.c.entity_id, func.max(events.c.id))
                .where(events.c.entity_id.in_(entities[i : i + 1000]))
                .group_by(events.c.entity_id)
            ).all()
            ids.update({str(e): int(m) for e, m in rows})
    return [(ids[f"{note}:{rater}"], at) for note, rater, at in done]


def _offset(engine: Engine) -> int:
    with engine.connect() as conn:
        value = conn.execute(
            select(pipeline_offsets.c.last_event_id).where(pipeline_offsets.c.consumer == "bench")
        ).scalar()
    return int(value or 0)


def _start_worker(
    url: str,
    batch_size: int,
    diligence: str,
    defences: bool = True,
    foreground_refit: bool = False,
) -> subprocess.Popen[bytes]:
    # BENCH_WORKER_LOG=path: the worker's debug log (one line per micro-batch) goes there.
    # BENCH_REFRESH_ROWS=N: the worker's --refresh-rows (stale note rows rewritten per pass).
    log_path = os.environ.get("BENCH_WORKER_LOG")
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from bridgewatch.cli import main; sys.exit(main(sys.argv[1:]))",
            *(["-v", "-v"] if log_path else []),
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
            "--defences" if defences else "--no-defences",
            *(["--foreground-refit"] if foreground_refit else []),
            *(
                ["--refresh-rows", os.environ["BENCH_REFRESH_ROWS"]]
                if "BENCH_REFRESH_ROWS" in os.environ
                else []
            ),
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(log_path, "a") if log_path else None,
    )


def _await_worker(engine: Engine, timeout_s: float) -> None:
    """Wait until a worker just started is up (its refit or the stored one, the warm-up): a
    marker event that the offset passes only then, even when an earlier run's worker left
    the offset at the end of the log."""
    with Session(engine) as s, s.begin():
        append_event(
            s,
            now_ms=int(time.time() * 1000),
            event_type="bench.ready",
            actor_participant_id=None,
            entity_id="bench",
            payload={},
        )
    with engine.connect() as conn:
        last = int(conn.execute(select(func.coalesce(func.max(events.c.id), 0))).scalar_one())
    _wait_for(engine, last, timeout_s)


def _wait_for(engine: Engine, target: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while _offset(engine) < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"worker did not reach event {target}")
        time.sleep(0.05)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children (Linux /proc), s."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if pid in (int(stat.parent.name), int(fields[1])):
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


class _OffsetPoller:
    """Records when the worker's offset was first seen at or past each value.

    (Until session 12 it kept the *last* sighting of each offset value, i.e. about when the
    next micro-batch committed: lags were inflated by one micro-batch cycle;
    ``lags_ms(..., last=True)`` gives that figure for comparison with older results.)
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.seen: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            offset, at = _offset(self.engine), time.perf_counter()
            self.seen.setdefault(offset, at)
            self.last[offset] = at
            time.sleep(0.002)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def lags_ms(self, committed: list[tuple[int, float]], *, last: bool = False) -> np.ndarray:
        sightings = self.last if last else self.seen
        offsets = np.array(sorted(sightings))
        times = np.array([sightings[o] for o in offsets])
        # First time the offset was seen at or past each event id (offsets only grow).
        first_seen = np.minimum.accumulate(times[::-1])[::-1]
        ids = np.array([c[0] for c in committed])
        at = np.array([c[1] for c in committed])
        pos = np.searchsorted(offsets, ids)
        out: np.ndarray = (first_seen[pos] - at) * 1000
        return out


def _drive_direct(
    engine: Engine, args: argparse.Namespace, notes: list[int], raters: list[str]
) -> tuple[list[tuple[int, float]], float]:
    plan = _plan(args, notes, raters)
    done: list[tuple[int, str, float]] = []
    lock = threading.Lock()
    start = time.perf_counter()

    def writer(k: int) -> None:
        local = random.Random(k)
        for at, note, rater, level in plan[k :: args.writers]:
            delay = start + at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            values = {**_rating(local, notes, raters), "noteId": note}
            values |= {"raterParticipantId": rater, "helpfulnessLevel": level}
            values |= {
                "helpful": int(level == "HELPFUL"),
                "notHelpful": int(level == "NOT_HELPFUL"),
            }
            committed_at = _write_one(engine, values)
            with lock:
                done.append((note, rater, committed_at))

    writers = [threading.Thread(target=writer, args=(k,)) for k in range(args.writers)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    achieved = len(plan) / (time.perf_counter() - start)
    return _event_ids(engine, done), achieved


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_api(url: str) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = os.environ | {
        "BRIDGEWATCH_DATABASE_URL": url,
        "BRIDGEWATCH_RATINGS_PER_MINUTE": "1000000",
        "BRIDGEWATCH_LOG_LEVEL": "30",
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
            "2",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server, port
        except OSError:
            if time.time() > deadline or server.poll() is not None:
                raise SystemExit("the API server did not start") from None
            time.sleep(0.2)


async def _post_ratings(
    port: int,
    plan: list[tuple[float, int, str, str]],
    tokens: dict[str, str],
    connections: int,
) -> list[tuple[int, str, float, int]]:
    """Send ``plan`` (start offset s, note, rater, level) open-loop over keep-alive
    connections; returns (note, rater, response time, status) per request."""
    out: list[tuple[int, str, float, int]] = []
    t0 = time.perf_counter()

    async def client(k: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for at, note, rater, level in plan[k::connections]:
                delay = t0 + at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                body = json.dumps({"helpfulnessLevel": level}).encode()
                writer.write(
                    (
                        f"POST /api/v1/notes/{note}/ratings HTTP/1.1\r\n"
                        f"Host: 127.0.0.1\r\nAuthorization: Bearer {tokens[rater]}\r\n"
                        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                    ).encode()
                    + body
                )
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                out.append((note, rater, time.perf_counter(), status))
        finally:
            writer.close()

    await asyncio.gather(*[client(k) for k in range(connections)])
    return out


def _drive_api(
    engine: Engine,
    url: str,
    args: argparse.Namespace,
    notes: list[int],
    raters: list[str],
) -> tuple[list[tuple[int, float]], float, Counter[int]]:
    """Write the plan through the HTTP API; returns (event id, commit time) of each accepted
    write, the rate reached and the count of each refusal's status code (a planned pair can
    be the rater's own note: 403)."""
    with_tokens = raters[: args.api_raters]
    plan = _plan(args, notes, with_tokens)
    now = int(time.time() * 1000)
    with Session(engine) as s, s.begin():
        tokens = {
            r: create_session_token(s, participant_id=r, now_ms=now, ttl_s=86_400)[0]
            for r in with_tokens
        }
    with engine.connect() as conn:
        last = int(conn.execute(select(func.coalesce(func.max(events.c.id), 0))).scalar_one())
    _wait_for(engine, last, 600)  # the worker is past the logins' events
    start = time.perf_counter()
    answers = asyncio.run(_post_ratings(args.port, plan, tokens, args.connections))
    achieved = len(plan) / (time.perf_counter() - start)
    ok = [(note, rater, at) for note, rater, at, status in answers if 200 <= status < 300]
    refused = Counter(status for *_, status in answers if not 200 <= status < 300)
    return _event_ids(engine, ok), achieved, refused


def _refusals(failed: Counter[int]) -> str:
    """ ", 4 refused (403: 4)" or "" when every write was accepted."""
    if not failed:
        return ""
    codes = ", ".join(f"{code}: {n}" for code, n in sorted(failed.items()))
    return f", {sum(failed.values())} refused ({codes})"


def _lag_run(
    engine: Engine,
    url: str,
    args: argparse.Namespace,
    notes: list[int],
    raters: list[str],
    drive: str,
) -> None:
    server = None
    if drive == "api":
        server, args.port = _start_api(url)
        time.sleep(1.0)
    worker = _start_worker(
        url, args.batch_size, args.diligence, args.defences, args.refit_mode == "foreground"
    )
    try:
        _await_worker(engine, 600)
        if args.settle:
            # One rating first: the first pass after a refit publishes the refit's results
            # (every note whose row it changed), which is the swap's cost, not the lag's.
            _write_one(engine, {**_rating(random.Random(5), notes, raters)})
            with engine.connect() as conn:
                last = int(
                    conn.execute(select(func.coalesce(func.max(events.c.id), 0))).scalar_one()
                )
            settle = time.perf_counter()
            _wait_for(engine, last, 900)
            print(
                f"[{drive}] first pass after the refit: {time.perf_counter() - settle:.1f} s wall"
            )
        poller = _OffsetPoller(engine)
        cpu0, wall0 = _cpu_seconds(worker.pid), time.perf_counter()
        failed: Counter[int] = Counter()
        request = None
        if args.refit_at is not None:
            # An hourly refit in the middle of the stream (requested through the log, as
            # `worker --refit-now` does): how long the worker stops serving during it.
            request = threading.Timer(args.refit_at, _request_refit, args=(engine,))
            request.start()
        if drive == "direct":
            committed, achieved = _drive_direct(engine, args, notes, raters)
        else:
            committed, achieved, failed = _drive_api(engine, url, args, notes, raters)
        if request is not None:
            request.join()
        committed.sort()
        _wait_for(engine, max(c[0] for c in committed), 900)
        cpu = _cpu_seconds(worker.pid) - cpu0
        wall = time.perf_counter() - wall0
        time.sleep(0.05)
        poller.stop()
        lag = poller.lags_ms(committed)
        old = poller.lags_ms(committed, last=True)
        dump = os.environ.get("BENCH_LAG_DUMP")  # path: event id, commit time, lag per rating
        if dump:
            np.savetxt(
                f"{dump}.{drive}.txt",
                [(c[0], c[1], x) for c, x in zip(committed, lag, strict=True)],
            )
        load = os.getloadavg()
        print(
            f"[{drive}] writes: {len(committed)} ratings at {achieved:.0f}/s "
            f"(target {args.rate:.0f}/s{_refusals(failed)})"
        )
        print(
            f"[{drive}] lag commit -> rescored status: p50 {np.percentile(lag, 50):.0f} ms, "
            f"p99 {np.percentile(lag, 99):.0f} ms, max {lag.max():.0f} ms"
        )
        print(
            f"[{drive}] (as measured before session 12, last sighting of the offset: "
            f"p50 {np.percentile(old, 50):.0f} ms, p99 {np.percentile(old, 99):.0f} ms)"
        )
        if args.refit_at is not None:
            at = np.array([c[1] for c in committed]) - wall0
            after = at >= args.refit_at
            print(
                f"[{drive}] refit requested at {args.refit_at:.0f} s ({args.refit_mode}): lag "
                f"of the {int(after.sum())} ratings after the request p50 "
                f"{np.percentile(lag[after], 50):.0f} ms, p99 "
                f"{np.percentile(lag[after], 99):.0f} ms, max {lag[after].max():.0f} ms; "
                f"ratings over 1 s: {int((lag > 1000).sum())} of {lag.shape[0]}"
            )
        print(
            f"[{drive}] worker CPU {cpu:.1f} s over {wall:.1f} s wall "
            f"({cpu * 1000 / len(committed):.2f} ms per rating event); "
            f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
        )
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        if server is not None:
            server.terminate()
            server.wait(timeout=60)


def _request_refit(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        append_event(
            s,
            now_ms=int(time.time() * 1000),
            event_type=REFIT_REQUESTED,
            actor_participant_id=None,
            entity_id="bench",
            payload={"source": "bench"},
        )


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
    worker = _start_worker(url, args.backlog_batch_size, args.diligence, args.defences)
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


def _pass_cpu(args: argparse.Namespace) -> None:
    from bridgewatch.io import read_ratings as read
    from bridgewatch.pipeline.state import Frames, LiveState
    from bridgewatch.scoring.config import ScoringConfig
    from bridgewatch.scoring.defences import with_defences
    from bridgewatch.scoring.history import StatusHistory
    from bridgewatch.scoring.incremental import IncrementalConfig, WatchConfig
    from bridgewatch.scoring.scorers.roster import core_scorer

    n = args.pass_cpu
    scoring = ScoringConfig(topics=None)
    if args.defences:
        scoring = with_defences(scoring)
    with tempfile.TemporaryDirectory() as tmp_dir:
        config = SimConfig(seed=3, n_notes=n // 30, n_raters=n // 15, n_ratings=n, days=20.0)
        files = write_community(simulate(config), Path(tmp_dir) / "c")
        text_frame = read(files.ratings[0])
        text_frame = text_frame.with_columns(
            pl.col(c).cast(pl.String)
            for c, t in text_frame.schema.items()
            if isinstance(t, pl.Enum)
        )
        notes = pl.read_csv(files.notes, separator="\t", infer_schema_length=0)
        enrollment = pl.read_csv(files.user_enrollment, separator="\t", infer_schema_length=0)
        nsh = pl.read_csv(files.note_status_history, separator="\t", infer_schema_length=0)
    from bridgewatch.io import schemas

    def typed(frame: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
        return frame.select(
            (pl.col(k) if k in frame.columns else pl.lit(None)).cast(t).alias(k)
            for k, t in schema.items()
        )

    state = LiveState(
        frames=Frames(
            notes=typed(notes, schemas.NOTES.polars_schema),
            ratings=typed(text_frame, schemas.RATINGS.polars_schema),
            enrollment=typed(enrollment, schemas.USER_ENROLLMENT.polars_schema),
            history=StatusHistory.from_frame(typed(nsh, schemas.NOTE_STATUS_HISTORY.polars_schema)),
        ),
        position=0,
        config=scoring,
        incremental=IncrementalConfig(diligence=args.diligence),
        scorers=(core_scorer(scoring),) if args.core_only else None,
        defences=args.defences,
        watch=WatchConfig() if args.defences else None,
    )
    start = time.perf_counter()
    cpu = time.process_time()
    state.refit()
    print(
        f"refit: {time.perf_counter() - start:.1f} s wall, {time.process_time() - cpu:.1f} s CPU "
        f"(peak RSS so far {_peak_rss_mib():.0f} MiB)"
    )
    note_ids = [str(x) for x in notes["noteId"].to_list()]
    rater_ids = sorted(set(text_frame["raterParticipantId"].to_list()))
    newest = int(text_frame["createdAtMillis"].max())  # type: ignore[arg-type]
    # The input frames are in the state's store now; the refit's temporaries are garbage:
    # give their memory back before the passes (a 1M run must stay under ~2.5 GiB).
    del text_frame, notes, enrollment, nsh
    state.refit_rows = None  # (the worker writes them and lets them go before its warm pass)
    gc.collect()
    release_free_heap()
    print(f"after the refit: RSS {_rss_mib():.0f} MiB")
    batch = RatingEvents(note_ids, rater_ids, newest)

    # As the worker does after a refit: a warm pass, then the first pass, which publishes
    # the refit (every note whose status-history row the refit changed).
    start = time.process_time()
    state.warm_up()
    warm = time.process_time() - start
    gc.collect()
    release_free_heap()  # (the warm pass's rows, thrown away)
    print(f"after the warm pass: RSS {_rss_mib():.0f} MiB, peak {_peak_rss_mib():.0f} MiB")
    start = time.process_time()
    state.apply_events(batch(1))
    first = state.rescore(batch.now)
    views = sum(len(row["scorer_views"] or "") for row in first.scores)
    print(
        f"after the refit: warm pass {warm * 1000:.0f} ms CPU, first pass "
        f"{(time.process_time() - start) * 1000:.0f} ms CPU ({len(first.history_rows)} status-"
        f"history rows, {len(first.scores)} note_scores rows with {views / 2**20:.0f} MiB of "
        f"scorer views; peak RSS so far {_peak_rss_mib():.0f} MiB)"
    )
    del first  # (its rows, ~150 MiB at 1M, are not needed: the timed passes need the room)
    gc.collect()
    release_free_heap()
    state.apply_events(batch(args.batch_size))  # untimed: JIT compilation, caches
    state.rescore(batch.now)
    times = []
    profiler = None
    if args.profile:
        import cProfile

        # CPU time, not wall: the machine is shared, and a loaded one inflates wall times.
        profiler = cProfile.Profile(time.process_time)
    for _ in range(args.passes):
        events_batch = batch(args.batch_size)
        start = time.process_time()
        if profiler is not None:
            profiler.enable()
        state.apply_events(events_batch)
        state.rescore(batch.now)
        if profiler is not None:
            profiler.disable()
        times.append(time.process_time() - start)
    if profiler is not None:
        profiler.dump_stats(args.profile)
    if args.second_refit:
        # An hourly refit of a running worker: the first pass after it publishes only the
        # rows the refit changed (the first refit after an import changes them all).
        start = time.process_time()
        state.refit()
        state.warm_up()
        refit_cpu = time.process_time() - start
        start = time.process_time()
        state.apply_events(batch(1))
        again = state.rescore(batch.now)
        print(
            f"second refit + warm pass {refit_cpu:.1f} s CPU; first pass after it "
            f"{(time.process_time() - start) * 1000:.0f} ms CPU ({len(again.history_rows)} "
            f"status-history rows, {len(again.scores)} note_scores rows)"
        )
    ms = np.array(times) * 1000
    print(
        f"worker pass CPU, {n} ratings, {n // 30} notes, {args.batch_size} rating events per "
        f"pass, diligence {args.diligence}, "
        f"{'Core only' if args.core_only else 'whole roster'}, "
        f"defences {'on' if args.defences else 'off'}: median {np.median(ms):.0f} ms, "
        f"min {ms.min():.0f} ms over {args.passes} passes "
        f"({np.median(ms) / args.batch_size:.3f} ms per event); peak RSS {_peak_rss_mib():.0f} MiB"
    )


def _peak_rss_mib() -> float:
    """This process's peak resident set size so far, MiB (Linux: ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mib() -> float:
    """This process's resident set size now, MiB (Linux; NaN elsewhere)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


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
    parser.add_argument(
        "--rates",
        type=lambda text: [float(x) for x in text.split(",")],
        help="several rates, one lag run each on the same community (overrides --rate)",
    )
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--diligence", choices=("full", "frozen"), default="full")
    parser.add_argument("--writers", type=int, default=8, help="direct: writer threads")
    parser.add_argument(
        "--drive",
        choices=("direct", "api", "both"),
        default="both",
        help="write through the service's write function, the HTTP API, or both",
    )
    parser.add_argument("--connections", type=int, default=32, help="api: HTTP connections")
    parser.add_argument("--api-raters", type=int, default=1000, help="api: raters with tokens")
    parser.add_argument("--backlog", type=int, default=20_000, help="0: no throughput run")
    parser.add_argument(
        "--settle",
        action="store_true",
        help="one rating before the lag run, so the first pass after the refit (which "
        "publishes the refit) is timed on its own, not as lag",
    )
    parser.add_argument(
        "--refit-at",
        type=float,
        default=None,
        help="request a full refit this many seconds into each lag run (make --seconds "
        "long enough for it to end) and print the lag after the request",
    )
    parser.add_argument(
        "--refit-mode",
        choices=("background", "foreground"),
        default="background",
        help="the worker's refits: in a child process while it serves (its default) or in "
        "the worker itself (`worker --foreground-refit`)",
    )
    parser.add_argument("--backlog-batch-size", type=int, default=2000)
    parser.add_argument("--notes", type=int, default=1000)
    parser.add_argument("--raters", type=int, default=2000)
    parser.add_argument("--ratings", type=int, default=30_000)
    parser.add_argument(
        "--pass-cpu", type=int, metavar="N", help="time in-memory passes on N ratings instead"
    )
    parser.add_argument("--passes", type=int, default=20, help="--pass-cpu: passes to time")
    parser.add_argument(
        "--profile", metavar="PATH", help="--pass-cpu: write cProfile stats of the timed passes"
    )
    parser.add_argument(
        "--defences",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the platform's manipulation defences (default on)",
    )
    parser.add_argument(
        "--core-only", action="store_true", help="--pass-cpu: Core alone (the old worker)"
    )
    parser.add_argument(
        "--second-refit",
        action="store_true",
        help="--pass-cpu: then refit again and time the first pass after it",
    )
    args = parser.parse_args()
    if args.pass_cpu:
        _pass_cpu(args)
        return 0
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    print(
        f"worker: batch size {args.batch_size}, diligence {args.diligence}, whole roster, "
        f"defences {'on' if args.defences else 'off'}"
    )
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
            drives = ("direct", "api") if args.drive == "both" else (args.drive,)
            for rate in args.rates or [args.rate]:
                args.rate = rate
                for drive in drives:
                    _lag_run(engine, url, args, notes, raters, drive)
            if args.backlog:
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
