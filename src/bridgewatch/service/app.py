"""The application factory: ``create_app(settings)``."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from sqlalchemy import Engine

from bridgewatch import __version__
from bridgewatch import clock as wall
from bridgewatch.service.api import export, health, notes, participants, posts, stream, timelines
from bridgewatch.service.docs import install_docs
from bridgewatch.service.errors import install_error_handlers
from bridgewatch.service.fast_ratings import FastRatingRoute
from bridgewatch.service.idempotency import install_replay_handler
from bridgewatch.service.middleware import BodySizeLimit, Metrics, RequestObserver
from bridgewatch.service.pg_ratings import RatingWriter
from bridgewatch.service.settings import Settings
from bridgewatch.store.db import make_engine, make_session_factory, psycopg_connect_kwargs

__all__ = ["create_app"]


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    clock: Callable[[], int] | None = None,
) -> FastAPI:
    """Build the HTTP service.

    Parameters
    ----------
    settings : the service configuration (database, limits).
    engine : an existing engine (tests pass one bound to their schema); default: one made
        from ``settings``. The schema must be migrated (``bridgewatch db upgrade``).
    clock : returns "now" in ms since the epoch; default the wall clock.

    Returns
    -------
    The FastAPI app: API under ``/api/v1``, OpenAPI at ``/openapi.json``, its pages at
    ``/docs`` and ``/redoc`` (no network needed), ``/healthz``, ``/metrics``.
    """
    if engine is None:
        engine = make_engine(
            settings.resolved_database_url(),
            pool_size=settings.pool_size,
            pool_pre_ping=settings.pool_pre_ping,
            pool_recycle_s=settings.pool_recycle_s,
        )
    app = FastAPI(
        # The documentation pages are served from the package, not a CDN (install_docs).
        docs_url=None,
        redoc_url=None,
        title="bridgewatch",
        version=__version__,
        description="Community notes with bridging-based scoring: participants, posts, notes, "
        "ratings, note requests, timelines and public data.",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.clock = clock or wall.now_ms
    # PostgreSQL: session ratings take the one-statement asynchronous path.
    app.state.rating_writer = (
        RatingWriter(
            psycopg_connect_kwargs(engine),
            pool_size=settings.pool_size,
            recycle_s=settings.pool_recycle_s,
        )
        if settings.rating_fast_path and engine.dialect.name == "postgresql"
        else None
    )
    app.state.metrics = Metrics()
    install_error_handlers(app)
    install_docs(app)
    install_replay_handler(app)
    for module in (participants, posts, notes, timelines, export):
        app.include_router(module.router)
    app.include_router(health.router)
    app.include_router(stream.router)
    # Innermost of ours: inside the size limit and the metrics, in front of FastAPI.
    app.add_middleware(FastRatingRoute, fastapi_app=app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(RequestObserver, metrics=app.state.metrics)
    return app
