"""Per-participant write locks: a limit's count and the write it allows, made atomic.

A limit counts a participant's recent writes and then writes one more. Two requests of the
same participant running at once would both count the same number and both write, so the
limit could be exceeded by the number of concurrent requests. Taking this lock first, in the
request's transaction, makes the count and the write one step per participant:

- PostgreSQL: ``pg_advisory_xact_lock`` on a 64-bit key derived from the participant id,
  held until the transaction ends. Under READ COMMITTED each later statement of the
  transaction sees what the previous holder committed.
- SQLite: a statement that writes no row still begins the write transaction, and SQLite
  admits one writer at a time (the others wait up to the busy timeout). Python's sqlite3
  runs the reads before a transaction's first write outside it, so the counts made after
  the lock see every committed write.

The asynchronous rating path (``service.pg_ratings``) takes the same advisory lock with the
same key, so both paths exclude each other.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text, update
from sqlalchemy.orm import Session

from bridgewatch.store.tables import participants

__all__ = ["lock_name", "lock_participant_writes", "participant_lock_key"]


def participant_lock_key(participant_id: str, purpose: str = "writes") -> int:
    """The signed 64-bit advisory-lock key of ``purpose`` for ``participant_id``
    (BLAKE2b of both: stable across processes and versions)."""
    digest = hashlib.blake2b(
        f"bridgewatch:{purpose}:{participant_id}".encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_participant_writes(session: Session, participant_id: str, purpose: str = "writes") -> None:
    """Hold the write lock of ``participant_id`` until the session's transaction ends.

    Take it before counting what a limit counts; the write follows in the same transaction.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"),
            {"key": participant_lock_key(participant_id, purpose)},
        )
    else:
        # No row matches; the statement only begins the write transaction (the lock).
        session.execute(
            update(participants)
            .where(participants.c.participantId.is_(None))
            .values(alias=participants.c.alias)
        )


def lock_name(session: Session, purpose: str, name: str) -> None:
    """Hold the lock of ``name`` for ``purpose`` (a throttled address or account, say) until
    the session's transaction ends; the same mechanism as :func:`lock_participant_writes`."""
    lock_participant_writes(session, name, purpose)
