from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from bridgewatch.asgi import app_from_environment
from bridgewatch.service import make_engine, upgrade_database

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient


def test_served_app_has_the_web_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    engine = make_engine(url)
    upgrade_database(engine)
    engine.dispose()
    monkeypatch.setenv("BRIDGEWATCH_DATABASE_URL", url)
    monkeypatch.setenv("BRIDGEWATCH_LOG_FORMAT", "text")
    app = app_from_environment()
    with TestClient(app) as client:
        page = client.get("/timeline/new")
        assert page.status_code == 200 and "No notes here yet." in page.text
        assert client.get("/static/style.css").status_code == 200
        assert client.get("/static/app.js").status_code == 200
        assert client.get("/healthz").status_code == 200
    app.state.engine.dispose()
