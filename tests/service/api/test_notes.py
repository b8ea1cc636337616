"""Writing, reading and deleting notes: validation, writing ability, limits, idempotency."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bridgewatch.model import EnrollmentState
from bridgewatch.store.tables import events, notes
from tests.service.conftest import Service

URL = "https://stats.example.org/report"


def _note_body(**overrides: Any) -> dict[str, Any]:
    return {
        "postId": "1001",
        "classification": "MISINFORMED_OR_POTENTIALLY_MISLEADING",
        "misleadingReasons": ["FactualError", "MissingImportantContext"],
        "trustworthySources": True,
        "summary": f"The figure is wrong, see {URL}",
    } | overrides


def _count(service: Service, table: Any) -> int:
    with service.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_writer_writes_a_note_stored_with_every_public_field(service: Service) -> None:
    pid, headers = service.writer()
    service.post(headers)
    r = service.client.post("/api/v1/notes", json=_note_body(), headers=headers)
    assert r.status_code == 201, r.text
    note = r.json()
    assert note["noteAuthorParticipantId"] == pid
    assert note["misleadingReasons"] == ["FactualError", "MissingImportantContext"]
    assert note["status"] == "NEEDS_MORE_RATINGS"
    with service.engine.connect() as conn:
        row = conn.execute(select(notes).where(notes.c.noteId == int(note["noteId"]))).one()
    assert row.tweetId == "1001"
    assert row.misleadingFactualError == 1 and row.misleadingSatire == 0
    assert row.notMisleadingOther == 0 and row.trustworthySources == 1


def test_author_comes_from_authentication_not_the_body(service: Service) -> None:
    _, headers = service.writer()
    service.post(headers)
    r = service.client.post(
        "/api/v1/notes",
        json=_note_body(noteAuthorParticipantId="SOMEONE_ELSE"),
        headers=headers,
    )
    assert r.status_code == 422
    assert r.json()["details"][0]["field"] == "noteAuthorParticipantId"


def test_new_user_without_writing_ability_is_refused(service: Service) -> None:
    _, headers = service.join()
    service.post(headers)
    r = service.client.post("/api/v1/notes", json=_note_body(), headers=headers)
    assert r.status_code == 403
    assert "writing ability" in r.json()["message"]


@pytest.mark.parametrize(
    "state", [EnrollmentState.earnedIn, EnrollmentState.atRisk, EnrollmentState.apiEarnedIn]
)
def test_states_with_writing_ability_may_write(service: Service, state: EnrollmentState) -> None:
    pid, headers = service.join()
    service.set_state(pid, state)
    service.post(headers)
    assert (
        service.client.post("/api/v1/notes", json=_note_body(), headers=headers).status_code == 201
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"misleadingReasons": []}, "misleadingReasons"),
        ({"notMisleadingReasons": ["Other"]}, "notMisleadingReasons"),
        (
            {"classification": "NOT_MISLEADING", "misleadingReasons": []},
            "notMisleadingReasons",
        ),
        ({"misleadingReasons": ["Other", "Other"]}, "misleadingReasons"),
        ({"classification": "MAYBE"}, "classification"),
        ({"summary": ""}, "summary"),
        ({"summary": "No source here at all."}, "summary"),
        ({"summary": "x" * 281 + " " + URL}, "summary"),
        ({"summary": "   "}, "summary"),
        ({"trustworthySources": "perhaps"}, "trustworthySources"),
    ],
)
def test_bad_note_is_422_naming_the_field_and_writes_nothing(
    service: Service, overrides: dict[str, Any], field: str
) -> None:
    _, headers = service.writer()
    service.post(headers)
    before = _count(service, events)
    r = service.client.post("/api/v1/notes", json=_note_body(**overrides), headers=headers)
    assert r.status_code == 422, r.text
    assert r.json()["details"][0]["field"] == field
    assert r.json()["details"][0]["reason"]
    assert _count(service, notes) == 0
    assert _count(service, events) == before


def test_urls_do_not_count_toward_the_280_characters(service: Service) -> None:
    _, headers = service.writer()
    service.post(headers)
    summary = "x" * 279 + " " + URL + "/" + "long-path" * 20
    r = service.client.post("/api/v1/notes", json=_note_body(summary=summary), headers=headers)
    assert r.status_code == 201, r.text


def test_not_misleading_note_needs_no_source(service: Service) -> None:
    _, headers = service.writer()
    service.post(headers)
    body = _note_body(
        classification="NOT_MISLEADING",
        misleadingReasons=[],
        notMisleadingReasons=["PersonalOpinion"],
        summary="This is clearly an opinion.",
    )
    r = service.client.post("/api/v1/notes", json=body, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["notMisleadingReasons"] == ["PersonalOpinion"]


def test_note_on_unknown_post_is_404(service: Service) -> None:
    _, headers = service.writer()
    r = service.client.post("/api/v1/notes", json=_note_body(postId="999"), headers=headers)
    assert r.status_code == 404


def test_only_the_author_deletes_a_note(service: Service) -> None:
    _, author = service.writer()
    _, other = service.writer()
    service.post(author)
    note_id = service.note(author)
    assert service.client.delete(f"/api/v1/notes/{note_id}", headers=other).status_code == 403
    assert service.client.delete(f"/api/v1/notes/{note_id}").status_code == 401
    assert service.client.delete(f"/api/v1/notes/{note_id}", headers=author).status_code == 204
    details = service.client.get(f"/api/v1/notes/{note_id}").json()
    assert details["note"]["deleted"] is True
    assert service.client.get("/api/v1/posts/1001/notes").json()["notes"] == []
    assert service.client.delete("/api/v1/notes/42", headers=author).status_code == 404


def test_daily_note_limit_of_a_new_writer_is_five(service: Service) -> None:
    _, headers = service.writer()
    for i in range(6):
        service.post(headers, post_id=str(2000 + i), author=f"author{i}")
    for i in range(5):
        service.note(headers, post_id=str(2000 + i))
    r = service.client.post("/api/v1/notes", json=_note_body(postId="2005"), headers=headers)
    assert r.status_code == 429
    assert r.json()["details"][0]["reason"] == "daily_notes"
    assert "Retry-After" in r.headers
    service.clock.advance(24 * 3600 + 1)
    service.note(headers, post_id="2005")


def test_negative_writing_impact_limits_to_one_note_a_day(service: Service) -> None:
    pid, headers = service.writer()
    service.set_scores(pid, notes_currently_rated_not_helpful=2)
    service.post(headers, post_id="1", author="a")
    service.post(headers, post_id="2", author="b")
    service.note(headers, post_id="1")
    r = service.client.post("/api/v1/notes", json=_note_body(postId="2"), headers=headers)
    assert r.status_code == 429


def test_at_most_three_notes_a_day_on_one_post_authors_posts(service: Service) -> None:
    _, headers = service.writer()
    for i in range(4):
        service.post(headers, post_id=str(3000 + i), author="bob")
    for i in range(3):
        service.note(headers, post_id=str(3000 + i))
    r = service.client.post("/api/v1/notes", json=_note_body(postId="3003"), headers=headers)
    assert r.status_code == 429
    assert r.json()["details"][0]["reason"] == "notes_per_post_author"


def _backdated_notes(service: Service, author_id: str, n: int, *, post_author: str) -> list[int]:
    """``n`` notes by ``author_id`` on posts of ``post_author``, written 8 days ago and
    earlier (outside the 24 h and 7-day windows, inside the helpful-rate history)."""
    from bridgewatch.store.db import make_session_factory
    from bridgewatch.store.repositories.notes import insert_note
    from bridgewatch.store.repositories.posts import create_post
    from bridgewatch.store.rows import NoteContent

    ids = []
    with make_session_factory(service.engine)() as session, session.begin():
        for i in range(n):
            when = service.clock.now_ms - (8 + i) * 24 * 3600 * 1000
            post_id = f"old-{post_author}-{i}"
            create_post(
                session,
                now_ms=when,
                actor_participant_id=None,
                post_id=post_id,
                author_id=post_author,
                text="a claim",
                url=None,
            )
            row = insert_note(
                session,
                now_ms=when,
                author_participant_id=author_id,
                content=NoteContent(
                    post_id,
                    "MISINFORMED_OR_POTENTIALLY_MISLEADING",
                    f"Wrong, see {URL}",
                    misleading_reasons=("FactualError",),
                    trustworthy_sources=True,
                ),
            )
            ids.append(row.note_id)
    return ids


def _mark_helpful(service: Service, author_id: str, note_ids: list[int]) -> None:
    from bridgewatch.store.tables import note_status_history

    with service.engine.begin() as conn:
        for note_id in note_ids:
            conn.execute(
                note_status_history.insert().values(
                    noteId=note_id,
                    noteAuthorParticipantId=author_id,
                    createdAtMillis=0,
                    currentStatus="CURRENTLY_RATED_HELPFUL",
                )
            )


def _write_on(service: Service, headers: dict[str, str], post_id: str) -> Any:
    service.post(headers, post_id=post_id, author="bob")
    return service.client.post("/api/v1/notes", json=_note_body(postId=post_id), headers=headers)


def test_after_six_unhelpful_notes_on_an_author_one_note_a_day(service: Service) -> None:
    _, headers = service.writer()
    for day in range(2):  # 3 a day on bob's posts: 6 notes in two days
        for i in range(3):
            assert _write_on(service, headers, f"{day}-{i}").status_code == 201
        service.clock.advance(24 * 3600 + 1)
    assert _write_on(service, headers, "2-0").status_code == 201
    r = _write_on(service, headers, "2-1")
    assert r.status_code == 429, r.text
    assert r.json()["details"][0]["reason"] == "notes_per_post_author"
    assert "0 of your 7 notes" in r.json()["message"]
    assert "1 note per 24 h" in r.json()["message"]
    # Another author's posts are not affected.
    service.post(headers, post_id="9", author="carol")
    assert (
        service.client.post(
            "/api/v1/notes", json=_note_body(postId="9"), headers=headers
        ).status_code
        == 201
    )
    service.clock.advance(24 * 3600 + 1)
    assert _write_on(service, headers, "3-0").status_code == 201


def test_a_helpful_record_on_an_author_raises_the_limit_above_three(service: Service) -> None:
    pid, headers = service.writer()
    old = _backdated_notes(service, pid, 6, post_author="bob")
    _mark_helpful(service, pid, old[:2])  # r = 33 %: up to 33 a day on bob
    for i in range(5):  # the daily limit of a new writer (5) is what stops them now
        assert _write_on(service, headers, f"n{i}").status_code == 201
    r = _write_on(service, headers, "n5")
    assert r.status_code == 429
    assert r.json()["details"][0]["reason"] == "daily_notes"


def test_under_one_percent_helpful_after_fifteen_notes_one_note_a_week(service: Service) -> None:
    pid, headers = service.writer()
    _backdated_notes(service, pid, 15, post_author="bob")
    assert _write_on(service, headers, "w0").status_code == 201
    service.clock.advance(2 * 24 * 3600)
    r = _write_on(service, headers, "w1")
    assert r.status_code == 429
    assert "1 note per 7 days" in r.json()["message"]
    service.clock.advance(5 * 24 * 3600 + 1)
    assert _write_on(service, headers, "w2").status_code == 201


def test_notes_before_the_history_start_do_not_count(
    make_service: Callable[..., Service],
) -> None:
    from tests.service.conftest import T0_MS

    service = make_service(post_author_history_since_ms=T0_MS - 24 * 3600 * 1000)
    pid, headers = service.writer()
    _backdated_notes(service, pid, 15, post_author="bob")  # all before the history start
    for i in range(3):
        assert _write_on(service, headers, f"h{i}").status_code == 201
    assert _write_on(service, headers, "h3").status_code == 429


def test_media_notes_need_writing_impact_two(service: Service) -> None:
    pid, headers = service.writer()
    service.post(headers)
    body = _note_body(isMediaNote=True)
    r = service.client.post("/api/v1/notes", json=body, headers=headers)
    assert r.status_code == 403
    assert "Writing Impact of at least 2" in r.json()["message"]
    assert _count(service, notes) == 0
    service.set_scores(pid, notes_currently_rated_helpful=2)
    r = service.client.post("/api/v1/notes", json=body, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["isMediaNote"] is True


def test_retried_post_with_idempotency_key_writes_once(service: Service) -> None:
    _, headers = service.writer()
    service.post(headers)
    h = headers | {"Idempotency-Key": "note-1"}
    first = service.client.post("/api/v1/notes", json=_note_body(), headers=h)
    second = service.client.post("/api/v1/notes", json=_note_body(), headers=h)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _count(service, notes) == 1
    other = service.client.post("/api/v1/notes", json=_note_body(summary=f"Other {URL}"), headers=h)
    assert other.status_code == 422
    assert other.json()["details"][0]["field"] == "Idempotency-Key"


def test_idempotency_keys_are_scoped_per_participant(service: Service) -> None:
    _, a = service.writer()
    _, b = service.writer()
    service.post(a)
    service.client.post("/api/v1/notes", json=_note_body(), headers=a | {"Idempotency-Key": "k"})
    r = service.client.post(
        "/api/v1/notes", json=_note_body(), headers=b | {"Idempotency-Key": "k"}
    )
    assert r.status_code == 201
    assert _count(service, notes) == 2


def test_note_details_show_status_decision_and_history(service: Service) -> None:
    from bridgewatch.store.tables import note_scores, note_status_changes, note_status_history

    pid, headers = service.writer()
    service.post(headers)
    note_id = int(service.note(headers))
    with service.engine.begin() as conn:
        conn.execute(
            note_status_history.insert().values(
                noteId=note_id,
                noteAuthorParticipantId=pid,
                createdAtMillis=service.clock.now_ms,
                currentStatus="CURRENTLY_RATED_HELPFUL",
                currentDecidedBy="CoreModel (v1.1)",
            )
        )
        conn.execute(
            note_scores.insert().values(
                note_id=note_id,
                scored_at_ms=service.clock.now_ms + 5,
                final_rating_status="CURRENTLY_RATED_HELPFUL",
                decided_by="CoreModel (v1.1)",
                first_tag="helpfulClear",
                second_tag="helpfulGoodSources",
                core_note_intercept=0.43,
                core_active_rules="RuleFromNote",
            )
        )
        conn.execute(
            note_status_changes.insert().values(
                note_id=note_id,
                changed_at_ms=service.clock.now_ms + 5,
                status="CURRENTLY_RATED_HELPFUL",
                decided_by="CoreModel (v1.1)",
            )
        )
    details = service.client.get(f"/api/v1/notes/{note_id}").json()
    assert details["note"]["status"] == "CURRENTLY_RATED_HELPFUL"
    assert details["note"]["firstTag"] == "helpfulClear"
    assert details["decidedBy"] == "CoreModel (v1.1)"
    assert details["scoring"]["coreNoteIntercept"] == pytest.approx(0.43)
    assert [c["status"] for c in details["statusHistory"]] == ["CURRENTLY_RATED_HELPFUL"]
    on_post = service.client.get("/api/v1/posts/1001/notes").json()
    assert on_post["notes"][0]["status"] == "CURRENTLY_RATED_HELPFUL"


def test_post_notes_list_decided_notes_by_helpfulness_then_others_by_recency(
    make_service: Callable[..., Service],
) -> None:
    from bridgewatch.store.tables import note_scores, note_status_history

    service = make_service(notes_per_post_author_per_day=10)
    ids = []
    for _ in range(4):
        pid, headers = service.writer()
        service.post(headers)
        ids.append((pid, int(service.note(headers))))
        service.clock.advance(1)
    with service.engine.begin() as conn:
        for (pid, note_id), intercept in zip(ids[:2], (0.2, 0.5), strict=True):
            conn.execute(
                note_status_history.insert().values(
                    noteId=note_id,
                    noteAuthorParticipantId=pid,
                    createdAtMillis=0,
                    currentStatus="CURRENTLY_RATED_HELPFUL",
                )
            )
            conn.execute(
                note_scores.insert().values(
                    note_id=note_id,
                    scored_at_ms=0,
                    final_rating_status="CURRENTLY_RATED_HELPFUL",
                    core_note_intercept=intercept,
                )
            )
    order = [
        int(n["noteId"]) for n in service.client.get("/api/v1/posts/1001/notes").json()["notes"]
    ]
    assert order == [ids[1][1], ids[0][1], ids[3][1], ids[2][1]]


def test_nul_characters_are_refused_not_a_server_error(service: Service) -> None:
    _, headers = service.writer()
    service.post(headers)
    r = service.client.post(
        "/api/v1/notes", json=_note_body(summary=f"bad \x00 byte {URL}"), headers=headers
    )
    assert r.status_code == 422
    r = service.client.post(
        "/api/v1/posts", json={"postId": "9", "text": "a\x00b"}, headers=headers
    )
    assert r.status_code == 422


def test_integration_writes_on_behalf_of_a_named_writer(service: Service) -> None:
    pid, headers = service.writer()
    service.post(headers)
    key = service.api_key("notes:write")
    on_behalf = {"X-API-Key": key, "X-Participant-Id": pid}
    r = service.client.post("/api/v1/notes", json=_note_body(), headers=on_behalf)
    assert r.status_code == 201, r.text
    assert r.json()["noteAuthorParticipantId"] == pid
    newbie, _ = service.join()
    r = service.client.post(
        "/api/v1/notes", json=_note_body(), headers={"X-API-Key": key, "X-Participant-Id": newbie}
    )
    assert r.status_code == 403


def test_ai_writers_need_writing_impact_hundred_for_media_notes(service: Service) -> None:
    pid, headers = service.writer()
    service.set_state(pid, EnrollmentState.apiEarnedIn)
    service.set_scores(pid, notes_currently_rated_helpful=2)
    service.post(headers)
    body = _note_body(isMediaNote=True)
    r = service.client.post("/api/v1/notes", json=body, headers=headers)
    assert r.status_code == 403
    assert "at least 100" in r.json()["message"]
    service.set_scores(pid, notes_currently_rated_helpful=100)
    assert service.client.post("/api/v1/notes", json=body, headers=headers).status_code == 201
