"""The API documentation pages (``/docs``: Swagger UI, ``/redoc``: ReDoc) served with no
network: their scripts, styles and icon come from the ``fastapi-offline`` package's
static files (Swagger UI 5, which reads OpenAPI 3.1, and ReDoc 2) instead of a CDN, so
the pages work on a machine without internet access.

Should that package be missing (an environment installed before it became a dependency),
both pages fall back to a plain page rendered on the server from the OpenAPI document:
every operation with its summary, description and answers, and no script at all.
"""

from __future__ import annotations

import html
import logging
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse

__all__ = ["DOCS_STATIC_URL", "install_docs", "render_plain_docs"]

_log = logging.getLogger(__name__)

#: Where the documentation pages' assets are served.
DOCS_STATIC_URL = "/docs-static"
_OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
# No validator badge: Swagger UI would fetch it from validator.swagger.io.
_SWAGGER_PARAMETERS = {"validatorUrl": None, "deepLinking": True}


def _static_directory() -> Path | None:
    try:
        directory = Path(str(files("fastapi_offline") / "static"))
    except ModuleNotFoundError:
        return None
    return directory if (directory / "swagger-ui-bundle.js").is_file() else None


def render_plain_docs(openapi: dict[str, Any]) -> str:
    """A self-contained HTML page of an OpenAPI document (Any: raw JSON): title,
    description, then per path and method the summary, description and answer codes."""
    info = openapi.get("info", {})
    title = html.escape(str(info.get("title", "API")))
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{title} - API</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}"
        "code{background:#eee;padding:0 .2em}</style></head><body>",
        f"<h1>{title} {html.escape(str(info.get('version', '')))}</h1>",
        f"<p>{html.escape(str(info.get('description', '')))}</p>",
        "<p>Machine-readable: <a href='/openapi.json'>/openapi.json</a></p>",
    ]
    for path, operations in openapi.get("paths", {}).items():
        for method, operation in operations.items():
            codes = ", ".join(sorted(operation.get("responses", {})))
            parts += [
                f"<h2><code>{html.escape(method.upper())} {html.escape(path)}</code></h2>",
                f"<p><b>{html.escape(str(operation.get('summary', '')))}</b></p>",
                f"<p>{html.escape(str(operation.get('description', '')))}</p>",
                f"<p>Answers: {html.escape(codes)}</p>",
            ]
    parts.append("</body></html>")
    return "\n".join(parts)


def install_docs(app: FastAPI) -> None:
    """Add ``/docs``, ``/docs/oauth2-redirect``, ``/redoc`` and their assets to ``app``
    (made with ``docs_url=None, redoc_url=None``)."""
    static = _static_directory()
    if static is None:
        _log.warning("fastapi-offline is not installed: /docs serves a plain page")

        @app.get("/docs", include_in_schema=False)
        @app.get("/redoc", include_in_schema=False)
        async def plain_docs() -> HTMLResponse:
            return HTMLResponse(render_plain_docs(app.openapi()))

        return
    app.mount(DOCS_STATIC_URL, StaticFiles(directory=static), name="docs-static")
    title = app.title

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{title} - API",
            oauth2_redirect_url=f"{root}{_OAUTH2_REDIRECT_URL}",
            swagger_js_url=f"{root}{DOCS_STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_STATIC_URL}/favicon.png",
            swagger_ui_parameters=_SWAGGER_PARAMETERS,
        )

    @app.get(_OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{title} - API reference",
            redoc_js_url=f"{root}{DOCS_STATIC_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{DOCS_STATIC_URL}/favicon.png",
            with_google_fonts=False,
        )
