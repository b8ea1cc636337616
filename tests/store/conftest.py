"""The migrated test databases (SQLite; PostgreSQL when configured) and the service factory
of the service tests, for the store's tests."""

from tests.service.conftest import engine, make_service, pg_engine, sqlite_engine

__all__ = ["engine", "make_service", "pg_engine", "sqlite_engine"]
