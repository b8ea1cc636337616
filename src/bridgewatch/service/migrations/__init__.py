"""Alembic migrations of the service database (run with ``bridgewatch db upgrade``)."""
