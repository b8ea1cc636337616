"""The HTTP service: storage, API, auth and limits.

Public surface: :func:`create_app`, :class:`Settings`, :func:`make_engine` and
:func:`upgrade_database`. They are imported on first use, so that importing a submodule
(``bridgewatch.service.migrate`` from the pipeline, say) does not pull in the whole web stack
and cannot close an import cycle through it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bridgewatch.service.app import create_app
    from bridgewatch.service.db import make_engine
    from bridgewatch.service.migrate import upgrade_database
    from bridgewatch.service.settings import Settings

__all__ = ["Settings", "create_app", "make_engine", "upgrade_database"]

_HOMES = {
    "create_app": "bridgewatch.service.app",
    "make_engine": "bridgewatch.service.db",
    "upgrade_database": "bridgewatch.service.migrate",
    "Settings": "bridgewatch.service.settings",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'bridgewatch.service' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
