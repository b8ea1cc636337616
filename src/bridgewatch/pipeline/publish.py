"""Score the service database with the batch scorer (the whole roster by default) and publish
the result in it.

The published tables are the ones the API and the web app read: ``note_status_history``
(with a ``note_status_changes`` row per status change), ``note_scores`` (status, deciding
model and rules, explanation tags, intercept, factor, bounds, rating counts),
``contributor_scores`` and the enrollment table. The run's prescoring and final pass are
also stored as the worker's refit (``pipeline_refits``, the same object
:meth:`bridgewatch.pipeline.state.LiveState.refit` builds: same data and seed give the same
prescoring) with the consumer offset at the snapshot, so a worker started afterwards
scores every later rating incrementally from exactly these parameters without refitting.

``checkpoints_ms`` replays history first (:func:`bridgewatch.scoring.replay.replay_checkpoints`):
the same roster runs on the notes and ratings created up to each checkpoint, each run taking the
previous run's status history, so statuses get a history, and the stabilization delay and
locks apply as in hourly production runs.

Call it while no worker consumes the database (after an import, before starting workers):
it sets the consumer's offset.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Connection, Engine, delete, insert, update

from bridgewatch.pipeline.state import Refit, defences_on, load_snapshot, max_event_id
from bridgewatch.pipeline.views import note_views
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.incremental import roster_refit
from bridgewatch.scoring.replay import (
    CommunityFrames,
    dataset_from_frames,
    replay_checkpoints,
    status_changes,
)
from bridgewatch.scoring.run import ScoringResult, score
from bridgewatch.scoring.scorers import ScorerSpec, default_roster, family_columns
from bridgewatch.store.repositories.refits import store_refit
from bridgewatch.store.tables import (
    contributor_scores,
    enrollment,
    note_scores,
    note_status_changes,
    note_status_history,
    pipeline_offsets,
)

__all__ = ["PublishedRun", "score_and_publish"]

_log = logging.getLogger(__name__)

PublishProgress = Callable[[str], None]
"""Told in words what :func:`score_and_publish` starts next."""


@dataclass(frozen=True)
class PublishedRun:
    """What :func:`score_and_publish` stored.

    Attributes
    ----------
    result : the final run's scoring result (as of ``as_of_ms``).
    status_counts : final status name -> number of notes.
    n_changes : status changes recorded over the checkpoints and the final run.
    refit_id : id of the stored ``pipeline_refits`` row.
    snapshot_offset : the event id the data was read at (the worker's new offset).
    """

    result: ScoringResult
    status_counts: dict[str, int]
    n_changes: int
    refit_id: int
    snapshot_offset: int


def _num(value: Any) -> float | None:
    if value is None:
        return None
    x = float(value)
    return x if math.isfinite(x) else None


_INT_NSH_COLUMNS = frozenset(
    c.name for c in note_status_history.columns if c.type.python_type is int
)


def _nsh_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for r in frame.to_dicts():
        rows.append(
            {
                k: (int(v) if v is not None and k in _INT_NSH_COLUMNS and v == v else v)
                for k, v in r.items()
                if k in note_status_history.c
            }
        )
    return rows


def _note_score_rows(
    result: ScoringResult, config: ScoringConfig, held: dict[str, str]
) -> list[dict[str, Any]]:
    sn = result.scored_notes
    rows: list[dict[str, Any]] = []
    views: list[str | None] = [None] * sn.height
    if result.roster is not None:
        families = family_columns(result.roster, result.inputs.n_notes)
        views = list(
            note_views(
                result.roster,
                families,
                result.meta,
                np.arange(sn.height, dtype=np.int64),
                config,
                held=held,
            )
        )
    for r in sn.select(
        "noteId",
        "finalRatingStatus",
        "decidedBy",
        "firstTag",
        "secondTag",
        "coreNoteIntercept",
        "coreNoteFactor1",
        "coreNoteInterceptMin",
        "coreNoteInterceptMax",
        "coreRatingStatus",
        "coreActiveRules",
        "metaScorerActiveRules",
        "activeFilterTags",
        "numRatings",
        "coreNumFinalRoundRatings",
    ).to_dicts():
        view = views[len(rows)]
        final_round = _num(r["coreNumFinalRoundRatings"])
        rows.append(
            {
                "note_id": int(r["noteId"]),
                "scored_at_ms": result.as_of_ms,
                "final_rating_status": r["finalRatingStatus"],
                "decided_by": r["decidedBy"],
                "first_tag": r["firstTag"],
                "second_tag": r["secondTag"],
                "core_note_intercept": _num(r["coreNoteIntercept"]),
                "core_note_factor1": _num(r["coreNoteFactor1"]),
                "core_note_intercept_min": _num(r["coreNoteInterceptMin"]),
                "core_note_intercept_max": _num(r["coreNoteInterceptMax"]),
                "core_rating_status": r["coreRatingStatus"],
                "core_active_rules": r["coreActiveRules"],
                "meta_scorer_active_rules": r["metaScorerActiveRules"],
                "active_filter_tags": r["activeFilterTags"],
                "num_ratings": None if r["numRatings"] is None else int(r["numRatings"]),
                "core_num_final_round_ratings": None if final_round is None else int(final_round),
                "scorer_views": view,
                "hold_reason": None,
                "held_since_ms": None,
            }
        )
    return rows


_COUNTS = {
    "successful_rating_helpful_count": "successfulRatingHelpfulCount",
    "successful_rating_not_helpful_count": "successfulRatingNotHelpfulCount",
    "unsuccessful_rating_helpful_count": "unsuccessfulRatingHelpfulCount",
    "unsuccessful_rating_not_helpful_count": "unsuccessfulRatingNotHelpfulCount",
    "ratings_awaiting_more_ratings": "ratingsAwaitingMoreRatings",
    "notes_currently_rated_helpful": "notesCurrentlyRatedHelpful",
    "notes_currently_rated_not_helpful": "notesCurrentlyRatedNotHelpful",
    "notes_awaiting_more_ratings": "notesAwaitingMoreRatings",
    "aggregate_rating_received_total": "aggregateRatingReceivedTotal",
}


def _contributor_rows(result: ScoringResult) -> list[dict[str, Any]]:
    rows = []
    for r in result.helpfulness_scores.to_dicts():
        rows.append(
            {
                "participant_id": r["raterParticipantId"],
                "scored_at_ms": result.as_of_ms,
                "core_rater_intercept": _num(r["coreRaterIntercept"]),
                "core_rater_factor1": _num(r["coreRaterFactor1"]),
                "above_helpfulness_threshold": r["aboveHelpfulnessThreshold"],
                **{db: int(r[col] or 0) for db, col in _COUNTS.items()},
            }
        )
    return rows


def _write_enrollment(conn: Connection, result: ScoringResult, known: set[str]) -> None:
    """The contributor phase's enrollment update for participants the database knows."""
    frame = result.helpfulness_scores.filter(pl.col("enrollmentState").is_not_null())
    for r in frame.to_dicts():
        pid = str(r["raterParticipantId"])
        if pid not in known:
            continue
        values: dict[str, Any] = {"enrollmentState": int(r["enrollmentState"])}
        for column in (
            "successfulRatingNeededToEarnIn",
            "timestampOfLastStateChange",
            "timestampOfLastEarnOut",
            "numberOfTimesEarnedOut",
        ):
            if r[column] is not None:
                values[column] = int(r[column])
        conn.execute(update(enrollment).where(enrollment.c.participantId == pid).values(**values))


def score_and_publish(
    engine: Engine,
    config: ScoringConfig,
    *,
    as_of_ms: int,
    seed: int,
    checkpoints_ms: Sequence[int] = (),
    consumer: str = "worker",
    progress: PublishProgress | None = None,
    scorers: Sequence[ScorerSpec] | None = None,
) -> PublishedRun:
    """Score the whole database (after replaying ``checkpoints_ms``) and publish it.

    Parameters
    ----------
    engine : a migrated service database.
    config : the scorer's config (the workers must use the same one).
    as_of_ms : "now" of the final run, ms since the epoch.
    seed : seed of every run's random initial values (give the workers the same seed).
    checkpoints_ms : earlier run times to replay first, ascending, each < ``as_of_ms``.
    consumer : the worker consumer whose offset and refit this run sets.
    progress : told what starts next, e.g. for a command-line progress line.
    scorers : the roster (default: every scorer of the published algorithm, as ``score``);
        the workers keep the same roster current between refits.

    Returns
    -------
    :class:`PublishedRun`.
    """
    say = progress if progress is not None else (lambda _msg: None)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            frames, _offset = load_snapshot(conn, consumer)
            position = max_event_id(conn)
            known = {str(p) for p in frames.enrollment["participantId"].to_list()}
    community = CommunityFrames(frames.notes, frames.ratings, frames.enrollment)
    replay = replay_checkpoints(
        community,
        frames.history.to_frame(),
        checkpoints_ms,
        config,
        seed=seed,
        scorers=scorers if scorers is not None else default_roster(config),
        progress=say,
    )
    history, changes = replay.history, replay.changes
    say("scoring now")
    dataset = dataset_from_frames(community, history)
    result = score(dataset, config, as_of_ms=as_of_ms, seed=seed, scorers=scorers)
    changes += status_changes(history, result.note_status_history, as_of_ms)
    say("storing the worker's refit")
    refit = Refit(roster_refit(result), defences_on(config), frames.enrollment)
    nsh = result.note_status_history
    published_ids = [int(n) for n in nsh["noteId"].to_list()]
    with engine.begin() as conn:
        conn.execute(
            delete(note_status_history).where(note_status_history.c.noteId.in_(published_ids))
        )
        if published_ids:
            conn.execute(insert(note_status_history), _nsh_rows(nsh))
        if changes:
            conn.execute(insert(note_status_changes), changes)
        conn.execute(delete(note_scores))
        score_rows = _note_score_rows(result, config, refit.roster.held)
        if score_rows:
            conn.execute(insert(note_scores), score_rows)
        conn.execute(delete(contributor_scores))
        contributor_rows = _contributor_rows(result)
        if contributor_rows:
            conn.execute(insert(contributor_scores), contributor_rows)
        _write_enrollment(conn, result, known)
        refit_id = store_refit(
            conn, created_at_ms=as_of_ms, snapshot_offset=position, payload=refit.to_bytes()
        )
        moved = conn.execute(
            update(pipeline_offsets)
            .where(pipeline_offsets.c.consumer == consumer)
            .values(last_event_id=position, updated_at_ms=as_of_ms, last_refit_at_ms=as_of_ms)
        ).rowcount
        if not moved:
            conn.execute(
                insert(pipeline_offsets).values(
                    consumer=consumer,
                    last_event_id=position,
                    updated_at_ms=as_of_ms,
                    last_refit_at_ms=as_of_ms,
                )
            )
    counts = result.scored_notes["finalRatingStatus"].value_counts()
    status_counts = {
        str(s): int(n) for s, n in zip(counts[:, 0].to_list(), counts[:, 1].to_list(), strict=True)
    }
    _log.info("published %s, %d status changes, refit %d", status_counts, len(changes), refit_id)
    return PublishedRun(result, status_counts, len(changes), int(refit_id), position)
