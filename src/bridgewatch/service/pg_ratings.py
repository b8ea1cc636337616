"""The PostgreSQL hot path of rating writes: one statement, one round trip, no thread hop.

A rating POST by a session token (the web app's case) is the service's most frequent write.
On PostgreSQL it runs as a single statement on an asynchronous psycopg connection, in a
transaction that first takes the rater's write lock (``repositories.locks``, the lock the
general path takes too, so the ratings-per-minute limit is exact across both paths); the
four messages go in one pipelined round trip. The statement checks the session token
(live, of the expected participant), the rater's enrollment (not removed, not an AI
writer), the note (exists, not the rater's own, not deleted) and the ratings-per-minute
limit, and only if all pass upserts the rating and appends its outbox event
(``rating.created`` or ``rating.replaced``). Either everything is written or nothing.
It answers which check failed, in the order the general path applies them, so the HTTP
answers are the same.

The participant id of a token is cached in process (a token's participant never changes);
the statement re-checks the token itself, so a logout or an expiry takes effect at once.

Everything else (API keys, idempotency keys, ``POPULATION_SAMPLED``, SQLite) takes the
general path through SQLAlchemy.
"""

from __future__ import annotations

import asyncio
import functools
import select
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

import psycopg

from bridgewatch.model import EnrollmentState
from bridgewatch.store.repositories.locks import participant_lock_key
from bridgewatch.store.repositories.ratings import rating_event_payload
from bridgewatch.store.rows import RatingRow
from bridgewatch.store.tables import ratings
from bridgewatch.usecases.ratings import RATING_EVENT_TYPES, Verdict
from bridgewatch.usecases.rules import AI_WRITER_STATES

__all__ = ["AsyncConnectionPool", "RatingOutcome", "RatingWriter"]

_KEY = ("noteId", "raterParticipantId")
_VERDICTS = frozenset({*get_args(Verdict), "ok"})
_LOCK_STATEMENT = "SELECT pg_advisory_xact_lock(%s::bigint)"


def _has_input(fd: int) -> bool:
    """Whether the socket ``fd`` has something to read (or hung up), without waiting.

    ``poll`` rather than ``select``: it takes descriptors above ``FD_SETSIZE`` (1024) too.
    """
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        return bool(poller.poll(0))
    readable, _, _ = select.select([fd], [], [], 0)  # pragma: no cover - not Linux
    return bool(readable)


class AsyncConnectionPool:
    """Up to ``size`` autocommit psycopg connections for the running event loop.

    Connections open lazily. A pool serves one event loop at a time: when it is used from a
    new loop (test clients start one per request), the idle connections of the old one are
    closed and new ones opened. A connection that broke is dropped and replaced.

    An idle connection is checked when taken, without a round trip: the server says nothing
    to an idle connection we do not LISTEN on, so a socket with something to read means the
    server ended the session (a restart, ``pg_terminate_backend``, a crash closing the
    socket) and a new connection replaces it. Connections older than ``recycle_s`` are
    replaced too, as the synchronous pool does (``Settings.pool_recycle_s``).
    """

    def __init__(
        self, connect_kwargs: dict[str, Any], size: int, *, recycle_s: float = 1800.0
    ) -> None:
        self._kwargs = connect_kwargs
        self._size = size
        self._recycle_s = recycle_s
        self._loop: asyncio.AbstractEventLoop | None = None
        # Idle connections, or None for a slot whose connection is still to be opened.
        self._slots: asyncio.LifoQueue[psycopg.AsyncConnection[Any] | None] | None = None
        self._opened_at: weakref.WeakKeyDictionary[psycopg.AsyncConnection[Any], float] = (
            weakref.WeakKeyDictionary()
        )
        #: Idle connections found dead or too old and replaced (for tests and metrics).
        self.replaced = 0

    def _bind(self) -> asyncio.LifoQueue[psycopg.AsyncConnection[Any] | None]:
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:
            self.close()
            self._loop = loop
            self._slots = asyncio.LifoQueue()
            for _ in range(self._size):
                self._slots.put_nowait(None)
        return self._slots

    def _usable(self, conn: psycopg.AsyncConnection[Any]) -> bool:
        """Whether an idle connection is still open, live and young enough."""
        if conn.closed or conn.broken:
            return False
        opened = self._opened_at.get(conn)
        if opened is None or time.monotonic() - opened > self._recycle_s:
            return False
        try:
            return not _has_input(conn.pgconn.socket)
        except (OSError, ValueError, psycopg.OperationalError):
            return False

    async def acquire(self) -> psycopg.AsyncConnection[Any]:
        """A connection for one statement; give it back with :meth:`release`."""
        conn = await self._bind().get()
        if conn is not None and not self._usable(conn):
            self.replaced += 1
            conn.pgconn.finish()
            conn = None
        if conn is None or conn.closed or conn.broken:
            try:
                conn = await psycopg.AsyncConnection.connect(autocommit=True, **self._kwargs)
            except BaseException:
                self._bind().put_nowait(None)
                raise
            # psycopg's mark of a pooled connection: no ResourceWarning when the process
            # (or a test's app) ends with it still open.
            conn._pool = self
            self._opened_at[conn] = time.monotonic()
        return conn

    def release(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """Give a connection back (a broken one frees its slot for a fresh connection)."""
        slots = self._bind()
        if conn.closed or conn.broken:
            slots.put_nowait(None)
        else:
            slots.put_nowait(conn)

    def backend_pids(self) -> list[int]:
        """The server process ids of the pool's open connections (diagnostics and tests)."""
        return [conn.pgconn.backend_pid for conn in list(self._opened_at) if not conn.closed]

    def close(self) -> None:
        """Close the idle connections (synchronously: the loop they ran on may be gone)."""
        if self._slots is None:
            return
        while not self._slots.empty():
            conn = self._slots.get_nowait()
            if conn is not None:
                conn.pgconn.finish()
        self._slots = None


@dataclass(frozen=True)
class RatingOutcome:
    """What the statement did: ``verdict`` names the first failed check, or ``ok``.

    Verdicts: ``unauthenticated``, ``removed``, ``ai_writer``, ``not_found``, ``own_note``,
    ``deleted``, ``rate_limited`` (the rules of :mod:`bridgewatch.usecases.ratings`, which
    words each refusal), ``ok``. ``replaced`` is meaningful for ``ok`` only.
    """

    verdict: Verdict | Literal["ok"]
    replaced: bool


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@functools.cache
def _rating_statement() -> str:
    # The row arrives as its outbox payload (JSON of every column) and becomes a ratings
    # record with jsonb_populate_record: a short statement with few parameters, which
    # psycopg caches parsed (it re-parses statements over 4 kB or 50 parameters each time).
    updated = [_quoted(c.name) for c in ratings.columns if c.name not in _KEY]
    updates = ", ".join(updated)
    excluded = ", ".join(f"EXCLUDED.{name}" for name in updated)
    ai_states = ", ".join(str(int(s)) for s in sorted(AI_WRITER_STATES))
    event_types = ", ".join(f"'{t}'" for t in RATING_EVENT_TYPES)
    return f"""
WITH actor AS (
    SELECT coalesce(e."enrollmentState", {int(EnrollmentState.newUser)}) AS state,
           p.is_api_writer
    FROM session_tokens t
    JOIN participants p ON p."participantId" = t.participant_id
    LEFT JOIN enrollment e ON e."participantId" = p."participantId"
    WHERE t.token_hash = %(token_hash)s::varchar AND t.participant_id = %(rater)s::varchar
      AND t.expires_at_ms > %(now)s::bigint
), target AS (
    SELECT "noteAuthorParticipantId" AS author, deleted_at_ms
    FROM notes WHERE "noteId" = %(note_id)s::bigint
), verdict AS (
    SELECT CASE
        WHEN NOT EXISTS (SELECT 1 FROM actor) THEN 'unauthenticated'
        WHEN (SELECT state FROM actor) = {int(EnrollmentState.removed)} THEN 'removed'
        WHEN (SELECT is_api_writer OR state IN ({ai_states}) FROM actor) THEN 'ai_writer'
        WHEN NOT EXISTS (SELECT 1 FROM target) THEN 'not_found'
        WHEN (SELECT author FROM target) = %(rater)s::varchar THEN 'own_note'
        WHEN (SELECT deleted_at_ms FROM target) IS NOT NULL THEN 'deleted'
        WHEN (
            SELECT count(*) FROM events
            WHERE actor_participant_id = %(rater)s::varchar
              AND event_type IN ({event_types}) AND created_at_ms >= %(since)s::bigint
        ) >= %(limit)s::bigint THEN 'rate_limited'
        ELSE 'ok'
    END AS verdict
), upserted AS (
    INSERT INTO ratings
    SELECT r.* FROM verdict, jsonb_populate_record(NULL::ratings, %(payload)s::jsonb) AS r
    WHERE verdict = 'ok'
    ON CONFLICT ({", ".join(_quoted(k) for k in _KEY)})
    DO UPDATE SET ({updates}) = ROW({excluded})
    RETURNING xmax <> 0 AS replaced
), logged AS (
    INSERT INTO events (created_at_ms, event_type, actor_participant_id, entity_id, payload)
    SELECT %(now)s::bigint,
           CASE WHEN replaced THEN 'rating.replaced' ELSE 'rating.created' END,
           %(rater)s::varchar, %(entity_id)s::varchar, %(payload)s::text
    FROM upserted
    RETURNING event_type
)
SELECT verdict, (SELECT event_type FROM logged) FROM verdict
"""


class RatingWriter:
    """Writes session-authenticated ratings on PostgreSQL in one statement each.

    Parameters
    ----------
    connect_kwargs : ``psycopg.connect`` keywords (see ``db.psycopg_connect_kwargs``).
    pool_size : connections per worker process.
    recycle_s : replace connections older than this, seconds.
    token_cache_size : session tokens whose participant id is remembered (LRU).
    """

    def __init__(
        self,
        connect_kwargs: dict[str, Any],
        *,
        pool_size: int,
        recycle_s: float = 1800.0,
        token_cache_size: int = 65_536,
    ) -> None:
        self.pool = AsyncConnectionPool(connect_kwargs, pool_size, recycle_s=recycle_s)
        self._tokens: OrderedDict[str, str] = OrderedDict()
        self._token_cache_size = token_cache_size

    async def token_participant(self, token_hash: str, now_ms: int) -> str | None:
        """The participant of a live session token (cached), or ``None``."""
        pid = self._tokens.get(token_hash)
        if pid is not None:
            self._tokens.move_to_end(token_hash)
            return pid
        conn = await self.pool.acquire()
        try:
            cur = await conn.execute(
                "SELECT participant_id FROM session_tokens "
                "WHERE token_hash = %s::varchar AND expires_at_ms > %s::bigint",
                (token_hash, now_ms),
            )
            row = await cur.fetchone()
        finally:
            self.pool.release(conn)
        if row is None:
            return None
        self._tokens[token_hash] = row[0]
        if len(self._tokens) > self._token_cache_size:
            self._tokens.popitem(last=False)
        return str(row[0])

    async def write(
        self,
        *,
        token_hash: str,
        rating: RatingRow,
        since_ms: int,
        limit: int,
    ) -> RatingOutcome:
        """Check and write one rating (made at its ``created_at_ms``), counting the rater's
        ratings since ``since_ms`` against ``limit``. Nothing is written unless the verdict
        is ``ok``.
        """
        rater = rating.rater_participant_id
        params = {
            "note_id": rating.note_id,
            "token_hash": token_hash,
            "rater": rater,
            "now": rating.created_at_ms,
            "since": since_ms,
            "limit": limit,
            "entity_id": f"{rating.note_id}:{rater}",
            "payload": rating_event_payload(rating),
        }
        conn = await self.pool.acquire()
        try:
            # Pipelined (one round trip): BEGIN, the rater's write lock, the statement,
            # COMMIT. The statement's snapshot is taken once the lock is held, so it counts
            # every rating committed before it and the rate limit is exact.
            async with conn.pipeline(), conn.transaction():
                await conn.execute(_LOCK_STATEMENT, (participant_lock_key(rater),), prepare=True)
                cur = await conn.execute(_rating_statement(), params, prepare=True)
            row = await cur.fetchone()
        finally:
            self.pool.release(conn)
        assert row is not None
        verdict, event_type = row
        if verdict == "unauthenticated":
            self._tokens.pop(token_hash, None)
        if verdict not in _VERDICTS:  # pragma: no cover - the statement and Verdict disagree
            raise RuntimeError(f"unknown rating verdict {verdict!r}")
        return RatingOutcome(
            cast("Verdict | Literal['ok']", verdict), event_type == "rating.replaced"
        )

    def close(self) -> None:
        """Close the idle connections."""
        self.pool.close()
