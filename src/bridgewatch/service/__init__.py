"""The HTTP service: storage, API, auth and limits.

Public surface: :func:`create_app`, :class:`Settings`, :func:`make_engine` and
:func:`upgrade_database`.
"""

from bridgewatch.service.app import create_app
from bridgewatch.service.db import make_engine
from bridgewatch.service.migrate import upgrade_database
from bridgewatch.service.settings import Settings

__all__ = ["Settings", "create_app", "make_engine", "upgrade_database"]
