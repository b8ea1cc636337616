"""The API answers as its OpenAPI schema says: a bounded, deterministic schemathesis run
checks every operation's status codes, content types, headers and response bodies against
the schema (issue 13: 400 for undecodable JSON, 401 on admin refit, 200 for registering an
existing post and a 405 whose ``Allow`` omitted DELETE were all undocumented)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.service.conftest import Service

_EXAMPLES = 6
_CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _operations(service: Service) -> list[Any]:
    # Any: schemathesis operations are untyped here (no stubs).
    schema = schemathesis.openapi.from_dict(service.client.app.openapi())  # type: ignore[attr-defined]
    return [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]


def _send_and_validate(service: Service, case: Any, failures: list[str]) -> None:
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    headers = {k: v.encode() if isinstance(v, str) else v for k, v in kwargs["headers"].items()}
    request: dict[str, Any] = {"headers": headers, "params": kwargs.get("params")}
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    elif "data" in kwargs:
        request["content"] = kwargs["data"]
    response = service.client.request(kwargs["method"], kwargs["url"], **request)
    try:
        case.validate_response(response, checks=_CHECKS)
    except (AssertionError, BaseExceptionGroup) as exc:  # schemathesis: a group of failures
        reasons = sorted(
            {line.strip("- ") for line in str(exc).splitlines() if line.startswith("- ST")}
        )
        failures.append(
            f"{case.operation.label} -> {response.status_code}: {'; '.join(reasons) or exc}"
        )


def _run(service: Service, strategy: Any, failures: list[str]) -> None:
    @settings(
        max_examples=_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        _send_and_validate(service, case, failures)

    try:
        check()
    except Unsatisfiable:
        pass


# SQLite only: the run is bounded to well under a minute; the storage paths it reaches are
# covered on both backends by the other API tests.
@pytest.mark.slow
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_every_answer_matches_the_schema(service: Service) -> None:
    _, headers = service.writer()
    service.post(headers, post_id="1001")
    note_id = service.note(headers)
    known = {"note_id": int(note_id), "post_id": "1001"}
    failures: list[str] = []
    for operation in _operations(service):
        params = {p: v for p, v in known.items() if "{" + p + "}" in operation.path}
        for strategy in (
            operation.as_strategy(),
            operation.as_strategy(headers=dict(headers), path_parameters=params or None),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        ):
            _run(service, strategy, failures)
    assert not failures, "\n".join(sorted(set(failures)))


_PATH_VALUES = {
    "participant_id": "p1",
    "post_id": "1001",
    "note_id": "123",
    "tab": "new",
    "filename": "notes-00000.tsv",
}


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_method_a_path_does_not_serve_is_405_allowing_every_method_it_does(
    service: Service,
) -> None:
    for path, operations in service.client.app.openapi()["paths"].items():  # type: ignore[attr-defined]
        url = path.format(**_PATH_VALUES)
        declared = {m.upper() for m in operations}
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - declared):
            r = service.client.request(method, url)
            assert r.status_code == 405, (method, url, r.status_code)
            allowed = {m.strip() for m in r.headers["Allow"].split(",")}
            assert allowed == declared, (method, url, r.headers["Allow"])
            assert r.json()["error"] == "http_error"
    # The case: a note is read and deleted at one path.
    r = service.client.put("/api/v1/notes/123")
    assert r.headers["Allow"] == "DELETE, GET"


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_an_undecodable_body_is_422_like_any_invalid_body(service: Service) -> None:
    _, headers = service.join()
    json_headers = headers | {"Content-Type": "application/json"}
    for body in (b"\xff\xfe{", b"{not json"):
        r = service.client.post("/api/v1/posts", content=body, headers=json_headers)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"] == "validation_error"
    responses = service.client.app.openapi()["paths"]["/api/v1/posts"]["post"]["responses"]  # type: ignore[attr-defined]
    assert "400" not in responses
    assert "422" in responses


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_documented_answers_of_post_registration_and_refit(service: Service) -> None:
    paths = service.client.app.openapi()["paths"]  # type: ignore[attr-defined]
    assert {"200", "201"} <= set(paths["/api/v1/posts"]["post"]["responses"])
    assert {"202", "401", "403"} <= set(paths["/api/v1/admin/refit"]["post"]["responses"])
    _, headers = service.join()
    service.post(headers, post_id="5")
    post = {"postId": "5", "authorId": "alice", "text": "a claim", "url": None}
    assert service.client.post("/api/v1/posts", json=post, headers=headers).status_code == 200
    assert service.client.post("/api/v1/admin/refit").status_code == 401
    assert service.client.post("/api/v1/admin/refit", headers=headers).status_code == 403
    key = service.api_key("pipeline:admin")
    r = service.client.post("/api/v1/admin/refit", headers={"X-API-Key": key})
    assert (r.status_code, r.json()) == (202, {"status": "requested"})
