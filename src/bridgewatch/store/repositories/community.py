"""The live community's Core scores and ratings as frames in `bridgewatch score`'s column
names, for the figures of `bridgewatch analyze` on the transparency page."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridgewatch.store.tables import contributor_scores, note_scores, notes, ratings

__all__ = ["CommunityVersion", "LiveAnalysisInputs", "community_version", "live_analysis_inputs"]


@dataclass(frozen=True)
class CommunityVersion:
    """What the live analysis depends on: when notes and raters were last scored, and how
    many ratings there are and the newest one's time (ms). Equal versions, equal inputs
    (notes deleted since the last scoring aside)."""

    notes_scored_at_ms: int | None
    raters_scored_at_ms: int | None
    n_ratings: int
    newest_rating_ms: int | None


@dataclass(frozen=True)
class LiveAnalysisInputs:
    """The live community in the layouts `bridgewatch analyze` reads.

    Parameters
    ----------
    scored_notes : ``noteId`` (String), ``coreNoteIntercept``, ``coreNoteFactor1``,
        ``coreRatingStatus`` and ``finalRatingStatus`` of every scored live note.
    helpfulness_scores : ``raterParticipantId``, ``coreRaterIntercept`` and
        ``coreRaterFactor1`` of every scored participant.
    ratings : ``noteId`` (String), ``raterParticipantId``, ``createdAtMillis``,
        ``helpfulnessLevel``, ``helpful`` and ``notHelpful`` of every rating of a live note.
    """

    scored_notes: pl.DataFrame
    helpfulness_scores: pl.DataFrame
    ratings: pl.DataFrame


def community_version(session: Session) -> CommunityVersion:
    """The live community's :class:`CommunityVersion` (three aggregate queries)."""
    notes_at = session.execute(select(func.max(note_scores.c.scored_at_ms))).scalar()
    raters_at = session.execute(select(func.max(contributor_scores.c.scored_at_ms))).scalar()
    n, newest = session.execute(
        select(func.count(), func.max(ratings.c.createdAtMillis)).select_from(ratings)
    ).one()
    return CommunityVersion(
        None if notes_at is None else int(notes_at),
        None if raters_at is None else int(raters_at),
        int(n),
        None if newest is None else int(newest),
    )


def live_analysis_inputs(session: Session) -> LiveAnalysisInputs:
    """Every scored live note, scored participant and rating of a live note."""
    live = notes.c.deleted_at_ms.is_(None)
    note_rows = session.execute(
        select(
            note_scores.c.note_id,
            note_scores.c.core_note_intercept,
            note_scores.c.core_note_factor1,
            note_scores.c.core_rating_status,
            note_scores.c.final_rating_status,
        )
        .select_from(note_scores.join(notes, notes.c.noteId == note_scores.c.note_id))
        .where(live)
    ).all()
    scored_notes = pl.DataFrame(
        [(str(r[0]), r[1], r[2], r[3], r[4]) for r in note_rows],
        schema={
            "noteId": pl.String,
            "coreNoteIntercept": pl.Float64,
            "coreNoteFactor1": pl.Float64,
            "coreRatingStatus": pl.String,
            "finalRatingStatus": pl.String,
        },
        orient="row",
    )
    rater_rows = session.execute(
        select(
            contributor_scores.c.participant_id,
            contributor_scores.c.core_rater_intercept,
            contributor_scores.c.core_rater_factor1,
        )
    ).all()
    helpfulness_scores = pl.DataFrame(
        [tuple(r) for r in rater_rows],
        schema={
            "raterParticipantId": pl.String,
            "coreRaterIntercept": pl.Float64,
            "coreRaterFactor1": pl.Float64,
        },
        orient="row",
    )
    rating_rows = session.execute(
        select(
            ratings.c.noteId,
            ratings.c.raterParticipantId,
            ratings.c.createdAtMillis,
            ratings.c.helpfulnessLevel,
            ratings.c.helpful,
            ratings.c.notHelpful,
        )
        .select_from(ratings.join(notes, notes.c.noteId == ratings.c.noteId))
        .where(live)
    ).all()
    rating_frame = pl.DataFrame(
        [(str(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rating_rows],
        schema={
            "noteId": pl.String,
            "raterParticipantId": pl.String,
            "createdAtMillis": pl.Int64,
            "helpfulnessLevel": pl.String,
            "helpful": pl.Int64,
            "notHelpful": pl.Int64,
        },
        orient="row",
    )
    return LiveAnalysisInputs(scored_notes, helpfulness_scores, rating_frame)
