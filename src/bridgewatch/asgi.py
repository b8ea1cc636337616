"""Entry point for ASGI servers.

Run ``uvicorn --factory bridgewatch.asgi:app_from_environment``.

Settings come from ``BRIDGEWATCH_*`` environment variables, read when the factory is called
(in each worker process), never at import.
"""

from __future__ import annotations

import logging
import os

from fastapi import FastAPI

from bridgewatch.service.app import create_app
from bridgewatch.service.logs import configure_json_logging
from bridgewatch.service.settings import Settings

__all__ = ["app_from_environment"]


def app_from_environment() -> FastAPI:
    """Build the app (API and web pages) from the environment (JSON logs unless
    BRIDGEWATCH_LOG_FORMAT=text)."""
    if os.environ.get("BRIDGEWATCH_LOG_FORMAT", "json") == "json":
        configure_json_logging(int(os.environ.get("BRIDGEWATCH_LOG_LEVEL", logging.INFO)))
    from bridgewatch.web import install_web

    return install_web(create_app(Settings()))
