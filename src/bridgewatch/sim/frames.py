"""Polars frames in the public Community Notes layout (column names and order from
``bridgewatch.io.columns``), and the ground-truth frames, built from simulator arrays."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.io import schemas
from bridgewatch.io.columns import HELPFUL_TAGS, NOT_HELPFUL_TAGS, NOTES_COLUMNS
from bridgewatch.io.write import conform
from bridgewatch.model import (
    Classification,
    EnrollmentState,
    HelpfulnessLevel,
    NoteStatus,
    RatingSource,
)
from bridgewatch.sim.config import SimConfig
from bridgewatch.sim.notes import NotePopulation
from bridgewatch.sim.population import STRUCTURE_NAMES, RaterPopulation
from bridgewatch.sim.posts import PostTexts
from bridgewatch.sim.ratings import RatingArrays
from bridgewatch.sim.requests import NoteRequests
from bridgewatch.sim.text import TOPICS

__all__ = [
    "IdColumns",
    "enrollment_frame",
    "note_requests_frame",
    "note_status_history_frame",
    "note_truth_frame",
    "notes_frame",
    "posts_frame",
    "rater_truth_frame",
    "ratings_frame",
    "ratings_text_frame",
]

_MISLEADING_TAGS = NOTES_COLUMNS[8:15]
_ENUM_DTYPES: dict[type[IntEnum], pl.Enum] = {
    Classification: schemas.CLASSIFICATION_DTYPE,
    HelpfulnessLevel: schemas.HELPFULNESS_LEVEL_DTYPE,
    RatingSource: schemas.RATING_SOURCE_DTYPE,
    EnrollmentState: schemas.ENROLLMENT_STATE_DTYPE,
    NoteStatus: schemas.NOTE_STATUS_DTYPE,
}


@dataclass(frozen=True)
class IdColumns:
    """External ids as String series, built once and gathered per rating block.

    Parameters
    ----------
    note_ids : String series of shape (n_notes,), decimal note ids by ``note_idx``.
    tweet_ids : String series of shape (n_notes,), each note's post id by ``note_idx``.
    participant_ids : String series of shape (n_participants,), by ``rater_idx``.
    """

    note_ids: pl.Series
    tweet_ids: pl.Series
    participant_ids: pl.Series

    @staticmethod
    def of(notes: NotePopulation, raters: RaterPopulation) -> IdColumns:
        """The id columns of a simulated community."""
        return IdColumns(
            note_ids=pl.Series("noteId", notes.ids).cast(pl.String),
            tweet_ids=pl.Series("tweetId", notes.tweet_ids).cast(pl.String),
            participant_ids=pl.Series("participantId", raters.ids, dtype=pl.String),
        )


_NOT_MISLEADING_TAGS = NOTES_COLUMNS[15:20]


def _codes_to_enum(codes: NDArray[np.int8], enum: type[IntEnum]) -> pl.Series:
    mapping = {int(member): member.name for member in enum}
    return pl.Series(codes).replace_strict(mapping, return_dtype=_ENUM_DTYPES[enum])


def _bit_columns(bits: NDArray[np.unsignedinteger], names: tuple[str, ...]) -> dict[str, pl.Series]:
    return {
        name: pl.Series(name, ((bits >> k) & 1).astype(np.int8)) for k, name in enumerate(names)
    }


def _nulls(name: str, n: int, dtype: pl.DataType | type[pl.DataType]) -> pl.Series:
    empty = pl.Series(name, [], dtype=dtype)
    return pl.Series(name, [None], dtype=dtype).new_from_index(0, n) if n else empty


def notes_frame(notes: NotePopulation, ids: IdColumns) -> pl.DataFrame:
    """``notes-*.tsv`` rows, one per note, with the dtypes of ``io.schemas.NOTES``."""
    n = notes.n
    frame = pl.DataFrame(
        {
            "noteId": ids.note_ids,
            "noteAuthorParticipantId": ids.participant_ids.gather(notes.author_idx),
            "createdAtMillis": pl.Series(notes.created_at_ms, dtype=pl.Int64),
            "tweetId": ids.tweet_ids,
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
    return conform(frame, schemas.NOTES)


def ratings_frame(ratings: RatingArrays, ids: IdColumns) -> pl.DataFrame:
    """``ratings-*.tsv`` rows, with the dtypes of ``io.schemas.RATINGS``.

    Parameters
    ----------
    ratings : the ratings, in the order to write.
    ids : the community's id columns (``note_idx`` and ``rater_idx`` index into them).
    """
    m = ratings.n
    zeros = pl.Series(np.zeros(m, np.int8))
    source = ratings.population_sampled.astype(np.int8) * np.int8(RatingSource.POPULATION_SAMPLED)
    frame = pl.DataFrame(
        {
            "noteId": ids.note_ids.gather(ratings.note_idx),
            "raterParticipantId": ids.participant_ids.gather(ratings.rater_idx),
            "createdAtMillis": pl.Series(ratings.created_at_ms, dtype=pl.Int64),
            "version": pl.Series(np.full(m, 2, np.int64)),
            "agree": zeros,
            "disagree": zeros,
            "helpful": zeros,
            "notHelpful": zeros,
            "helpfulnessLevel": _codes_to_enum(ratings.level, HelpfulnessLevel),
            **_bit_columns(ratings.helpful_tags, HELPFUL_TAGS),
            **_bit_columns(ratings.not_helpful_tags, NOT_HELPFUL_TAGS),
            "ratedOnTweetId": ids.tweet_ids.gather(ratings.note_idx),
            "ratingSourceBucketed": _codes_to_enum(source, RatingSource),
            "suggestion": _nulls("suggestion", m, pl.String),
            "suggestionId": _nulls("suggestionId", m, pl.String),
        }
    )
    return conform(frame, schemas.RATINGS)


def _tag_texts(n_bits: int) -> pl.Series:
    """Entry b: the tab-joined 0/1 tag fields of bit mask b (bit k = k-th field)."""
    masks = np.arange(1 << n_bits)
    fields = ((masks[:, None] >> np.arange(n_bits)) & 1).astype(str)
    return pl.Series(["\t".join(row) for row in fields.tolist()], dtype=pl.String)


_HELPFUL_TAG_TEXTS = _tag_texts(len(HELPFUL_TAGS))
_NOT_HELPFUL_TAG_TEXTS = _tag_texts(len(NOT_HELPFUL_TAGS))
# version, agree, disagree, helpful, notHelpful: the same on every simulated rating.
_FIXED_FIELDS = "2\t0\t0\t0\t0"


def ratings_text_frame(ratings: RatingArrays, ids: IdColumns) -> pl.DataFrame:
    """The rows of ``ratings_frame`` as 11 wide text columns for fast writing.

    Written tab-separated with nulls as empty fields and no header, it gives exactly the
    bytes of ``ratings_frame(ratings, ids)`` in the public TSV format (the 5 constant
    columns and the 9 + 13 tag columns are each pre-joined into one field), at about half
    the cost of formatting 35 columns.
    """
    m = ratings.n
    source = ratings.population_sampled.astype(np.int8) * np.int8(RatingSource.POPULATION_SAMPLED)
    return pl.DataFrame(
        {
            "noteId": ids.note_ids.gather(ratings.note_idx),
            "raterParticipantId": ids.participant_ids.gather(ratings.rater_idx),
            "createdAtMillis": pl.Series(ratings.created_at_ms, dtype=pl.Int64),
            "fixed": pl.Series([_FIXED_FIELDS], dtype=pl.String).new_from_index(0, m)
            if m
            else pl.Series([], dtype=pl.String),
            "helpfulnessLevel": _codes_to_enum(ratings.level, HelpfulnessLevel),
            "helpfulTags": _HELPFUL_TAG_TEXTS.gather(ratings.helpful_tags),
            "notHelpfulTags": _NOT_HELPFUL_TAG_TEXTS.gather(ratings.not_helpful_tags),
            "ratedOnTweetId": ids.tweet_ids.gather(ratings.note_idx),
            "ratingSourceBucketed": _codes_to_enum(source, RatingSource),
            "suggestion": _nulls("suggestion", m, pl.String),
            "suggestionId": _nulls("suggestionId", m, pl.String),
        }
    )


def enrollment_frame(raters: RaterPopulation) -> pl.DataFrame:
    """``userEnrollment-*.tsv`` rows, one per participant (``io.schemas.USER_ENROLLMENT``)."""
    frame = pl.DataFrame(
        {
            "participantId": pl.Series(raters.ids, dtype=pl.String),
            "enrollmentState": _codes_to_enum(raters.enrollment_state, EnrollmentState),
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
    return conform(frame, schemas.USER_ENROLLMENT)


def note_status_history_frame(
    notes: NotePopulation, ids: IdColumns, *, seeded: bool
) -> pl.DataFrame:
    """``noteStatusHistory-*.tsv`` (``io.schemas.NOTE_STATUS_HISTORY``): empty, or one
    NEEDS_MORE_RATINGS row per note as in the fixtures (status time = note creation,
    modeling groups 0, last status change -1)."""
    n = notes.n if seeded else 0
    nmr = np.full(n, NoteStatus.NEEDS_MORE_RATINGS, dtype=np.int8)
    created = pl.Series(notes.created_at_ms[:n], dtype=pl.Int64)
    frame = pl.DataFrame(
        {
            "noteId": ids.note_ids.slice(0, n),
            "noteAuthorParticipantId": ids.participant_ids.gather(notes.author_idx[:n]),
            "createdAtMillis": created,
            "timestampMillisOfCurrentStatus": created,
            "currentStatus": _codes_to_enum(nmr, NoteStatus),
            "currentCoreStatus": _codes_to_enum(nmr, NoteStatus),
            "currentModelingGroup": pl.Series(np.zeros(n, np.int64)),
            "timestampMillisOfMostRecentStatusChange": pl.Series(np.full(n, -1, np.int64)),
            "currentModelingMultiGroup": pl.Series(np.zeros(n, np.int64)),
        }
    )
    # conform adds the remaining (optional) columns as nulls, in published order.
    return conform(frame, schemas.NOTE_STATUS_HISTORY)


def note_requests_frame(requests: NoteRequests) -> pl.DataFrame:
    """Note requests, one row per requested post (``io.schemas.NOTE_REQUESTS``)."""
    eligible = requests.eligible_at_ms
    frame = pl.DataFrame(
        {
            "tweetId": pl.Series(requests.tweet_ids).cast(pl.String),
            "noteRequestFeedEligibleAtMillis": pl.Series(eligible[:, 0]),
            "apiSmallFeedEligibleAtMillis": pl.Series(eligible[:, 1]),
            "apiLargeFeedEligibleAtMillis": pl.Series(eligible[:, 2]),
            "apiXlFeedEligibleAtMillis": pl.Series(eligible[:, 3]),
            "sourceLinks": pl.Series(requests.source_links, dtype=pl.String).replace("", None),
            "suggestions": pl.Series(["[]"] * len(requests.source_links), dtype=pl.String),
        }
    )
    return conform(frame, schemas.NOTE_REQUESTS)


def posts_frame(posts: PostTexts) -> pl.DataFrame:
    """``posts-*.tsv`` rows, one per post (``io.schemas.POSTS``): id, time, author, text."""
    frame = pl.DataFrame(
        {
            "tweetId": pl.Series(posts.tweet_ids).cast(pl.String),
            "createdAtMillis": pl.Series(posts.created_at_ms, dtype=pl.Int64),
            "authorHandle": pl.Series(posts.author_handles, dtype=pl.String),
            "text": pl.Series(posts.texts, dtype=pl.String),
        }
    )
    return conform(frame, schemas.POSTS)


def note_truth_frame(
    config: SimConfig,
    notes: NotePopulation,
    ids: IdColumns,
    target_brigade: NDArray[np.int32],
    circle_of_note: NDArray[np.int32] | None = None,
) -> pl.DataFrame:
    """Ground truth per note: true helpfulness (quality), slant, one-sidedness, topic,
    whether (and by which brigade, with which goal) the note is attacked, and the honest
    niche circle whose notes include it (``circleId``, -1 none)."""
    circles = np.full(notes.n, -1, np.int32) if circle_of_note is None else circle_of_note
    goals = [b.goal.value for b in config.brigades]
    topic_names = np.array([*TOPICS, ""], dtype=object)[notes.topic]
    goal_names = np.array([*goals, ""], dtype=object)[target_brigade]
    return pl.DataFrame(
        {
            "noteId": ids.note_ids,
            "quality": pl.Series(notes.quality, dtype=pl.Float64),
            "slant": pl.Series(notes.slant, dtype=pl.Float64),
            "oneSided": pl.Series(notes.one_sided, dtype=pl.Boolean),
            "topic": pl.Series(topic_names, dtype=pl.String).replace("", None),
            "attackTarget": pl.Series(target_brigade >= 0, dtype=pl.Boolean),
            "brigadeId": pl.Series(target_brigade, dtype=pl.Int64),
            "attackGoal": pl.Series(goal_names, dtype=pl.String).replace("", None),
            "circleId": pl.Series(circles, dtype=pl.Int64),
        }
    )


def rater_truth_frame(raters: RaterPopulation, ids: IdColumns) -> pl.DataFrame:
    """Ground truth per participant: viewpoint position, camp, leniency, activity weight,
    adversary flag, brigade id (-1 none), when the account could start rating, its
    modeling group, and the honest structure it belongs to (``structure``: "circle",
    "group", "active" or null; ``structureId``: its index, -1 none)."""
    names = np.array(STRUCTURE_NAMES, dtype=object)[raters.structure]
    return pl.DataFrame(
        {
            "participantId": ids.participant_ids,
            "position": pl.Series(raters.positions, dtype=pl.Float64),
            "camp": pl.Series(raters.camps, dtype=pl.Int64),
            "leniency": pl.Series(raters.leniency, dtype=pl.Float64),
            "activity": pl.Series(raters.activity, dtype=pl.Float64),
            "isAdversary": pl.Series(raters.is_adversary, dtype=pl.Boolean),
            "brigadeId": pl.Series(raters.brigade_id, dtype=pl.Int64),
            "joinedAtMillis": pl.Series(raters.joined_at_ms, dtype=pl.Int64),
            "modelingGroup": pl.Series(raters.modeling_group, dtype=pl.Int64),
            "structure": pl.Series(names, dtype=pl.String).replace("", None),
            "structureId": pl.Series(raters.structure_id, dtype=pl.Int64),
        }
    )
