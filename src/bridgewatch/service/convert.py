"""Rows (public column names) to and from API bodies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from bridgewatch.model import EnrollmentState
from bridgewatch.service.schemas import (
    EnrollmentPublic,
    HelpfulTag,
    NoteCreate,
    NotePublic,
    NotHelpfulTag,
    PostPublic,
    RatingCreate,
    RatingPublic,
)
from bridgewatch.store.tables import MISLEADING_REASONS, NOT_MISLEADING_REASONS

__all__ = [
    "HELPFUL_TAG_COLUMNS",
    "NOT_HELPFUL_TAG_COLUMNS",
    "enrollment_public",
    "note_public",
    "note_values",
    "post_public",
    "rating_public",
    "rating_values",
]

_DECIDED = ("CURRENTLY_RATED_HELPFUL", "CURRENTLY_RATED_NOT_HELPFUL")
# Form tag -> public TSV column (spec-extended §7.3).
HELPFUL_TAG_COLUMNS: dict[str, str] = {tag: f"helpful{tag}" for tag in get_args(HelpfulTag)}
NOT_HELPFUL_TAG_COLUMNS: dict[str, str] = {
    tag: f"notHelpful{tag}" for tag in get_args(NotHelpfulTag)
}
_HELPFUL_TSV_TAGS = {column: tag for tag, column in HELPFUL_TAG_COLUMNS.items()}
_NOT_HELPFUL_TSV_TAGS = {column: tag for tag, column in NOT_HELPFUL_TAG_COLUMNS.items()}


def note_values(body: NoteCreate) -> dict[str, Any]:
    """The notes-table columns (public names) of a note-writing form."""
    values: dict[str, Any] = {
        "tweetId": body.post_id,
        "classification": body.classification,
        "trustworthySources": int(body.trustworthy_sources),
        "summary": body.summary,
        "isMediaNote": int(body.is_media_note),
        "isCollaborativeNote": 0,
    }
    for column in MISLEADING_REASONS:
        values[column] = int(column.removeprefix("misleading") in body.misleading_reasons)
    for column in NOT_MISLEADING_REASONS:
        values[column] = int(column.removeprefix("notMisleading") in body.not_misleading_reasons)
    return values


def note_public(row: Mapping[str, Any]) -> NotePublic:
    """A note view row (see ``repositories.notes``) as its API body."""
    status = row["status"]
    decided = status in _DECIDED
    return NotePublic(
        note_id=str(row["noteId"]),
        note_author_participant_id=row["noteAuthorParticipantId"],
        created_at_millis=row["createdAtMillis"],
        post_id=row["tweetId"],
        classification=row["classification"],
        misleading_reasons=[c.removeprefix("misleading") for c in MISLEADING_REASONS if row[c]],
        not_misleading_reasons=[
            c.removeprefix("notMisleading") for c in NOT_MISLEADING_REASONS if row[c]
        ],
        trustworthy_sources=bool(row["trustworthySources"]),
        summary=row["summary"],
        is_media_note=bool(row["isMediaNote"]),
        is_collaborative_note=bool(row["isCollaborativeNote"]),
        deleted=row["deleted_at_ms"] is not None,
        status=status,
        first_tag=row["first_tag"] if decided else None,
        second_tag=row["second_tag"] if decided else None,
        num_ratings=int(row["num_ratings"]),
    )


def rating_values(body: RatingCreate, *, note_id: int, rater_participant_id: str) -> dict[str, Any]:
    """The ratings-table columns (public names, no ``createdAtMillis``) of a rating form."""
    values: dict[str, Any] = {
        "noteId": note_id,
        "raterParticipantId": rater_participant_id,
        "version": 2,
        "agree": 0,
        "disagree": 0,
        "helpful": 0,
        "notHelpful": 0,
        "helpfulnessLevel": body.helpfulness_level,
        "ratedOnTweetId": body.rated_on_post_id,
        "ratingSourceBucketed": body.rating_source,
        "suggestion": None,
        "suggestionId": None,
    }
    for tag, column in HELPFUL_TAG_COLUMNS.items():
        values[column] = int(tag in body.helpful_tags)
    for tag, column in NOT_HELPFUL_TAG_COLUMNS.items():
        values[column] = int(tag in body.not_helpful_tags)
    # TSV tags the current form no longer offers are stored as 0.
    for column in ("helpfulInformative", "helpfulEmpathetic", "helpfulUniqueContext"):
        values[column] = 0
    for column in ("notHelpfulOpinionSpeculationOrBias", "notHelpfulOutdated"):
        values[column] = 0
    values["notHelpfulOffTopic"] = 0
    return values


def rating_public(row: Mapping[str, Any], *, replaced: bool) -> RatingPublic:
    """A ratings row as its API body."""
    return RatingPublic(
        note_id=str(row["noteId"]),
        rater_participant_id=row["raterParticipantId"],
        created_at_millis=row["createdAtMillis"],
        helpfulness_level=row["helpfulnessLevel"],
        helpful_tags=[tag for column, tag in _HELPFUL_TSV_TAGS.items() if row.get(column)],
        not_helpful_tags=[tag for column, tag in _NOT_HELPFUL_TSV_TAGS.items() if row.get(column)],
        rated_on_post_id=row["ratedOnTweetId"],
        rating_source=row["ratingSourceBucketed"],
        replaced=replaced,
    )


def post_public(row: Mapping[str, Any], *, request_count: int = 0) -> PostPublic:
    """A posts row (and its number of note requests) as its API body."""
    return PostPublic(
        post_id=row["post_id"],
        author_id=row["author_id"],
        text=row["text"],
        url=row["url"],
        created_at_millis=row["created_at_ms"],
        request_count=request_count,
    )


def enrollment_public(row: Mapping[str, Any]) -> EnrollmentPublic:
    """A userEnrollment row as its API body (state by name)."""
    return EnrollmentPublic(
        enrollment_state=EnrollmentState(row["enrollmentState"]).name,
        successful_rating_needed_to_earn_in=row["successfulRatingNeededToEarnIn"],
        timestamp_of_last_state_change=row["timestampOfLastStateChange"],
        timestamp_of_last_earn_out=row["timestampOfLastEarnOut"],
        modeling_population=row["modelingPopulation"],
        modeling_group=row["modelingGroup"],
        number_of_times_earned_out=row["numberOfTimesEarnedOut"],
    )
