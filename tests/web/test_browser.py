"""Browser tests: headless Chromium (Debian's package) driven by Playwright against a live
server on a free 127.0.0.1 port, with screenshots of each main page in test-artifacts/web/."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bridgewatch.service import Settings, create_app
from bridgewatch.web import install_web
from tests.web.conftest import NOW_MS, Clock, Seeded

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(db_engine: Engine, tmp_path: Path) -> Iterator[str]:
    import uvicorn

    app = install_web(
        create_app(
            Settings(data_dir=tmp_path, ratings_per_minute=1000),
            engine=db_engine,
            clock=Clock(NOW_MS + 3_600_000),
        )
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="none"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(live_server: str) -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(base_url=live_server, viewport={"width": 1100, "height": 900})
        pg = context.new_page()
        pg.set_default_timeout(20_000)
        yield pg
        context.close()
        browser.close()


def _login(page: Any) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/timeline/needs-your-help")


def test_log_in_rate_a_note_and_see_its_status_change(page: Any, seeded_db: Seeded) -> None:
    _login(page)
    assert page.get_by_role("heading", name="Needs your help").is_visible()
    page.screenshot(path=str(ARTIFACTS / "timeline-needs-your-help.png"), full_page=True)
    note_id = seeded_db.result.pivot_note_ids[0]
    card = page.locator(f"#note-{note_id}")
    assert "Why you see this" in card.inner_text()
    card.get_by_role("link", name="Rate it").click()
    note = page.locator(f"#note-{note_id}")
    note.locator("summary").click()
    # Tags appear only once an answer is chosen, and only the matching ones.
    assert not note.get_by_text("Cites high-quality sources").is_visible()
    note.get_by_label("Yes").check()
    assert note.get_by_label("Cites high-quality sources").is_visible()
    assert not note.get_by_label("Incorrect information").is_visible()
    note.get_by_label("Cites high-quality sources").check()
    page.screenshot(path=str(ARTIFACTS / "post-rating-dialog.png"), full_page=True)
    note.get_by_role("button", name="Save rating").click()
    flash = page.get_by_role("status")
    flash.wait_for()
    assert "Needs more ratings → Helpful" in " ".join(flash.inner_text().split())
    assert page.locator(f"#note-{note_id} .badge").inner_text() == "Helpful"
    page.screenshot(path=str(ARTIFACTS / "post-after-rating.png"), full_page=True)


def test_write_a_note_with_live_count(page: Any) -> None:
    _login(page)
    page.goto("/posts/post-002/write")
    page.get_by_label("It contains a factual error").check()
    page.get_by_label("Your note").fill("The memo is from 2009 and about another city.")
    assert page.locator("#count").inner_text() == "235 characters left"
    page.get_by_label("Your note").fill("x" * 300)
    assert page.locator("#count").inner_text() == "20 characters too many"
    page.get_by_label("Your note").fill("The memo is from 2009 and about another city.")
    page.get_by_label("Source link").fill("https://archive.example.org/memo-2009")
    page.screenshot(path=str(ARTIFACTS / "write-note.png"), full_page=True)
    page.get_by_role("button", name="Publish note").click()
    page.wait_for_url("**/notes/*")
    assert "Your note was published" in page.get_by_role("status").inner_text()
    assert "archive.example.org/memo-2009" in page.locator(".summary").inner_text()


def test_note_details_profile_and_transparency(page: Any, seeded_db: Seeded) -> None:
    page.goto("/timeline/new")
    page.screenshot(path=str(ARTIFACTS / "timeline-new.png"), full_page=True)
    page.locator("article.note").first.get_by_role("link", name="Details").click()
    page.wait_for_url("**/notes/*")
    assert page.get_by_role("heading", name="How it was decided").is_visible()
    assert page.locator("svg.chart circle").count() > 0
    page.screenshot(path=str(ARTIFACTS / "note-details.png"), full_page=True)
    page.goto("/transparency")
    assert page.locator("svg.chart").count() == 3
    page.screenshot(path=str(ARTIFACTS / "transparency.png"), full_page=True)
    _login(page)
    page.goto("/me")
    assert page.get_by_role("heading", name="Rating impact").is_visible()
    page.screenshot(path=str(ARTIFACTS / "profile.png"), full_page=True)


def test_phone_sized_screen_and_keyboard(page: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/timeline/new")
    # No horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The first Tab reaches the skip link, which moves focus to the main content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.screenshot(path=str(ARTIFACTS / "timeline-new-phone.png"), full_page=True)
    page.goto("/transparency")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "transparency-phone.png"), full_page=True)
