"""Typed rows (``bridgewatch.store.rows``) to and from API bodies."""

from __future__ import annotations

from typing import get_args

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
from bridgewatch.store.rows import EnrollmentRow, NoteContent, NoteView, PostRow, RatingRow

__all__ = [
    "HELPFUL_TAG_COLUMNS",
    "NOT_HELPFUL_TAG_COLUMNS",
    "enrollment_public",
    "note_content",
    "note_public",
    "post_public",
    "rating_public",
    "rating_row",
]

_DECIDED = ("CURRENTLY_RATED_HELPFUL", "CURRENTLY_RATED_NOT_HELPFUL")
# Form tag -> public TSV column (spec-extended §7.3).
HELPFUL_TAG_COLUMNS: dict[str, str] = {tag: f"helpful{tag}" for tag in get_args(HelpfulTag)}
NOT_HELPFUL_TAG_COLUMNS: dict[str, str] = {
    tag: f"notHelpful{tag}" for tag in get_args(NotHelpfulTag)
}


def note_content(body: NoteCreate) -> NoteContent:
    """The note an API or web form body describes."""
    return NoteContent(
        post_id=body.post_id,
        classification=body.classification,
        summary=body.summary,
        misleading_reasons=tuple(body.misleading_reasons),
        not_misleading_reasons=tuple(body.not_misleading_reasons),
        trustworthy_sources=body.trustworthy_sources,
        is_media_note=body.is_media_note,
    )


def note_public(note: NoteView) -> NotePublic:
    """A note as its API body (explanation tags only once the note is decided)."""
    decided = note.status in _DECIDED
    return NotePublic(
        note_id=str(note.note_id),
        note_author_participant_id=note.author_participant_id,
        created_at_millis=note.created_at_ms,
        post_id=note.post_id,
        classification=note.classification,
        misleading_reasons=list(note.misleading_reasons),
        not_misleading_reasons=list(note.not_misleading_reasons),
        trustworthy_sources=note.trustworthy_sources,
        summary=note.summary,
        is_media_note=note.is_media_note,
        is_collaborative_note=note.is_collaborative_note,
        deleted=note.deleted_at_ms is not None,
        status=note.status,
        first_tag=note.first_tag if decided else None,
        second_tag=note.second_tag if decided else None,
        num_ratings=note.num_ratings,
    )


def rating_row(
    body: RatingCreate, *, note_id: int, rater_participant_id: str, now_ms: int
) -> RatingRow:
    """The rating an API or web form body describes, made at ``now_ms`` (the form offers
    only tags of TSV columns; the retired ones are never set)."""
    return RatingRow(
        note_id=note_id,
        rater_participant_id=rater_participant_id,
        created_at_ms=now_ms,
        helpfulness_level=body.helpfulness_level,
        helpful_tags=frozenset(body.helpful_tags),
        not_helpful_tags=frozenset(body.not_helpful_tags),
        rated_on_post_id=body.rated_on_post_id,
        rating_source=body.rating_source,
    )


def rating_public(rating: RatingRow, *, replaced: bool) -> RatingPublic:
    """A rating as its API body (the tags the form offers, in the form's order)."""
    return RatingPublic(
        note_id=str(rating.note_id),
        rater_participant_id=rating.rater_participant_id,
        created_at_millis=rating.created_at_ms,
        helpfulness_level=rating.helpfulness_level,
        helpful_tags=[t for t in HELPFUL_TAG_COLUMNS if t in rating.helpful_tags],
        not_helpful_tags=[t for t in NOT_HELPFUL_TAG_COLUMNS if t in rating.not_helpful_tags],
        rated_on_post_id=rating.rated_on_post_id,
        rating_source=rating.rating_source,
        replaced=replaced,
    )


def post_public(post: PostRow, *, request_count: int = 0) -> PostPublic:
    """A post (and its number of note requests) as its API body."""
    return PostPublic(
        post_id=post.post_id,
        author_id=post.author_id,
        text=post.text,
        url=post.url,
        created_at_millis=post.created_at_ms,
        request_count=request_count,
    )


def enrollment_public(row: EnrollmentRow) -> EnrollmentPublic:
    """A userEnrollment record as its API body (state by name)."""
    return EnrollmentPublic(
        enrollment_state=row.enrollment_state.name,
        successful_rating_needed_to_earn_in=row.successful_rating_needed_to_earn_in,
        timestamp_of_last_state_change=row.timestamp_of_last_state_change,
        timestamp_of_last_earn_out=row.timestamp_of_last_earn_out,
        modeling_population=row.modeling_population,
        modeling_group=row.modeling_group,
        number_of_times_earned_out=row.number_of_times_earned_out,
    )
