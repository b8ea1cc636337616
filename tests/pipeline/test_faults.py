"""Faults: ``kill -9`` of the worker mid-batch, and a PostgreSQL restart while it works."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.orm import Session

from bridgewatch.pipeline.worker import REFIT_REQUESTED, STATUS_CHANGED, Worker, WorkerConfig
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.service import make_engine, upgrade_database
from bridgewatch.store.dump import import_dump
from bridgewatch.store.events import append_event
from bridgewatch.store.tables import (
    events,
    note_status_history,
    pipeline_offsets,
    pipeline_refits,
)
from tests.pipeline.conftest import Community
from tests.pipeline.test_worker import _write

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _database(path: Path, community: Community) -> None:
    engine = make_engine(f"sqlite:///{path}")
    upgrade_database(engine)
    import_dump(engine, community.dump, now_ms=1_700_000_000_000)
    _write(engine, community.later)
    engine.dispose()


def _worker(db: Path, *extra: str, log: IO[bytes] | None = None) -> subprocess.Popen[bytes]:
    """``bridgewatch worker`` on ``db``; its stderr piped, or written to ``log`` (a refit
    job it starts writes there too, and would block on a full pipe nobody reads)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from bridgewatch.cli import main; sys.exit(main(sys.argv[1:]))",
            "worker",
            "--database-url",
            f"sqlite:///{db}",
            "--batch-size",
            "150",
            "--poll-interval",
            "0.05",
            "--no-topics",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if log is None else log,
    )


def _offset(db: Path) -> int:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            value = conn.execute(select(func.max(pipeline_offsets.c.last_event_id))).scalar()
    except Exception:  # the table does not exist before the worker's setup
        value = None
    finally:
        engine.dispose()
    return int(value or 0)


def _outcome(db: Path) -> tuple[list[Any], list[Any]]:
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        log = conn.execute(
            select(events.c.id, events.c.event_type, events.c.entity_id, events.c.payload)
            .where(events.c.event_type != "pipeline.refit_requested")
            .order_by(events.c.id)
        ).all()
        nsh = conn.execute(select(note_status_history).order_by(note_status_history.c.noteId)).all()
    engine.dispose()
    return [tuple(r) for r in log], [tuple(r) for r in nsh]


def _until_idle(db: Path) -> None:
    done = _worker(db, "--until-idle")
    _, err = done.communicate(timeout=300)
    if done.stderr is not None:
        done.stderr.close()
    assert done.returncode == 0, err.decode()[-2000:]


def test_kill_9_mid_batch_loses_nothing_and_applies_nothing_twice(
    community: Community, tmp_path: Path
) -> None:
    crashed, clean = tmp_path / "crashed.sqlite3", tmp_path / "clean.sqlite3"
    _database(crashed, community)
    shutil.copy(crashed, clean)

    proc = _worker(crashed)
    try:
        deadline = time.monotonic() + 120
        while _offset(crashed) == 0 and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            time.sleep(0.02)
        first = _offset(crashed)
        assert first > 0
        # It has just committed a batch and is working on the next one: kill it there.
        time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
    total = _outcome(clean)[0][-1][0]
    assert _offset(crashed) < total  # the crash happened before the end
    for db in (crashed, clean):
        _until_idle(db)  # to the end of the log, the worker's own status events included
    log_crashed, nsh_crashed = _outcome(crashed)
    log_clean, nsh_clean = _outcome(clean)
    # The same events in the same order (no status change lost or published twice) and the
    # same status history as the run without the crash.
    assert log_crashed == log_clean
    assert nsh_crashed == nsh_clean
    assert _offset(crashed) == _offset(clean) == log_crashed[-1][0]


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _refit_ids(db: Path) -> list[int]:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return [int(i) for i in conn.execute(select(pipeline_refits.c.id)).scalars()]
    finally:
        engine.dispose()


def _alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


def test_kill_9_during_a_refit_job_keeps_its_refit_and_loses_nothing(
    community: Community, tmp_path: Path
) -> None:
    """The worker is killed while its refit runs in a child process: the orphaned job still
    stores its refit, the next worker installs it and applies every event once."""
    db, log = tmp_path / "db.sqlite3", tmp_path / "worker.log"
    _database(db, community)
    with log.open("ab") as stderr:
        proc = _worker(db, log=stderr)
    job = None
    try:
        deadline = time.monotonic() + 120
        while _offset(db) == 0 and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()[-2000:]
            time.sleep(0.02)
        assert _refit_ids(db) == [1]  # the first refit runs in the worker itself
        engine = make_engine(f"sqlite:///{db}")
        with Session(engine) as s, s.begin():
            append_event(
                s,
                now_ms=1,
                event_type=REFIT_REQUESTED,
                actor_participant_id=None,
                entity_id="test",
                payload={},
            )
        engine.dispose()
        deadline = time.monotonic() + 120
        while job is None and time.monotonic() < deadline:
            job = next(iter(_children(proc.pid)), None)
            time.sleep(0.02)
        assert job is not None, "no refit job started"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 300
        while _alive(job) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
    assert not _alive(job), log.read_text()[-2000:]
    assert _refit_ids(db) == [1, 2], log.read_text()[-2000:]  # stored after the worker died
    _until_idle(db)
    applied, _ = _outcome(db)
    published = [(r[2], r[3]) for r in applied if r[1] == STATUS_CHANGED]
    assert published and len(published) == len(set(published))  # none published twice
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        newest = int(conn.execute(select(func.max(events.c.id))).scalar_one())
    engine.dispose()
    assert _offset(db) == newest  # every event applied
    assert _refit_ids(db) == [1, 2]  # the next worker installed it instead of refitting


@pytest.fixture
def private_pg() -> Iterator[tuple[str, Path]]:
    """A throwaway PostgreSQL cluster on a free port (run as the postgres user if root)."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL server binaries not found in {PG_BIN}")
    as_user: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start a private cluster")
        as_user = ["runuser", "-u", "postgres", "--"]
    tmp = Path(tempfile.mkdtemp(prefix="bw-pg-"))
    os.chmod(tmp, 0o777)
    data = tmp / "data"
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    subprocess.run(
        [*as_user, str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ctl = [*as_user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-l", str(tmp / "log")]
    options = f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run([*ctl, "-o", options, "start"], check=True, stdout=subprocess.DEVNULL)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", tmp
    finally:
        subprocess.run([*ctl, "-m", "immediate", "stop"], check=False, stdout=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)


def test_worker_survives_a_postgresql_restart(
    private_pg: tuple[str, Path], community: Community
) -> None:
    url, tmp = private_pg
    engine: Engine = make_engine(url, pool_size=2)
    upgrade_database(engine)
    import_dump(engine, community.dump, now_ms=1_700_000_000_000)
    _write(engine, community.later)
    with engine.connect() as conn:
        last = int(conn.execute(select(func.max(events.c.id))).scalar_one())
    worker = Worker(engine, ScoringConfig(topics=None), WorkerConfig(batch_size=150))
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if worker.state is not None and worker.state.position > 0:
                break
            time.sleep(0.02)
        ctl = [
            *(["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []),
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(tmp / "data"),
            "-w",
            "-m",
            "fast",
            "restart",
        ]
        subprocess.run(ctl, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # It reconnects and goes on to the end of the log.
        offset = 0
        while time.monotonic() < deadline and offset < last:
            time.sleep(0.2)
            try:
                with engine.connect() as conn:
                    offset = int(
                        conn.execute(
                            select(func.max(pipeline_offsets.c.last_event_id))
                        ).scalar_one()
                    )
            except Exception:
                continue
        assert offset >= last
        with engine.connect() as conn:
            n = conn.execute(select(func.count()).select_from(note_status_history)).scalar_one()
            conn.execute(text("SELECT 1"))
        assert n == 300
    finally:
        stop.set()
        thread.join(timeout=60)
        engine.dispose()
    assert not thread.is_alive()
