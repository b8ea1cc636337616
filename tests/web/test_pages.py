"""Route tests of the contributor flows added for the first hour of a new user: deleting
one's own note, the profile's note list, note requests, the write form's field errors and
the human labels."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from sqlalchemy import Engine, select

from bridgewatch.store.dump import export_dump
from bridgewatch.store.tables import events, note_requests, notes
from bridgewatch.web.explain import ENROLLMENT_LABELS
from tests.web.conftest import RATE_AT_MS, Seeded, sqlite_rows
from tests.web.test_routes import _csrf, _login

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient


def _write(client: TestClient, post_id: str, text: str) -> int:
    r = client.post(
        f"/posts/{post_id}/write",
        data={
            "classification": "MISINFORMED_OR_POTENTIALLY_MISLEADING",
            "misleading_reasons": ["FactualError"],
            "summary": text,
            "source_link": "https://a.example/src",
            "csrf_token": _csrf(client),
        },
    )
    assert r.status_code == 303, r.text
    return int(re.search(r"/notes/(\d+)", r.headers["location"]).group(1))  # type: ignore[union-attr]


def test_author_deletes_own_note_after_confirming(
    client: TestClient, seeded_db: Seeded, db_engine: Engine
) -> None:
    _login(client)
    note_id = _write(client, seeded_db.post_id, "A note I will delete.")
    page = client.get(f"/notes/{note_id}").text
    assert f'href="/notes/{note_id}/delete"' in page
    me = client.get("/me").headers["location"]
    assert "A note I will delete." in client.get(me).text  # the profile lists it
    confirm = client.get(f"/notes/{note_id}/delete")
    assert confirm.status_code == 200 and "Yes, delete this note" in confirm.text
    # Without the CSRF token nothing happens.
    assert client.post(f"/notes/{note_id}/delete").status_code == 403
    assert "A note I will delete." in client.get(f"/posts/{seeded_db.post_id}").text
    r = client.post(f"/notes/{note_id}/delete", data={"csrf_token": _csrf(client)})
    assert r.status_code == 303 and r.headers["location"] == f"{me}?deleted={note_id}"
    profile = client.get(r.headers["location"]).text
    assert "Your note was deleted." in profile and "A note I will delete." not in profile
    assert "A note I will delete." not in client.get(f"/posts/{seeded_db.post_id}").text
    details = client.get(f"/notes/{note_id}").text
    assert 'id="deleted"' in details and f"/notes/{note_id}/delete" not in details
    # Deleting twice is a no-op (as the API's DELETE), the confirmation page says why.
    r = client.post(f"/notes/{note_id}/delete", data={"csrf_token": _csrf(client)})
    assert r.status_code == 303
    assert client.get(f"/notes/{note_id}/delete").status_code == 409
    with db_engine.connect() as conn:
        deleted_at = conn.execute(
            select(notes.c.deleted_at_ms).where(notes.c.noteId == note_id)
        ).scalar_one()
        kinds = conn.execute(
            select(events.c.event_type).where(events.c.entity_id == str(note_id))
        ).scalars()
        assert deleted_at is not None and list(kinds).count("note.deleted") == 1


def test_only_the_author_can_delete(client: TestClient, seeded_db: Seeded) -> None:
    _login(client)
    note_id = _write(client, seeded_db.post_id, "Mine, not yours.")
    client.post("/logout", data={"csrf_token": _csrf(client)})
    # Logged out: to the login page.
    assert client.get(f"/notes/{note_id}/delete").headers["location"].startswith("/login")
    _login(client, "newcomer")
    assert f"/notes/{note_id}/delete" not in client.get(f"/notes/{note_id}").text
    r = client.get(f"/notes/{note_id}/delete")
    assert r.status_code == 403 and "only the author can delete a note" in r.text
    r = client.post(f"/notes/{note_id}/delete", data={"csrf_token": _csrf(client)})
    assert r.status_code == 403
    assert "Mine, not yours." in client.get(f"/posts/{seeded_db.post_id}").text


def test_profile_lists_notes_with_status(client: TestClient, seeded_db: Seeded) -> None:
    with sqlite_rows(seeded_db) as rows:
        author, n = rows(
            "SELECT noteAuthorParticipantId, count(*) FROM notes GROUP BY 1 ORDER BY 2 DESC"
        )[0]
        statuses = {
            str(nid): st
            for nid, st in rows(
                "SELECT n.noteId, coalesce(h.currentStatus, 'NEEDS_MORE_RATINGS') FROM notes n "
                f"LEFT JOIN note_status_history h ON h.noteId = n.noteId "
                f"WHERE n.noteAuthorParticipantId = '{author}'"
            )
        }
    page = client.get(f"/contributors/{author}").text
    table = re.search(r'<table id="authored">.*?</table>', page, re.S)
    assert table is not None
    listed = re.findall(
        r'href="/notes/(\d+)">.*?<span class="badge s-([a-z_]+)"', table.group(0), re.S
    )
    assert len(listed) == n and n > 0
    assert {nid: st.upper() for nid, st in listed} == statuses


def test_note_request_from_the_post_page(
    client: TestClient, seeded_db: Seeded, db_engine: Engine
) -> None:
    post = f"/posts/{seeded_db.post_id}"
    page = client.get(post).text
    # The seeded community's import may already hold requests for the post (imported rows
    # have no requester).
    counted = re.search(r"(\d+) note requests?<", page)
    assert counted is not None and "Request a note on this post" not in page
    before = int(counted.group(1))

    def shown(n: int) -> str:
        return f"{n} note request{'' if n == 1 else 's'}<"

    _login(client)
    assert "Request a note on this post" in client.get(post).text
    r = client.post(
        f"{post}/requests",
        data={"source_link": "not a link", "suggestion": "", "csrf_token": _csrf(client)},
    )
    assert r.status_code == 422 and "must be a web address" in r.text
    assert 'value="not a link"' in r.text  # the form keeps what was typed
    r = client.post(
        f"{post}/requests",
        data={
            "source_link": "https://a.example/context",
            "suggestion": "The date is missing.",
            "csrf_token": _csrf(client),
        },
    )
    assert r.status_code == 303 and r.headers["location"].endswith("?requested=1#requests")
    page = client.get(r.headers["location"]).text
    assert shown(before + 1) in page and "Your request was saved." in page
    assert 'id="my-request"' in page and "Request a note on this post" not in page
    # The same store as the API: the request is there, and a second one is refused.
    with db_engine.connect() as conn:
        stored = conn.execute(
            select(
                note_requests.c.post_id, note_requests.c.source_link, note_requests.c.suggestion
            ).where(note_requests.c.requester_participant_id.is_not(None))
        ).all()
    assert [tuple(r) for r in stored] == [
        (seeded_db.post_id, "https://a.example/context", "The date is missing.")
    ]
    r = client.post(f"{post}/requests", data={"csrf_token": _csrf(client)})
    assert r.status_code == 422 and "already requested a note" in r.text
    api = client.get(f"/api/v1/posts/{seeded_db.post_id}/notes").json()
    assert api["requestCount"] == before + 1


def test_write_form_errors_are_per_field_and_plain(client: TestClient, seeded_db: Seeded) -> None:
    _login(client)
    write = f"/posts/{seeded_db.post_id}/write"
    page = client.get(write).text
    # "Other" is the last reason in both lists.
    boxes = re.findall(r'name="misleading_reasons" value="(\w+)"', page)
    assert boxes[0] == "FactualError" and boxes[-1] == "Other" and len(boxes) == 7
    assert re.findall(r'name="not_misleading_reasons" value="(\w+)"', page)[-1] == "Other"
    r = client.post(
        write,
        data={
            "classification": "MISINFORMED_OR_POTENTIALLY_MISLEADING",
            "summary": "",
            "source_link": "ftp://x",
            "csrf_token": _csrf(client),
        },
    )
    assert r.status_code == 422
    errors = dict(re.findall(r'<p class="field-error" id="err-(\w+)">([^<]*)</p>', r.text))
    assert errors == {
        "misleading_reasons": "Choose at least one reason why the post is misleading.",
        "summary": "Write the text of your note.",
        "source_link": "The source link must be a web address starting with http:// or https://.",
    }
    for raw in ("Value error", "Input should be", "String should have", "misleading_reasons:"):
        assert raw not in r.text
    # Reasons of the other answer are dropped, not refused (no script to untick them).
    r = client.post(
        write,
        data={
            "classification": "NOT_MISLEADING",
            "misleading_reasons": ["FactualError"],
            "not_misleading_reasons": ["PersonalOpinion"],
            "summary": "It is an opinion.",
            "csrf_token": _csrf(client),
        },
    )
    assert r.status_code == 303, r.text


def test_enrollment_is_shown_in_words(client: TestClient, seeded_db: Seeded) -> None:
    _login(client, "newcomer")
    profile = client.get(client.get("/me").headers["location"]).text
    assert ENROLLMENT_LABELS["newUser"] in profile
    assert ">newUser<" not in profile and ">earnedIn<" not in profile
    write = client.get(f"/posts/{seeded_db.post_id}/write").text
    assert ENROLLMENT_LABELS["newUser"] in write


def test_needs_your_help_without_a_factor_is_general_and_honest(client: TestClient) -> None:
    _login(client, "newcomer")  # rated nothing: no factor yet
    page = client.get("/timeline/needs-your-help").text
    assert "has not placed you on the viewpoint axis yet" in page
    reasons = re.findall(r"<li>([^<]*)</li>", page)
    assert reasons
    assert not [r for r in reasons if "your side" in r or "Only 0" in r]
    assert not [r for r in reasons if "One more rating" in r]
    _login(client)  # demo has a factor
    page = client.get("/timeline/needs-your-help").text
    assert "picked for your place on the viewpoint axis" in page


def test_export_link_works_before_and_after_an_export(
    client: TestClient, db_engine: Engine, tmp_path: Path
) -> None:
    page = client.get("/transparency").text
    link = re.search(r'href="([^"]+)">Public data export<', page)
    assert link is not None
    before = client.get(link.group(1))
    assert before.status_code == 200 and before.headers["content-type"].startswith("text/html")
    assert 'id="no-export"' in before.text and "bridgewatch export" in before.text
    # The web app's data dir is tmp_path (see the web_app fixture): publish an export there.
    manifest = export_dump(
        db_engine, tmp_path / "export", as_of_ms=RATE_AT_MS, delay_ms=0, formats=("tsv",)
    )
    after = client.get(link.group(1)).text
    files = re.findall(r'<a href="(/api/v1/export/[^"]+)" download>', after)
    assert len(files) == len(manifest.files) > 0
    for f in manifest.files:
        assert f"{f.rows:,}" in after and f.sha256 in after
    r = client.get(files[0])
    assert r.status_code == 200 and r.headers["x-checksum-sha256"] in after
