"""Registering posts."""

from __future__ import annotations

from tests.service.conftest import Service


def test_registering_a_post_twice_is_idempotent_but_conflicting_fields_are_409(
    service: Service,
) -> None:
    _, headers = service.join()
    body = {"postId": "p-1", "authorId": "alice", "text": "hello", "url": "https://x.example/1"}
    assert service.client.post("/api/v1/posts", json=body, headers=headers).status_code == 201
    assert service.client.post("/api/v1/posts", json=body, headers=headers).status_code == 200
    changed = body | {"text": "edited"}
    assert service.client.post("/api/v1/posts", json=changed, headers=headers).status_code == 409
    assert service.client.get("/api/v1/posts/p-1").json()["text"] == "hello"
    assert service.client.get("/api/v1/posts/p-2").status_code == 404


def test_posts_need_authentication_and_the_scope(service: Service) -> None:
    body = {"postId": "p-1"}
    assert service.client.post("/api/v1/posts", json=body).status_code == 401
    key = service.api_key("notes:write")
    assert (
        service.client.post("/api/v1/posts", json=body, headers={"X-API-Key": key}).status_code
        == 403
    )
    key = service.api_key("posts:write")
    assert (
        service.client.post("/api/v1/posts", json=body, headers={"X-API-Key": key}).status_code
        == 201
    )


def test_bad_post_id_is_422(service: Service) -> None:
    _, headers = service.join()
    r = service.client.post("/api/v1/posts", json={"postId": "has space"}, headers=headers)
    assert r.status_code == 422
    assert r.json()["details"][0]["field"] == "postId"
