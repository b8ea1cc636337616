"""The transparency page shows `bridgewatch analyze`'s report figures for the live community
(test client), and a browser sees them (Playwright with Debian's chromium)."""

from __future__ import annotations

import base64
import re
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from bridgewatch.analysis.embeddings import AnalysisConfig, PolarizationConfig, ScoreTables, analyze
from bridgewatch.analysis.embeddings.load import rating_matrix_from_frame
from bridgewatch.analysis.embeddings.report import report_figures
from bridgewatch.store.repositories.community import community_version, live_analysis_inputs
from bridgewatch.store.tables import contributor_scores
from bridgewatch.web.community_analysis import community_figures
from tests.web.test_browser import ARTIFACTS, live_server, page  # noqa: F401 (fixtures)

_FIGURE = re.compile(
    r'<figure class="analysis-figure" id="analysis-([a-z_]+)">.*?'
    r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"',
    re.S,
)


def test_transparency_shows_the_report_figures_of_the_live_community(
    client: TestClient, db_engine: Engine
) -> None:
    text = client.get("/transparency").text
    shown = dict(_FIGURE.findall(text))
    # The same figures, pixel for pixel, as the report of analyze run on the live scores.
    with Session(db_engine) as session:
        inputs = live_analysis_inputs(session)
    analysis = analyze(
        ScoreTables(inputs.scored_notes, inputs.helpfulness_scores),
        rating_matrix_from_frame(inputs.ratings),
        AnalysisConfig(corating_queries=0, polarization=PolarizationConfig(n_boot=50)),
    )
    expected = {f.key: f.png_base64 for f in report_figures(analysis)}
    assert {"factor_histograms", "intercept_factor_density", "helpful_share_bars", "note_map"} <= (
        set(expected)
    )
    assert shown == expected
    for png in shown.values():
        assert base64.b64decode(png).startswith(b"\x89PNG\r\n")
    raters = inputs.helpfulness_scores["coreRaterFactor1"].is_not_null().sum()
    assert f"live scores of {raters} raters and {inputs.ratings.height} ratings" in text


def test_the_figures_are_kept_until_the_scores_change(db_engine: Engine) -> None:
    with Session(db_engine) as session:
        first = community_figures(session)
        assert community_figures(session) is first
        before = community_version(session)
        # A refit that scored no rater (as on a fresh platform).
        session.execute(
            update(contributor_scores).values(
                scored_at_ms=contributor_scores.c.scored_at_ms + 1,
                core_rater_factor1=None,
            )
        )
        session.flush()
        assert community_version(session) != before
        again = community_figures(session)
    assert again is not first
    assert again.figures == () and again.missing == "No full scoring run yet."


def test_a_browser_sees_the_community_analysis(page: Any) -> None:  # noqa: F811
    # The first view after a refit runs the analysis (seconds; longer on a loaded machine).
    page.goto("/transparency", timeout=180_000)
    section = page.locator("#community-analysis")
    assert section.get_by_role("heading", name="Community analysis").is_visible()
    images = section.locator("figure.analysis-figure img")
    assert images.count() >= 4
    for img in images.all():
        img.scroll_into_view_if_needed()
        assert img.is_visible()
        # Decoded and laid out: a real image, no wider than the page.
        assert img.evaluate("i => i.complete && i.naturalWidth > 100")
        assert img.evaluate("i => i.getBoundingClientRect().right <= window.innerWidth")
    section.screenshot(path=str(ARTIFACTS / "transparency-community-analysis.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/transparency")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
