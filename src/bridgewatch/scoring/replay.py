"""Replay a community's scoring history: a roster of scorers at past checkpoints, in order.

Production scores every hour and each run reads the previous run's note status history, so
the stabilization delay (scoring-core.md §9.4) and the status locks (§10) play out over
time. A single run on a community that was never scored cannot show that: every note that
crosses the helpfulness threshold is held. :func:`replay_checkpoints` runs the scorer on
the notes and ratings created up to each checkpoint, each run taking the previous run's
history, and returns the history a later run should read (and the status changes on the
way). ``bridgewatch demo`` (``pipeline.publish``) and ``bridgewatch simulate`` (``sim``)
both replay through it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from bridgewatch.io import schemas
from bridgewatch.io.dataset import Dataset, ratings_from_frame
from bridgewatch.model import IdIndex
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.run import score
from bridgewatch.scoring.scorers import ScorerSpec
from bridgewatch.scoring.scorers.roster import core_scorer

__all__ = [
    "CommunityFrames",
    "Replay",
    "dataset_from_frames",
    "merge_history",
    "replay_checkpoints",
    "status_changes",
]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommunityFrames:
    """The scorer's inputs as frames in the public layouts (``io.schemas`` dtypes).

    Parameters
    ----------
    notes : notes frame (``NOTES``).
    ratings : ratings frame (``RATINGS``).
    enrollment : user enrollment frame (``USER_ENROLLMENT``).
    """

    notes: pl.DataFrame
    ratings: pl.DataFrame
    enrollment: pl.DataFrame


@dataclass(frozen=True)
class Replay:
    """What :func:`replay_checkpoints` produced.

    Attributes
    ----------
    history : the note status history after the last checkpoint (public column names);
        notes the runs never saw keep their rows of the input history.
    changes : one dict per note whose ``currentStatus`` changed at a checkpoint:
        ``note_id`` (int), ``changed_at_ms``, ``status``, ``decided_by``.
    """

    history: pl.DataFrame
    changes: list[dict[str, Any]]


def _typed(rows: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    return rows.select(
        [
            (pl.col(name) if name in rows.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in schema.items()
        ]
    )


def dataset_from_frames(
    frames: CommunityFrames, history: pl.DataFrame, *, until_ms: int | None = None
) -> Dataset:
    """The scorer's :class:`Dataset` from frames, as the worker's refit builds it.

    Parameters
    ----------
    frames : notes, ratings and enrollment (public layouts).
    history : the status history to score against (public column names).
    until_ms : keep only notes and ratings created at or before this time, ms (replaying
        history); default everything.
    """
    notes, ratings = frames.notes, frames.ratings
    if until_ms is not None:
        notes = notes.filter(pl.col("createdAtMillis") <= until_ms)
        kept = notes.select("noteId")
        ratings = ratings.filter(pl.col("createdAtMillis") <= until_ms).join(
            kept, on="noteId", how="semi"
        )
        history = history.with_columns(pl.col("noteId").cast(pl.String)).join(
            kept, on="noteId", how="semi"
        )
    ids = pl.concat(
        [
            ratings["raterParticipantId"],
            notes["noteAuthorParticipantId"],
            history["noteAuthorParticipantId"].cast(pl.String),
            frames.enrollment["participantId"],
        ]
    )
    participant_ids = IdIndex(np.asarray(ids.drop_nulls().unique().sort().to_list(), np.str_))
    note_ids = pl.concat([notes["noteId"], history["noteId"].cast(pl.String), ratings["noteId"]])
    note_index = IdIndex(np.asarray(note_ids.unique().sort().to_list(), dtype=np.str_))
    nsh_schema = schemas.NOTE_STATUS_HISTORY.polars_schema
    return Dataset(
        notes=notes,
        status_history=_typed(history, nsh_schema)
        if history.height
        else pl.DataFrame(schema=nsh_schema),
        enrollment=frames.enrollment,
        ratings=ratings_from_frame(ratings, note_index, participant_ids),
        note_ids=note_index,
        participant_ids=participant_ids,
    )


def merge_history(old: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """``new``'s rows plus ``old``'s rows of notes ``new`` does not cover."""
    new = new.with_columns(pl.col("noteId").cast(pl.String))
    kept = old.with_columns(pl.col("noteId").cast(pl.String)).join(
        new.select("noteId"), on="noteId", how="anti"
    )
    return pl.concat([_typed(kept, new.schema), new]) if kept.height else new


def status_changes(old: pl.DataFrame, new: pl.DataFrame, at_ms: int) -> list[dict[str, Any]]:
    """One dict per note whose ``currentStatus`` in ``new`` differs from ``old``'s:
    ``note_id`` (int), ``changed_at_ms`` (= ``at_ms``), ``status``, ``decided_by``."""
    before = old.select(pl.col("noteId").cast(pl.String), pl.col("currentStatus").alias("before"))
    joined = new.with_columns(pl.col("noteId").cast(pl.String)).join(
        before, on="noteId", how="left"
    )
    moved = joined.filter(
        pl.col("currentStatus").is_not_null()
        & ~pl.col("currentStatus").eq_missing(pl.col("before"))
    )
    return [
        {
            "note_id": int(r["noteId"]),
            "changed_at_ms": at_ms,
            "status": r["currentStatus"],
            "decided_by": r["currentDecidedBy"],
        }
        for r in moved.select("noteId", "currentStatus", "currentDecidedBy").to_dicts()
    ]


def replay_checkpoints(
    frames: CommunityFrames,
    history: pl.DataFrame,
    checkpoints_ms: Sequence[int],
    config: ScoringConfig,
    *,
    seed: int,
    scorers: Sequence[ScorerSpec] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Replay:
    """Score the community as it was at each checkpoint, each run reading the last one's
    status history.

    Parameters
    ----------
    frames : the whole community; each run sees what was created up to its checkpoint.
    history : the status history before the first checkpoint (may be empty).
    checkpoints_ms : run times, ms since the epoch (sorted here).
    config : the scorer's config.
    seed : seed of every run's random initial values.
    scorers : the roster each run scores with (as ``score``'s; give the final run's roster
        for a history in which every scorer's verdicts, locks and stabilization played out);
        default the Core scorer alone (``core_scorer(config)``), the cheap history.
    progress : told in words which checkpoint starts.

    Returns
    -------
    :class:`Replay`: the history after the last run and the status changes.
    """
    say = progress if progress is not None else (lambda _msg: None)
    changes: list[dict[str, Any]] = []
    ordered = sorted(checkpoints_ms)
    roster = tuple(scorers) if scorers is not None else (core_scorer(config),)
    for k, t in enumerate(ordered):
        say(f"scoring checkpoint {k + 1}/{len(ordered)}")
        run = score(
            dataset_from_frames(frames, history, until_ms=t),
            config,
            as_of_ms=t,
            seed=seed,
            scorers=roster,
        )
        changes += status_changes(history, run.note_status_history, t)
        history = merge_history(history, run.note_status_history)
    _log.info("replayed %d checkpoints: %d status changes", len(ordered), len(changes))
    return Replay(history, changes)
