from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bridgewatch.cli import main
from bridgewatch.service import make_engine
from bridgewatch.service.db import make_session_factory
from bridgewatch.service.tables import note_scores, notes
from bridgewatch.web.accounts import authenticate


def test_demo_no_serve_prepares_a_scored_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "demo"
    args = ["demo", "--no-serve", "--data-dir", str(data), "--notes", "30", "--raters", "40"]
    args += ["--ratings", "400", "--days", "14"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "logins (password 'demo-password'): 'demo'" in out
    assert "http://127.0.0.1:8000/" in out
    engine = make_engine(f"sqlite:///{data / 'bridgewatch.sqlite3'}")
    try:
        with make_session_factory(engine)() as s:
            n_notes = s.execute(select(func.count()).select_from(notes)).scalar_one()
            n_scored = s.execute(select(func.count()).select_from(note_scores)).scalar_one()
            assert n_notes == 30 and n_scored == n_notes
            assert authenticate(s, username="demo", password="demo-password") is not None
    finally:
        engine.dispose()
    # Running it again replaces the database rather than failing on the existing one.
    assert main(args) == 0
