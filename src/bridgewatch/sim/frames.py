"""Polars frames in the public Community Notes layout (column names and order from
``bridgewatch.io.columns``), and the ground-truth frames, built from simulator arrays."""

from __future__ import annotations

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.io.columns import (
    HELPFUL_TAGS,
    NOT_HELPFUL_TAGS,
    NOTE_STATUS_HISTORY_COLUMNS,
    NOTES_COLUMNS,
    RATINGS_COLUMNS,
    USER_ENROLLMENT_COLUMNS,
)
from bridgewatch.model import (
    Classification,
    EnrollmentState,
    HelpfulnessLevel,
    NoteStatus,
    RatingSource,
)
from bridgewatch.sim.config import SimConfig
from bridgewatch.sim.notes import NotePopulation
from bridgewatch.sim.population import RaterPopulation
from bridgewatch.sim.ratings import RatingArrays
from bridgewatch.sim.text import TOPICS

__all__ = [
    "enrollment_frame",
    "note_status_history_frame",
    "note_truth_frame",
    "notes_frame",
    "rater_truth_frame",
    "ratings_frame",
]

_MISLEADING_TAGS = NOTES_COLUMNS[8:15]
_NOT_MISLEADING_TAGS = NOTES_COLUMNS[15:20]


def _enum_dtype(enum: type[Classification | HelpfulnessLevel | RatingSource]) -> pl.Enum:
    return pl.Enum([member.name for member in sorted(enum, key=int)])


def _codes_to_enum(
    codes: NDArray[np.int8], enum: type[Classification | HelpfulnessLevel | RatingSource]
) -> pl.Series:
    mapping = {int(member): member.name for member in enum}
    return pl.Series(codes).replace_strict(mapping, return_dtype=_enum_dtype(enum))


def _bit_columns(bits: NDArray[np.unsignedinteger], names: tuple[str, ...]) -> dict[str, pl.Series]:
    return {
        name: pl.Series(name, ((bits >> k) & 1).astype(np.int8)) for k, name in enumerate(names)
    }


def _nulls(name: str, n: int, dtype: pl.DataType | type[pl.DataType]) -> pl.Series:
    return pl.Series(name, [None] * n, dtype=dtype) if n else pl.Series(name, [], dtype=dtype)


def notes_frame(notes: NotePopulation, raters: RaterPopulation) -> pl.DataFrame:
    """``notes-*.tsv`` rows, one per note, in ``NOTES_COLUMNS`` order (scoring-core.md §2.1)."""
    n = notes.n
    frame = pl.DataFrame(
        {
            "noteId": pl.Series(notes.ids, dtype=pl.Int64),
            "noteAuthorParticipantId": pl.Series(raters.ids[notes.author_idx], dtype=pl.String),
            "createdAtMillis": pl.Series(notes.created_at_ms, dtype=pl.Int64),
            "tweetId": pl.Series(notes.tweet_ids, dtype=pl.Int64),
            "classification": _codes_to_enum(notes.classification, Classification),
            "believable": _nulls("believable", n, pl.String),
            "harmful": _nulls("harmful", n, pl.String),
            "validationDifficulty": _nulls("validationDifficulty", n, pl.String),
            **_bit_columns(notes.misleading_tags, _MISLEADING_TAGS),
            **_bit_columns(notes.not_misleading_tags, _NOT_MISLEADING_TAGS),
            "trustworthySources": pl.Series(notes.trustworthy_sources.astype(np.int8)),
            "summary": pl.Series(notes.summaries, dtype=pl.String),
            "isMediaNote": pl.Series(notes.is_media.astype(np.int8)),
            "isCollaborativeNote": pl.Series(np.zeros(n, np.int8)),
        }
    )
    return frame.select(NOTES_COLUMNS)


def ratings_frame(
    ratings: RatingArrays, notes: NotePopulation, rater_ids: pl.Series
) -> pl.DataFrame:
    """``ratings-*.tsv`` rows in ``RATINGS_COLUMNS`` order (scoring-core.md §2.1).

    Parameters
    ----------
    ratings : the ratings, in the order to write.
    notes : the notes the ratings point into.
    rater_ids : String series of every participant id, indexed by ``rater_idx``.
    """
    m = ratings.n
    zeros = np.zeros(m, np.int8)
    source = ratings.population_sampled.astype(np.int8) * np.int8(RatingSource.POPULATION_SAMPLED)
    frame = pl.DataFrame(
        {
            "noteId": pl.Series(notes.ids[ratings.note_idx], dtype=pl.Int64),
            "raterParticipantId": rater_ids.gather(ratings.rater_idx),
            "createdAtMillis": pl.Series(ratings.created_at_ms, dtype=pl.Int64),
            "version": pl.Series(np.full(m, 2, np.int8)),
            "agree": pl.Series(zeros),
            "disagree": pl.Series(zeros),
            "helpful": pl.Series(zeros),
            "notHelpful": pl.Series(zeros),
            "helpfulnessLevel": _codes_to_enum(ratings.level, HelpfulnessLevel),
            **_bit_columns(ratings.helpful_tags, HELPFUL_TAGS),
            **_bit_columns(ratings.not_helpful_tags, NOT_HELPFUL_TAGS),
            "ratedOnTweetId": pl.Series(notes.tweet_ids[ratings.note_idx], dtype=pl.Int64),
            "ratingSourceBucketed": _codes_to_enum(source, RatingSource),
            "suggestion": _nulls("suggestion", m, pl.String),
            "suggestionId": _nulls("suggestionId", m, pl.String),
        }
    )
    return frame.select(RATINGS_COLUMNS)


def enrollment_frame(raters: RaterPopulation) -> pl.DataFrame:
    """``userEnrollment-*.tsv`` rows, one per participant, in ``USER_ENROLLMENT_COLUMNS`` order."""
    states = [s.name for s in sorted(EnrollmentState, key=int)]
    frame = pl.DataFrame(
        {
            "participantId": pl.Series(raters.ids, dtype=pl.String),
            "enrollmentState": pl.Series(raters.enrollment_state).replace_strict(
                {int(s): s.name for s in EnrollmentState}, return_dtype=pl.Enum(states)
            ),
            "successfulRatingNeededToEarnIn": pl.Series(raters.successful_rating_needed),
            "timestampOfLastStateChange": pl.Series(raters.last_state_change_ms),
            "timestampOfLastEarnOut": pl.Series(raters.last_earn_out_ms),
            "modelingPopulation": pl.Series(
                np.where(raters.expansion, "EXPANSION", "CORE"), dtype=pl.String
            ),
            "modelingGroup": pl.Series(raters.modeling_group),
            "numberOfTimesEarnedOut": pl.Series(raters.times_earned_out),
        }
    )
    return frame.select(USER_ENROLLMENT_COLUMNS)


def note_status_history_frame(
    notes: NotePopulation, raters: RaterPopulation, *, seeded: bool
) -> pl.DataFrame:
    """``noteStatusHistory-*.tsv``: empty, or one NEEDS_MORE_RATINGS row per note as in the
    fixtures (status time = note creation, modeling groups 0, last change -1)."""
    n = notes.n if seeded else 0
    nmr = NoteStatus.NEEDS_MORE_RATINGS.name
    columns: dict[str, pl.Series] = {
        name: _nulls(name, n, pl.String) for name in NOTE_STATUS_HISTORY_COLUMNS
    }
    int_nulls = (
        "timestampMillisOfFirstNonNMRStatus",
        "timestampMillisOfLatestNonNMRStatus",
        "timestampMillisOfStatusLock",
        "timestampMillisOfRetroLock",
        "timestampMillisOfNmrDueToMinStableCrhTime",
        "timestampMinuteOfFinalScoringOutput",
        "timestampMillisOfFirstNmrDueToMinStableCrhTime",
        "abovePcrhThresholdTime",
    )
    for name in int_nulls:
        columns[name] = _nulls(name, n, pl.Int64)
    created = pl.Series(notes.created_at_ms[:n], dtype=pl.Int64)
    columns.update(
        noteId=pl.Series(notes.ids[:n], dtype=pl.Int64),
        noteAuthorParticipantId=pl.Series(raters.ids[notes.author_idx[:n]], dtype=pl.String),
        createdAtMillis=created,
        timestampMillisOfCurrentStatus=created,
        currentStatus=pl.Series([nmr] * n, dtype=pl.String),
        currentCoreStatus=pl.Series([nmr] * n, dtype=pl.String),
        currentModelingGroup=pl.Series(np.zeros(n, np.int64)),
        timestampMillisOfMostRecentStatusChange=pl.Series(np.full(n, -1, np.int64)),
        currentModelingMultiGroup=pl.Series(np.zeros(n, np.int64)),
    )
    return pl.DataFrame([columns[name].alias(name) for name in NOTE_STATUS_HISTORY_COLUMNS])


def note_truth_frame(
    config: SimConfig, notes: NotePopulation, target_brigade: NDArray[np.int32]
) -> pl.DataFrame:
    """Ground truth per note: true helpfulness (quality), slant, one-sidedness, topic, and
    whether (and by which brigade, with which goal) the note is attacked."""
    goals = [b.goal.value for b in config.brigades]
    topic_names = np.array([*TOPICS, ""], dtype=object)[notes.topic]
    attacked = target_brigade >= 0
    goal_names = np.array([*goals, ""], dtype=object)[target_brigade]
    return pl.DataFrame(
        {
            "noteId": pl.Series(notes.ids, dtype=pl.Int64),
            "quality": pl.Series(notes.quality, dtype=pl.Float64),
            "slant": pl.Series(notes.slant, dtype=pl.Float64),
            "oneSided": pl.Series(notes.one_sided, dtype=pl.Boolean),
            "topic": pl.Series(topic_names, dtype=pl.String).replace("", None),
            "attackTarget": pl.Series(attacked, dtype=pl.Boolean),
            "brigadeId": pl.Series(target_brigade, dtype=pl.Int32),
            "attackGoal": pl.Series(goal_names, dtype=pl.String).replace("", None),
        }
    )


def rater_truth_frame(raters: RaterPopulation) -> pl.DataFrame:
    """Ground truth per participant: viewpoint position, camp, leniency, activity weight,
    adversary flag, brigade id (-1 none) and when the account could start rating."""
    return pl.DataFrame(
        {
            "participantId": pl.Series(raters.ids, dtype=pl.String),
            "position": pl.Series(raters.positions, dtype=pl.Float64),
            "camp": pl.Series(raters.camps, dtype=pl.Int8),
            "leniency": pl.Series(raters.leniency, dtype=pl.Float64),
            "activity": pl.Series(raters.activity, dtype=pl.Float64),
            "isAdversary": pl.Series(raters.is_adversary, dtype=pl.Boolean),
            "brigadeId": pl.Series(raters.brigade_id, dtype=pl.Int32),
            "joinedAtMillis": pl.Series(raters.joined_at_ms, dtype=pl.Int64),
        }
    )
