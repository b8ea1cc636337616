"""The API documentation pages work offline (issue 13: ``/docs`` was blank without network,
Swagger UI came from a CDN): every script, style and icon they reference is served by the
app itself."""

from __future__ import annotations

import re
import warnings

import pytest
from fastapi import FastAPI

from bridgewatch.service import docs
from tests.service.conftest import Service

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient

_REFERENCE = re.compile(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""")


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_documentation_pages_reference_nothing_outside_the_app(service: Service, page: str) -> None:
    r = service.client.get(page)
    assert r.status_code == 200
    html = r.text
    assert "http://" not in html
    assert "https://" not in html
    assert "//" not in html.replace("://", "")  # no protocol-relative URL either
    references = _REFERENCE.findall(html)
    for ref in references:
        assert ref.startswith("/"), ref
        asset = service.client.get(ref)
        assert asset.status_code == 200, ref
        assert asset.content


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_swagger_ui_served_reads_openapi_3_1(service: Service) -> None:
    pytest.importorskip("fastapi_offline", reason="a dependency: pip install -e .")
    assert service.client.get("/docs").text.count("/docs-static/") >= 2
    assert service.client.get("/openapi.json").json()["openapi"].startswith("3.1")
    bundle = service.client.get("/docs-static/swagger-ui-bundle.js").text
    # Swagger UI renders OpenAPI 3.1 from version 5 on (its OAS 3.1 plugin).
    assert "SwaggerUIBundle" in bundle
    assert "isOAS31" in bundle
    assert service.client.get("/docs/oauth2-redirect").status_code == 200


def test_without_the_assets_package_the_docs_are_a_plain_self_contained_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(docs, "_static_directory", lambda: None)
    app = FastAPI(title="t", docs_url=None, redoc_url=None)

    @app.get("/items/{item_id}", summary="Read an item")
    def read_item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    del read_item
    docs.install_docs(app)
    with TestClient(app) as client:
        page = client.get("/docs").text
        assert client.get("/redoc").text == page
    assert "<code>GET /items/{item_id}</code>" in page
    assert "Read an item" in page
    assert "<script" not in page
    assert "http" not in page
