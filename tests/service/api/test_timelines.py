"""Timelines and their cursor pagination."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bridgewatch.service.api.timelines import decode_cursor, encode_cursor
from bridgewatch.store.repositories.notes import TimelinePosition
from bridgewatch.store.tables import note_status_history
from tests.service.conftest import Service


def _many_notes(service: Service, n: int) -> list[str]:
    """``n`` notes by different writers, one per second, all on different post authors."""
    ids = []
    for i in range(n):
        _, headers = service.writer()
        service.post(headers, post_id=str(5000 + i), author=f"a{i}")
        ids.append(service.note(headers, post_id=str(5000 + i)))
        if i % 3 != 0:  # several notes share a millisecond: the note id breaks ties
            service.clock.advance(1)
    return ids


def test_new_timeline_pages_through_every_note_once_newest_first(
    make_service: Callable[..., Service],
) -> None:
    service = make_service()
    ids = _many_notes(service, 12)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 5}
        if cursor:
            params["cursor"] = cursor
        page = service.client.get("/api/v1/timelines/new", params=params).json()
        seen += [n["noteId"] for n in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))
    created = [
        service.client.get(f"/api/v1/notes/{i}").json()["note"]["createdAtMillis"] for i in seen
    ]
    assert created == sorted(created, reverse=True)


def test_needs_your_help_excludes_own_and_rated_notes(service: Service) -> None:
    ids = _many_notes(service, 3)
    _, me = service.writer()
    service.post(me, post_id="6000", author="z")
    mine = service.note(me, post_id="6000")
    service.client.post(
        f"/api/v1/notes/{ids[0]}/ratings", json={"helpfulnessLevel": "HELPFUL"}, headers=me
    )
    page = service.client.get("/api/v1/timelines/needs-your-help", headers=me).json()
    shown = {n["noteId"] for n in page["items"]}
    assert shown == {ids[1], ids[2]}
    assert mine not in shown
    assert service.client.get("/api/v1/timelines/needs-your-help").status_code == 401


def test_rated_helpful_and_not_helpful_tabs_follow_the_status_history(service: Service) -> None:
    ids = _many_notes(service, 3)
    with service.engine.begin() as conn:
        for note_id, status in zip(
            ids[:2], ("CURRENTLY_RATED_HELPFUL", "CURRENTLY_RATED_NOT_HELPFUL"), strict=True
        ):
            conn.execute(
                note_status_history.insert().values(
                    noteId=int(note_id),
                    noteAuthorParticipantId="x",
                    createdAtMillis=0,
                    currentStatus=status,
                )
            )
    helpful = service.client.get("/api/v1/timelines/rated-helpful").json()["items"]
    not_helpful = service.client.get("/api/v1/timelines/rated-not-helpful").json()["items"]
    assert [n["noteId"] for n in helpful] == [ids[0]]
    assert [n["noteId"] for n in not_helpful] == [ids[1]]
    assert helpful[0]["status"] == "CURRENTLY_RATED_HELPFUL"


@pytest.mark.parametrize("cursor", ["!!!", "Zm9v", "MTox", "LTE6Mg"])
def test_bad_cursor_is_422(service: Service, cursor: str) -> None:
    # "MTox" is "1:1" (valid); the others are garbage or negative.
    r = service.client.get("/api/v1/timelines/new", params={"cursor": cursor})
    if cursor == "MTox":
        assert r.status_code == 200
    else:
        assert r.status_code == 422
        assert r.json()["details"][0]["field"] == "cursor"


def test_unknown_tab_and_bad_limit_are_422(service: Service) -> None:
    assert service.client.get("/api/v1/timelines/popular").status_code == 422
    assert service.client.get("/api/v1/timelines/new", params={"limit": 0}).status_code == 422


def test_cursor_round_trips() -> None:
    position = TimelinePosition(1_793_491_200_000, 2_094_964_814_618_082_106)
    assert decode_cursor(encode_cursor(position)) == position
