from __future__ import annotations

import html
import re
import warnings
from dataclasses import replace

import pytest
from sqlalchemy import Engine

from bridgewatch.cli.demo_seed import demo_scoring_config
from bridgewatch.pipeline.worker import Worker, WorkerConfig
from bridgewatch.store.rows import PostRow
from bridgewatch.web.routes import STATUS_LABELS, post_title
from tests.web.conftest import SIM, Seeded, rating_body, sqlite_rows, worker_clock

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient


def _csrf(client: TestClient) -> str:
    if "bw_csrf" not in client.cookies:
        client.get("/login")
    return str(client.cookies["bw_csrf"])


def _login(client: TestClient, username: str = "demo") -> None:
    r = client.post(
        "/login",
        data={
            "username": username,
            "password": "demo-password",
            "csrf_token": _csrf(client),
            "next": "/me",
        },
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/me"
    assert "bw_session" in client.cookies


@pytest.mark.parametrize(
    "path",
    [
        "/timeline/new",
        "/timeline/needs-your-help",
        "/timeline/rated-helpful",
        "/timeline/rated-not-helpful",
        "/transparency",
        "/login",
        "/signup",
        "/posts/{post}",
    ],
)
def test_public_pages_render(client: TestClient, seeded_db: Seeded, path: str) -> None:
    r = client.get(path.format(post=seeded_db.post_id))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert '<main id="main"' in r.text and 'name="viewport"' in r.text


def test_home_redirects_by_login_state(client: TestClient) -> None:
    assert client.get("/").headers["location"] == "/timeline/new"
    _login(client)
    assert client.get("/").headers["location"] == "/timeline/needs-your-help"


def test_unknown_things_are_404_pages(client: TestClient) -> None:
    for path in ("/timeline/nope", "/posts/nope", "/notes/1", "/contributors/nobody"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert 'role="alert"' in r.text
    r = client.get("/notes/1/live?after=0")
    assert r.status_code == 404 and r.json() == {"detail": "note 1 does not exist"}


def test_forms_refuse_a_missing_or_wrong_csrf_token(client: TestClient) -> None:
    _csrf(client)
    r = client.post("/login", data={"username": "demo", "password": "demo-password"})
    assert r.status_code == 403
    r = client.post(
        "/login", data={"username": "demo", "password": "demo-password", "csrf_token": "x" * 43}
    )
    assert r.status_code == 403


def test_wrong_password_and_open_redirect(client: TestClient) -> None:
    token = _csrf(client)
    r = client.post(
        "/login", data={"username": "demo", "password": "nope-nope", "csrf_token": token}
    )
    assert r.status_code == 401 and "Wrong username or password" in r.text
    r = client.post(
        "/login",
        data={
            "username": "demo",
            "password": "demo-password",
            "csrf_token": token,
            "next": "//evil.example",
        },
    )
    assert r.headers["location"] == "/"


def test_signup_starts_as_a_rater_who_cannot_write(client: TestClient, seeded_db: Seeded) -> None:
    token = _csrf(client)
    r = client.post(
        "/signup", data={"username": "fresh_one", "password": "pass-word-1", "csrf_token": token}
    )
    assert r.status_code == 303
    r = client.get(f"/posts/{seeded_db.post_id}/write")
    assert r.status_code == 200
    assert "You cannot write notes yet" in r.text and "Still needed" in r.text
    r = client.post(
        "/signup", data={"username": "fresh_one", "password": "pass-word-1", "csrf_token": token}
    )
    assert r.status_code == 422 and "is taken" in r.text


def test_needs_your_help_explains_each_note(client: TestClient, seeded_db: Seeded) -> None:
    _login(client)
    r = client.get("/timeline/needs-your-help")
    assert r.status_code == 200
    cards = r.text.count('class="note"')
    assert cards > 0
    assert r.text.count("Why you see this:") == cards


def test_rating_changes_the_status_through_the_worker(
    client: TestClient, seeded_db: Seeded, db_engine: Engine
) -> None:
    _login(client)
    pivot = seeded_db.pivot
    body = rating_body(pivot.level)
    r = client.post(
        f"/notes/{pivot.note_id}/rate",
        data={
            "helpfulness_level": body.helpfulness_level,
            "helpful_tags": body.helpful_tags,
            "not_helpful_tags": body.not_helpful_tags,
            "csrf_token": _csrf(client),
        },
    )
    assert r.status_code == 303, r.text
    target = r.headers["location"]
    after = int(re.search(r"after=(\d+)", target).group(1))  # type: ignore[union-attr]
    # Before the worker has run: the page says it is scoring, the live endpoint agrees.
    page = client.get(target).text
    assert f'data-note="{pivot.note_id}"' in page and "Scoring it now" in page
    live = client.get(f"/notes/{pivot.note_id}/live?after={after}").json()
    assert live == {
        "noteId": str(pivot.note_id),
        "status": pivot.before,
        "label": STATUS_LABELS[pivot.before],
        "decidedBy": live["decidedBy"],
        "scored": False,
    }
    worker = Worker(
        db_engine,
        demo_scoring_config(),
        WorkerConfig(seed=SIM.seed, refit_interval_s=86_400),
        clock=worker_clock(),
    )
    worker.setup()
    while worker.step().consumed:
        pass
    live = client.get(f"/notes/{pivot.note_id}/live?after={after}").json()
    assert live["scored"] is True and live["status"] == pivot.after
    assert live["decidedBy"] == "CoreModel (v1.1)"
    flash = re.search(r'<div class="flash".*?</div>', client.get(target).text, re.S)
    assert flash is not None
    text = " ".join(flash.group(0).split())
    assert (
        f"<strong>{STATUS_LABELS[pivot.before]}</strong> → "
        f"<strong>{STATUS_LABELS[pivot.after]}</strong>" in text
    )
    details = client.get(f"/notes/{pivot.note_id}").text
    assert f'<dd id="status">{STATUS_LABELS[pivot.after]}</dd>' in details
    assert "CoreModel (v1.1)" in details
    history = re.search(r'<ol class="history">.*?</ol>', details, re.S)
    assert history is not None and STATUS_LABELS[pivot.after] in history.group(0)
    profile = client.get(client.get("/me").headers["location"]).text
    assert f"/notes/{pivot.note_id}" in profile


def test_note_details_show_the_scorers_figures(client: TestClient, seeded_db: Seeded) -> None:
    with sqlite_rows(seeded_db) as rows:
        decided = rows(
            "SELECT note_id, core_active_rules, meta_scorer_active_rules, core_note_intercept "
            "FROM note_scores WHERE final_rating_status != 'NEEDS_MORE_RATINGS' LIMIT 1"
        )[0]
    page = client.get(f"/notes/{decided[0]}").text
    # Rule lists are shown ", "-joined, the plain "why" above the technical figures.
    assert decided[1].replace(",", ", ") in page and decided[2].replace(",", ", ") in page
    assert f"{decided[3]:.3f}" in page
    assert page.index('id="h-why"') < page.index('id="figures"')
    assert "Ratings by viewpoint side" in page and "<svg" in page


def test_rating_with_tags_that_do_not_match_is_refused(
    client: TestClient, seeded_db: Seeded
) -> None:
    _login(client)
    note_id = seeded_db.pivot.note_id
    r = client.post(
        f"/notes/{note_id}/rate", data={"helpfulness_level": "MAYBE", "csrf_token": _csrf(client)}
    )
    assert r.status_code == 403 and "choose Yes, Somewhat or No" in r.text
    assert "Input should be" not in r.text and "helpfulness_level" not in r.text


def test_write_a_note(client: TestClient, seeded_db: Seeded) -> None:
    _login(client)
    write = f"/posts/{seeded_db.post_id}/write"
    page = client.get(write)
    assert 'id="summary"' in page.text and 'for="summary"' in page.text
    token = _csrf(client)
    base = {
        "classification": "MISINFORMED_OR_POTENTIALLY_MISLEADING",
        "misleading_reasons": ["FactualError"],
        "csrf_token": token,
    }
    r = client.post(
        write,
        data={**base, "summary": "x" * 281, "source_link": "https://a.example/1"},
    )
    assert r.status_code == 422 and "282 characters (links not counted)" in r.text  # + space
    r = client.post(write, data={**base, "summary": "No source given."})
    assert r.status_code == 422 and "needs a source link" in r.text
    r = client.post(
        write,
        data={
            "classification": "MISINFORMED_OR_POTENTIALLY_MISLEADING",
            "csrf_token": token,
            "summary": "Reason missing.",
            "source_link": "https://a.example/2",
        },
    )
    assert r.status_code == 422
    assert "Choose at least one reason why the post is misleading." in r.text
    assert 'aria-invalid="true" aria-describedby="err-misleading_reasons"' in r.text
    r = client.post(
        write,
        data={**base, "summary": "The memo is from 2009.", "source_link": "https://a.example/3"},
    )
    assert r.status_code == 303, r.text
    details = client.get(r.headers["location"])
    assert "Your note was published" in details.text
    assert "The memo is from 2009. https://a.example/3" in details.text


def test_logout_ends_the_session(client: TestClient) -> None:
    _login(client)
    r = client.post("/logout", data={"csrf_token": _csrf(client)})
    assert r.status_code == 303
    assert client.get("/me").status_code == 303
    assert client.get("/me").headers["location"].startswith("/login")


def test_transparency_shows_charts_and_version(client: TestClient) -> None:
    r = client.get("/transparency")
    assert r.text.count("<svg") == 6  # each chart drawn wide and narrow
    assert "reference commit" in r.text and 'href="/transparency/export"' in r.text
    assert "Last full scoring run" in r.text and "none yet" not in r.text


def test_timeline_pages_with_older_link(
    client: TestClient, seeded_db: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bridgewatch.web import routes

    monkeypatch.setattr(routes, "_PAGE", 5)
    seen: list[str] = []
    url: str | None = "/timeline/new"
    while url is not None:
        page = client.get(url).text
        ids = re.findall(r'<article class="note" id="note-(\d+)"', page)
        assert 0 < len(ids) <= 5
        seen += ids
        link = re.search(r'href="(/timeline/new\?before=[0-9-]+)"', page)
        url = None if link is None else link.group(1)
    assert len(seen) == len(set(seen)) == seeded_db.n_notes


def test_bad_cursor_is_ignored(client: TestClient) -> None:
    assert client.get("/timeline/new?before=garbage").status_code == 200


def test_ai_writers_cannot_rate(client: TestClient, seeded_db: Seeded, web_app: object) -> None:
    from sqlalchemy import select, update

    from bridgewatch.model import EnrollmentState
    from bridgewatch.store.tables import enrollment, web_accounts

    engine = web_app.state.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        pid = conn.execute(
            select(web_accounts.c.participant_id).where(web_accounts.c.username == "demo")
        ).scalar_one()
        conn.execute(
            update(enrollment)
            .where(enrollment.c.participantId == pid)
            .values(enrollmentState=int(EnrollmentState.apiEarnedIn))
        )
    _login(client)
    note_id = seeded_db.pivot.note_id
    r = client.post(
        f"/notes/{note_id}/rate",
        data={"helpfulness_level": "HELPFUL", "csrf_token": _csrf(client)},
    )
    assert r.status_code == 403 and "cannot rate" in r.text


def test_pages_forbid_framing_and_foreign_scripts(client: TestClient) -> None:
    r = client.get("/timeline/new")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    # Session and CSRF cookies are not readable from scripts.
    token = _csrf(client)
    r = client.post(
        "/login", data={"username": "demo", "password": "demo-password", "csrf_token": token}
    )
    assert "httponly" in r.headers["set-cookie"].lower()


def test_post_page_shows_the_simulated_text_author_and_a_readable_title(
    client: TestClient, seeded_db: Seeded
) -> None:
    with sqlite_rows(seeded_db) as rows:
        ((text, author),) = rows(
            f"SELECT text, author_id FROM posts WHERE post_id = '{seeded_db.post_id}'"
        )
    assert text and author.startswith("@")
    page = client.get(f"/posts/{seeded_db.post_id}").text
    assert html.escape(text, quote=False) in page and "not in the data set" not in page
    (heading,) = re.findall(r"<h1>(.*?)</h1>", page)
    assert heading.startswith(f"Post by {author}, ") and seeded_db.post_id not in heading
    (title,) = re.findall(r"<title>(.*?) · bridgewatch</title>", page)
    assert author in title and seeded_db.post_id not in title


def test_post_title_without_text_or_author_names_the_day_not_the_id() -> None:
    post = PostRow("2094990677107539968", None, None, None, 1_788_319_675_124)
    assert post_title(post) == "A post of 02 Sep 2026"
    long = replace(post, author_id="@a", text="one two three four five six seven eight nine")
    assert post_title(long) == "@a: “one two three four five six seven eight …”"


def test_note_page_says_when_people_with_different_perspectives_liked_it(
    client: TestClient, seeded_db: Seeded
) -> None:
    with sqlite_rows(seeded_db) as rows:
        ratings = rows(
            "SELECT r.noteId, r.helpfulnessLevel, c.core_rater_factor1 FROM ratings r "
            "JOIN contributor_scores c ON c.participant_id = r.raterParticipantId "
            "WHERE c.core_rater_factor1 IS NOT NULL"
        )
    counts: dict[int, list[int]] = {}
    for note_id, level, factor in ratings:
        if abs(factor) <= 0.15:
            continue
        c = counts.setdefault(int(note_id), [0, 0, 0, 0])
        side = 0 if factor < 0 else 2
        c[side + 1] += 1
        c[side] += level == "HELPFUL"
    liked = {
        n
        for n, (hl, nl, hr, nr) in counts.items()
        if min(hl, hr) >= 2 and hl >= nl / 2 and hr >= nr / 2
    }
    not_liked = set(counts) - liked
    assert liked and not_liked
    yes = client.get(f"/notes/{min(liked)}").text
    assert "Liked by people with different perspectives" in yes
    hl, nl, hr, nr = counts[min(liked)]
    assert f"rated helpful by {hl} of {nl} raters" in yes and f"{hr} of {nr} above" in yes
    no = client.get(f"/notes/{min(not_liked)}").text
    assert "Liked by people with different perspectives" not in no


def test_transparency_counts_notes_liked_by_different_perspectives(
    client: TestClient, seeded_db: Seeded
) -> None:
    with sqlite_rows(seeded_db) as rows:
        ratings = rows(
            "SELECT r.noteId, r.helpfulnessLevel, c.core_rater_factor1 FROM ratings r "
            "JOIN contributor_scores c ON c.participant_id = r.raterParticipantId "
            "JOIN notes n ON n.noteId = r.noteId "
            "WHERE c.core_rater_factor1 IS NOT NULL AND n.deleted_at_ms IS NULL"
        )
    counts: dict[int, list[int]] = {}
    for note_id, level, factor in ratings:
        c = counts.setdefault(int(note_id), [0, 0, 0, 0])
        if abs(factor) <= 0.15:
            continue
        side = 0 if factor < 0 else 2
        c[side + 1] += 1
        c[side] += level == "HELPFUL"
    liked = sum(
        min(hl, hr) >= 2 and hl >= nl / 2 and hr >= nr / 2 for hl, nl, hr, nr in counts.values()
    )
    page = client.get("/transparency").text
    section = re.search(r'<p id="perspectives">.*?</p>', page, re.S)
    assert section is not None
    assert f"<strong>{liked}</strong> of {len(counts)} rated notes" in section.group(0)
