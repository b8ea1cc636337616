"""A note status history as if the community had been scored along the way.

The public dump's ``noteStatusHistory`` comes from hourly production runs, so one run of
the scorer on the dump releases the notes that were already helpful: they are past the
stabilization delay (scoring-core.md §9.4). A history of NEEDS_MORE_RATINGS rows only
(``seed_status_history``) holds every such note for an hour instead, so a first ``score``
shows none helpful. :func:`scored_status_history` replays the Core scorer (without topic
models, which need more posts than a small community has) at ``status_checkpoint_days``
intervals from the window start, and once more two hours before the newest rating, through
:func:`bridgewatch.scoring.replay.replay_checkpoints`, the code ``bridgewatch demo`` uses.
"""

from __future__ import annotations

import logging
import time

import polars as pl

from bridgewatch.io import schemas
from bridgewatch.io.write import conform
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.replay import CommunityFrames, replay_checkpoints
from bridgewatch.sim.config import SimConfig

__all__ = ["LAST_CHECKPOINT_BEFORE_MS", "scored_status_history", "status_checkpoints"]

_log = logging.getLogger(__name__)
_DAY_MS = 86_400_000
# The last run is this long before the newest data: a run at the newest timestamp (what
# ``bridgewatch score`` does by default) is then past the stabilization delay of the
# notes it found helpful (60 minutes, scoring-core.md §9.4).
LAST_CHECKPOINT_BEFORE_MS = 2 * 3_600_000


def status_checkpoints(config: SimConfig, newest_ms: int) -> list[int]:
    """Run times, ms: every ``status_checkpoint_days`` from the window start, then
    ``LAST_CHECKPOINT_BEFORE_MS`` before ``newest_ms`` (the newest note or rating)."""
    last = newest_ms - LAST_CHECKPOINT_BEFORE_MS
    step = round(config.status_checkpoint_days * _DAY_MS)
    times = list(range(config.start_ms + step, last, step))
    return [*times, last] if last > config.start_ms else times


def scored_status_history(
    config: SimConfig,
    *,
    notes: pl.DataFrame,
    ratings: pl.DataFrame,
    enrollment: pl.DataFrame,
    history: pl.DataFrame,
) -> pl.DataFrame:
    """The status history after scoring the community at :func:`status_checkpoints`.

    Parameters
    ----------
    config : the simulation config (its seed seeds the scorer too).
    notes, ratings, enrollment : the community's public frames.
    history : the history before the first run (seeded NEEDS_MORE_RATINGS rows, or empty);
        notes no run saw keep their rows.

    Returns
    -------
    A ``noteStatusHistory`` frame (``io.schemas.NOTE_STATUS_HISTORY``) sorted by note
    creation time and id.
    """
    started = time.perf_counter()
    times = pl.concat([ratings["createdAtMillis"], notes["createdAtMillis"]])
    newest = int(times.max()) if times.len() else config.end_ms  # type: ignore[arg-type]
    checkpoints = status_checkpoints(config, newest)
    replay = replay_checkpoints(
        CommunityFrames(notes, ratings, enrollment),
        history,
        checkpoints,
        ScoringConfig(topics=None),
        seed=config.seed,
    )
    frame = conform(replay.history, schemas.NOTE_STATUS_HISTORY).sort(
        "createdAtMillis", pl.col("noteId").cast(pl.Int64, strict=False), "noteId"
    )
    _log.info(
        "scored the status history at %d checkpoints in %.1f s",
        len(checkpoints),
        time.perf_counter() - started,
    )
    return frame
