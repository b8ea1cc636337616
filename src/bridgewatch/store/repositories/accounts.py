"""Web accounts: a username and a password hash bound to a participant (``web_accounts``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bridgewatch.store.tables import web_accounts

__all__ = ["AccountRow", "find_account", "insert_account"]


@dataclass(frozen=True, slots=True)
class AccountRow:
    """A web account: its participant and the stored password hash."""

    username: str
    participant_id: str
    password_hash: str


def find_account(session: Session, username: str) -> AccountRow | None:
    """The account called ``username``, or ``None``."""
    row = session.execute(
        select(web_accounts.c.participant_id, web_accounts.c.password_hash).where(
            web_accounts.c.username == username
        )
    ).first()
    return None if row is None else AccountRow(username, row.participant_id, row.password_hash)


def insert_account(
    session: Session, *, username: str, participant_id: str, password_hash: str, now_ms: int
) -> None:
    """Store a new account (the username is unique: a taken one raises ``IntegrityError``)."""
    session.execute(
        insert(web_accounts).values(
            username=username,
            participant_id=participant_id,
            password_hash=password_hash,
            created_at_ms=now_ms,
        )
    )
