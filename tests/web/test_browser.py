"""Browser tests: headless Chromium (Debian's package) driven by Playwright against a live
server on a free 127.0.0.1 port with the real-time worker running beside it (as in
``bridgewatch demo``), with screenshots of each main page in test-artifacts/web/."""

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

from bridgewatch.cli.demo_seed import demo_scoring_config
from bridgewatch.pipeline.worker import Worker, WorkerConfig
from bridgewatch.service import Settings, create_app, make_engine
from bridgewatch.web import install_web
from bridgewatch.web.routes import LEVEL_LABELS, STATUS_LABELS
from tests.web.conftest import RATE_AT_MS, SIM, Clock, Seeded, worker_clock

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
            clock=Clock(RATE_AT_MS),
        )
    )
    stop = threading.Event()
    worker_engine = make_engine(str(db_engine.url))
    worker = Worker(
        worker_engine,
        demo_scoring_config(),
        WorkerConfig(seed=SIM.seed, poll_interval_s=0.1, refit_interval_s=86_400),
        clock=worker_clock(),
    )
    worker_thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    worker_thread.start()
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
    stop.set()
    thread.join(timeout=10)
    worker_thread.join(timeout=30)
    worker_engine.dispose()


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


def _login(page: Any, username: str = "demo") -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/timeline/needs-your-help")


_TAG_LABEL = {"HELPFUL": "Cites high-quality sources", "NOT_HELPFUL": "Incorrect information"}


def test_log_in_rate_a_note_and_see_its_status_change(page: Any, seeded_db: Seeded) -> None:
    _login(page)
    assert page.get_by_role("heading", name="Needs your help").is_visible()
    cards = page.locator("article.note")
    assert cards.count() > 0
    assert "Why you see this" in cards.first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "timeline-needs-your-help.png"), full_page=True)
    pivot = seeded_db.pivot
    page.goto(f"/posts/{pivot.post_id}#note-{pivot.note_id}")
    note = page.locator(f"#note-{pivot.note_id}")
    assert note.locator(".badge").inner_text() == STATUS_LABELS[pivot.before]
    note.locator("summary").click()
    # Tags appear only once an answer is chosen, and only the matching ones.
    assert not note.get_by_text("Cites high-quality sources").is_visible()
    note.get_by_label("Yes").check()
    assert note.get_by_label("Cites high-quality sources").is_visible()
    assert not note.get_by_label("Incorrect information").is_visible()
    note.get_by_label(LEVEL_LABELS[pivot.level], exact=True).check()
    note.get_by_label(_TAG_LABEL[pivot.level]).check()
    page.screenshot(path=str(ARTIFACTS / "post-rating-dialog.png"), full_page=True)
    note.get_by_role("button", name="Save rating").click()
    flash = page.get_by_role("status")
    flash.wait_for()
    # The real-time worker scores the rating; the page follows until it has.
    change = f"{STATUS_LABELS[pivot.before]} → {STATUS_LABELS[pivot.after]}"
    page.wait_for_function(
        "text => document.getElementById('flash').innerText.includes(text)", arg=change
    )
    assert page.locator(f"#note-{pivot.note_id} .badge").inner_text() == STATUS_LABELS[pivot.after]
    page.screenshot(path=str(ARTIFACTS / "post-after-rating.png"), full_page=True)
    # A fresh load shows the published status, decided by the Core model.
    page.goto(f"/notes/{pivot.note_id}")
    assert page.locator("#status").inner_text() == STATUS_LABELS[pivot.after]
    assert "CoreModel (v1.1)" in page.locator("#figures").inner_text()
    # What decided it is said in words; the scorer's name stays in the technical figures.
    assert "CoreModel" not in page.locator("#decided").inner_text()


def test_write_a_note_with_live_count(page: Any, seeded_db: Seeded) -> None:
    _login(page)
    page.goto(f"/posts/{seeded_db.post_id}/write")
    # No reason chosen: the form comes back with the error next to the reasons, in words.
    page.get_by_label("Your note").fill("The memo is from 2009 and about another city.")
    page.get_by_label("Source link").fill("https://archive.example.org/memo-2009")
    page.get_by_role("button", name="Publish note").click()
    page.wait_for_selector("#err-misleading_reasons")
    assert page.locator("#err-misleading_reasons").inner_text() == (
        "Choose at least one reason why the post is misleading."
    )
    assert "Value error" not in page.locator("main").inner_text()
    labels = page.locator("#misleading_reasons label").all_inner_texts()
    assert labels[-1].strip() == "Other reason"
    page.screenshot(path=str(ARTIFACTS / "write-note-error.png"), full_page=True)
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


def test_newcomer_sees_what_to_earn(page: Any, seeded_db: Seeded) -> None:
    _login(page, "newcomer")
    page.goto(f"/posts/{seeded_db.post_id}/write")
    assert "You cannot write notes yet" in page.locator("main").inner_text()
    page.screenshot(path=str(ARTIFACTS / "write-note-newcomer.png"), full_page=True)


def test_note_details_profile_and_transparency(page: Any, seeded_db: Seeded) -> None:
    page.goto("/timeline/new")
    page.screenshot(path=str(ARTIFACTS / "timeline-new.png"), full_page=True)
    page.locator("article.note").first.get_by_role("link", name="Details").click()
    page.wait_for_url("**/notes/*")
    assert page.get_by_role("heading", name="How it was decided").is_visible()
    assert page.locator("svg.chart circle").count() > 0
    page.screenshot(path=str(ARTIFACTS / "note-details.png"), full_page=True)
    page.goto("/transparency")
    assert page.locator(".chart-wide svg.chart").count() == 3
    assert all(svg.is_visible() for svg in page.locator(".chart-wide svg.chart").all())
    assert not page.locator(".chart-narrow svg.chart").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "transparency.png"), full_page=True)
    _login(page)
    page.goto("/me")
    assert page.get_by_role("heading", name="Rating impact").is_visible()
    page.screenshot(path=str(ARTIFACTS / "profile.png"), full_page=True)


def test_phone_sized_screen_and_keyboard(page: Any, seeded_db: Seeded) -> None:
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
    page.goto(f"/notes/{seeded_db.pivot.note_id}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "note-details-phone.png"), full_page=True)
    page.goto(f"/posts/{seeded_db.pivot.post_id}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "post-phone.png"), full_page=True)


def test_author_deletes_own_note_with_confirmation(page: Any, seeded_db: Seeded) -> None:
    _login(page)
    page.goto(f"/posts/{seeded_db.post_id}/write")
    page.get_by_label("It contains a factual error").check()
    page.get_by_label("Your note").fill("A note its author deletes again.")
    page.get_by_label("Source link").fill("https://archive.example.org/delete-me")
    page.get_by_role("button", name="Publish note").click()
    page.wait_for_url("**/notes/*")
    note_url = page.url.split("?")[0]
    page.get_by_role("link", name="Delete this note").click()
    page.wait_for_url("**/delete")
    assert page.get_by_role("heading", name="Delete your note?").is_visible()
    page.screenshot(path=str(ARTIFACTS / "delete-note-confirm.png"), full_page=True)
    # "No" keeps it.
    page.get_by_role("link", name="No, keep it").click()
    page.wait_for_url(note_url)
    page.get_by_role("link", name="Delete this note").click()
    page.get_by_role("button", name="Yes, delete this note").click()
    page.wait_for_url("**/contributors/*?deleted=*")
    assert "Your note was deleted." in page.get_by_role("status").inner_text()
    assert "A note its author deletes again." not in page.locator("main").inner_text()
    page.screenshot(path=str(ARTIFACTS / "delete-note-done.png"), full_page=True)
    page.goto(f"/posts/{seeded_db.post_id}")
    assert "A note its author deletes again." not in page.locator("main").inner_text()
    page.goto(note_url)
    assert page.locator("#deleted").is_visible()
    assert page.get_by_role("link", name="Delete this note").count() == 0


def test_viewpoint_chart_is_readable_390_px_wide(page: Any, seeded_db: Seeded) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/notes/{seeded_db.pivot.note_id}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    wide = page.locator(".chart-wide svg.chart")
    narrow = page.locator(".chart-narrow svg.chart")
    assert not wide.is_visible() and narrow.is_visible()
    box = narrow.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    # Rendered text sizes in CSS px: the chart's smallest label is at least 11 px tall on
    # screen (the wide drawing squeezed into 390 px gave about 7 px).
    smallest = page.evaluate(
        """() => Math.min(...Array.from(
            document.querySelectorAll('.chart-narrow svg.chart text'),
            t => t.getBoundingClientRect().height))"""
    )
    assert smallest >= 11, smallest
    # No two tick labels of the axis overlap on screen.
    overlaps = page.evaluate(
        """() => {
            const r = Array.from(document.querySelectorAll('.chart-narrow svg.chart text'),
                                 t => t.getBoundingClientRect());
            let n = 0;
            for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++) {
                const a = r[i], b = r[j];
                if (a.left < b.right - 1 && b.left < a.right - 1 &&
                    a.top < b.bottom - 1 && b.top < a.bottom - 1) n++;
            }
            return n;
        }"""
    )
    assert overlaps == 0
    # Every label lies inside the chart (none cut off at an edge).
    outside = page.evaluate(
        """() => {
            const svg = document.querySelector('.chart-narrow svg.chart')
                .getBoundingClientRect();
            return Array.from(document.querySelectorAll('.chart-narrow svg.chart text'))
                .filter(t => { const r = t.getBoundingClientRect();
                    return r.left < svg.left || r.right > svg.right; })
                .map(t => t.textContent);
        }"""
    )
    assert outside == []
    narrow.scroll_into_view_if_needed()
    narrow.screenshot(path=str(ARTIFACTS / "viewpoint-chart-390.png"))
    page.screenshot(path=str(ARTIFACTS / "note-details-390.png"), full_page=True)


def test_request_a_note_from_the_post_page(page: Any, seeded_db: Seeded) -> None:
    _login(page, "newcomer")
    page.goto(f"/posts/{seeded_db.post_id}")
    before = int(page.locator("#request-count").inner_text().split()[0])
    page.get_by_text("Request a note on this post").click()
    page.get_by_label("What context is missing?").fill("Which year is the memo from?")
    page.get_by_role("button", name="Request a note").click()
    page.wait_for_url("**?requested=1#requests")
    after = before + 1
    assert page.locator("#request-count").inner_text() == (
        f"{after} note request{'' if after == 1 else 's'}"
    )
    assert page.locator("#my-request").is_visible()
    page.screenshot(path=str(ARTIFACTS / "post-note-request.png"), full_page=True)
