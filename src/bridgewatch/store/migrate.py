"""Run the Alembic migrations shipped inside the package (``bridgewatch db upgrade``)."""

from __future__ import annotations

from collections.abc import Iterable

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect

from bridgewatch.errors import BridgewatchError
from bridgewatch.store.tables import PIPELINE_TABLES, WEB_TABLES

__all__ = [
    "SchemaOutdatedError",
    "alembic_config",
    "ensure_pipeline_schema",
    "ensure_web_schema",
    "require_tables",
    "upgrade_database",
]


class SchemaOutdatedError(BridgewatchError):
    """The database lacks tables of the current schema: ``bridgewatch db upgrade`` adds them."""


def alembic_config(engine: Engine) -> Config:
    """An Alembic config pointing at the packaged migrations, bound to ``engine``."""
    config = Config()
    config.set_main_option("script_location", "bridgewatch.store:migrations")
    config.attributes["engine"] = engine
    return config


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision`` (default: the latest)."""
    command.upgrade(alembic_config(engine), revision)


def require_tables(engine: Engine, names: Iterable[str]) -> None:
    """Check that every table in ``names`` exists (the migrations create them).

    Raises
    ------
    SchemaOutdatedError : naming the missing tables and the command that creates them.
    """
    present = set(inspect(engine).get_table_names())
    missing = sorted(set(names) - present)
    if missing:
        raise SchemaOutdatedError(
            f"the database at {engine.url.render_as_string(hide_password=True)} lacks the "
            f"tables {', '.join(missing)}: run `bridgewatch db upgrade` "
            "(`bridgewatch serve` upgrades unless --no-migrate)"
        )


def ensure_pipeline_schema(engine: Engine) -> None:
    """Check that the real-time pipeline's tables exist (``bridgewatch db upgrade`` creates
    them).

    Raises
    ------
    SchemaOutdatedError : a table is missing.
    """
    require_tables(engine, PIPELINE_TABLES)


def ensure_web_schema(engine: Engine) -> None:
    """Check that the web app's tables exist (``bridgewatch db upgrade`` creates them).

    Raises
    ------
    SchemaOutdatedError : a table is missing.
    """
    require_tables(engine, WEB_TABLES)
