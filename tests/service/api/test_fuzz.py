"""Property-based API fuzzing with schemathesis: no request a client can send gets a 5xx.

Every operation of the OpenAPI schema is exercised three ways: as generated (random
credentials and ids), with a valid writer session and existing ids, and with schema-violating
(negative) data. Bounded example counts keep it fast.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.service.conftest import Service

_EXAMPLES = 4


def _operations(service: Service) -> list[Any]:
    # Any: schemathesis operations are untyped here (no stubs).
    schema = schemathesis.openapi.from_dict(service.client.app.openapi())  # type: ignore[attr-defined]
    return [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]


def _send(service: Service, case: Any, *, drop_api_key: bool) -> None:
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    # Header values go as raw UTF-8 bytes: the client cannot encode other text.
    headers = {
        k: v.encode() if isinstance(v, str) else v
        for k, v in kwargs["headers"].items()
        if not (drop_api_key and k.lower() in ("x-api-key", "x-participant-id"))
    }
    request: dict[str, Any] = {"headers": headers, "params": kwargs.get("params")}
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    elif "data" in kwargs:
        request["content"] = kwargs["data"]
    response = service.client.request(kwargs["method"], kwargs["url"], **request)
    assert response.status_code < 500, (
        f"{kwargs['method']} {kwargs['url']} -> {response.status_code}: {response.text}"
    )
    if response.status_code >= 400:
        body = response.json()
        assert {"error", "message", "details"} <= set(body)


@pytest.mark.slow
def test_no_generated_request_gets_a_server_error(service: Service) -> None:
    _, headers = service.writer()
    service.post(headers, post_id="1001")
    note_id = service.note(headers)
    known = {"note_id": int(note_id), "post_id": "1001"}
    for operation in _operations(service):
        params = {p: v for p, v in known.items() if "{" + p + "}" in operation.path}
        strategies = [
            (operation.as_strategy(), False),
            (
                operation.as_strategy(headers=dict(headers), path_parameters=params or None),
                True,
            ),
            (operation.as_strategy(generation_mode=GenerationMode.NEGATIVE), False),
        ]
        for strategy, authenticated in strategies:
            _run(service, strategy, authenticated)


def _run(service: Service, strategy: Any, authenticated: bool) -> None:
    @settings(
        max_examples=_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        _send(service, case, drop_api_key=authenticated)

    try:
        check()
    except Unsatisfiable:
        # Negative mode on an operation with nothing to violate (no parameters, no body).
        pass
