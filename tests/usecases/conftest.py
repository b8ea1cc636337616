"""The migrated test databases of the service tests (SQLite; PostgreSQL when configured)."""

from tests.service.conftest import engine, pg_engine, sqlite_engine

__all__ = ["engine", "pg_engine", "sqlite_engine"]
