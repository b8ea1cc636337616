"""`bridgewatch demo`: the prepared database, and the served demo end to end (a process
with the web app and the real-time worker, a login, a rating scored live, Ctrl-C)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bridgewatch.cli import main
from bridgewatch.cli.demo import _Progress
from bridgewatch.service import make_engine
from bridgewatch.store.db import make_session_factory
from bridgewatch.store.tables import (
    enrollment,
    events,
    note_scores,
    notes,
    pipeline_offsets,
    pipeline_refits,
    ratings,
)
from bridgewatch.usecases.accounts import authenticate
from bridgewatch.usecases.rules import WRITING_STATES

SIZES = ["--n-notes", "60", "--n-raters", "100", "--n-ratings", "1500", "--days", "14"]


def test_demo_no_serve_prepares_a_scored_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "demo"
    args = ["demo", "--no-serve", "--data-dir", str(data), *SIZES]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert (
        "[1/5] loading bridgewatch" in out
        and "[4/5] scoring: every scorer with the platform's defences at" in out
    )
    assert "log in as 'demo' / 'demo-password'" in out
    engine = make_engine(f"sqlite:///{data / 'bridgewatch.sqlite3'}")
    try:
        with make_session_factory(engine)() as s:
            n_notes = s.execute(select(func.count()).select_from(notes)).scalar_one()
            n_scored = s.execute(select(func.count()).select_from(note_scores)).scalar_one()
            assert n_notes == 60 and n_scored == n_notes
            assert s.execute(select(func.count()).select_from(pipeline_refits)).scalar_one() == 1
            # The worker starts at the scored snapshot: only the logins came after it.
            offset = s.execute(select(pipeline_offsets.c.last_event_id)).scalar_one()
            later = s.execute(select(events.c.event_type).where(events.c.id > offset)).scalars()
            assert offset > 0 and not [t for t in later if t.startswith(("rating", "note"))]
            pid = authenticate(s, username="demo", password="demo-password")
            assert pid is not None
            state = s.execute(
                select(enrollment.c.enrollmentState).where(enrollment.c.participantId == pid)
            ).scalar_one()
            assert state in {int(x) for x in WRITING_STATES}
    finally:
        engine.dispose()
    # Running it again replaces the database rather than failing on the existing one.
    assert main(args) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _unrated_note(db: Path, pid: str) -> int:
    engine = make_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    select(notes.c.noteId)
                    .where(
                        notes.c.noteAuthorParticipantId != pid,
                        notes.c.noteId.not_in(
                            select(ratings.c.noteId).where(ratings.c.raterParticipantId == pid)
                        ),
                    )
                    .order_by(notes.c.noteId)
                    .limit(1)
                ).scalar_one()
            )
    finally:
        engine.dispose()


def test_demo_serves_the_web_app_with_the_worker_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    data = tmp_path / "demo"
    command = [sys.executable, "-c", "from bridgewatch.cli import main; raise SystemExit(main())"]
    command += ["demo", "--data-dir", str(data)]
    command += ["--port", str(port), *SIZES]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "press Ctrl-C to stop" in line:
                break
        out = "".join(lines)
        assert f"bridgewatch demo is running at http://127.0.0.1:{port}/" in out, out
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            client.get("/login")
            token = client.cookies["bw_csrf"]
            r = client.post(
                "/login",
                data={"username": "demo", "password": "demo-password", "csrf_token": token},
            )
            assert r.status_code == 303 and "bw_session" in client.cookies
            me = client.get("/me")
            pid = me.headers["location"].rsplit("/", 1)[1]
            note_id = _unrated_note(data / "bridgewatch.sqlite3", pid)
            r = client.post(
                f"/notes/{note_id}/rate",
                data={"helpfulness_level": "HELPFUL", "csrf_token": token},
            )
            assert r.status_code == 303, r.text
            after = re.search(r"after=(\d+)", r.headers["location"])
            assert after is not None
            # The worker thread scores the rating within seconds.
            deadline = time.monotonic() + 60
            scored = False
            while time.monotonic() < deadline and not scored:
                live = client.get(f"/notes/{note_id}/live?after={after.group(1)}").json()
                scored = bool(live["scored"])
                time.sleep(0.2)
            assert scored
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out + rest
        assert "stopping" in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_progress_writes_whole_lines_when_not_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    progress = _Progress(2, interactive=False)
    progress("simulating")
    # Anything written while the step runs (a warning on a shared log) must not split a line.
    assert capsys.readouterr().out == ""
    progress("scoring")
    progress.finish("done")
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"\[1/2\] simulating \.\.\. \d+\.\d s", lines[0])
    assert re.fullmatch(r"\[2/2\] scoring \.\.\. done, \d+\.\d s", lines[1])


def test_progress_on_a_terminal_starts_the_line_with_the_step(
    capsys: pytest.CaptureFixture[str],
) -> None:
    progress = _Progress(1, interactive=True)
    progress("simulating")
    assert capsys.readouterr().out == "[1/1] simulating ..."
