"""Stored refits: payloads in pieces (PostgreSQL returns no value of 1 GB or more), read
back whole, older refits pruned, and rows stored before the pieces still readable."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Engine, func, insert, select

from bridgewatch.store.repositories.refits import load_refit_payload, store_refit
from bridgewatch.store.tables import pipeline_refit_chunks, pipeline_refits


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_a_payload_is_stored_in_pieces_and_read_back_whole(engine: Engine) -> None:
    payload = np.random.default_rng(0).integers(0, 256, 10_001, dtype=np.uint8).tobytes()
    with engine.begin() as conn:
        refit_id = store_refit(
            conn, created_at_ms=5, snapshot_offset=7, payload=payload, chunk_bytes=1_000
        )
    assert _count(engine, pipeline_refit_chunks) == 11  # ten full pieces and one byte
    with engine.connect() as conn:
        assert load_refit_payload(conn, refit_id) == payload
        row = conn.execute(select(pipeline_refits).where(pipeline_refits.c.id == refit_id)).one()
    assert (row.created_at_ms, row.snapshot_offset, bytes(row.payload)) == (5, 7, b"")


def test_storing_a_refit_keeps_only_the_newest_ones(engine: Engine) -> None:
    ids = []
    for k in range(4):
        with engine.begin() as conn:
            ids.append(
                store_refit(
                    conn, created_at_ms=k, snapshot_offset=k, payload=bytes([k]) * 30, chunk_bytes=8
                )
            )
    with engine.connect() as conn:
        left = sorted(int(i) for i in conn.execute(select(pipeline_refits.c.id)).scalars())
        assert left == ids[-2:]
        assert load_refit_payload(conn, ids[-1]) == bytes([3]) * 30
        with pytest.raises(LookupError, match=str(ids[0])):
            load_refit_payload(conn, ids[0])
    assert _count(engine, pipeline_refit_chunks) == 2 * 4  # no piece of a pruned refit is left


def test_a_refit_stored_inline_before_the_pieces_still_loads(engine: Engine) -> None:
    with engine.begin() as conn:
        old = conn.execute(
            insert(pipeline_refits).returning(pipeline_refits.c.id),
            {"created_at_ms": 1, "snapshot_offset": 1, "payload": b"inline refit"},
        ).scalar_one()
    with engine.connect() as conn:
        assert load_refit_payload(conn, int(old)) == b"inline refit"


def test_bad_arguments_are_refused(engine: Engine) -> None:
    with engine.begin() as conn, pytest.raises(ValueError, match="chunk_bytes"):
        store_refit(conn, created_at_ms=1, snapshot_offset=1, payload=b"x", chunk_bytes=0)
