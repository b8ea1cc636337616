"""The real-time worker's stored refits: written in pieces, read whole, the old ones pruned.

A refit (the scorer's fitted parameters and per-note state, pickled by
``pipeline.state.Refit``) is about half a gigabyte at 1M ratings. PostgreSQL returns no single
value of 1 GB or more, and a bytea's text form is twice its size, so the payload is stored in
``pipeline_refit_chunks`` rows of at most ``chunk_bytes`` each. Rows stored before revision
0007 keep their payload inline in ``pipeline_refits.payload`` and load as before.

Like every repository these functions never commit: the caller's transaction stores a refit
together with the offsets and scores that go with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from bridgewatch.store.tables import pipeline_refit_chunks, pipeline_refits

__all__ = ["CHUNK_BYTES", "KEEP_REFITS", "load_refit_payload", "store_refit"]

CHUNK_BYTES = 64 << 20
"""Bytes per stored piece (64 MiB): far below PostgreSQL's 1 GB value limit."""

KEEP_REFITS = 2
"""Refits kept when a new one is stored: the new one and the one before it (a worker may still
be reading it); older ones are deleted, as each holds a whole community's fit."""


def store_refit(
    conn: Connection,
    *,
    created_at_ms: int,
    snapshot_offset: int,
    payload: bytes,
    chunk_bytes: int = CHUNK_BYTES,
    keep: int = KEEP_REFITS,
) -> int:
    """Store a refit's payload in pieces and prune the older refits; returns its id.

    Parameters
    ----------
    conn : a connection inside the caller's transaction.
    created_at_ms : when the refit was made, ms since the epoch.
    snapshot_offset : the event id the refit's data was read at.
    payload : the serialized refit.
    chunk_bytes : bytes per stored piece (> 0).
    keep : how many refits to keep, this one included (>= 1).
    """
    if chunk_bytes <= 0 or keep < 1:
        raise ValueError(f"chunk_bytes must be > 0 and keep >= 1 (got {chunk_bytes}, {keep})")
    refit_id = int(
        conn.execute(
            insert(pipeline_refits).returning(pipeline_refits.c.id),
            {"created_at_ms": created_at_ms, "snapshot_offset": snapshot_offset, "payload": b""},
        ).scalar_one()
    )
    view = memoryview(payload)
    for seq, start in enumerate(range(0, len(view), chunk_bytes)):
        conn.execute(
            insert(pipeline_refit_chunks),
            {"refit_id": refit_id, "seq": seq, "data": bytes(view[start : start + chunk_bytes])},
        )
    newest = [
        int(i)
        for i in conn.execute(
            select(pipeline_refits.c.id).order_by(pipeline_refits.c.id.desc()).limit(keep)
        ).scalars()
    ]
    stale = [
        int(i)
        for i in conn.execute(
            select(pipeline_refits.c.id).where(pipeline_refits.c.id.not_in(newest))
        ).scalars()
    ]
    if stale:
        # Pieces first: SQLite enforces no ON DELETE CASCADE unless asked to.
        conn.execute(
            delete(pipeline_refit_chunks).where(pipeline_refit_chunks.c.refit_id.in_(stale))
        )
        conn.execute(delete(pipeline_refits).where(pipeline_refits.c.id.in_(stale)))
    return refit_id


def load_refit_payload(conn: Connection, refit_id: int) -> bytes:
    """The payload :func:`store_refit` stored for ``refit_id`` (or the inline payload of a
    refit stored before revision 0007).

    Raises
    ------
    LookupError : no refit has this id.
    """
    inline = conn.execute(
        select(pipeline_refits.c.payload).where(pipeline_refits.c.id == refit_id)
    ).first()
    if inline is None:
        raise LookupError(f"no stored refit {refit_id}")
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        pieces: Iterable[bytes] = _binary_pieces(conn, refit_id)
    else:
        pieces = conn.execute(
            select(pipeline_refit_chunks.c.data)
            .where(pipeline_refit_chunks.c.refit_id == refit_id)
            .order_by(pipeline_refit_chunks.c.seq)
        ).scalars()
    joined = b"".join(pieces)
    return joined if joined else bytes(inline[0])


def _binary_pieces(conn: Connection, refit_id: int) -> list[bytes]:
    """The pieces in PostgreSQL's binary format, on the caller's connection (and so in its
    transaction). The text format a cursor uses by default sends a bytea as hex, twice its
    size, for the server to encode and the client to decode: a 1M-rating refit (~0.5 GB)
    took seconds more that way (64 MiB: 2.1 s against 0.4 s wall)."""
    raw: Any = conn.connection.driver_connection  # a psycopg.Connection
    with raw.cursor(binary=True) as cursor:
        cursor.execute(
            "SELECT data FROM pipeline_refit_chunks WHERE refit_id = %s ORDER BY seq",
            (refit_id,),
        )
        return [bytes(row[0]) for row in cursor.fetchall()]
