"""What the note details say about ratings that wait for the next full refit.

The worker scores with the rater parameters of the last refit, so a rating by a rater that
refit does not know cannot move its note until the next refit; the worker keeps the count
per note in ``pipeline_pending`` (see :mod:`bridgewatch.store.tables`).
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from bridgewatch.store.tables import pipeline_pending

__all__ = ["PendingRatings", "pending_ratings"]

# Whether the pipeline tables exist, per engine (a database no worker ever ran on has none);
# weak keys: a disposed engine's entry goes with it (an id() could be reused).
_HAS_TABLE: weakref.WeakKeyDictionary[Engine, tuple[bool, float]] = weakref.WeakKeyDictionary()
_RECHECK_S = 30.0


@dataclass(frozen=True)
class PendingRatings:
    """Ratings on one note that wait for the next refit.

    Attributes
    ----------
    ratings : how many.
    next_refit_at_ms : when the next scheduled refit is due, ms since the epoch.
    """

    ratings: int
    next_refit_at_ms: int

    @property
    def message(self) -> str:
        """One sentence for the note details."""
        when = datetime.fromtimestamp(self.next_refit_at_ms / 1000, tz=UTC)
        noun = "rating" if self.ratings == 1 else "ratings"
        verb = "is" if self.ratings == 1 else "are"
        return (
            f"{self.ratings} {noun} from new raters {verb} pending until the next refit "
            f"at {when:%Y-%m-%d %H:%M} UTC (the current rater parameters do not cover them)."
        )


def _has_table(session: Session) -> bool:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    known = _HAS_TABLE.get(engine)
    if known is not None and (known[0] or time.monotonic() - known[1] < _RECHECK_S):
        return known[0]
    exists = inspect(session.connection()).has_table(pipeline_pending.name)
    _HAS_TABLE[engine] = (exists, time.monotonic())
    return exists


def pending_ratings(session: Session, note_id: int) -> PendingRatings | None:
    """The note's ratings waiting for the next refit, or None when none wait."""
    if not _has_table(session):
        return None
    row = session.execute(
        select(pipeline_pending.c.pending_ratings, pipeline_pending.c.next_refit_at_ms).where(
            pipeline_pending.c.note_id == note_id
        )
    ).first()
    if row is None or row[0] <= 0:
        return None
    return PendingRatings(ratings=int(row[0]), next_refit_at_ms=int(row[1]))
