"""Server-rendered contributor pages (Jinja2, a little vanilla JS, SVG charts), mounted on
the service app by :func:`install_web`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

__all__ = ["install_web"]


def install_web(app: FastAPI) -> FastAPI:
    """Add the web pages and ``/static`` to the service app (its web tables must exist).

    Parameters
    ----------
    app : an app from :func:`bridgewatch.service.create_app` (its engine must be migrated).

    Returns
    -------
    The same app, for chaining.
    """
    from bridgewatch.store.migrate import ensure_web_schema
    from bridgewatch.web.routes import router

    ensure_web_schema(app.state.engine)
    app.include_router(router)
    app.mount(
        "/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static"
    )
    return app
