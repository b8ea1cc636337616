"""Alembic migrations of the bridgewatch database (run with ``bridgewatch db upgrade``)."""
