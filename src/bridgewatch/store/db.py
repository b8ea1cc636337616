"""Engines and sessions: SQLite (WAL, foreign keys on) by default, PostgreSQL via psycopg 3."""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["engine_recipe", "make_engine", "make_session_factory", "psycopg_connect_kwargs"]

# Extra connection arguments of the engines made here (the search path of a test schema):
# the asynchronous rating path opens its own connections and needs the same ones.
_EXTRA_CONNECT_ARGS: weakref.WeakKeyDictionary[Engine, dict[str, Any]] = weakref.WeakKeyDictionary()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Any: the DB-API connection object of sqlite3, untyped by SQLAlchemy's event API.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(
    url: str,
    *,
    pool_size: int = 10,
    search_path: str | None = None,
    pool_pre_ping: bool = True,
    pool_recycle_s: int = 1800,
) -> Engine:
    """Create an engine for ``url``.

    Parameters
    ----------
    url : SQLAlchemy URL (``sqlite:///path`` or ``postgresql+psycopg://...``).
    pool_size : connections kept per process (PostgreSQL only).
    search_path : PostgreSQL schema to work in (tests isolate each session in one).
    pool_pre_ping : test a pooled connection with a round trip at each checkout (PostgreSQL).
    pool_recycle_s : replace pooled connections older than this, seconds (PostgreSQL).

    Returns
    -------
    Engine with SQLite pragmas (WAL, foreign keys, busy timeout) set on every connection.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args: dict[str, Any] = {}
    if search_path is not None:
        connect_args["options"] = f"-csearch_path={search_path}"
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=pool_pre_ping,
        pool_recycle=pool_recycle_s,
        connect_args=connect_args,
    )
    _EXTRA_CONNECT_ARGS[engine] = connect_args
    return engine


def psycopg_connect_kwargs(engine: Engine) -> dict[str, Any]:
    """Keyword arguments of ``psycopg.connect`` reaching the database of a PostgreSQL engine.

    The URL's host, port, user, password, database and query options, plus the extra
    connection arguments ``make_engine`` gave the engine (``search_path``). Any: psycopg's
    connection keywords are heterogeneous.
    """
    _args, kwargs = engine.dialect.create_connect_args(engine.url)
    kwargs.pop("context", None)  # SQLAlchemy's own type adapters
    return {**kwargs, **_EXTRA_CONNECT_ARGS.get(engine, {})}


def engine_recipe(engine: Engine) -> dict[str, Any]:
    """Keyword arguments of :func:`make_engine` that reach the database of ``engine`` from
    another process: ``url`` (with its password) and, when ``make_engine`` set one, the
    PostgreSQL ``search_path``. An in-memory SQLite database has no recipe (ValueError):
    another process cannot see it."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and (not url.database or url.database == ":memory:"):
        raise ValueError("an in-memory SQLite database cannot be opened by another process")
    recipe: dict[str, Any] = {"url": url.render_as_string(hide_password=False)}
    options = str(_EXTRA_CONNECT_ARGS.get(engine, {}).get("options", ""))
    if options.startswith("-csearch_path="):
        recipe["search_path"] = options.removeprefix("-csearch_path=")
    return recipe


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that never expire objects on commit (the service uses Core rows)."""
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)
