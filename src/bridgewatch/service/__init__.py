"""The HTTP service: API, auth and limits (storage is :mod:`bridgewatch.store`).

Public surface: :func:`create_app`, :class:`Settings`, and, re-exported from the store for
callers that start a service, :func:`make_engine` and :func:`upgrade_database`. They are
imported on first use, so that importing a submodule does not pull in the whole web stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bridgewatch.service.app import create_app
    from bridgewatch.service.settings import Settings
    from bridgewatch.store.db import make_engine
    from bridgewatch.store.migrate import upgrade_database

__all__ = ["Settings", "create_app", "make_engine", "upgrade_database"]

_HOMES = {
    "create_app": "bridgewatch.service.app",
    "make_engine": "bridgewatch.store.db",
    "upgrade_database": "bridgewatch.store.migrate",
    "Settings": "bridgewatch.service.settings",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'bridgewatch.service' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
