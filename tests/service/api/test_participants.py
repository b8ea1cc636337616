"""Joining, sessions, API keys acting for participants, and profiles."""

from __future__ import annotations

from collections.abc import Callable

from bridgewatch.model import EnrollmentState
from bridgewatch.store.db import make_session_factory
from bridgewatch.store.repositories.auth import create_api_key
from tests.service.conftest import Service


def test_joining_creates_a_new_user_who_can_rate_but_not_write(service: Service) -> None:
    pid, headers = service.join()
    me = service.client.get("/api/v1/participants/me", headers=headers).json()
    assert me["participant"]["participantId"] == pid
    assert me["enrollment"]["enrollmentState"] == "newUser"
    assert me["enrollment"]["successfulRatingNeededToEarnIn"] == 5
    assert me["writingAbility"] == {
        "canWrite": False,
        "canRate": True,
        "ratingImpactNeeded": 5,
        "dailyNoteLimit": 0,
        "reason": "needs Rating Impact 5 more to earn writing ability",
    }


def test_profile_shows_rating_impact_and_what_is_still_needed(service: Service) -> None:
    pid, _ = service.join()
    # RI = 3 + 1 - (1 + 0) - 0 = 3 -> 2 more needed (spec-extended §2.3).
    service.set_scores(
        pid,
        successful_rating_helpful_count=3,
        successful_rating_not_helpful_count=1,
        unsuccessful_rating_helpful_count=1,
    )
    profile = service.client.get(f"/api/v1/participants/{pid}").json()
    assert profile["impact"]["ratingImpact"] == 3
    assert profile["writingAbility"]["ratingImpactNeeded"] == 2


def test_writer_profile_shows_daily_note_limit(service: Service) -> None:
    pid, _ = service.writer()
    service.set_scores(pid, notes_currently_rated_helpful=4, notes_currently_rated_not_helpful=1)
    ability = service.client.get(f"/api/v1/participants/{pid}").json()["writingAbility"]
    # WI = 3, hitRate = 3/5 -> min(8, 120) = 8.
    assert ability["canWrite"] is True
    assert ability["dailyNoteLimit"] == 8


def test_unknown_participant_is_404(service: Service) -> None:
    r = service.client.get("/api/v1/participants/NOPE")
    assert r.status_code == 404
    assert r.json()["error"] == "not_found"


def test_closed_registration_needs_an_api_key(make_service: Callable[..., Service]) -> None:
    service = make_service(open_registration=False)
    assert service.client.post("/api/v1/participants").status_code == 401
    key = service.api_key("participants:write")
    r = service.client.post("/api/v1/participants", headers={"X-API-Key": key})
    assert r.status_code == 201
    other = service.api_key("notes:write")
    assert (
        service.client.post("/api/v1/participants", headers={"X-API-Key": other}).status_code == 403
    )


def test_session_tokens_expire_and_can_be_ended(
    make_service: Callable[..., Service],
) -> None:
    service = make_service(session_ttl_s=60)
    _, headers = service.join()
    assert service.client.get("/api/v1/participants/me", headers=headers).status_code == 200
    service.clock.advance(61)
    assert service.client.get("/api/v1/participants/me", headers=headers).status_code == 401
    _, headers = service.join()
    assert service.client.delete("/api/v1/sessions/current", headers=headers).status_code == 204
    assert service.client.get("/api/v1/participants/me", headers=headers).status_code == 401


def test_unknown_credentials_are_401(service: Service) -> None:
    bad = {"Authorization": "Bearer bws_nope"}
    assert service.client.get("/api/v1/participants/me", headers=bad).status_code == 401
    r = service.client.get("/api/v1/participants/me", headers={"X-API-Key": "bwk_nope"})
    assert r.status_code == 401
    assert r.json()["error"] == "unauthenticated"


def test_integration_issues_sessions_on_behalf_of_a_participant(service: Service) -> None:
    pid, _ = service.join()
    key = service.api_key("sessions:write")
    r = service.client.post("/api/v1/sessions", headers={"X-API-Key": key, "X-Participant-Id": pid})
    assert r.status_code == 201
    token = r.json()["sessionToken"]
    me = service.client.get("/api/v1/participants/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["participant"]["participantId"] == pid


def test_api_key_must_name_an_existing_participant(service: Service) -> None:
    key = service.api_key("sessions:write")
    assert service.client.post("/api/v1/sessions", headers={"X-API-Key": key}).status_code == 403
    r = service.client.post(
        "/api/v1/sessions", headers={"X-API-Key": key, "X-Participant-Id": "UNKNOWN"}
    )
    assert r.status_code == 403


def test_sessions_cannot_issue_sessions(service: Service) -> None:
    _, headers = service.join()
    assert service.client.post("/api/v1/sessions", headers=headers).status_code == 403


def test_removed_participant_can_do_nothing(service: Service) -> None:
    pid, headers = service.join()
    service.set_state(pid, EnrollmentState.removed)
    assert service.client.get("/api/v1/participants/me", headers=headers).status_code == 403


def test_nul_in_a_path_id_is_not_a_server_error(service: Service) -> None:
    r = service.client.get("/api/v1/participants/a%00b")
    assert r.status_code in (404, 422)


def test_an_api_key_restricted_to_named_participants_acts_for_no_one_else(
    service: Service,
) -> None:
    # Issue 13: any integration key could act for any participant.
    allowed_id, _ = service.join()
    other_id, _ = service.join()
    factory = make_session_factory(service.engine)
    with factory() as session, session.begin():
        key = create_api_key(
            session,
            name="forum",
            scopes=["sessions:write", "posts:write", "ratings:write"],
            now_ms=service.clock.now_ms,
            participants=[allowed_id],
        )
    as_allowed = {"X-API-Key": key, "X-Participant-Id": allowed_id}
    as_other = {"X-API-Key": key, "X-Participant-Id": other_id}
    assert service.client.post("/api/v1/sessions", headers=as_allowed).status_code == 201
    refused = service.client.post("/api/v1/sessions", headers=as_other)
    assert refused.status_code == 403
    assert f"{other_id!r} is not one of them" in refused.json()["message"]
    post = {"postId": "77", "authorId": "alice", "text": "a claim", "url": None}
    assert service.client.post("/api/v1/posts", json=post, headers=as_other).status_code == 403
    assert service.client.post("/api/v1/posts", json=post, headers=as_allowed).status_code == 201
    _, author = service.writer()
    note_id = service.note(author, post_id="77")
    url = f"/api/v1/notes/{note_id}/ratings"
    rating = {"helpfulnessLevel": "HELPFUL"}
    assert service.client.post(url, json=rating, headers=as_other).status_code == 403
    assert service.client.post(url, json=rating, headers=as_allowed).status_code == 201
    # An unrestricted key still acts for anyone.
    anyone = {"X-API-Key": service.api_key("ratings:write"), "X-Participant-Id": other_id}
    assert service.client.post(url, json=rating, headers=anyone).status_code == 201
