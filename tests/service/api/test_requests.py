"""Note requests: one per participant per post, at most five a day (spec-extended §6.1)."""

from __future__ import annotations

from tests.service.conftest import Service


def test_request_a_note_and_see_the_count(service: Service) -> None:
    pid, headers = service.join()
    service.post(headers)
    r = service.client.post(
        "/api/v1/posts/1001/requests",
        json={"sourceLink": "https://example.com/x", "suggestion": "check the date"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["requesterParticipantId"] == pid
    assert service.client.get("/api/v1/posts/1001/notes").json()["requestCount"] == 1
    assert service.client.get("/api/v1/posts/1001").json()["requestCount"] == 1
    listed = service.client.get("/api/v1/posts/1001/requests").json()
    # Listed without the requester, as in the public export.
    assert listed["requests"] == [
        {
            "createdAtMillis": r.json()["createdAtMillis"],
            "sourceLink": "https://example.com/x",
            "suggestion": "check the date",
            "imported": False,
        }
    ]
    assert service.client.get("/api/v1/posts/404/requests").status_code == 404
    again = service.client.post("/api/v1/posts/1001/requests", json={}, headers=headers)
    assert again.status_code == 409


def test_five_requests_a_day(service: Service) -> None:
    _, headers = service.join()
    for i in range(6):
        service.post(headers, post_id=str(10 + i))
    for i in range(5):
        r = service.client.post(f"/api/v1/posts/{10 + i}/requests", json={}, headers=headers)
        assert r.status_code == 201
    r = service.client.post("/api/v1/posts/15/requests", json={}, headers=headers)
    assert r.status_code == 429
    assert r.json()["details"][0]["reason"] == "note_requests_per_day"


def test_request_on_unknown_post_or_without_auth(service: Service) -> None:
    _, headers = service.join()
    assert (
        service.client.post("/api/v1/posts/77/requests", json={}, headers=headers).status_code
        == 404
    )
    service.post(headers, post_id="77")
    assert service.client.post("/api/v1/posts/77/requests", json={}).status_code == 401


def test_bad_source_link_is_422(service: Service) -> None:
    _, headers = service.join()
    service.post(headers)
    r = service.client.post(
        "/api/v1/posts/1001/requests", json={"sourceLink": "not a url"}, headers=headers
    )
    assert r.status_code == 422
    assert r.json()["details"][0]["field"] == "sourceLink"
